//! `[budget]` of agentwire.toml: the server's default budget.

use serde::Deserialize;

use super::Budget;
use super::units::{parse_cost_micros, parse_duration};

/// `[budget]`: replaces [`Budget::SERVER_DEFAULT`] dimension by dimension.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    pub time: Option<String>,
    pub tokens: Option<u64>,
    pub cost: Option<String>,
    pub depth: Option<u32>,
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
