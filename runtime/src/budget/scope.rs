//! The live accounting of one agent invocation, chained to its callers'.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::{Budget, BudgetExceeded, Dimension, Usage};

/// A used amount with an optional limit, never pushed past the limit.
#[derive(Debug)]
struct Counter {
    limit: Option<u64>,
    used: AtomicU64,
}

impl Counter {
    fn new(limit: Option<u64>) -> Self {
        Counter {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// Adds `amount` unless that would pass the limit; on refusal returns the
    /// limit and the total the addition would have made.
    fn try_add(&self, amount: u64) -> Result<(), (u64, u64)> {
        let mut current = self.used.load(Ordering::Relaxed);
        loop {
            let next = current.saturating_add(amount);
            if let Some(limit) = self.limit
                && next > limit
            {
                return Err((limit, next));
            }
            match self.used.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    fn sub(&self, amount: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(amount))
            });
    }

    fn force_add(&self, amount: u64) {
        self.used.fetch_add(amount, Ordering::AcqRel);
    }

    fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    fn remaining(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.used()))
    }
}

/// One agent invocation's budget: its own limits, what its subtree used, and
/// its caller's scope, which every charge also passes through.
#[derive(Debug)]
pub(crate) struct Scope {
    parent: Option<Arc<Scope>>,
    started: Instant,
    deadline: Option<Instant>,
    /// The time this scope was granted, for messages.
    time_limit: Option<Duration>,
    /// Levels of calls that may still nest below this invocation.
    depth_left: Option<u32>,
    tokens: Counter,
    cost: Counter,
    calls: Counter,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    /// The agent this scope accounts for.
    agent: &'static str,
    /// The first limit this subtree ran into, and the agent that hit it,
    /// kept to explain a failure.
    exceeded: OnceLock<(BudgetExceeded, String)>,
}

impl Scope {
    /// The scope of a request's first agent; it counts itself as one call.
    pub fn root(agent: &'static str, limits: Budget) -> Result<Arc<Scope>, BudgetExceeded> {
        let scope = Arc::new(Scope::new(agent, None, limits, None));
        scope.calls.try_add(1).map_err(|(limit, used)| {
            scope.record(
                BudgetExceeded {
                    dimension: Dimension::Calls,
                    limit,
                    used,
                },
                agent,
            )
        })?;
        Ok(scope)
    }

    fn new(
        agent: &'static str,
        parent: Option<Arc<Scope>>,
        limits: Budget,
        inherited_deadline: Option<Instant>,
    ) -> Scope {
        let started = Instant::now();
        // A limit too far away to represent is no limit.
        let own_deadline = limits.time.and_then(|t| started.checked_add(t));
        let deadline = match (own_deadline, inherited_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Scope {
            agent,
            parent,
            started,
            deadline,
            time_limit: deadline.map(|d| d.saturating_duration_since(started)),
            depth_left: limits.depth,
            tokens: Counter::new(limits.tokens),
            cost: Counter::new(limits.cost_micros),
            calls: Counter::new(limits.calls.map(u64::from)),
            input_tokens: AtomicU64::new(0),
            output_tokens: AtomicU64::new(0),
            exceeded: OnceLock::new(),
        }
    }

    /// Opens the scope of a call from this invocation to another agent whose
    /// own policy is `policy`, or refuses it before any work: no depth left,
    /// no calls left, deadline passed, tokens or cost exhausted.
    pub fn child(
        self: &Arc<Self>,
        callee: &'static str,
        policy: Budget,
    ) -> Result<Arc<Scope>, BudgetExceeded> {
        self.check_open().map_err(|e| self.record(e, callee))?;
        let depth_left = match self.depth_left {
            Some(0) => {
                return Err(self.record(
                    BudgetExceeded {
                        dimension: Dimension::Depth,
                        limit: 0,
                        used: 1,
                    },
                    callee,
                ));
            }
            Some(left) => Some(policy.depth.map_or(left - 1, |d| d.min(left - 1))),
            None => policy.depth,
        };
        let limits = Budget {
            depth: depth_left,
            ..policy
        };
        let child = Arc::new(Scope::new(
            callee,
            Some(self.clone()),
            limits,
            self.deadline,
        ));
        // The new invocation is one call, in its own scope and every caller's.
        child.charge_chain(Dimension::Calls, 1)?;
        Ok(child)
    }

    /// Refuses when the deadline passed or tokens or cost are used up, here
    /// or in any caller.
    pub fn check_open(&self) -> Result<(), BudgetExceeded> {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Some(deadline) = s.deadline
                && Instant::now() >= deadline
            {
                return Err(BudgetExceeded {
                    dimension: Dimension::Time,
                    limit: s.time_limit.map_or(0, |t| t.as_millis() as u64),
                    used: s.started.elapsed().as_millis() as u64,
                });
            }
            for (dimension, counter) in [(Dimension::Tokens, &s.tokens), (Dimension::Cost, &s.cost)]
            {
                if let Some(limit) = counter.limit
                    && counter.used() >= limit
                {
                    return Err(BudgetExceeded {
                        dimension,
                        limit,
                        used: counter.used(),
                    });
                }
            }
            scope = s.parent.as_deref();
        }
        Ok(())
    }

