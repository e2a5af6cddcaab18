//! `budget(...)`: the limits `#[agent]` and `#[workflow]` put on their own runs.

use syn::meta::ParseNestedMeta;
use syn::{LitInt, LitStr};

use super::{key, read_list, reject, set, value};

/// Every key of `budget(...)`.
const KNOWN: &str = "`time`, `tokens`, `cost`, `depth`, `calls`";

/// `budget(time = "30s", tokens = 20_000, cost = "$0.50", depth = 3, calls = 50)`.
/// Durations and costs are checked by the runtime's `const fn`s, at the literal.
#[derive(Default)]
pub struct BudgetPolicy {
    pub time: Option<LitStr>,
    pub tokens: Option<LitInt>,
    pub cost: Option<LitStr>,
    pub depth: Option<LitInt>,
    pub calls: Option<LitInt>,
}

impl BudgetPolicy {
    /// Reads the list after `budget`; `attr` names the attribute, for messages.
    pub fn parse(meta: &ParseNestedMeta, attr: &str) -> syn::Result<Self> {
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error(
                "`budget` takes a list of limits: `budget(time = \"30s\", tokens = 20_000, \
                 cost = \"$0.50\", depth = 3, calls = 50)`",
            ));
        }
        let mut policy = BudgetPolicy::default();
        read_list(meta, |inner| policy.parse_one(inner, attr))?;
        Ok(policy)
    }

    fn parse_one(&mut self, inner: &ParseNestedMeta, attr: &str) -> syn::Result<()> {
        match key(inner).as_str() {
            "time" => set(&mut self.time, inner, value::string(inner)?, attr),
            "cost" => set(&mut self.cost, inner, value::string(inner)?, attr),
            "tokens" => set(&mut self.tokens, inner, value::integer(inner)?, attr),
            "depth" => set(&mut self.depth, inner, value::integer(inner)?, attr),
            "calls" => set(&mut self.calls, inner, value::integer(inner)?, attr),
            _ => {
                let key = super::path_text(&inner.path);
                Err(reject(
                    inner,
                    format!("unknown budget limit `{key}`; the limits are {KNOWN}"),
                ))
            }
        }
    }
}
