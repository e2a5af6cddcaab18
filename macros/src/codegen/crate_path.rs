//! The one place that decides how generated code names the runtime crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The path to `agentwire::__private` as seen from the crate being compiled,
/// so that a dependency renamed in `Cargo.toml` keeps working.
pub fn private() -> TokenStream {
    let root = match crate_name("agentwire") {
        Ok(FoundCrate::Name(name)) => {
            let ident = format_ident!("{}", name);
            quote!(::#ident)
        }
        // Inside agentwire itself (doc tests, integration tests) the crate is
        // reachable by its own name thanks to `extern crate self as agentwire`.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::agentwire),
    };
    quote!(#root::__private)
}
