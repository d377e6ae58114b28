//! Code generation: the table module, the `PgView` impl, the compile-time check of the
//! struct against the query and the registration in the program's registry.

mod check;
mod definition;
mod fallback;
mod register;
mod table;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::ast::{self, FieldSqlType};
use crate::attr::{self, Errors};
use crate::valid;

/// `#[derive(PgView)]`. An input with errors gives the errors and, beside them, what keeps
/// the uses of the struct from adding errors of their own (see `fallback.rs`): the table
/// module (its columns' SQL types are known, or an error of their own) and a `PgView` impl.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let model = match ast::model(input, &mut errors) {
        Ok(model) => model,
        Err(error) => {
            let attrs = attr::parse_struct(&input.attrs, &mut Errors::default());
            let krate = attrs
                .krate
                .map_or_else(|| syn::parse_quote!(::pgview), |k| k.value);
            let fallback =
                fallback::expand_fallback(&input.ident, &krate, attrs.materialized.is_some());
            let error = error.into_compile_error();
            return quote!(#error #fallback);
        }
    };
    valid::validate(&model, &mut errors);
    let module = module_ident(&model);
    let table = table::expand_table(&model, &module);
    let aliases = aliases(&model);
    let items = match errors.finish() {
        Ok(()) => {
            let definition = definition::expand_definition(&model);
            let check = check::expand_check(&model);
            let registration = register::expand_registration(&model);
            quote! {
                #[allow(non_local_definitions)]
                const _: () = {
                    #definition
                    #check
                    #registration
                };
            }
        }
        Err(error) => {
            let error = error.into_compile_error();
            let fallback =
                fallback::expand_fallback(model.ident, &model.krate, model.is_materialized());
            quote!(#error #fallback)
        }
    };
    quote! {
        #aliases
        #table
        #items
    }
}

/// The table module's name: `module = …`, else the view name (validated as an identifier).
fn module_ident(model: &ast::ViewModel<'_>) -> syn::Ident {
    if let Some(module) = &model.attrs.module {
        return module.value.clone();
    }
    let name = model
        .attrs
        .name
        .as_ref()
        .map(|n| (n.value.value(), n.value.span()));
    match name {
        Some((name, span)) => syn::parse_str::<syn::Ident>(&name).map_or_else(
            |_| syn::Ident::new("view", span),
            |ident| syn::Ident::new(&ident.to_string(), span),
        ),
        None => syn::Ident::new("view", proc_macro2::Span::call_site()),
    }
}

/// The hidden type alias of each field's SQL type, in the struct's scope (so that the table
/// module can name types the user wrote relative to that scope).
///
/// A field whose SQL type nothing tells gets an alias that is an error: `compile_error!` in
/// the length of an array type reports the one error, on the field, and makes the alias the
/// compiler's error type, which satisfies every bound. So the rest is generated as usual and
/// one mistake gives one error, not one at every use of the view (thiserror's "fallback"
/// idea, taken down to the field).
fn aliases(model: &ast::ViewModel<'_>) -> TokenStream {
    let vis = model.vis;
    let krate = &model.krate;
    model
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let span = Span::mixed_site().located_at(f.field.ty.span());
            let sql_type = match (&f.sql_type, &model.attrs.query) {
                (FieldSqlType::Given(ty), _) => ty.clone(),
                (FieldSqlType::FromQuery, Some(query)) => {
                    let path = &query.value;
                    quote_spanned!(span=> #krate::__private::check::QueryColumn<#path, #i>)
                }
                (FieldSqlType::FromQuery | FieldSqlType::Unknown, _) => {
                    let message = unknown_sql_type_message(&f.field.ty);
                    let span = f.field.ty.span();
                    quote_spanned!(span=> [(); ::core::compile_error!(#message)])
                }
            };
            let alias = &f.alias;
            quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #vis type #alias = #sql_type;
            }
        })
        .collect()
}

/// The error of a field whose SQL type nothing tells.
fn unknown_sql_type_message(ty: &syn::Type) -> String {
    let mut ty = quote!(#ty).to_string();
    for (spaced, tight) in [
        (" < ", "<"),
        (" >", ">"),
        (" :: ", "::"),
        (":: ", "::"),
        (" ,", ","),
        ("& ", "&"),
    ] {
        ty = ty.replace(spaced, tight);
    }
    format!(
        "cannot tell the SQL type of this field: `{ty}` is not a type pgview maps; add \
         `#[pgview(sql_type = diesel::sql_types::…)]`, or define the view with `query = f` \
         (`f` declared with `#[diesel::dsl::auto_type]`), whose column types the derive reads"
    )
}
