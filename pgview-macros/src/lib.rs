//! Derive macro of [`pgview`](https://docs.rs/pgview) (implementation detail of `pgview`).
//!
//! The attribute reference is on the re-export, `pgview::PgView`.

mod ast;
mod attr;
mod expand;
mod sql_type;
mod valid;

use proc_macro::TokenStream;

/// `#[derive(PgView)]`: a struct whose fields are the columns of a view or materialized view.
///
/// See `pgview::PgView` for the attribute reference.
#[proc_macro_derive(PgView, attributes(pgview))]
pub fn derive_pg_view(input: TokenStream) -> TokenStream {
    syn::parse2(input.into())
        .map_or_else(syn::Error::into_compile_error, |input| {
            expand::derive(&input)
        })
        .into()
}
