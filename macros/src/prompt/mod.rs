//! `#[prompt]`: reads a function, keeps it as written, and adds beside it a
//! type of the same name holding the prompt's definition, plus the
//! inventory registration.

mod attr;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::attr_parse::push;
use crate::handler::{HandlerSignature, Kind};
use attr::PromptAttributes;

const KIND: Kind = Kind {
    attr: "prompt",
    noun: "a prompt",
    param: "prompt argument",
    returns: "its messages: `String`, `Content`, `PromptMessage` or `Vec<PromptMessage>`",
};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[prompt]` goes on a function (`async fn` or `fn`)",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };

    let attrs = PromptAttributes::parse(args);
    let signature = HandlerSignature::read(&func, KIND);
    // Doc comments on parameters are ours to read; rustc rejects them if left.
    crate::docs::strip_parameter_docs(&mut func);

    match (attrs, signature) {
        (Ok(attrs), Ok(signature)) => expand::prompt(&func, &attrs, &signature),
        (attrs, signature) => {
            // Report every problem, and keep the function so the IDE still
            // sees it and the rest of the crate type-checks.
            let mut errors = None;
            for error in [attrs.err(), signature.err()].into_iter().flatten() {
                push(&mut errors, error);
            }
            let errors = errors.map(|e| e.to_compile_error());
            quote!(#errors #func)
        }
    }
}
