//! Writing the code: one module per attribute, and the pieces they share.
//! Generated code names the runtime only through `crate_path::private()`;
//! behaviour lives in the runtime, not in this text.

pub mod agent;
pub mod crate_path;
mod handler;
pub mod prompt;
pub mod resource;
mod tokens;
mod tool;
pub mod workflow;
