//! `completion/complete`: suggested values for a prompt argument or a
//! resource template variable.
//!
//! Suggestions come from the argument's type when it names its values (an
//! enum, `bool`), filtered by what the user typed so far; a `complete = fn`
//! given to `#[prompt]` or `#[resource]` replaces them.

use std::collections::BTreeMap;

use rmcp::model::CompletionInfo;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::schema::ParamDefinition;

/// Suggests values for one argument: `#[prompt(complete = suggest)]` with
/// `fn suggest(request: &CompletionRequest) -> Vec<String>`.
pub type Completer = fn(&CompletionRequest) -> Vec<String>;

/// What the client asks completions for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRequest {
    argument: String,
    value: String,
    context: BTreeMap<String, String>,
}

impl CompletionRequest {
    /// A request for values of `argument` starting like `value`.
    pub fn new(argument: impl Into<String>, value: impl Into<String>) -> Self {
        CompletionRequest {
            argument: argument.into(),
            value: value.into(),
            context: BTreeMap::new(),
        }
    }

    /// Adds an argument the user already filled in.
    pub fn with_context(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.context.insert(name.into(), value.into());
        self
    }

    /// The argument being completed.
    pub fn argument(&self) -> &str {
        &self.argument
    }

    /// What the user typed so far.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Another argument the user already filled in.
    pub fn context(&self, name: &str) -> Option<&str> {
        self.context.get(name).map(String::as_str)
    }
}

/// Why no completion could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionError {
    /// The prompt or template has no argument of that name.
    UnknownArgument(String),
}

/// The completion for `request` among `params`.
pub fn complete(
    params: &[ParamDefinition],
    completer: Option<Completer>,
    request: &CompletionRequest,
) -> Result<CompletionInfo, CompletionError> {
    let Some(param) = params.iter().find(|p| p.name == request.argument) else {
        return Err(CompletionError::UnknownArgument(request.argument.clone()));
    };
    let values = match completer {
        Some(completer) => completer(request),
        None => {
            let typed = request.value.to_lowercase();
            known_values(param)
                .into_iter()
                .filter(|value| value.to_lowercase().starts_with(&typed))
                .collect()
        }
    };
    Ok(info(values))
}

/// At most the 100 values MCP allows, saying how many there were.
fn info(mut values: Vec<String>) -> CompletionInfo {
    let total = values.len();
    values.truncate(CompletionInfo::MAX_VALUES);
    let mut info = CompletionInfo::default();
    info.has_more = Some(total > values.len());
    info.total = u32::try_from(total).ok();
    info.values = values;
    info
}

/// The values a parameter's type names: enum values, `const`s, booleans.
fn known_values(param: &ParamDefinition) -> Vec<String> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    let mut generator = settings.into_generator();
    let schema = (param.schema)(&mut generator).to_value();
    let mut values = Vec::new();
    collect_values(&schema, &mut values);
    values
}

fn collect_values(schema: &Value, values: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(Value::Array(items)) = object.get("enum") {
        values.extend(items.iter().filter_map(scalar_text));
    }
    if let Some(value) = object.get("const").and_then(scalar_text) {
        values.push(value);
    }
    if object.get("type") == Some(&Value::from("boolean")) {
        values.extend(["false".to_owned(), "true".to_owned()]);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = object.get(key) {
            for option in options {
                collect_values(option, values);
            }
        }
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use schemars::JsonSchema;

    #[derive(JsonSchema)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum City {
        Paris,
        Park,
        Rome,
    }

    const PARAMS: &[ParamDefinition] = &[ParamDefinition {
        name: "city",
        description: None,
        schema: crate::schema::param_schema::<City>,
        required: || true,
        header: None,
    }];

    #[test]
    fn enum_values_are_filtered_by_what_was_typed() {
        let info = complete(PARAMS, None, &CompletionRequest::new("city", "PA")).unwrap();
        assert_eq!(info.values, ["paris", "park"]);
        assert_eq!(info.total, Some(2));
        assert_eq!(info.has_more, Some(false));
        assert_eq!(
            complete(PARAMS, None, &CompletionRequest::new("town", "")),
            Err(CompletionError::UnknownArgument("town".to_owned()))
        );
    }

    #[test]
    fn a_completer_replaces_the_typed_values_and_is_capped_at_100() {
        fn many(request: &CompletionRequest) -> Vec<String> {
            (0..150)
                .map(|i| format!("{}{i}", request.value()))
                .collect()
        }
        let info = complete(PARAMS, Some(many), &CompletionRequest::new("city", "x")).unwrap();
        assert_eq!(info.values.len(), 100);
        assert_eq!(info.values[0], "x0");
        assert_eq!(info.total, Some(150));
        assert_eq!(info.has_more, Some(true));
    }
}
