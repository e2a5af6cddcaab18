//! Procedural macros for [agentwire](https://docs.rs/agentwire).
//!
//! Use them through the `agentwire` crate (`agentwire::agent`), never directly:
//! the generated code refers to the runtime through `::agentwire::__private`,
//! and the runtime owns all behaviour. This crate only reads the user's code
//! (`internals`) and writes registrations, schemas and stubs (`codegen`).

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
    // Doc comments and headers on parameters are ours to read; rustc
    // rejects them if left.
    docs::strip_parameter_attributes(func.sig_mut());
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

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;
    use syn::Item as SynItem;

    use super::{ast, codegen, expand2};

    fn agent(args: TokenStream, item: TokenStream) -> Vec<SynItem> {
        let out = expand2(
            args,
            item,
            "`#[agent]` goes on an `async fn`",
            ast::Agent::from_ast,
            codegen::agent::generate,
        );
        syn::parse2::<syn::File>(out)
            .expect("the output parses")
            .items
    }

    /// How many `compile_error!`s come first in `items`.
    fn compile_errors(items: &[SynItem]) -> usize {
        let is_error = |item: &&SynItem| {
            matches!(item, SynItem::Macro(m)
                if m.mac.path.segments.last().is_some_and(|s| s.ident == "compile_error"))
        };
        items.iter().take_while(is_error).count()
    }

    #[test]
    fn every_error_is_emitted_with_the_function_as_written() {
        let items = agent(
            quote!(nmae = "x"),
            quote!(
                fn f(_: u8) {}
            ),
        );
        // The unknown key, `async` missing, the unnamed parameter.
        assert_eq!(compile_errors(&items), 3);
        let rest: Vec<_> = items.iter().skip(3).collect();
        assert!(matches!(rest[..], [SynItem::Fn(f)] if f.sig.ident == "f"));
    }

    #[test]
    fn a_bodiless_declaration_with_errors_is_left_out() {
        let items = agent(
            quote!(),
            quote!(
                async fn f();
            ),
        );
        assert_eq!(compile_errors(&items), 1);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn an_item_that_is_not_a_function_is_kept_as_it_is() {
        let items = agent(
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert_eq!(compile_errors(&items), 1);
        assert!(matches!(items[1], SynItem::Struct(_)));
    }

    #[test]
    fn a_valid_agent_keeps_its_function_and_gains_a_type_of_the_same_name() {
        let items = agent(
            quote!(),
            quote!(
                async fn f() {}
            ),
        );
        assert_eq!(compile_errors(&items), 0);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, SynItem::Fn(f) if f.sig.ident == "f"))
        );
        assert!(
            items
                .iter()
                .any(|i| matches!(i, SynItem::Struct(s) if s.ident == "f"))
        );
    }
}
