//! Elicitation: asking the person behind the client to fill in a form (whose
//! schema comes from a Rust type) or to visit a URL.
//!
//! ```
//! use agentwire::prelude::*;
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// Who is asking.
//! #[derive(Deserialize, JsonSchema)]
//! struct Contact {
//!     /// Your name.
//!     name: String,
//!     /// Where to send the answer.
//!     email: String,
//! }
//!
//! /// Signs the guest book.
//! #[agent]
//! async fn sign(ctx: &AgentContext) -> Result<String, ClientRequestError> {
//!     Ok(match ctx.elicit::<Contact>("Please sign the guest book").await? {
//!         Elicitation::Accepted(contact) => format!("thanks, {}", contact.name),
//!         Elicitation::Declined | Elicitation::Cancelled => "maybe next time".to_owned(),
//!     })
//! }
//! # fn main() {}
//! ```
//!
//! MCP limits a form to flat fields: strings (with `format` email, uri,
//! date or date-time), numbers, integers, booleans, single-choice enums and
//! multiple-choice enums (`Vec` of an enum). The schema of `T` is translated
//! to that subset: `Option` fields become optional, unit enums become
//! `enum` (or `oneOf` with titles when the variants have titles or doc
//! comments; `anyOf` inside a `Vec`), `#[serde(default)]` values become
//! `default`s, and an extra `enumNames` keyword
//! (`#[schemars(extend("enumNames" = [..]))]`) is kept for older clients.
//! Anything else (nested structs, maps, lists of strings) is refused with
//! [`ClientRequestError::InvalidRequest`] naming the field.

use rmcp::model::{
    ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema, JsonObject,
};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::mcp::channel::ClientChannel;
use crate::mcp::client_request::{ClientRequestError, Question, ask, pass_over};

/// What the person did with a form or a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elicitation<T> {
    /// They submitted the form (or agreed to visit the URL).
    Accepted(T),
    /// They said no.
    Declined,
    /// They dismissed the request without choosing.
    Cancelled,
}

impl<T> Elicitation<T> {
    /// The submitted value, if any.
    pub fn accepted(self) -> Option<T> {
        match self {
            Elicitation::Accepted(value) => Some(value),
            Elicitation::Declined | Elicitation::Cancelled => None,
        }
    }
}

/// A type an elicitation form can be made from.
#[diagnostic::on_unimplemented(
    message = "elicitation form type `{Self}` must implement `Deserialize` and `JsonSchema`",
    label = "the form's schema and the person's answer come from this type",
    note = "add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to a struct with named fields"
)]
pub trait ElicitForm: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> ElicitForm for T {}

/// Asks the person behind the client to fill in a form shaped like `T`
/// (what [`AgentContext::elicit`](crate::AgentContext::elicit) does).
pub(crate) async fn elicit_form<T: ElicitForm>(
    client: Option<&ClientChannel>,
    key: Option<&str>,
    message: String,
) -> Result<Elicitation<T>, ClientRequestError> {
    let schema = form_schema::<T>().map_err(ClientRequestError::InvalidRequest)?;
    let params = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message,
        requested_schema: schema,
    };
    let answer = elicit_raw(client, key, params).await?;
    Ok(match answer.action {
        ElicitationAction::Accept => {
            let content = answer.content.unwrap_or(Value::Object(Map::new()));
            let value = serde_json::from_value(content)
                .map_err(|e| ClientRequestError::InvalidAnswer(e.to_string()))?;
            Elicitation::Accepted(value)
        }
        ElicitationAction::Decline => Elicitation::Declined,
        _ => Elicitation::Cancelled,
    })
}

/// Asks the person behind the client to visit `url` (what
/// [`AgentContext::elicit_url`](crate::AgentContext::elicit_url) does).
pub(crate) async fn elicit_url(
    client: Option<&ClientChannel>,
    message: String,
    url: String,
) -> Result<Elicitation<()>, ClientRequestError> {
    let answer = elicit_raw(client, None, url_question(message, url)).await?;
    Ok(match answer.action {
        ElicitationAction::Accept => Elicitation::Accepted(()),
        ElicitationAction::Decline => Elicitation::Declined,
        _ => Elicitation::Cancelled,
    })
}

