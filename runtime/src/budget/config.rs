//! `[budget]` of agentwire.toml: the server's default budget.

use serde::Deserialize;

use super::Budget;
use super::units::{parse_cost_micros, parse_duration};

/// `[budget]`: replaces [`Budget::SERVER_DEFAULT`] dimension by dimension.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// The time limit, e.g. `"30s"` or `"5m"`.
    pub time: Option<String>,
    /// The limit on model tokens, input and output together.
    pub tokens: Option<u64>,
    /// The cost limit in US dollars, e.g. `"$5"`.
    pub cost: Option<String>,
    /// How deep agents may call agents.
    pub depth: Option<u32>,
    /// How many agent calls a request may make, itself included.
    pub calls: Option<u32>,
}

impl BudgetConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(time) = &self.time {
            parse_duration(time).map_err(|p| format!("[budget] time = {time:?}: {p}"))?;
        }
        if let Some(cost) = &self.cost {
            parse_cost_micros(cost).map_err(|p| format!("[budget] cost = {cost:?}: {p}"))?;
        }
        Ok(())
    }

    /// The server's default budget: [`Budget::SERVER_DEFAULT`] with every
    /// dimension this section sets replaced.
    pub fn resolve(&self) -> Budget {
        let default = Budget::SERVER_DEFAULT;
        Budget {
            time: self
                .time
                .as_deref()
                .and_then(|t| parse_duration(t).ok())
                .or(default.time),
            tokens: self.tokens.or(default.tokens),
            cost_micros: self
                .cost
                .as_deref()
                .and_then(|c| parse_cost_micros(c).ok())
                .or(default.cost_micros),
            depth: self.depth.or(default.depth),
            calls: self.calls.or(default.calls),
        }
    }
}
