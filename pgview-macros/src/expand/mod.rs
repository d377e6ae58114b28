//! Code generation: the table module, the `PgView` impl, the compile-time check of the
//! struct against the query and the registration in the program's registry.

mod check;
mod definition;
mod register;
mod table;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::ast;
use crate::attr::Errors;
use crate::valid;

/// `#[derive(PgView)]`.
pub(crate) fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let model = ast::model(input, &mut errors)?;
    valid::validate(&model, &mut errors);
    errors.finish()?;
    let module = module_ident(&model);
    let table = table::expand_table(&model, &module);
    let definition = definition::expand_definition(&model);
    let check = check::expand_check(&model);
    let registration = register::expand_registration(&model);
    let vis = model.vis;
    let aliases = model.fields.iter().filter_map(|f| {
        let (alias, sql_type) = (&f.alias, f.sql_type.as_ref()?);
        Some(quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types)]
            #vis type #alias = #sql_type;
        })
    });
    Ok(quote! {
        #(#aliases)*
        #table
        #[allow(non_local_definitions)]
        const _: () = {
            #definition
            #check
            #registration
        };
    })
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