    /// Charges model usage to this scope and every caller's, all or nothing.
    pub fn charge(&self, usage: Usage) -> Result<(), BudgetExceeded> {
        self.charge_chain(Dimension::Tokens, usage.tokens())?;
        if let Err(e) = self.charge_chain(Dimension::Cost, usage.cost_micros) {
            self.release_chain(Dimension::Tokens, usage.tokens());
            return Err(e);
        }
        let mut scope = Some(self);
        while let Some(s) = scope {
            s.input_tokens
                .fetch_add(usage.input_tokens, Ordering::AcqRel);
            s.output_tokens
                .fetch_add(usage.output_tokens, Ordering::AcqRel);
            scope = s.parent.as_deref();
        }
        Ok(())
    }

    /// Adds `amount` of `dimension` to every scope up the chain, or to none.
    fn charge_chain(&self, dimension: Dimension, amount: u64) -> Result<(), BudgetExceeded> {
        if amount == 0 {
            return Ok(());
        }
        let mut charged: Vec<&Scope> = Vec::new();
        let mut scope = Some(self);
        while let Some(s) = scope {
            if let Err((limit, used)) = s.counter(dimension).try_add(amount) {
                for done in charged {
                    done.counter(dimension).sub(amount);
                }
                return Err(self.record(
                    BudgetExceeded {
                        dimension,
                        limit,
                        used,
                    },
                    self.agent,
                ));
            }
            charged.push(s);
            scope = s.parent.as_deref();
        }
        Ok(())
    }

    fn release_chain(&self, dimension: Dimension, amount: u64) {
        let mut scope = Some(self);
        while let Some(s) = scope {
            s.counter(dimension).sub(amount);
            scope = s.parent.as_deref();
        }
    }

    fn counter(&self, dimension: Dimension) -> &Counter {
        match dimension {
            Dimension::Tokens => &self.tokens,
            Dimension::Cost => &self.cost,
            Dimension::Calls => &self.calls,
            Dimension::Time | Dimension::Depth => unreachable!("time and depth are not counted"),
        }
    }

    /// Remembers the first limit this subtree ran into, and the agent that
    /// hit it, here and up the chain.
    pub fn record(&self, exceeded: BudgetExceeded, agent: &str) -> BudgetExceeded {
        let mut scope = Some(self);
        while let Some(s) = scope {
            let _ = s.exceeded.set((exceeded, agent.to_owned()));
            scope = s.parent.as_deref();
        }
        exceeded
    }

    /// The limit of `dimension` (tokens or cost) that stops `more` of it
    /// from being used, as the tightest scope of the chain sees it, recorded
    /// like a refused charge. For work the budget cut short: an answer whose
    /// length the budget limited.
    pub fn exceeded_by(&self, dimension: Dimension, more: u64) -> BudgetExceeded {
        let mut tightest: Option<(u64, u64, u64)> = None;
        let mut scope = Some(self);
        while let Some(s) = scope {
            let counter = s.counter(dimension);
            if let Some(limit) = counter.limit {
                let used = counter.used();
                let left = limit.saturating_sub(used);
                if tightest.is_none_or(|(best, _, _)| left < best) {
                    tightest = Some((left, limit, used));
                }
            }
            scope = s.parent.as_deref();
        }
        let (limit, used) = tightest.map_or((0, 0), |(_, limit, used)| (limit, used));
        let exceeded = BudgetExceeded {
            dimension,
            limit,
            used: used.saturating_add(more).max(limit.saturating_add(1)),
        };
        self.record(exceeded, self.agent)
    }

    /// The first limit this subtree ran into, with the agent that hit it.
    pub fn exceeded(&self) -> Option<(BudgetExceeded, &str)> {
        self.exceeded.get().map(|(e, agent)| (*e, agent.as_str()))
    }

    /// Records that this scope's deadline passed, as of now.
    pub fn record_time_exceeded(&self) -> BudgetExceeded {
        let exceeded = BudgetExceeded {
            dimension: Dimension::Time,
            limit: self.time_limit.map_or(0, |t| t.as_millis() as u64),
            used: self.started.elapsed().as_millis() as u64,
        };
        self.record(exceeded, self.agent)
    }

