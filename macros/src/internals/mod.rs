//! Reading what the user wrote: the attribute's arguments, the function's
//! signature, its doc comments, and the checks between them. Nothing here
//! writes code; every problem becomes a `syn::Error` at the offending token.

pub mod ast;
pub mod attr;
pub mod check;
pub mod ctxt;
pub mod docs;
pub mod signature;
pub mod tool_name;
pub mod uri_template;