/// On a 2026 replay, passes over the URL question [`elicit_url`] asked
/// at this point in an earlier round, when what it asked for was done
/// meanwhile: the questions after it keep their numbers.
pub(crate) fn pass_over_url(client: Option<&ClientChannel>, message: String, url: String) {
    pass_over(client, Question::Elicit(url_question(message, url)));
}

/// A URL elicitation, its id derived from the URL and the message rather
/// than random, so that a 2026-era replay asks exactly the same question.
fn url_question(message: String, url: String) -> ElicitRequestParams {
    let id: String = Sha256::digest(format!("{url}\n{message}"))[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ElicitRequestParams::UrlElicitationParams {
        meta: None,
        message,
        url,
        elicitation_id: id,
    }
}

async fn elicit_raw(
    client: Option<&ClientChannel>,
    key: Option<&str>,
    params: ElicitRequestParams,
) -> Result<ElicitResult, ClientRequestError> {
    let answer = ask(client, key, Question::Elicit(params)).await?;
    serde_json::from_value(answer).map_err(|e| ClientRequestError::InvalidAnswer(e.to_string()))
}

/// The MCP elicitation schema for `T`, or why `T` cannot be a form.
pub fn form_schema<T: JsonSchema>() -> Result<ElicitationSchema, String> {
    let object = form_schema_json::<T>()?;
    ElicitationSchema::from_json_schema(object).map_err(|e| {
        format!(
            "the form schema of `{}` is not one MCP accepts: {e}",
            type_name::<T>()
        )
    })
}

/// The form schema of `T` as JSON, in MCP's restricted shape.
pub fn form_schema_json<T: JsonSchema>() -> Result<JsonObject, String> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let root = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    let name = type_name::<T>();
    let Some(properties) = root.get("properties").and_then(Value::as_object) else {
        return Err(format!(
            "`{name}` cannot be an elicitation form: a form is a struct with named fields"
        ));
    };
    let mut fields = Map::new();
    for (field, schema) in properties {
        let normalized = field_schema(schema)
            .map_err(|problem| format!("field `{field}` of the form `{name}` {problem}"))?;
        fields.insert(field.clone(), normalized);
    }
    let mut form = Map::new();
    form.insert("type".into(), "object".into());
    if let Some(description) = root.get("description") {
        form.insert("description".into(), description.clone());
    }
    form.insert("properties".into(), fields.into());
    if let Some(required) = root
        .get("required")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        form.insert("required".into(), required.clone());
    }
    Ok(form)
}

fn type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

const NOT_PRIMITIVE: &str = "is not a string, number, integer, boolean or enum, and MCP \
                             elicitation forms hold only those (or a list of enum values)";

/// One field, in the shape MCP allows.
fn field_schema(schema: &Value) -> Result<Value, String> {
    let mut schema = schema.as_object().cloned().ok_or(NOT_PRIMITIVE)?;
    drop_null(&mut schema);
    if let Some(options) = titled_options(&schema, "oneOf") {
        schema.insert("type".into(), "string".into());
        schema.insert("oneOf".into(), options);
    }
    let kind = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let keep: &[&str] = match kind.as_str() {
        "string" => {
            if let Some(format) = schema.get("format").and_then(Value::as_str)
                && !matches!(format, "email" | "uri" | "date" | "date-time")
            {
                schema.remove("format");
            }
            &[
                "type",
                "title",
                "description",
                "minLength",
                "maxLength",
                "format",
                "default",
                "enum",
                "enumNames",
                "oneOf",
            ]
        }
        "integer" | "number" => &[
            "type",
            "title",
            "description",
            "minimum",
            "maximum",
            "default",
        ],
        "boolean" => &["type", "title", "description", "default"],
        "array" => {
            let items = schema
                .get("items")
                .and_then(Value::as_object)
                .ok_or(NOT_PRIMITIVE)?;
            let items = if let Some(options) =
                titled_options(items, "oneOf").or_else(|| titled_options(items, "anyOf"))
            {
                serde_json::json!({ "anyOf": options })
            } else if items.get("enum").is_some() {
                serde_json::json!({ "type": "string", "enum": items["enum"] })
            } else {
                return Err(NOT_PRIMITIVE.to_owned());
            };
            schema.insert("items".into(), items);
            &[
                "type",
                "title",
                "description",
                "minItems",
                "maxItems",
                "default",
                "items",
            ]
        }
        _ => return Err(NOT_PRIMITIVE.to_owned()),
    };
    schema.retain(|key, value| {
        keep.contains(&key.as_str()) && !(key == "default" && value.is_null())
    });
    Ok(Value::Object(schema))
}

