//! The arguments of `#[workflow(...)]`.

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use super::budget::BudgetPolicy;
use super::tool::ToolKeys;
use super::{key, read_args, read_list, reject, set, unknown_key, value};
use crate::internals::ctxt::Ctxt;

const ATTR: &str = "workflow";

/// Every key of `retry(...)`.
const RETRY_KEYS: &str = "`attempts`, `backoff`, `factor`, `max_backoff`";

/// What the user wrote inside `#[workflow(...)]`.
#[derive(Default)]
pub struct WorkflowAttributes {
    pub tool: ToolKeys,
    pub budget: Option<BudgetPolicy>,
    pub calls: Option<Vec<syn::Path>>,
    pub retry: Option<RetryAttr>,
    pub step_timeout: Option<LitStr>,
    /// `task_required`: clients must take the run as an MCP task.
    pub task_required: Option<syn::LitBool>,
}

/// `retry(attempts = 5, backoff = "1s", factor = 2, max_backoff = "1m")`.
#[derive(Default)]
pub struct RetryAttr {
    pub attempts: Option<syn::LitInt>,
    pub backoff: Option<LitStr>,
    /// An integer or a float literal, as written.
    pub factor: Option<syn::Lit>,
    pub max_backoff: Option<LitStr>,
}

impl WorkflowAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        Ctxt::collect(|cx| {
            let mut attrs = WorkflowAttributes::default();
            read_args(cx, args, |meta| attrs.parse_one(meta));
            attrs.tool.check(cx);
            Some(attrs)
        })
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = key(meta);
        if let Some(read) = self.tool.read(&key, meta, ATTR) {
            return read;
        }
        match key.as_str() {
            "calls" => set(&mut self.calls, meta, value::callees(meta)?, ATTR),
            "budget" => set(
                &mut self.budget,
                meta,
                BudgetPolicy::parse(meta, ATTR)?,
                ATTR,
            ),
            "retry" => set(&mut self.retry, meta, RetryAttr::parse(meta)?, ATTR),
            "step_timeout" => set(&mut self.step_timeout, meta, value::duration(meta)?, ATTR),
            "task_required" => set(&mut self.task_required, meta, value::flag(meta)?, ATTR),
            "remote" => Err(reject(
                meta,
                "a workflow runs in the server that declares it, so it cannot be `remote`; \
                 declare the remote agents it calls with `#[agent(remote = \"...\")]` and \
                 list them in `calls = [...]`",
            )),
            "recursive" => Err(reject(
                meta,
                "a workflow is never called by an agent, so it takes no part in a cycle of \
                 calls and needs no `recursive`",
            )),
            _ => Err(unknown_key(meta, ATTR, &known_keys())),
        }
    }
}

/// Every key `#[workflow(...)]` understands, for the "unknown key" message.
fn known_keys() -> String {
    format!(
        "{}, `budget(...)`, `calls = [...]`, `retry(...)`, `step_timeout = \"...\"`, \
         `task_required`",
        ToolKeys::KNOWN
    )
}

impl RetryAttr {
    fn parse(meta: &ParseNestedMeta) -> syn::Result<Self> {
        if !meta.input.peek(syn::token::Paren) {
            return Err(reject(
                meta,
                "`retry` takes a list of settings: `retry(attempts = 5, backoff = \"1s\", \
                 factor = 2, max_backoff = \"1m\")`",
            ));
        }
        let mut retry = RetryAttr::default();
        read_list(meta, |inner| retry.parse_one(inner))?;
        Ok(retry)
    }

    fn parse_one(&mut self, inner: &ParseNestedMeta) -> syn::Result<()> {
        match key(inner).as_str() {
            "attempts" => {
                let value = value::integer(inner)?;
                match value.base10_parse::<u32>() {
                    Ok(n) if n >= 1 => set(&mut self.attempts, inner, value, ATTR),
                    _ => Err(syn::Error::new(
                        value.span(),
                        "`attempts` counts every attempt, the first included: a whole \
                         number from 1 (no retries) up",
                    )),
                }
            }
            "backoff" => set(&mut self.backoff, inner, value::duration(inner)?, ATTR),
            "max_backoff" => set(&mut self.max_backoff, inner, value::duration(inner)?, ATTR),
            "factor" => set(&mut self.factor, inner, factor(inner)?, ATTR),
            _ => {
                let key = super::path_text(&inner.path);
                Err(reject(
                    inner,
                    format!("unknown retry setting `{key}`; the settings are {RETRY_KEYS}"),
                ))
            }
        }
    }
}

/// `factor = 2` or `factor = 1.5`: at least 1.
fn factor(inner: &ParseNestedMeta) -> syn::Result<syn::Lit> {
    let value: syn::Lit = inner
        .value()
        .map_err(|_| inner.error("`factor` needs a value: `factor = 2`"))?
        .parse()?;
    let number = match &value {
        syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
        syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n.is_finite() && n >= 1.0 => Ok(value),
        _ => Err(syn::Error::new(
            value.span(),
            "`factor` multiplies each wait between attempts: a number of at least 1, such as \
             `factor = 2` or `factor = 1.5`",
        )),
    }
}
