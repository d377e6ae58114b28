//! `impl PgView`: the definition with every option of the attributes.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::ViewModel;
use crate::attr::{IndexAttr, IndexPartAttr, PartKey};

/// The `PgView` impl, and the declared indexes of a materialized view (built by one function
/// that the definition and `refresh()` share).
pub(crate) fn expand_definition(model: &ViewModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let private = quote!(#krate::__private);
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
    let columns = model.fields.iter().map(|f| &f.column);
    // A value of the query that cannot be written is reported with the view's qualified name
    // and its column.
    let source = match (&model.attrs.query, &model.attrs.sql) {
        (Some(query), _) => {
            let path = &query.value;
            quote! {
                {
                    let name = <Self as #krate::PgView>::qualified_name()?;
                    #kind::new(#name, #path()).map_err(|error| {
                        #private::in_derived_view(error, name, &[#(#columns),*])
                    })?
                }
            }
        }
        (None, Some(sql)) => {
            let sql = &sql.value;
            quote!(#kind::from_sql(#name, #sql)?)
        }
        (None, None) => quote!(#kind::from_sql(#name, "")?),
    };
    let options = options(model);
    let fields = fields(model);
    let qualified_name = qualified_name(model, &name);
    let comments = comment_statements(model);
    let (indexes, add_indexes, refresh) = materialized_items(model);
    quote! {
        #indexes

        #[automatically_derived]
        impl #krate::PgView for #ident {
            type Definition = #kind;

            #qualified_name

            fn definition() -> #krate::Result<&'static #kind> {
                static DEFINITION: #private::OnceLock<#kind> = #private::OnceLock::new();
                if let ::core::option::Option::Some(definition) = DEFINITION.get() {
                    return ::core::result::Result::Ok(definition);
                }
                // Marked as this type's: a migration that runs later refuses to follow it.
                #[allow(unused_mut)]
                let mut definition = #source #(#options)*
                    .__of_type(::core::any::type_name::<Self>());
                #add_indexes
                ::core::result::Result::Ok(DEFINITION.get_or_init(|| definition))
            }

            #refresh

            #comments

            #fields
        }
    }
}

/// For a materialized view: the function building its declared indexes, the loop adding them
/// to the definition, and `refresh()` from the name and those indexes. Nothing for a view.
fn materialized_items(model: &ViewModel<'_>) -> (TokenStream, TokenStream, TokenStream) {
    if !model.is_materialized() {
        return (quote!(), quote!(), quote!());
    }
    let krate = &model.krate;
    let private = quote!(#krate::__private);
    let parts = model
        .attrs
        .indexes
        .iter()
        .map(|index| index_expr(model, index));
    (
        quote! {
            fn __pgview_indexes() -> #krate::Result<::std::vec::Vec<#private::Index>> {
                ::core::result::Result::Ok(::std::vec![#(#parts),*])
            }
        },
        quote! {
            for index in __pgview_indexes()? {
                definition = definition.index(index)?;
            }
        },
        quote! {
            fn refresh() -> #krate::Result<#private::RefreshMaterializedView> {
                let name = <Self as #krate::PgView>::qualified_name()?.clone();
                let indexes = __pgview_indexes().ok();
                ::core::result::Result::Ok(#private::refresh_declared(name, indexes.as_deref()))
            }
        },
    )
}

/// `comment_statements()` from the attributes, without the definition.
fn comment_statements(model: &ViewModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let private = quote!(#krate::__private);
    let kind = if model.is_materialized() {
        quote!(MaterializedView)
    } else {
        quote!(View)
    };
    let comment = optional(model.attrs.comment.as_ref().map(|c| &c.value));
    let columns = model.fields.iter().filter_map(|field| {
        let comment = &field.attrs.comment.as_ref()?.value;
        let column = &field.column;
        Some(quote!((#column, #comment)))
    });
    quote! {
        fn comment_statements() -> #krate::Result<::std::vec::Vec<#private::CommentOn>> {
            #private::comments_declared(
                <Self as #krate::PgView>::qualified_name()?,
                #private::RelationKind::#kind,
                #comment,
                &[#(#columns),*],
            )
        }
    }
}

/// `Some(value)` or `None`, as an expression.
fn optional(value: Option<&syn::LitStr>) -> TokenStream {
    value.map_or_else(
        || quote!(::core::option::Option::None),
        |value| quote!(::core::option::Option::Some(#value)),
    )
}

/// `qualified_name()` from the attributes (checked at compile time), without the definition.
fn qualified_name(model: &ViewModel<'_>, name: &str) -> TokenStream {
    let krate = &model.krate;
    let private = quote!(#krate::__private);
    let schema = optional(model.attrs.schema.as_ref().map(|s| &s.value));
    quote! {
        fn qualified_name() -> #krate::Result<&'static #private::QualifiedName> {
            static NAME: #private::OnceLock<#private::QualifiedName> = #private::OnceLock::new();
            if let ::core::option::Option::Some(name) = NAME.get() {
                return ::core::result::Result::Ok(name);
            }
            let name = #private::QualifiedName::new(#schema, #name)?;
            ::core::result::Result::Ok(NAME.get_or_init(|| name))
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

/// `Index::on([parts])? .named(…)? .using(…)? .include([…])? .where_sql(…)?`.
fn index_expr(model: &ViewModel<'_>, index: &IndexAttr) -> TokenStream {
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
    quote!(#krate::__private::Index::#constructor([#(#parts),*])? #named #using #include #predicate)
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