/// `Option<T>` fields: removes the `null` alternative schemars adds.
fn drop_null(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = schema.get("type") {
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if rest.len() == 1 {
            schema.insert("type".into(), rest[0].clone());
        }
    }
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(options)) = schema.get(key) else {
            continue;
        };
        let rest: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type") != Some(&Value::from("null")))
            .collect();
        if rest.len() == 1 && rest.len() < options.len() {
            let Some(inner) = rest[0].as_object().cloned() else {
                continue;
            };
            schema.remove(key);
            for (k, v) in inner {
                schema.entry(k).or_insert(v);
            }
        }
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

/// `[{const, title}, ..]` when `schema[key]` lists only string constants;
/// a constant's title falls back to its description, then to itself.
fn titled_options(schema: &Map<String, Value>, key: &str) -> Option<Value> {
    let options = schema.get(key)?.as_array()?;
    let titled: Option<Vec<Value>> = options
        .iter()
        .map(|option| {
            let value = option.get("const")?.as_str()?;
            let title = option
                .get("title")
                .or_else(|| option.get("description"))
                .and_then(Value::as_str)
                .unwrap_or(value);
            Some(serde_json::json!({ "const": value, "title": title }))
        })
        .collect();
    titled.filter(|t| !t.is_empty()).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, JsonSchema, Default, serde::Serialize)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)]
    enum Status {
        #[default]
        Active,
        Inactive,
    }

    #[derive(Deserialize, JsonSchema, serde::Serialize)]
    #[allow(dead_code)]
    enum Choice {
        /// First Option
        #[serde(rename = "value1")]
        One,
        #[schemars(title = "Second Option")]
        #[serde(rename = "value2")]
        Two,
    }

    /// Tell us about yourself.
    #[derive(Deserialize, JsonSchema, serde::Serialize)]
    #[serde(default)]
    #[allow(dead_code)]
    struct Profile {
        /// Your name.
        name: String,
        age: u32,
        score: f64,
        status: Status,
        choice: Option<Choice>,
        tags: Vec<Status>,
        picks: Vec<Choice>,
        verified: bool,
    }

    impl Default for Profile {
        fn default() -> Self {
            Profile {
                name: "Ada".into(),
                age: 36,
                score: 9.5,
                status: Status::Active,
                choice: None,
                tags: vec![],
                picks: vec![],
                verified: true,
            }
        }
    }

    #[test]
    fn a_struct_becomes_a_flat_form_with_defaults_and_titled_choices() {
        let form = Value::Object(form_schema_json::<Profile>().unwrap());
        let p = &form["properties"];
        assert_eq!(form["description"], "Tell us about yourself.");
        assert_eq!(
            p["name"],
            json!({"type": "string", "description": "Your name.", "default": "Ada"})
        );
        assert_eq!(
            p["age"],
            json!({"type": "integer", "minimum": 0, "default": 36})
        );
        assert_eq!(p["score"], json!({"type": "number", "default": 9.5}));
        assert_eq!(
            p["status"],
            json!({"type": "string", "enum": ["active", "inactive"], "default": "active"})
        );
        assert_eq!(
            p["choice"],
            json!({"type": "string", "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"}]})
        );
        assert_eq!(
            p["tags"]["items"],
            json!({"type": "string", "enum": ["active", "inactive"]})
        );
        assert_eq!(
            p["picks"]["items"]["anyOf"][1],
            json!({"const": "value2", "title": "Second Option"})
        );
        assert_eq!(p["verified"], json!({"type": "boolean", "default": true}));
        form_schema::<Profile>().expect("rmcp accepts the form");
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        inner: Profile,
    }

    #[test]
    fn nested_structs_and_non_structs_are_refused_naming_the_field() {
        let error = form_schema_json::<Nested>().unwrap_err();
        assert!(
            error.contains("field `inner` of the form `Nested`"),
            "{error}"
        );
        let error = form_schema_json::<String>().unwrap_err();
        assert!(error.contains("struct with named fields"), "{error}");
    }
}
