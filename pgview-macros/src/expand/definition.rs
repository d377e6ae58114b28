//! `impl PgView`: the definition with every option of the attributes.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::ViewModel;
use crate::attr::{IndexAttr, IndexPartAttr, PartKey};

/// The `PgView` impl.
pub(crate) fn expand_definition(model: &ViewModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let ident = model.ident;
    let kind = if model.is_materialized() {
        quote!(#krate::MaterializedView)
    } else {
        quote!(#krate::View)
    };
    let name = model
        .attrs
        .name
        .as_ref()
        .map(|n| n.value.value())
        .unwrap_or_default();
    let source = match (&model.attrs.query, &model.attrs.sql) {
        (Some(query), _) => {
            let path = &query.value;
            quote!(#kind::new(#name, #path())?)
        }
        (None, Some(sql)) => {
            let sql = &sql.value;
            quote!(#kind::from_sql(#name, #sql)?)
        }
        (None, None) => quote!(#kind::from_sql(#name, "")?),
    };
    let options = options(model);
    let fields = fields(model);
    quote! {
        #[automatically_derived]
        impl #krate::PgView for #ident {
            type Definition = #kind;

            fn definition() -> #krate::Result<&'static #kind> {
                static DEFINITION: #krate::__private::OnceLock<#kind> = #krate::__private::OnceLock::new();
                if let ::core::option::Option::Some(definition) = DEFINITION.get() {
                    return ::core::result::Result::Ok(definition);
                }
                // Marked as this type's: a migration that runs later refuses to follow it.
                let definition = #source #(#options)*
                    .__of_type(::core::any::type_name::<Self>());
                ::core::result::Result::Ok(DEFINITION.get_or_init(|| definition))
            }

            #fields
        }
    }
}

/// `fields()`: each field with its column and SQL type (the hidden alias), for `verify`.
fn fields(model: &ViewModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let entries = model.fields.iter().map(|f| {
        let alias = &f.alias;
        let field = f.ident.to_string().trim_start_matches("r#").to_owned();
        let column = &f.column;
        quote!(#krate::__private::FieldColumn::new::<#alias>(#field, #column))
    });
    quote! {
        fn fields() -> &'static [#krate::__private::FieldColumn] {
            const FIELDS: &[#krate::__private::FieldColumn] = &[#(#entries),*];
            FIELDS
        }
    }
}

/// The builder calls, each `.option(…)` or `.option(…)?`.
fn options(model: &ViewModel<'_>) -> Vec<TokenStream> {
    let krate = &model.krate;
    let a = &model.attrs;
    let mut calls = Vec::new();
    if let Some(schema) = &a.schema {
        let schema = &schema.value;
        calls.push(quote!(.schema(#schema)?));
    }
    let columns = model.fields.iter().map(|f| &f.column);
    calls.push(quote!(.columns([#(#columns),*])?));
    if let Some(check) = &a.check_option {
        let option = if check.value.value() == "local" {
            quote!(Local)
        } else {
            quote!(Cascaded)
        };
        calls.push(quote!(.check_option(#krate::__private::CheckOption::#option)));
    }
    if a.security_barrier.is_some() {
        calls.push(quote!(.security_barrier(true)));
    }
    if a.security_invoker.is_some() {
        calls.push(quote!(.security_invoker(true)));
    }
    if a.recursive.is_some() {
        calls.push(quote!(.recursive()?));
    }
    if a.temporary.is_some() {
        calls.push(quote!(.temporary()?));
    }
    if let Some(with_data) = &a.with_data {
        let with_data = &with_data.value;
        calls.push(quote!(.with_data(#with_data)));
    }
    if let Some(tablespace) = &a.tablespace {
        let tablespace = &tablespace.value;
        calls.push(quote!(.tablespace(#tablespace)?));
    }
    for parameter in a.storage.iter().flat_map(|s| &s.value) {
        let (name, value) = (&parameter.name, &parameter.value);
        calls.push(quote!(.storage_parameter(#name, #value)?));
    }
    for index in &a.indexes {
        calls.push(index_call(model, index));
    }
    if let Some(comment) = &a.comment {
        let comment = &comment.value;
        calls.push(quote!(.comment(#comment)?));
    }
    for field in &model.fields {
        if let Some(comment) = &field.attrs.comment {
            let (column, comment) = (&field.column, &comment.value);
            calls.push(quote!(.column_comment(#column, #comment)?));
        }
    }
    calls
}

/// `.index(Index::on([parts])? .named(…)? .using(…)? .include([…])? .where_sql(…)?)?`.
fn index_call(model: &ViewModel<'_>, index: &IndexAttr) -> TokenStream {
    let krate = &model.krate;
    let parts = index.parts.iter().map(|part| index_part(model, part));
    let constructor = if index.unique {
        quote!(unique_on)
    } else {
        quote!(on)
    };
    let named = index.name.as_ref().map(|n| quote!(.named(#n)?));
    let using = index.using.as_ref().map(|m| quote!(.using(#m)?));
    let include = index.include.as_ref().map(|fields| {
        let columns = fields
            .iter()
            .filter_map(|c| model.field(c))
            .map(|f| &f.column);
        quote!(.include([#(#columns),*])?)
    });
    let predicate = index.predicate.as_ref().map(|p| quote!(.where_sql(#p)?));
    quote!(.index(#krate::__private::Index::#constructor([#(#parts),*])? #named #using #include #predicate)?)
}

/// `IndexPart::column(…)?` or `IndexPart::expression(…)?`, with its options.
fn index_part(model: &ViewModel<'_>, part: &IndexPartAttr) -> TokenStream {
    let krate = &model.krate;
    let base = match &part.key {
        PartKey::Column(field) => {
            // An unknown field is reported by `valid.rs`; the call is then never compiled.
            let column = model
                .field(field)
                .map(|f| f.column.clone())
                .unwrap_or_default();
            quote!(#krate::__private::IndexPart::column(#column)?)
        }
        PartKey::Expression(sql) => quote!(#krate::__private::IndexPart::expression(#sql)?),
    };
    let collate = part.collate.as_ref().map(|c| quote!(.collate(#c)?));
    let opclass = part.opclass.as_ref().map(|o| quote!(.opclass(#o)?));
    let desc = part.desc.then(|| quote!(.desc()));
    let nulls = match part.nulls {
        Some(true) => Some(quote!(.nulls_first())),
        Some(false) => Some(quote!(.nulls_last())),
        None => None,
    };
    quote!(#base #collate #opclass #desc #nulls)
}
