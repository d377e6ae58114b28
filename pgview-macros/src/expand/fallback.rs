//! What is generated beside the errors of an input the derive refuses, so that one mistake
//! gives one error (as thiserror's `fallback.rs` does): without it, every use of the struct
//! (`UserStats::create()`, `UserStats::refresh()`, …) would add an error of its own.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

/// A `PgView` impl whose `definition()` is never called (the program does not compile). Its
/// definition kind follows `materialized`, so that `refresh()` is there when it would be.
pub(crate) fn expand_fallback(ident: &syn::Ident, krate: &Path, materialized: bool) -> TokenStream {
    let kind = if materialized {
        quote!(#krate::MaterializedView)
    } else {
        quote!(#krate::View)
    };
    quote! {
        #[allow(non_local_definitions, unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #krate::PgView for #ident {
                type Definition = #kind;

                fn definition() -> #krate::Result<&'static #kind> {
                    ::core::unreachable!()
                }
            }
        };
    }
}
