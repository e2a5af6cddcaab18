//! Procedural macros for [agentwire](https://docs.rs/agentwire).
//!
//! Use them through the `agentwire` crate (`agentwire::agent`), never directly:
//! the generated code refers to the runtime through `::agentwire::__private`,
//! and the runtime owns all behaviour. This crate only reads the user's code
//! and writes registrations, schemas and stubs.

mod agent;
mod attr_parse;
mod crate_path;
mod docs;
mod emit;
mod handler;
mod prompt;
mod resource;
mod tool_name;
mod workflow;

use proc_macro::TokenStream;

/// Turns an `async fn` into an agent: an MCP tool with a schema derived from its
/// signature and doc comments, a typed stub for calling it from other agents,
/// and a registration the agentwire server finds at start-up.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    agent::expand(attr.into(), item.into()).into()
}

/// Turns an `async fn` taking a `WorkflowContext` into a durable workflow:
/// an MCP tool whose runs are journaled step by step and survive restarts.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    workflow::expand(attr.into(), item.into()).into()
}

/// Turns a function into an MCP prompt: its parameters are the prompt's
/// arguments (sent as text, read into any `Deserialize` type), its doc
/// comments the descriptions, and what it returns the prompt's messages.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn prompt(attr: TokenStream, item: TokenStream) -> TokenStream {
    prompt::expand(attr.into(), item.into()).into()
}

/// Turns a function into an MCP resource at a fixed URI, or into a resource
/// template (`#[resource(uri = "notes://{day}")]`) whose variables are the
/// function's parameters.
///
/// See the `agentwire` crate documentation for the full reference.
#[proc_macro_attribute]
pub fn resource(attr: TokenStream, item: TokenStream) -> TokenStream {
    resource::expand(attr.into(), item.into()).into()
}
