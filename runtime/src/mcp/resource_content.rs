//! What a resource holds, as `resources/read` carries it, and what a
//! resource function may return.

use serde::Serialize;

/// What a resource holds: text or bytes, with a MIME type.
///
/// A resource function may return `String` (text), `Vec<u8>` (bytes), one
/// `ResourceContent` or several. The MIME type falls back to the
/// `mime_type` of `#[resource]`, then to `text/plain` or
/// `application/octet-stream`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceContent {
    pub(crate) body: Body,
    pub(crate) mime_type: Option<String>,
    pub(crate) uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Text(String),
    Blob(Vec<u8>),
}

impl ResourceContent {
    /// Text contents.
    pub fn text(text: impl Into<String>) -> Self {
        ResourceContent {
            body: Body::Text(text.into()),
            mime_type: None,
            uri: None,
        }
    }

    /// Binary contents, sent base64-encoded.
    pub fn blob(bytes: impl Into<Vec<u8>>) -> Self {
        ResourceContent {
            body: Body::Blob(bytes.into()),
            mime_type: None,
            uri: None,
        }
    }

    /// `value` as JSON text, typed `application/json`.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        let text = serde_json::to_string(value).unwrap_or_else(|e| {
            serde_json::json!({ "error": format!("could not serialize: {e}") }).to_string()
        });
        Self::text(text).with_mime_type("application/json")
    }

    /// Sets the MIME type.
    pub fn with_mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// Sets the URI of this piece, for a resource that answers with several
    /// (the requested URI otherwise).
    pub fn with_uri(mut self, uri: impl Into<String>) -> Self {
        self.uri = Some(uri.into());
        self
    }

    /// The text, for text contents.
    pub fn as_text(&self) -> Option<&str> {
        match &self.body {
            Body::Text(text) => Some(text),
            Body::Blob(_) => None,
        }
    }
}

/// A value a resource function can return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the contents of a resource",
    label = "a resource returns `String`, `Vec<u8>`, `ResourceContent` or `Vec<ResourceContent>`",
    note = "wrap other data with `ResourceContent::json(&value)` or `ResourceContent::text(..)`"
)]
pub trait IntoResourceContents {
    /// The contents, in order.
    fn into_resource_contents(self) -> Vec<ResourceContent>;
}

impl IntoResourceContents for String {
    fn into_resource_contents(self) -> Vec<ResourceContent> {
        vec![ResourceContent::text(self)]
    }
}

impl IntoResourceContents for &'static str {
    fn into_resource_contents(self) -> Vec<ResourceContent> {
        vec![ResourceContent::text(self)]
    }
}

impl IntoResourceContents for Vec<u8> {
    fn into_resource_contents(self) -> Vec<ResourceContent> {
        vec![ResourceContent::blob(self)]
    }
}

impl IntoResourceContents for ResourceContent {
    fn into_resource_contents(self) -> Vec<ResourceContent> {
        vec![self]
    }
}

impl IntoResourceContents for Vec<ResourceContent> {
    fn into_resource_contents(self) -> Vec<ResourceContent> {
        self
    }
}
