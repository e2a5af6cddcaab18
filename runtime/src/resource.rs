//! Resources: what `#[resource]` records, what a resource function may
//! return, and how both become MCP resources, templates and contents.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use rmcp::model::{Annotations, JsonObject, Resource, ResourceTemplate};

use crate::agent::context::AgentContext;
use crate::agent::{InvokeError, SourceLocation};
use crate::mcp::completion::Completer;
use crate::mcp::icon::icons;
use crate::mcp::message::Role;
use crate::mcp::resource_content::ResourceContent;
use crate::mcp::uri_template::UriTemplate;
use crate::schema::ParamDefinition;

/// What reading a resource produces: its contents, or why there are none.
pub type ResourceFuture =
    Pin<Box<dyn Future<Output = Result<Vec<ResourceContent>, InvokeError>> + Send>>;

/// One resource or resource template, as declared by `#[resource]`.
pub struct ResourceDefinition {
    /// The resource's name (the function's name unless renamed).
    pub name: &'static str,
    /// Its URI, or the template its URIs follow.
    pub uri: ResourceUri,
    /// The resource's title, for people.
    pub title: Option<&'static str>,
    /// The resource's description (the function's doc comment unless overridden).
    pub description: Option<&'static str>,
    /// The MIME type of its contents when they do not name one.
    pub mime_type: Option<&'static str>,
    /// Icon URLs (or `data:` URIs).
    pub icons: &'static [&'static str],
    /// The OAuth scopes a caller's token must grant (`scopes = [...]`);
    /// checked by an HTTP server with `[auth]`, refused with `403
    /// insufficient_scope` naming them.
    pub scopes: &'static [&'static str],
    /// Who the contents are meant for; empty when unsaid.
    pub audience: &'static [Role],
    /// How important the resource is, from 0 (optional) to 1 (required).
    pub priority: Option<f32>,
    /// The template variables, in declaration order; empty for a static resource.
    pub params: &'static [ParamDefinition],
    /// Suggests values for template variables (`completion/complete`).
    pub complete: Option<Completer>,
    /// Reads the resource; the object holds the template variables as strings.
    pub read: fn(AgentContext, JsonObject) -> ResourceFuture,
    /// Where the resource is defined, for error messages.
    pub location: SourceLocation,
}

/// Where a resource lives.
#[derive(Clone, Copy)]
pub enum ResourceUri {
    /// One fixed URI.
    Static(&'static str),
    /// Every URI matching a template such as `file:///{+path}`.
    Template(UriTemplate),
}

impl fmt::Display for ResourceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceUri::Static(uri) => f.write_str(uri),
            ResourceUri::Template(template) => template.fmt(f),
        }
    }
}

/// The value `#[resource]` submits to `inventory`.
pub struct ResourceEntry(pub &'static ResourceDefinition);

inventory::collect!(ResourceEntry);

impl ResourceDefinition {
    /// The MCP resource, for a static resource.
    pub fn resource(&self) -> Option<Resource> {
        let ResourceUri::Static(uri) = self.uri else {
            return None;
        };
        let mut resource = Resource::new(uri, self.name);
        resource.title = self.title.map(str::to_owned);
        resource.description = self.description.map(str::to_owned);
        resource.mime_type = self.mime_type.map(str::to_owned);
        resource.icons = icons(self.icons);
        resource.annotations = self.annotations();
        Some(resource)
    }

    /// The annotations `audience` and `priority` make, if any.
    fn annotations(&self) -> Option<Annotations> {
        if self.audience.is_empty() && self.priority.is_none() {
            return None;
        }
        let mut annotations = Annotations::default();
        if !self.audience.is_empty() {
            annotations.audience = Some(self.audience.iter().map(|r| r.to_rmcp()).collect());
        }
        annotations.priority = self.priority;
        Some(annotations)
    }

    /// The MCP resource template, for a templated resource.
    pub fn template(&self) -> Option<ResourceTemplate> {
        let ResourceUri::Template(template) = self.uri else {
            return None;
        };
        let mut resource = ResourceTemplate::new(template.to_string(), self.name);
        resource.title = self.title.map(str::to_owned);
        resource.description = self.description.map(str::to_owned);
        resource.mime_type = self.mime_type.map(str::to_owned);
        resource.icons = icons(self.icons);
        resource.annotations = self.annotations();
        Some(resource)
    }

    /// How many characters of its URI (template) are fixed text.
    pub(crate) fn fixed_text_len(&self) -> usize {
        match self.uri {
            ResourceUri::Static(uri) => uri.len(),
            ResourceUri::Template(template) => template
                .parts
                .iter()
                .map(|part| match part {
                    crate::mcp::uri_template::TemplatePart::Literal(text) => text.len(),
                    _ => 0,
                })
                .sum(),
        }
    }

    /// The template variables of `uri` when this resource serves it.
    pub fn matches(&self, uri: &str) -> Option<JsonObject> {
        match self.uri {
            ResourceUri::Static(own) => (own == uri).then(JsonObject::new),
            ResourceUri::Template(template) => template.matches(uri).map(|variables| {
                variables
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.into()))
                    .collect()
            }),
        }
    }
}
