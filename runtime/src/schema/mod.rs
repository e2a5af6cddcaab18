//! JSON Schemas (draft 2020-12) for tool inputs and outputs, built from the
//! parameter and return types `#[agent]` recorded.

use rmcp::model::JsonObject;
use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Value, json};

pub(crate) mod arguments;
mod params;

pub use arguments::ArgumentError;
pub use params::ParamDefinition;

fn settings(contract: Contract) -> SchemaSettings {
    let mut settings = SchemaSettings::draft2020_12();
    settings.contract = contract;
    // Tool schemas live inside `tools/list`, not as standalone documents.
    settings.meta_schema = None;
    settings
}

/// The dialect agentwire's schemas are written in, declared in `$schema` by
/// the schemas that use `$defs`: where definitions live and how `$ref`
/// resolves differ between dialects. Flat schemas leave it out, as MCP's
/// default dialect is 2020-12 already and some model APIs that clients
/// forward tool schemas to refuse keywords they do not know.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The `inputSchema` of a tool: an object with one property per parameter.
/// Named types land in `$defs` and are referenced with `$ref` (and then
/// `$schema` names the dialect); with `deny_unknown`,
/// `additionalProperties: false` says other arguments are refused.
pub fn input_schema(params: &[ParamDefinition], deny_unknown: bool) -> JsonObject {
    let mut generator = settings(Contract::Deserialize).into_generator();
    let mut properties = JsonObject::new();
    let mut required = Vec::new();
    for param in params {
        let mut schema = (param.schema)(&mut generator);
        if let Some(description) = param.description {
            schema
                .ensure_object()
                .insert("description".into(), description.into());
        }
        if let Some(header) = param.header {
            schema
                .ensure_object()
                .insert("x-mcp-header".into(), header.into());
        }
        properties.insert(param.name.into(), schema.to_value());
        if (param.required)() {
            required.push(Value::from(param.name));
        }
    }
    let mut object = JsonObject::new();
    object.insert("type".into(), "object".into());
    object.insert("properties".into(), properties.into());
    if !required.is_empty() {
        object.insert("required".into(), required.into());
    }
    if deny_unknown {
        object.insert("additionalProperties".into(), false.into());
    }
    let definitions = generator.take_definitions(true);
    if !definitions.is_empty() {
        object.insert("$schema".into(), DIALECT.into());
        object.insert("$defs".into(), definitions.into());
    }
    object
}

/// The keywords the input schema builds from the parameters, which
/// constraints may not replace.
const BUILT: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "$schema",
    "$defs",
];

/// Adds `constraints`, a JSON object of schema keywords over the arguments
/// together (`allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
/// `dependentRequired`, ...), to the input schema of the tool `tool`. The
/// keywords built from the parameters stay as they are: a constraint naming
/// one of them, or constraints that are no object, are left out with an error
/// in the log.
pub fn add_constraints(schema: &mut JsonObject, constraints: Value, tool: &str) {
    let Value::Object(constraints) = constraints else {
        tracing::error!(
            tool,
            "input_constraints must return a JSON object of schema keywords"
        );
        return;
    };
    for (keyword, value) in constraints {
        if BUILT.contains(&keyword.as_str()) {
            tracing::error!(
                tool,
                keyword,
                "input_constraints may not replace a keyword built from the parameters"
            );
            continue;
        }
        schema.insert(keyword, value);
    }
}

/// The schema of one parameter, registered in `generator`.
pub fn param_schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The `outputSchema` of a tool returning `T`: present only when `T` is a JSON
/// object, because MCP requires structured content to be one.
pub fn output_schema<T: JsonSchema>() -> Option<JsonObject> {
    let schema = settings(Contract::Serialize)
        .into_generator()
        .into_root_schema_for::<T>();
    match schema.to_value() {
        Value::Object(mut object) if object.get("type") == Some(&json!("object")) => {
            if object.contains_key("$defs") {
                object.insert("$schema".into(), DIALECT.into());
            }
            Some(object)
        }
        _ => None,
    }
}
