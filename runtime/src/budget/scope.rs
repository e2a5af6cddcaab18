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

    /// Adds `amount` unless that would pass the limit, and returns what was
    /// added (less than `amount` only where an unlimited counter stopped at
    /// `u64::MAX`); on refusal returns the limit and the total the addition
    /// would have made.
    fn try_add(&self, amount: u64) -> Result<u64, (u64, u64)> {
        let mut current = self.used.load(Ordering::Relaxed);
        loop {
            let next = current.saturating_add(amount);
            if let Some(limit) = self.limit
                && (next > limit || current.checked_add(amount).is_none())
            {
                return Err((limit, next));
            }
            match self.used.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(next - current),
                Err(actual) => current = actual,
            }
        }
    }

    /// Takes back part of what [`Counter::try_add`] added.
    fn undo(&self, added: u64) {
        if added == 0 {
            return;
        }
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(added))
            });
    }

    /// Adds `amount` whatever the limit (it was already spent), stopping
    /// at `u64::MAX` rather than wrapping to a small number.
    fn force_add(&self, amount: u64) {
        add_saturating(&self.used, amount);
    }

    fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }

    fn remaining(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.used()))
    }
}

/// Adds to a counter of untrusted amounts: it saturates at `u64::MAX`, so
/// an absurd report cannot wrap it back to a small number.
fn add_saturating(counter: &AtomicU64, amount: u64) {
    if amount == 0 {
        return;
    }
    let _ = counter.fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
        Some(u.saturating_add(amount))
    });
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
        let tokens = self.charge_chain(Dimension::Tokens, usage.tokens())?;
        if let Err(e) = self.charge_chain(Dimension::Cost, usage.cost_micros) {
            self.give_back(Dimension::Tokens, &tokens, 0);
            return Err(e);
        }
        self.attribute_tokens(usage.input_tokens, usage.output_tokens);
        Ok(())
    }

    /// Adds to the input and output token counts of this scope and every
    /// caller's (what `usage` reports; the limit counts their sum).
    fn attribute_tokens(&self, input: u64, output: u64) {
        let mut scope = Some(self);
        while let Some(s) = scope {
            add_saturating(&s.input_tokens, input);
            add_saturating(&s.output_tokens, output);
            scope = s.parent.as_deref();
        }
    }

    /// Adds `amount` of `dimension` to every scope up the chain, or to none;
    /// returns what was added at each level (less than `amount` only where
    /// an unlimited counter saturated), for [`Scope::give_back`].
    fn charge_chain(&self, dimension: Dimension, amount: u64) -> Result<Added, BudgetExceeded> {
        let mut added = Added(Vec::new());
        if amount == 0 {
            return Ok(added);
        }
        let mut scope = Some(self);
        while let Some(s) = scope {
            match s.counter(dimension).try_add(amount) {
                Ok(level) => added.0.push(level),
                Err((limit, used)) => {
                    self.give_back(dimension, &added, 0);
                    return Err(self.record(
                        BudgetExceeded {
                            dimension,
                            limit,
                            used,
                        },
                        self.agent,
                    ));
                }
            }
            scope = s.parent.as_deref();
        }
        Ok(added)
    }

    /// Takes back what [`Scope::charge_chain`] added, except `keep` of it,
    /// level by level: a level that saturated gets back only what it took.
    fn give_back(&self, dimension: Dimension, added: &Added, keep: u64) {
        let mut scope = Some(self);
        for &level in &added.0 {
            let Some(s) = scope else { break };
            s.counter(dimension).undo(level - keep.min(level));
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

    /// Adds usage recorded before a restart (a durable workflow replaying
    /// its journal) to this scope and every caller's, limits or not: it was
    /// already spent.
    pub fn restore(&self, usage: Usage) {
        let mut s = Some(self);
        while let Some(level) = s {
            level.tokens.force_add(usage.tokens());
            level.cost.force_add(usage.cost_micros);
            level.calls.force_add(u64::from(usage.calls));
            s = level.parent.as_deref();
        }
        self.attribute_tokens(usage.input_tokens, usage.output_tokens);
    }

    /// Whether some scope of the chain limits `dimension`.
    fn limited(&self, dimension: Dimension) -> bool {
        let mut scope = Some(self);
        while let Some(s) = scope {
            if s.counter(dimension).limit.is_some() {
                return true;
            }
            scope = s.parent.as_deref();
        }
        false
    }

    /// Holds back `amount` of this scope's chain for a remote callee or a
    /// model, which reports its real usage later; see [`Reservation::settle`].
    /// Only limited dimensions are held back: in an unlimited one there is
    /// nothing to protect, and the report is charged as it comes.
    pub fn reserve(self: &Arc<Self>, amount: Usage) -> Result<Reservation, BudgetExceeded> {
        let held = |dimension, value| if self.limited(dimension) { value } else { 0 };
        let tokens = held(Dimension::Tokens, amount.tokens());
        let amount = Usage {
            // The split does not matter while held; only the sum is counted.
            input_tokens: tokens,
            output_tokens: 0,
            cost_micros: held(Dimension::Cost, amount.cost_micros),
            calls: u32::try_from(held(Dimension::Calls, u64::from(amount.calls)))
                .unwrap_or(u32::MAX),
            elapsed_ms: 0,
        };
        let tokens = self.charge_chain(Dimension::Tokens, amount.tokens())?;
        let cost = match self.charge_chain(Dimension::Cost, amount.cost_micros) {
            Ok(cost) => cost,
            Err(e) => {
                self.give_back(Dimension::Tokens, &tokens, 0);
                return Err(e);
            }
        };
        let calls = match self.charge_chain(Dimension::Calls, u64::from(amount.calls)) {
            Ok(calls) => calls,
            Err(e) => {
                self.give_back(Dimension::Tokens, &tokens, 0);
                self.give_back(Dimension::Cost, &cost, 0);
                return Err(e);
            }
        };
        Ok(Reservation {
            scope: self.clone(),
            spent_if_unsettled: false,
            held: Some(Held {
                amount,
                tokens,
                cost,
                calls,
            }),
        })
    }
}

/// What one charge added at each level of a scope chain, from the scope
/// charged up to the request's root.
#[derive(Debug)]
struct Added(Vec<u64>);

/// Budget held back for a remote call or a model call until it reports
/// what it used.
#[derive(Debug)]
pub(crate) struct Reservation {
    scope: Arc<Scope>,
    /// Whether a reservation dropped before it is settled (the call was
    /// cancelled, or never reported) counts as spent rather than given back.
    spent_if_unsettled: bool,
    /// `None` once settled.
    held: Option<Held>,
}

/// What a reservation holds, in total and at each level.
#[derive(Debug)]
struct Held {
    amount: Usage,
    tokens: Added,
    cost: Added,
    calls: Added,
}

impl Reservation {
    /// Replaces the reservation by the reported usage, which is untrusted:
    /// in a dimension that some scope of the chain limits, the charge is
    /// clamped to what was reserved and a report beyond it is returned as
    /// the budget error (recorded like a refused charge); in an unlimited
    /// dimension (where nothing was held) the report is charged as it is,
    /// saturating at `u64::MAX`.
    pub fn settle(mut self, reported: Usage) -> Result<(), BudgetExceeded> {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        let scope = &self.scope;
        let amount = held.amount;
        // The remote call itself was already counted when its scope opened.
        let reported_calls = u64::from(reported.calls.saturating_sub(1));
        let mut overspent = None;
        let mut charged_tokens = 0;
        for (dimension, reserved, added, used) in [
            (
                Dimension::Tokens,
                amount.tokens(),
                &held.tokens,
                reported.tokens(),
            ),
            (
                Dimension::Cost,
                amount.cost_micros,
                &held.cost,
                reported.cost_micros,
            ),
            (
                Dimension::Calls,
                u64::from(amount.calls),
                &held.calls,
                reported_calls,
            ),
        ] {
            let charged = if scope.limited(dimension) {
                // Only the part of the reservation not used goes back, so
                // no parallel charge can slip in between.
                let charged = used.min(reserved);
                scope.give_back(dimension, added, charged);
                if used > reserved {
                    overspent.get_or_insert(scope.exceeded_by(dimension, used - reserved));
                }
                charged
            } else {
                let mut s = Some(&**scope);
                while let Some(level) = s {
                    level.counter(dimension).force_add(used);
                    s = level.parent.as_deref();
                }
                used
            };
            if dimension == Dimension::Tokens {
                charged_tokens = charged;
            }
        }
        if scope.limited(Dimension::Tokens) {
            let input = reported.input_tokens.min(charged_tokens);
            let output = reported.output_tokens.min(charged_tokens - input);
            scope.attribute_tokens(input, output);
        } else {
            scope.attribute_tokens(reported.input_tokens, reported.output_tokens);
        }
        overspent.map_or(Ok(()), Err)
    }

    /// Makes this reservation count as spent if it is dropped before it is
    /// settled (the call was cancelled, or never reported): the policy that
    /// assumes the worst of a callee that does not say what it used.
    pub fn spent_if_unsettled(mut self) -> Self {
        self.spent_if_unsettled = true;
        self
    }
}

impl Drop for Reservation {
    /// A call that never reported (cancelled, failed) gives back what was
    /// held for it, or keeps it all as spent (see
    /// [`Reservation::spent_if_unsettled`]).
    fn drop(&mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        if self.spent_if_unsettled {
            self.scope.attribute_tokens(held.amount.tokens(), 0);
        } else {
            self.scope.give_back(Dimension::Tokens, &held.tokens, 0);
            self.scope.give_back(Dimension::Cost, &held.cost, 0);
            self.scope.give_back(Dimension::Calls, &held.calls, 0);
        }
    }
}
