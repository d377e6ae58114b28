//! The typed model of a `#[derive(PgView)]` input, keeping the original syntax for spans.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, Ident, Path, Visibility};

use crate::attr::{self, Errors, FieldAttrs, StructAttrs};
use crate::sql_type;

/// A derived view: the struct, its attributes and its fields.
pub(crate) struct ViewModel<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) attrs: StructAttrs,
    pub(crate) fields: Vec<FieldModel<'a>>,
    /// The path of the `pgview` crate (`::pgview` unless `crate = "…"`).
    pub(crate) krate: Path,
}

/// One field: one column of the view.
pub(crate) struct FieldModel<'a> {
    pub(crate) field: &'a Field,
    pub(crate) ident: &'a Ident,
    /// The SQL name of the column.
    pub(crate) column: String,
    /// Where the Diesel SQL type of the column comes from.
    pub(crate) sql_type: FieldSqlType,
    /// A hidden type alias of `sql_type` in the struct's scope, so that the table module can
    /// name types that the user wrote relative to that scope.
    pub(crate) alias: Ident,
    pub(crate) attrs: FieldAttrs,
}

/// Where a field's SQL type comes from.
pub(crate) enum FieldSqlType {
    /// `sql_type = …`, or the field's Rust type is one pgview maps (as written in the struct's
    /// scope).
    Given(TokenStream),
    /// Nothing on the field tells, and the view has `query = path`: the query's column at the
    /// field's position (through the type `path` names, which `#[diesel::dsl::auto_type]`
    /// declares next to the function).
    FromQuery,
    /// Nothing tells (a view of `sql = "…"`): an error on the field.
    Unknown,
}

impl FieldSqlType {
    /// The SQL type as written, when given.
    pub(crate) fn given(&self) -> Option<&TokenStream> {
        match self {
            Self::Given(ty) => Some(ty),
            Self::FromQuery | Self::Unknown => None,
        }
    }
}

impl ViewModel<'_> {
    /// Whether the view is materialized.
    pub(crate) fn is_materialized(&self) -> bool {
        self.attrs.materialized.is_some()
    }

    /// The field named `ident`.
    pub(crate) fn field(&self, ident: &Ident) -> Option<&FieldModel<'_>> {
        self.fields.iter().find(|f| f.ident == ident)
    }
}

/// Builds the model, reporting what is not a struct with named fields.
pub(crate) fn model<'a>(input: &'a DeriveInput, errors: &mut Errors) -> syn::Result<ViewModel<'a>> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) if !fields.named.is_empty() => &fields.named,
            Fields::Named(_) | Fields::Unit => {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "`#[derive(PgView)]` needs at least one field: each field is a column of the view",
                ))
            }
            Fields::Unnamed(fields) => {
                return Err(syn::Error::new(
                    fields.span(),
                    "`#[derive(PgView)]` needs a struct with named fields: each field names a column of the view",
                ))
            }
        },
        Data::Enum(data) => return Err(not_a_struct(data.enum_token.span)),
        Data::Union(data) => return Err(not_a_struct(data.union_token.span)),
    };
    let attrs = attr::parse_struct(&input.attrs, errors);
    let krate = attrs
        .krate
        .as_ref()
        .map_or_else(|| syn::parse_quote!(::pgview), |k| k.value.clone());
    let has_query = attrs.query.is_some();
    let fields = named
        .iter()
        .map(|field| field_model(&input.ident, field, &krate, has_query, errors))
        .collect();
    Ok(ViewModel {
        ident: &input.ident,
        vis: &input.vis,
        attrs,
        fields,
        krate,
    })
}

fn not_a_struct(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`#[derive(PgView)]` is for structs with named fields: each field is a column of the view",
    )
}

fn field_model<'a>(
    owner: &Ident,
    field: &'a Field,
    krate: &Path,
    has_query: bool,
    errors: &mut Errors,
) -> FieldModel<'a> {
    let attrs = attr::parse_field(&field.attrs, errors);
    let ident = field.ident.as_ref().expect("named fields have identifiers");
    let column = attrs.column.as_ref().map_or_else(
        || ident.to_string().trim_start_matches("r#").to_owned(),
        |c| c.value.value(),
    );
    let sql_type = match &attrs.sql_type {
        Some(setting) => {
            let ty = &setting.value;
            FieldSqlType::Given(quote!(#ty))
        }
        None => match sql_type::infer(&field.ty, krate) {
            Some(ty) => FieldSqlType::Given(ty),
            None if has_query => FieldSqlType::FromQuery,
            None => FieldSqlType::Unknown,
        },
    };
    let alias = quote::format_ident!(
        "__pgview_sql_type_{}_{}",
        owner,
        ident.to_string().trim_start_matches("r#")
    );
    FieldModel {
        field,
        ident,
        column,
        sql_type,
        alias,
        attrs,
    }
}
