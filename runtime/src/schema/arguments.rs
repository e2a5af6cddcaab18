//! Reading one tool argument out of a call's JSON arguments, with an error
//! that names the argument, the path inside it and what was expected.

use std::fmt;

use rmcp::model::JsonObject;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A tool call whose arguments do not fit the tool's input schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError {
    /// The argument at fault, with the path inside it: `config.retries[2]`.
    pub path: String,
    /// What serde says was wrong: "missing", "invalid type: string, expected u32".
    pub problem: String,
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid argument `{}`: {}", self.path, self.problem)
    }
}

impl std::error::Error for ArgumentError {}

/// Removes the argument `name` from `args` and deserializes it.
///
/// A missing argument is read as `null`, so `Option<T>` parameters may be left
/// out while any other type reports that it is required.
pub fn take_argument<T: DeserializeOwned>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    match args.remove(name) {
        None => serde_json::from_value(Value::Null).map_err(|_| ArgumentError {
            path: name.to_owned(),
            problem: "this required argument is missing".to_owned(),
        }),
        Some(value) => serde_path_to_error::deserialize(value).map_err(|error| {
            let inner = error.path().to_string();
            let path = if inner == "." {
                name.to_owned()
            } else if inner.starts_with('[') {
                format!("{name}{inner}")
            } else {
                format!("{name}.{inner}")
            };
            ArgumentError {
                path,
                problem: error.into_inner().to_string(),
            }
        }),
    }
}

/// Removes the argument `name` from `args`, which MCP sends as text (prompt
/// arguments, URI template variables), and deserializes it.
///
/// The text is tried as a JSON string first, so `String` and string enums
/// take it as it is; when that fails, the text is read as JSON, so `"3"`
/// fills a `u32` and `"true"` a `bool`.
pub fn take_text_argument<T: DeserializeOwned>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    if let Some(Value::String(text)) = args.get(name)
        && serde_json::from_value::<T>(Value::String(text.clone())).is_err()
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
        && !parsed.is_string()
        && serde_json::from_value::<T>(parsed.clone()).is_ok()
    {
        args.insert(name.to_owned(), parsed);
    }
    take_argument(args, name)
}

/// Whether a parameter of type `T` must be present: true unless `null`
/// deserializes into it, as it does for `Option<T>`.
pub fn param_is_required<T: DeserializeOwned>() -> bool {
    serde_json::from_value::<T>(Value::Null).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn args(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Config {
        retries: Vec<u32>,
    }

    #[test]
    fn a_wrong_type_names_the_argument_and_the_expected_type() {
        let mut a = args(json!({"count": "three"}));
        let error = take_argument::<u32>(&mut a, "count").unwrap_err();
        assert_eq!(error.path, "count");
        assert!(error.problem.contains("expected u32"), "{error}");
    }

    #[test]
    fn a_nested_error_names_the_path_inside_the_argument() {
        let mut a = args(json!({"config": {"retries": [1, 2, "x"]}}));
        let error = take_argument::<Config>(&mut a, "config").unwrap_err();
        assert_eq!(error.path, "config.retries[2]");
    }

    #[test]
    fn text_arguments_fill_strings_as_they_are_and_other_types_as_json() {
        let mut a = args(json!({"s": "42", "n": "42", "b": "true", "o": "7", "bad": "x"}));
        assert_eq!(
            take_text_argument::<String>(&mut a, "s"),
            Ok("42".to_owned())
        );
        assert_eq!(take_text_argument::<u32>(&mut a, "n"), Ok(42));
        assert_eq!(take_text_argument::<bool>(&mut a, "b"), Ok(true));
        assert_eq!(take_text_argument::<Option<u8>>(&mut a, "o"), Ok(Some(7)));
        let error = take_text_argument::<u32>(&mut a, "bad").unwrap_err();
        assert_eq!(error.path, "bad");
        assert!(error.problem.contains("expected u32"), "{error}");
    }

    #[test]
    fn a_missing_argument_is_required_unless_optional() {
        let mut a = args(json!({}));
        let error = take_argument::<String>(&mut a, "text").unwrap_err();
        assert_eq!(error.path, "text");
        assert!(error.problem.contains("missing"));
        assert_eq!(take_argument::<Option<String>>(&mut a, "text"), Ok(None));
        assert!(param_is_required::<String>());
        assert!(!param_is_required::<Option<String>>());
    }
}
