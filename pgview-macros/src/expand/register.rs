//! The registration of the view in the program's registry (`ViewSet::registered`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::ViewModel;

/// `inventory::submit!` of the struct's definition; nothing for a temporary view (a session's
/// object, never migrated).
pub(crate) fn expand_registration(model: &ViewModel<'_>) -> TokenStream {
    if model.attrs.temporary.is_some() {
        return TokenStream::new();
    }
    let krate = &model.krate;
    let ident = model.ident;
    quote! {
        #krate::__private::inventory::submit! {
            #krate::__private::Registration::new(
                ::core::any::type_name::<#ident>,
                #krate::__private::definition_of::<#ident>,
                #krate::__private::verify_of::<#ident>,
            )
        }
    }
}
