//! The tool metadata that `#[agent]` and `#[workflow]` both take: both
//! become MCP tools, described the same way.

use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use super::{set, value};
use crate::internals::ctxt::Ctxt;
use crate::internals::tool_name;

/// `name`, `title`, `description`, `icon`, the four hint flags and the
/// OAuth `scopes` a caller needs.
#[derive(Default)]
pub struct ToolKeys {
    /// The MCP tool name; the function's name when absent.
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    /// Replaces the doc comment as the tool description.
    pub description: Option<LitStr>,
    /// Icon URLs; the key may be repeated.
    pub icons: Vec<LitStr>,
    pub read_only: Option<LitBool>,
    pub destructive: Option<LitBool>,
    pub idempotent: Option<LitBool>,
    pub open_world: Option<LitBool>,
    /// `scopes = [...]`: what a caller's access token must grant.
    pub scopes: Option<Vec<LitStr>>,
}

impl ToolKeys {
    /// The keys, for an attribute's "unknown key" message.
    pub const KNOWN: &str = "`name`, `title`, `description`, `icon`, `read_only`, `destructive`, `idempotent`, \
         `open_world`, `scopes = [...]`";

    /// Reads `meta` when `key` is one of these keys; `None` when it is not.
    pub fn read(
        &mut self,
        key: &str,
        meta: &ParseNestedMeta,
        attr: &str,
    ) -> Option<syn::Result<()>> {
        let flag = |slot: &mut Option<LitBool>| set(slot, meta, value::flag(meta)?, attr);
        Some(match key {
            "name" => value::string(meta).and_then(|v| set(&mut self.name, meta, v, attr)),
            "title" => value::string(meta).and_then(|v| set(&mut self.title, meta, v, attr)),
            "description" => {
                value::string(meta).and_then(|v| set(&mut self.description, meta, v, attr))
            }
            "icon" => value::string(meta).map(|icon| self.icons.push(icon)),
            "read_only" => flag(&mut self.read_only),
            "destructive" => flag(&mut self.destructive),
            "idempotent" => flag(&mut self.idempotent),
            "open_world" => flag(&mut self.open_world),
            "scopes" => value::scopes(meta).and_then(|v| set(&mut self.scopes, meta, v, attr)),
            _ => return None,
        })
    }

    /// Checks what needs all the keys: the name is a valid MCP tool name.
    pub fn check(&self, cx: &Ctxt) {
        if let Some(name) = &self.name
            && let Some(problem) = tool_name::problem(&name.value())
        {
            cx.error(syn::Error::new(name.span(), problem));
        }
    }
}
