//! What the macros record about each parameter of an agent, a prompt or a
//! resource template: enough to build its schema and read its argument.

use schemars::{Schema, SchemaGenerator};

/// One parameter of an agent (or a prompt, or a resource template).
pub struct ParamDefinition {
    /// The parameter's name, as the property of the input object.
    pub name: &'static str,
    /// Its description (the parameter's doc comment).
    pub description: Option<&'static str>,
    /// Builds its JSON Schema.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Whether the argument may be left out (`Option<T>` parameters).
    pub required: fn() -> bool,
    /// `#[header = "Name"]`: the argument is also sent in the HTTP header
    /// `Mcp-Param-Name` (`x-mcp-header` in the schema, SEP-2243), which the
    /// transport checks against the body.
    pub header: Option<&'static str>,
}