    /// When this invocation must be finished, if ever.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// What this invocation may still use, the tightest of its own and its
    /// callers' remaining limits, for granting to a remote callee.
    pub fn remaining(&self) -> Budget {
        let mut remaining = Budget {
            time: self
                .deadline
                .map(|d| d.saturating_duration_since(Instant::now())),
            depth: self.depth_left,
            ..Budget::UNLIMITED
        };
        let mut scope = Some(self);
        while let Some(s) = scope {
            remaining = remaining.min(Budget {
                tokens: s.tokens.remaining(),
                cost_micros: s.cost.remaining(),
                calls: s
                    .calls
                    .remaining()
                    .map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
                ..Budget::UNLIMITED
            });
            scope = s.parent.as_deref();
        }
        remaining
    }

    /// What this invocation's subtree used so far.
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens.load(Ordering::Acquire),
            output_tokens: self.output_tokens.load(Ordering::Acquire),
            cost_micros: self.cost.used(),
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            calls: u32::try_from(self.calls.used()).unwrap_or(u32::MAX),
        }
    }

    /// The limits this invocation was granted, for reports.
    pub fn granted(&self) -> Budget {
        Budget {
            time: self.time_limit,
            tokens: self.tokens.limit,
            cost_micros: self.cost.limit,
            depth: self.depth_left,
            calls: self.calls.limit.map(|c| c as u32),
        }
    }

    /// Holds back `amount` of this scope's chain for a remote callee, which
    /// reports its real usage later; see [`Reservation::settle`].
    pub fn reserve(self: &Arc<Self>, amount: Usage) -> Result<Reservation, BudgetExceeded> {
        self.charge_chain(Dimension::Tokens, amount.tokens())?;
        if let Err(e) = self.charge_chain(Dimension::Cost, amount.cost_micros) {
            self.release_chain(Dimension::Tokens, amount.tokens());
            return Err(e);
        }
        if let Err(e) = self.charge_chain(Dimension::Calls, u64::from(amount.calls)) {
            self.release_chain(Dimension::Tokens, amount.tokens());
            self.release_chain(Dimension::Cost, amount.cost_micros);
            return Err(e);
        }
        Ok(Reservation {
            scope: self.clone(),
            amount: Some(amount),
        })
    }
}

/// Budget held back for a remote call until it reports what it used.
#[derive(Debug)]
pub(crate) struct Reservation {
    scope: Arc<Scope>,
    /// `None` once settled.
    amount: Option<Usage>,
}

impl Reservation {
    /// Replaces the reservation by the callee's reported usage. A callee that
    /// reports more than it was granted is charged in full, and the excess is
    /// returned as an error.
    pub fn settle(mut self, reported: Usage) -> Result<(), BudgetExceeded> {
        let Some(amount) = self.amount.take() else {
            return Ok(());
        };
        let scope = &self.scope;
        let reserved_calls = u64::from(amount.calls);
        // The remote call itself was already counted when its scope opened.
        let reported_calls = u64::from(reported.calls.saturating_sub(1));
        let mut overspent = None;
        for (dimension, reserved, used) in [
            (Dimension::Tokens, amount.tokens(), reported.tokens()),
            (Dimension::Cost, amount.cost_micros, reported.cost_micros),
            (Dimension::Calls, reserved_calls, reported_calls),
        ] {
            scope.release_chain(dimension, reserved);
            if let Err(e) = scope.charge_chain(dimension, used) {
                let mut s = Some(&**scope);
                while let Some(level) = s {
                    level.counter(dimension).force_add(used);
                    s = level.parent.as_deref();
                }
                overspent.get_or_insert(e);
            }
        }
        let mut s = Some(&**scope);
        while let Some(level) = s {
            level
                .input_tokens
                .fetch_add(reported.input_tokens, Ordering::AcqRel);
            level
                .output_tokens
                .fetch_add(reported.output_tokens, Ordering::AcqRel);
            s = level.parent.as_deref();
        }
        overspent.map_or(Ok(()), Err)
    }
}

impl Drop for Reservation {
    /// A remote call that never reported (cancelled, failed) gives back what
    /// was held for it.
    fn drop(&mut self) {
        if let Some(amount) = self.amount.take() {
            self.scope.release_chain(Dimension::Tokens, amount.tokens());
            self.scope
                .release_chain(Dimension::Cost, amount.cost_micros);
            self.scope
                .release_chain(Dimension::Calls, u64::from(amount.calls));
        }
    }
}
