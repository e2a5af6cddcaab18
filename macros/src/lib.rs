//! Procedural macros for [agentwire](https://docs.rs/agentwire).
//!
//! Use them through the `agentwire` crate (`agentwire::agent`), never directly:
//! the generated code refers to the runtime through `::agentwire::__private`,
//! and the runtime owns all behaviour. This crate only reads the user's code
//! and writes registrations, schemas and stubs.

mod agent;
mod crate_path;
mod docs;
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
