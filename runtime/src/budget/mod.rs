//! Budgets: how much time, tokens, cost, nesting depth and calls an agent and
//! everything it calls may use.
//!
//! A [`Budget`] is a set of limits. A running agent has a scope (see
//! `scope.rs`) holding its limits and what it used; scopes form a chain from the
//! request's first agent down to the running one, and every charge is checked
//! against every scope of the chain, atomically, so parallel children share
//! their parent's budget and cannot together overspend it.

mod config;
mod scope;
#[cfg(test)]
mod tests;
pub mod units;

pub use config::BudgetConfig;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub(crate) use scope::{Reservation, Scope};

/// Limits on a call and everything it calls. `None` means no limit of that
/// kind (from this source; other sources may still limit it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Wall time, from the start of the call.
    pub time: Option<Duration>,
    /// Model tokens, input and output together.
    pub tokens: Option<u64>,
    /// Cost in micro-USD (1 USD = 1,000,000).
    pub cost_micros: Option<u64>,
    /// How many levels of agent calls may nest below this one.
    pub depth: Option<u32>,
    /// How many agent invocations the call tree may contain, this one included.
    pub calls: Option<u32>,
}

impl Budget {
    /// No limits at all.
    pub const UNLIMITED: Budget = Budget {
        time: None,
        tokens: None,
        cost_micros: None,
        depth: None,
        calls: None,
    };

    /// The tighter of two budgets, dimension by dimension.
    pub fn min(self, other: Budget) -> Budget {
        fn tighter<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
            match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        Budget {
            time: tighter(self.time, other.time),
            tokens: tighter(self.tokens, other.tokens),
            cost_micros: tighter(self.cost_micros, other.cost_micros),
            depth: tighter(self.depth, other.depth),
            calls: tighter(self.calls, other.calls),
        }
    }

    /// What a server allows a request when its configuration says nothing:
    /// five minutes, 8 levels of nesting, 256 invocations; tokens and cost
    /// are limited only where an agent, a caller or the config limits them.
    pub const SERVER_DEFAULT: Budget = Budget {
        time: Some(Duration::from_secs(300)),
        tokens: None,
        cost_micros: None,
        depth: Some(8),
        calls: Some(256),
    };

    /// One of `n` parallel calls' fair share of this budget: tokens, cost
    /// and calls divided evenly (rounded down), time and depth as they are
    /// (parallel calls run side by side). Without it a call that reserves
    /// all that remains (a remote call) leaves nothing to its siblings.
    pub fn share(self, n: usize) -> Budget {
        let n64 = u64::try_from(n.max(1)).unwrap_or(u64::MAX);
        let n32 = u32::try_from(n.max(1)).unwrap_or(u32::MAX);
        Budget {
            tokens: self.tokens.map(|t| t / n64),
            cost_micros: self.cost_micros.map(|c| c / n64),
            calls: self.calls.map(|c| c / n32),
            ..self
        }
    }

    /// This budget with a time limit.
    pub fn with_time(mut self, time: Duration) -> Self {
        self.time = Some(time);
        self
    }

    /// This budget with a token limit.
    pub fn with_tokens(mut self, tokens: u64) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// This budget with a cost limit in micro-USD.
    pub fn with_cost_micros(mut self, cost_micros: u64) -> Self {
        self.cost_micros = Some(cost_micros);
        self
    }

    /// This budget with a depth limit.
    pub fn with_depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }

    /// This budget with a call-count limit.
    pub fn with_calls(mut self, calls: u32) -> Self {
        self.calls = Some(calls);
        self
    }
}

impl fmt::Display for Budget {
    /// `time=30000ms tokens=∞ ...`, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn show(value: Option<u64>) -> String {
            value.map_or_else(|| "∞".to_owned(), |v| v.to_string())
        }
        write!(
            f,
            "time={}ms tokens={} cost={}µ$ depth={} calls={}",
            show(self.time.map(|t| t.as_millis() as u64)),
            show(self.tokens),
            show(self.cost_micros),
            show(self.depth.map(u64::from)),
            show(self.calls.map(u64::from)),
        )
    }
}

/// What a call consumed, its sub-calls included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Usage {
    /// Model input (prompt) tokens.
    pub input_tokens: u64,
    /// Model output (answer) tokens.
    pub output_tokens: u64,
    /// Cost in micro-USD (millionths of a dollar).
    pub cost_micros: u64,
    /// Wall-clock time taken, in milliseconds.
    pub elapsed_ms: u64,
    /// Agent calls made, this one included.
    pub calls: u32,
}

impl Usage {
    /// Input and output tokens together, as the token limit counts them.
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// Usage of model tokens and their cost, as a model call reports it.
    pub fn model(input_tokens: u64, output_tokens: u64, cost_micros: u64) -> Self {
        Usage {
            input_tokens,
            output_tokens,
            cost_micros,
            ..Usage::default()
        }
    }
}

impl fmt::Display for Usage {
    /// `tokens=12+30 cost=5µ$ elapsed=40ms calls=3`, for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tokens={}+{} cost={}µ$ elapsed={}ms calls={}",
            self.input_tokens, self.output_tokens, self.cost_micros, self.elapsed_ms, self.calls
        )
    }
}

/// One kind of limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    /// Wall-clock time.
    Time,
    /// Model tokens, input and output together.
    Tokens,
    /// Cost, in micro-USD.
    Cost,
    /// How deep agents call agents.
    Depth,
    /// How many agent calls.
    Calls,
}

impl Dimension {
    /// The name used on the wire and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Time => "time",
            Dimension::Tokens => "tokens",
            Dimension::Cost => "cost",
            Dimension::Depth => "depth",
            Dimension::Calls => "calls",
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Dimension::Time => " ms",
            Dimension::Cost => " micro-USD",
            Dimension::Tokens => " tokens",
            Dimension::Depth => " levels",
            Dimension::Calls => " calls",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A budget ran out: `used` is what the refused step would have brought the
/// total to, `limit` what was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct BudgetExceeded {
    /// The dimension that ran out.
    pub dimension: Dimension,
    /// What was allowed.
    pub limit: u64,
    /// What the refused step would have brought the total to.
    pub used: u64,
}

impl fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.dimension.unit();
        write!(
            f,
            "budget exceeded on {}: the limit is {}{unit} and this would use {}{unit}",
            self.dimension, self.limit, self.used
        )
    }
}
