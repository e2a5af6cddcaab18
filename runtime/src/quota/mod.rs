//! Budgets per caller: `[auth.quotas]` gives each principal (or everyone
//! holding a scope) a budget over a fixed window, for example 200,000
//! tokens and $5 a day. Every call an authenticated caller makes is charged
//! to its quotas as well as to its own grant; the usage is kept in the
//! embedded store (a table of the workflow journal's SQLite file, through a
//! connection of its own), so it survives restarts. A caller over quota gets a
//! `budget_exceeded` answer naming the quota.
//!
//! Uses the budget vocabulary and the agent core's [`Principal`].

pub mod config;
mod store;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub use config::QuotaConfig;
use store::QuotaStore;

use crate::agent::Principal;
use crate::budget::{Budget, BudgetExceeded, Dimension, Usage};

/// The quotas of a server, with the file their usage is kept in.
#[derive(Debug)]
pub struct Quotas {
    rules: Vec<Rule>,
    store: QuotaStore,
}

#[derive(Debug)]
struct Rule {
    name: String,
    /// Applies to principals granted this scope (one bucket for all of
    /// them); to each principal on their own when `None`.
    scope: Option<String>,
    window_ms: u64,
    tokens: Option<u64>,
    cost_micros: Option<u64>,
    calls: Option<u64>,
}

/// A caller over one of its quotas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// The quota's name in `[auth.quotas]`.
    pub quota: String,
    /// The dimension that ran out, with the quota's limit and what was used.
    pub exceeded: BudgetExceeded,
    /// When its window ends, in milliseconds since the Unix epoch.
    pub renews_at_ms: u64,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the quota `{}` is used up ({}); it renews in {} s",
            self.quota,
            self.exceeded,
            self.renews_at_ms.saturating_sub(now_ms()).div_ceil(1000)
        )
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Quotas {
    /// The quotas `configs` (checked), their usage kept in `file`.
    pub fn new(configs: &std::collections::BTreeMap<String, QuotaConfig>, file: PathBuf) -> Self {
        let rules = configs
            .iter()
            .map(|(name, config)| Rule {
                name: name.clone(),
                scope: config.scope.clone(),
                window_ms: config.window_ms(),
                tokens: config.tokens,
                cost_micros: config.cost_micros(),
                calls: config.calls,
            })
            .collect();
        Quotas {
            rules,
            store: QuotaStore::new(file),
        }
    }

    /// The rules that apply to `principal`, with the bucket each charges.
    fn applying<'a>(
        &'a self,
        principal: &'a Principal,
    ) -> impl Iterator<Item = (&'a Rule, String)> {
        self.rules.iter().filter_map(move |rule| match &rule.scope {
            None => Some((rule, format!("sub:{}", principal.subject))),
            Some(scope) if principal.has_scope(scope) => Some((rule, format!("scope:{scope}"))),
            Some(_) => None,
        })
    }

    /// What `principal` may still use in this window, as a budget a call is
    /// narrowed to; or the quota it is over.
    pub fn remaining(&self, principal: &Principal) -> Result<Budget, QuotaExceeded> {
        let now = now_ms();
        let mut budget = Budget::UNLIMITED;
        for (rule, bucket) in self.applying(principal) {
            let start = now - now % rule.window_ms;
            let used = self
                .store
                .used(&rule.name, &bucket, start)
                .map_err(|e| tracing::warn!("quota usage cannot be read: {e}"))
                .unwrap_or_default();
            let over = |dimension, limit: Option<u64>, used: u64| {
                limit
                    .filter(|limit| used >= *limit)
                    .map(|limit| QuotaExceeded {
                        quota: rule.name.clone(),
                        exceeded: BudgetExceeded {
                            dimension,
                            limit,
                            used,
                        },
                        renews_at_ms: start + rule.window_ms,
                    })
            };
            let tokens = used.input_tokens + used.output_tokens;
            if let Some(exceeded) = over(Dimension::Tokens, rule.tokens, tokens)
                .or_else(|| over(Dimension::Cost, rule.cost_micros, used.cost_micros))
                .or_else(|| over(Dimension::Calls, rule.calls, u64::from(used.calls)))
            {
                return Err(exceeded);
            }
            if let Some(limit) = rule.tokens {
                budget = budget.with_tokens(budget.tokens.unwrap_or(u64::MAX).min(limit - tokens));
            }
            if let Some(limit) = rule.cost_micros {
                let left = limit - used.cost_micros;
                budget = budget.with_cost_micros(budget.cost_micros.unwrap_or(u64::MAX).min(left));
            }
        }
        Ok(budget)
    }

    /// Charges what a call of `principal` used to each of its quotas.
    pub fn charge(&self, principal: &Principal, usage: &Usage) {
        let now = now_ms();
        for (rule, bucket) in self.applying(principal) {
            let start = now - now % rule.window_ms;
            if let Err(error) = self.store.add(&rule.name, &bucket, start, usage) {
                tracing::warn!(quota = rule.name, "quota usage cannot be kept: {error}");
            }
        }
    }
}
