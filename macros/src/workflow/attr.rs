//! The arguments of `#[workflow(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use crate::agent::attr::{BudgetPolicy, callee_list, integer_value};
use crate::attr_parse::{flag_value, path_text, push, string_value};
use crate::tool_name;

/// Every key `#[workflow(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`name`, `title`, `description`, `icon`, `read_only`, `destructive`, \
     `idempotent`, `open_world`, `budget(...)`, `calls = [...]`, `retry(...)`, `step_timeout = \"...\"`";

/// Every key of `retry(...)`.
const RETRY_KEYS: &str = "`attempts`, `backoff`, `factor`, `max_backoff`";

/// What the user wrote inside `#[workflow(...)]`.
#[derive(Default)]
pub struct WorkflowAttributes {
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    pub description: Option<LitStr>,
    pub icons: Vec<LitStr>,
    pub read_only: Option<LitBool>,
    pub destructive: Option<LitBool>,
    pub idempotent: Option<LitBool>,
    pub open_world: Option<LitBool>,
    pub budget: Option<BudgetPolicy>,
    pub calls: Option<Vec<syn::Path>>,
    pub retry: Option<RetryAttr>,
    pub step_timeout: Option<LitStr>,
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
        let mut attrs = WorkflowAttributes::default();
        let mut errors: Option<syn::Error> = None;
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = attrs.parse_one(&meta) {
                push(&mut errors, e);
            }
            Ok(())
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, args) {
            push(&mut errors, error);
        }
        if let Some(name) = &attrs.name
            && let Some(problem) = tool_name::problem(&name.value())
        {
            push(&mut errors, syn::Error::new(name.span(), problem));
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(attrs),
        }
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "name" => set(&mut self.name, meta, string_value(meta)?),
            "title" => set(&mut self.title, meta, string_value(meta)?),
            "description" => set(&mut self.description, meta, string_value(meta)?),
            "icon" => {
                self.icons.push(string_value(meta)?);
                Ok(())
            }
            "read_only" => set(&mut self.read_only, meta, flag_value(meta)?),
            "destructive" => set(&mut self.destructive, meta, flag_value(meta)?),
            "idempotent" => set(&mut self.idempotent, meta, flag_value(meta)?),
            "open_world" => set(&mut self.open_world, meta, flag_value(meta)?),
            "calls" => set(&mut self.calls, meta, callee_list(meta)?),
            "budget" => set(&mut self.budget, meta, BudgetPolicy::parse(meta, "workflow")?),
            "retry" => set(&mut self.retry, meta, RetryAttr::parse(meta)?),
            "step_timeout" => {
                let value = string_value(meta)?;
                check_duration(&value)?;
                set(&mut self.step_timeout, meta, value)
            }
            "remote" | "recursive" => {
                skip_value(meta)?;
                Err(meta.error(if key == "remote" {
                    "a workflow runs in the server that declares it, so it cannot be `remote`; \
                     declare the remote agents it calls with `#[agent(remote = \"...\")]` and \
                     list them in `calls = [...]`"
                } else {
                    "a workflow is never called by an agent, so it takes no part in a cycle of \
                     calls and needs no `recursive`"
                }))
            }
            _ => {
                skip_value(meta)?;
                Err(meta.error(format!(
                    "unknown `#[workflow]` argument `{}`; the known ones are {KNOWN_KEYS}",
                    path_text(&meta.path)
                )))
            }
        }
    }
}

/// Skips whatever value follows so that one bad key does not hide the
/// errors in the keys after it.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|_| Ok(()))?;
    }
    Ok(())
}

impl RetryAttr {
    fn parse(meta: &ParseNestedMeta) -> syn::Result<Self> {
        if !meta.input.peek(syn::token::Paren) {
            skip_value(meta)?;
            return Err(meta.error(
                "`retry` takes a list of settings: `retry(attempts = 5, backoff = \"1s\", \
                 factor = 2, max_backoff = \"1m\")`",
            ));
        }
        let mut retry = RetryAttr::default();
        let mut errors: Option<syn::Error> = None;
        meta.parse_nested_meta(|inner| {
            if let Err(error) = retry.parse_one(&inner) {
                push(&mut errors, error);
            }
            Ok(())
        })?;
        match errors {
            Some(errors) => Err(errors),
            None => Ok(retry),
        }
    }

    fn parse_one(&mut self, inner: &ParseNestedMeta) -> syn::Result<()> {
        let retry = self;
        let key = inner
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "attempts" => {
                let value = integer_value(inner)?;
                match value.base10_parse::<u32>() {
                    Ok(n) if n >= 1 => set(&mut retry.attempts, inner, value),
                    _ => Err(syn::Error::new(
                        value.span(),
                        "`attempts` counts every attempt, the first included: a whole \
                             number from 1 (no retries) up",
                    )),
                }
            }
            "backoff" | "max_backoff" => {
                let value = string_value(inner)?;
                check_duration(&value)?;
                let slot = if key == "backoff" {
                    &mut retry.backoff
                } else {
                    &mut retry.max_backoff
                };
                set(slot, inner, value)
            }
            "factor" => {
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
                    Some(n) if n.is_finite() && n >= 1.0 => set(&mut retry.factor, inner, value),
                    _ => Err(syn::Error::new(
                        value.span(),
                        "`factor` multiplies each wait between attempts: a number of at \
                             least 1, such as `factor = 2` or `factor = 1.5`",
                    )),
                }
            }
            _ => {
                skip_value(inner)?;
                Err(inner.error(format!(
                    "unknown retry setting `{}`; the settings are {RETRY_KEYS}",
                    path_text(&inner.path)
                )))
            }
        }
    }
}

/// A duration is a whole number followed by `ms`, `s`, `m` or `h`.
fn check_duration(value: &LitStr) -> syn::Result<()> {
    let text = value.value();
    let digits = text
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .to_owned();
    let unit = &text[digits.len()..];
    let number_ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
        && digits.chars().any(|c| c.is_ascii_digit());
    if number_ok && matches!(unit, "ms" | "s" | "m" | "h") {
        Ok(())
    } else {
        Err(syn::Error::new(
            value.span(),
            "a duration is a whole number followed by `ms`, `s`, `m` or `h`, such as \"30s\"",
        ))
    }
}

fn set<T>(slot: &mut Option<T>, meta: &ParseNestedMeta, value: T) -> syn::Result<()> {
    crate::attr_parse::set(slot, meta, value, "workflow")
}
