//! [`Content`]: text, images, audio and resources, as a tool result, a prompt
//! message or a sampled answer carries them.
//!
//! An agent usually answers with JSON (a struct or a string). When it has to
//! answer with an image, audio or an embedded resource instead, it returns
//! [`Content`] or `Vec<Content>`:
//!
//! ```
//! use agentwire::prelude::*;
//!
//! /// Draws a one-pixel picture.
//! #[agent]
//! async fn pixel() -> Vec<Content> {
//!     vec![
//!         Content::text("a red pixel:"),
//!         Content::image_bytes(b"\x89PNG...", "image/png"),
//!     ]
//! }
//! # fn main() {}
//! ```
//!
//! How it travels: `#[agent]` serializes every result to JSON, so `Content`
//! serializes as a one-key object, `{"dev.agentwire/content": <MCP content
//! block>}`, that the runtime recognizes when it builds the tool result. Its
//! JSON Schema is not an object, so a `Content` answer has no output schema.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rmcp::model::{ContentBlock, Resource, ResourceContents};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::mcp::resource_content::ResourceContent;

/// The key under which a serialized [`Content`] carries its MCP content block.
pub(crate) const CONTENT_KEY: &str = "dev.agentwire/content";

/// One piece of content: text, an image, audio, an embedded resource or a
/// link to a resource.
#[derive(Clone, PartialEq)]
pub struct Content(pub(crate) ContentBlock);

impl Content {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Content(ContentBlock::text(text))
    }

    /// An image given as base64 text, with its MIME type (`image/png`).
    pub fn image(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content(ContentBlock::image(base64_data, mime_type))
    }

    /// An image given as raw bytes, with its MIME type.
    pub fn image_bytes(bytes: impl AsRef<[u8]>, mime_type: impl Into<String>) -> Self {
        Self::image(BASE64.encode(bytes), mime_type)
    }

    /// Audio given as base64 text, with its MIME type (`audio/wav`).
    pub fn audio(base64_data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content(ContentBlock::audio(base64_data, mime_type))
    }

    /// Audio given as raw bytes, with its MIME type.
    pub fn audio_bytes(bytes: impl AsRef<[u8]>, mime_type: impl Into<String>) -> Self {
        Self::audio(BASE64.encode(bytes), mime_type)
    }

    /// A resource embedded whole: `uri` names it, `content` is its text or bytes.
    pub fn resource(uri: impl Into<String>, content: ResourceContent) -> Self {
        Content(ContentBlock::resource(content.into_rmcp(uri.into(), None)))
    }

    /// A link to a resource the client can read with `resources/read`.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Content(ContentBlock::resource_link(Resource::new(uri, name)))
    }

    /// The text, when this is text content.
    pub fn as_text(&self) -> Option<&str> {
        self.0.as_text().map(|text| text.text.as_str())
    }

    /// The MCP content block, as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.0).unwrap_or(Value::Null)
    }

    /// Reads back what [`Content`]'s `Serialize` wrote: `Some` for a content
    /// object, `None` for any other JSON.
    pub(crate) fn from_tunnel(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        if object.len() != 1 {
            return None;
        }
        let block = object.get(CONTENT_KEY)?;
        serde_json::from_value(block.clone()).ok().map(Content)
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content::text(text)
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::text(text)
    }
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Content({})", self.to_json())
    }
}

impl Serialize for Content {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(CONTENT_KEY, &self.0)?;
        map.end()
    }
}

impl JsonSchema for Content {
    fn schema_name() -> Cow<'static, str> {
        "Content".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Deliberately not `"type": "object"`: content is not structured
        // output, so an agent answering with it gets no output schema.
        json_schema!({ "description": "MCP content: text, an image, audio or a resource" })
    }
}

/// The content blocks an agent's JSON output stands for, when it is a
/// [`Content`] or a non-empty list of them.
pub(crate) fn content_blocks(output: &Value) -> Option<Vec<ContentBlock>> {
    match output {
        Value::Object(_) => Content::from_tunnel(output).map(|content| vec![content.0]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|item| Content::from_tunnel(item).map(|content| content.0))
            .collect(),
        _ => None,
    }
}

impl ResourceContent {
    /// The MCP resource contents for this content at `uri`, with
    /// `default_mime` when the content names no MIME type.
    pub(crate) fn into_rmcp(self, uri: String, default_mime: Option<&str>) -> ResourceContents {
        let uri = self.uri.unwrap_or(uri);
        let mime = self.mime_type.or_else(|| default_mime.map(str::to_owned));
        match self.body {
            crate::mcp::resource_content::Body::Text(text) => {
                ResourceContents::TextResourceContents {
                    uri,
                    mime_type: mime.or_else(|| Some("text/plain".to_owned())),
                    text,
                    meta: None,
                }
            }
            crate::mcp::resource_content::Body::Blob(bytes) => {
                ResourceContents::BlobResourceContents {
                    uri,
                    mime_type: mime.or_else(|| Some("application/octet-stream".to_owned())),
                    blob: BASE64.encode(bytes),
                    meta: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_round_trips_through_json_and_plain_json_is_left_alone() {
        let image = Content::image_bytes([1, 2, 3], "image/png");
        let value = serde_json::to_value(&image).unwrap();
        assert_eq!(
            value,
            json!({CONTENT_KEY: {"type": "image", "data": "AQID", "mimeType": "image/png"}})
        );
        assert_eq!(content_blocks(&value), Some(vec![image.0.clone()]));

        let list = serde_json::to_value(vec![Content::text("a"), image.clone()]).unwrap();
        assert_eq!(content_blocks(&list).map(|b| b.len()), Some(2));

        assert_eq!(content_blocks(&json!({"words": 2})), None);
        assert_eq!(content_blocks(&json!([])), None);
        assert_eq!(
            content_blocks(&json!([{CONTENT_KEY: {"type": "text", "text": "x"}}, 3])),
            None
        );
        assert_eq!(content_blocks(&json!({CONTENT_KEY: "not a block"})), None);
    }

    #[test]
    fn content_has_no_output_schema() {
        assert!(crate::schema::output_schema::<Content>().is_none());
        assert!(crate::schema::output_schema::<Vec<Content>>().is_none());
    }
}
