//! `#[workflow]`: reads an `async fn` taking a `WorkflowContext`, keeps it
//! as written (its context seen as the workflow's caller context), and adds
//! beside it a type of the same name holding the workflow's definition, plus
//! the inventory registration. The runtime runs it on the workflow backend.

mod attr;
mod expand;
mod signature;

use proc_macro2::TokenStream;
use quote::quote;

use crate::agent::AgentItem;
use crate::attr_parse::push;
use attr::WorkflowAttributes;

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: AgentItem = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[workflow]` goes on an `async fn`",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };
    let attrs = WorkflowAttributes::parse(args);
    let signature = signature::read(&func.sig);
    let body = match &func.body {
        Some(_) => Ok(()),
        None => Err(syn::Error::new(
            func.sig.ident.span(),
            "a workflow needs a body: its steps run in this server",
        )),
    };
    // Doc comments on parameters are ours to read; rustc rejects them if left.
    for input in &mut func.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            typed.attrs.retain(|a| !crate::docs::is_doc(a));
        }
    }
    match (attrs, signature, body) {
        (Ok(attrs), Ok(signature), Ok(())) => expand::workflow(&func, &attrs, &signature),
        (attrs, signature, body) => {
            // Report every problem, and keep the function so the IDE still
            // sees it and the rest of the crate type-checks.
            let mut errors = None;
            for error in [attrs.err(), signature.err(), body.err()]
                .into_iter()
                .flatten()
            {
                push(&mut errors, error);
            }
            let errors = errors.map(|e| e.to_compile_error());
            let item = func.body.is_some().then_some(&func);
            quote!(#errors #item)
        }
    }
}
