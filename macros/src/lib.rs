//! Procedural macros for [agentwire](https://docs.rs/agentwire).
//!
//! Use them through the `agentwire` crate (`agentwire::agent`), never directly:
//! the generated code refers to the runtime through `::agentwire::__private`,
//! and the runtime owns all behaviour. This crate only reads the user's code
//! ([`internals`]) and writes registrations, schemas and stubs ([`codegen`]).

mod codegen;
mod internals;

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;

use internals::ast::{self, Item};
use internals::ctxt::Ctxt;
use internals::docs;

/// Turns an `async fn` into an agent: an MCP tool with a schema derived from its
/// signature and doc comments, a typed stub for calling it from other agents,
/// and a registration the agentwire server finds at start-up.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(
        attr,
        item,
        "`#[agent]` goes on an `async fn`",
        ast::Agent::from_ast,
        codegen::agent::generate,
    )
}

/// Turns an `async fn` taking a `WorkflowContext` into a durable workflow:
/// an MCP tool whose runs are journaled step by step and survive restarts.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(
        attr,
        item,
        "`#[workflow]` goes on an `async fn`",
        ast::Workflow::from_ast,
        codegen::workflow::generate,
    )
}

/// Turns a function into an MCP prompt: its parameters are the prompt's
/// arguments (sent as text, read into any `Deserialize` type), its doc
/// comments the descriptions, and what it returns the prompt's messages.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(
        attr,
        item,
        "`#[prompt]` goes on a function (`async fn` or `fn`)",
        ast::Prompt::from_ast,
        codegen::prompt::generate,
    )
}

/// Turns a function into an MCP resource at a fixed URI, or into a resource
/// template (`#[resource(uri = "notes://{day}")]`) whose variables are the
/// function's parameters.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(
        attr,
        item,
        "`#[resource]` goes on a function (`async fn` or `fn`)",
        ast::Resource::from_ast,
        codegen::resource::generate,
    )
}

/// Parses, then generates. On errors, emits them all together with the
/// item as written (as tokio-macros does), so that the IDE still sees the
/// function and the rest of the crate type-checks.
fn expand<I: Item, T>(
    args: TokenStream,
    item: TokenStream,
    wrong_item: &str,
    parse: fn(&Ctxt, proc_macro2::TokenStream, &I) -> Option<T>,
    generate: fn(&I, &T) -> proc_macro2::TokenStream,
) -> TokenStream {
    expand2(args.into(), item.into(), wrong_item, parse, generate).into()
}

/// [`expand`] on `proc_macro2` tokens, which tests can call.
fn expand2<I: Item, T>(
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
    wrong_item: &str,
    parse: fn(&Ctxt, proc_macro2::TokenStream, &I) -> Option<T>,
    generate: fn(&I, &T) -> proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut func: I = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(Span::call_site(), wrong_item).to_compile_error();
            return quote!(#error #item);
        }
    };
    let parsed = Ctxt::collect(|cx| parse(cx, args, &func));
    // Doc comments on parameters are ours to read; rustc rejects them if left.
    docs::strip_parameter_docs(func.sig_mut());
    match parsed {
        Ok(parsed) => generate(&func, &parsed),
        Err(errors) => {
            let errors = errors.to_compile_error();
            // A bodiless declaration alone is not valid Rust: leave it out.
            let item = func.is_complete().then_some(&func);
            quote!(#errors #item)
        }
    }
}
