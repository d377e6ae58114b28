//! The compile-time check that the struct's columns are the query's: column count, then each
//! column's SQL type, reported on the field.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::ViewModel;

/// A never-called function whose body only type-checks when the struct matches the query.
/// Views defined by SQL text have nothing to check at compile time.
pub(crate) fn expand_check(model: &ViewModel<'_>) -> TokenStream {
    let Some(query) = &model.attrs.query else {
        return TokenStream::new();
    };
    let krate = &model.krate;
    let check = quote!(#krate::__private::check);
    let path = &query.value;
    let declared = model.fields.iter().map(|f| &f.alias);
    let arity_span = model.ident.span();
    let arity = quote_spanned! {arity_span=>
        #check::same_arity::<_, (#(#declared,)*)>(columns);
    };
    // A field whose SQL type is the query's own column has the right SQL type: its Rust type
    // must read it.
    let fields = model.fields.iter().enumerate().map(|(i, field)| {
        let span = field.field.ty.span();
        if let Some(sql_type) = field.sql_type.given() {
            quote_spanned! {span=>
                #check::same_sql_type::<#sql_type, _>(#check::nth::<#i, _>(columns));
            }
        } else {
            // The query's column, or `NoSuchColumn` past its end (the count check fails).
            let (ty, alias) = (&field.field.ty, &field.alias);
            quote_spanned! {span=>
                #check::reads_column::<#ty, #alias>();
            }
        }
    });
    quote! {
        #[allow(dead_code, clippy::all, clippy::pedantic)]
        fn __pgview_check_columns() {
            let query = #path();
            let columns = #check::columns(#check::query_sql_type(&query));
            #arity
            #(#fields)*
        }
    }
}
