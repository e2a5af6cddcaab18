//! `[auth.quotas.NAME]` of agentwire.toml.
//!
//! ```toml
//! [auth.quotas.daily]          # each principal on their own
//! window = "24h"
//! tokens = 200_000
//! cost = "$5"
//!
//! [auth.quotas.writers]        # everyone granted the scope, together
//! scope = "reports:write"
//! window = "1h"
//! calls = 1000
//! ```

use serde::Deserialize;

use crate::budget::units::{parse_cost_micros, parse_duration};

/// One quota: limits over a fixed window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Shared by everyone granted this scope; per principal when absent.
    #[serde(default)]
    pub scope: Option<String>,
    /// The window: `"24h"`, `"1h"`, `"30m"`.
    pub window: String,
    /// Model tokens (input and output) per window.
    #[serde(default)]
    pub tokens: Option<u64>,
    /// A cost such as `"$5"`.
    #[serde(default)]
    pub cost: Option<String>,
    /// Agent calls per window, sub-agent calls included.
    #[serde(default)]
    pub calls: Option<u64>,
}

impl QuotaConfig {
    /// Checks the quota called `name`.
    pub fn check(&self, name: &str) -> Result<(), String> {
        let key = format!("[auth.quotas.{name}]");
        let window = parse_duration(&self.window)
            .map_err(|p| format!("{key} window = {:?}: {p}", self.window))?;
        if window.as_millis() < 1000 {
            return Err(format!("{key} window: at least one second"));
        }
        if let Some(cost) = &self.cost {
            parse_cost_micros(cost).map_err(|p| format!("{key} cost = {cost:?}: {p}"))?;
        }
        if self.tokens.is_none() && self.cost.is_none() && self.calls.is_none() {
            return Err(format!(
                "{key} limits nothing: give `tokens`, `cost` or `calls`"
            ));
        }
        Ok(())
    }

    pub(crate) fn window_ms(&self) -> u64 {
        parse_duration(&self.window).map_or(86_400_000, |d| d.as_millis() as u64)
    }

    pub(crate) fn cost_micros(&self) -> Option<u64> {
        self.cost.as_deref().and_then(|c| parse_cost_micros(c).ok())
    }
}
