//! `#[agent]`: reads an `async fn`, keeps it as written, and adds beside it a
//! type of the same name holding the agent's definition and its typed call
//! stub, plus the inventory registration.

pub(crate) mod attr;
mod expand;
pub(crate) mod signature;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use attr::AgentAttributes;
use signature::AgentSignature;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[agent]` goes on an `async fn`",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };

    let attrs = AgentAttributes::parse(args);
    let signature = AgentSignature::read(&func);
    // Doc comments on parameters are ours to read; rustc rejects them if left.
    crate::docs::strip_parameter_docs(&mut func);

    match (attrs, signature) {
        (Ok(attrs), Ok(signature)) => expand::agent(&func, &attrs, &signature),
        (attrs, signature) => {
            // Report every problem, and keep the function so the IDE still
            // sees it and the rest of the crate type-checks.
            let mut errors = None;
            for error in [attrs.err(), signature.err()].into_iter().flatten() {
                attr::push(&mut errors, error);
            }
            let errors = errors.map(|e| e.to_compile_error());
            quote!(#errors #func)
        }
    }
}
