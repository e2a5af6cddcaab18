//! Structured output: the JSON Schema a Rust type asks the model for, and
//! reading the model's answer back into that type.

use rmcp::model::JsonObject;
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::message::OutputSchema;

/// The schema a model must answer `T` with. APIs want an object at the root:
/// any other type is wrapped as `{"value": T}` (and unwrapped by [`parse`]).
pub(crate) fn output_schema<T: JsonSchema>() -> (OutputSchema, bool) {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut object: JsonObject = match schema.to_value() {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    };
    let wrapped = object.get("type") != Some(&json!("object"));
    if wrapped {
        let definitions = object.remove("$defs");
        let mut wrapper = json!({
            "type": "object",
            "properties": {"value": Value::Object(object)},
            "required": ["value"],
        });
        if let Some(definitions) = definitions {
            wrapper["$defs"] = definitions;
        }
        object = match wrapper {
            Value::Object(object) => object,
            _ => JsonObject::new(),
        };
    }
    let name: String = T::schema_name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let name = if name.is_empty() {
        "answer".to_owned()
    } else {
        name
    };
    (
        OutputSchema {
            name,
            schema: object,
        },
        wrapped,
    )
}

/// Reads the model's answer as a `T`: the JSON object in `text` (code fences
/// and words around it are skipped), unwrapped from `{"value": ...}` when
/// the schema was wrapped. The error says what did not match, for the model.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, wrapped: bool) -> Result<T, String> {
    let json = extract_json(text).ok_or_else(|| "the answer contains no JSON object".to_owned())?;
    let mut value: Value =
        serde_json::from_str(json).map_err(|e| format!("the answer is not valid JSON: {e}"))?;
    if wrapped {
        value = match value {
            Value::Object(mut object) if object.contains_key("value") => {
                object.remove("value").unwrap_or_default()
            }
            other => other,
        };
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let problem = error.into_inner();
        if path == "." {
            format!("the answer does not match the schema: {problem}")
        } else {
            format!("the answer does not match the schema at `{path}`: {problem}")
        }
    })
}

fn extract_json(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        return Some(trimmed);
    }
    let start = trimmed.find('{')?;
    let end = trimmed.rfind('}')?;
    (end > start).then(|| &trimmed[start..=end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    struct Verdict {
        positive: bool,
        reason: String,
    }

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    enum Route {
        Billing,
        Support,
    }

    #[test]
    fn objects_are_asked_for_as_they_are_and_other_types_wrapped() {
        let (schema, wrapped) = output_schema::<Verdict>();
        assert!(!wrapped);
        assert_eq!(schema.name, "Verdict");
        assert_eq!(schema.schema["type"], "object");
        let (schema, wrapped) = output_schema::<Route>();
        assert!(wrapped);
        assert_eq!(schema.schema["required"], json!(["value"]));
        assert_eq!(
            parse::<Route>(r#"{"value": "Billing"}"#, true),
            Ok(Route::Billing)
        );
    }

    #[test]
    fn answers_are_read_through_fences_and_errors_name_the_field() {
        let fenced = "Here you go:\n```json\n{\"positive\": true, \"reason\": \"fun\"}\n```";
        assert_eq!(
            parse::<Verdict>(fenced, false),
            Ok(Verdict {
                positive: true,
                reason: "fun".into()
            })
        );
        let error = parse::<Verdict>(r#"{"positive": "yes", "reason": "x"}"#, false).unwrap_err();
        assert!(error.contains("`positive`"), "{error}");
        assert!(
            parse::<Verdict>("no idea", false)
                .unwrap_err()
                .contains("no JSON")
        );
    }
}
