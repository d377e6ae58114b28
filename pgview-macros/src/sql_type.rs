//! The SQL type of a field, from its Rust type (or its `sql_type` override).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, Path, PathArguments, Type};

/// The Diesel SQL type for `ty`, or `None` when it is not one pgview knows.
pub(crate) fn infer(ty: &Type, krate: &Path) -> Option<TokenStream> {
    let types = quote!(#krate::__private::diesel::sql_types);
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    if let Some(inner) = single_argument(&last.arguments) {
        return match name.as_str() {
            "Option" => infer(inner, krate).map(|t| quote!(#types::Nullable<#t>)),
            "Vec" if is_u8(inner) => Some(quote!(#types::Bytea)),
            "Vec" => infer(inner, krate).map(|t| quote!(#types::Array<#t>)),
            "DateTime" => Some(quote!(#types::Timestamptz)),
            _ => None,
        };
    }
    let sql = match name.as_str() {
        "i16" => "SmallInt",
        "i32" => "Integer",
        "i64" => "BigInt",
        "f32" => "Float",
        "f64" => "Double",
        "bool" => "Bool",
        "String" => "Text",
        "BigDecimal" => "Numeric",
        "NaiveDate" | "Date" => "Date",
        "NaiveTime" | "Time" => "Time",
        "NaiveDateTime" | "PrimitiveDateTime" => "Timestamp",
        "OffsetDateTime" => "Timestamptz",
        "PgInterval" => "Interval",
        "Uuid" => "Uuid",
        "Value" if path.path.segments.len() == 1 || is_serde_json(&path.path) => "Jsonb",
        _ => return None,
    };
    let sql = syn::Ident::new(sql, last.ident.span());
    Some(quote!(#types::#sql))
}

fn single_argument(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    }
}

fn is_u8(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("u8"))
}

fn is_serde_json(path: &Path) -> bool {
    path.segments.iter().any(|s| s.ident == "serde_json")
}
