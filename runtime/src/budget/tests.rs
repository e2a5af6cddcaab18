//! Budget arithmetic with untrusted numbers (a remote callee's or a
//! provider's report, a journal's restored usage): nothing wraps, a report
//! is charged no more than was reserved for it, and the excess is the
//! budget error. Checked by examples and by properties over the whole
//! range of `u64`.

use std::sync::Arc;

use proptest::prelude::*;

use super::{Budget, Dimension, Scope, Usage};

fn root(limits: Budget) -> Arc<Scope> {
    Scope::root("root", limits).unwrap()
}

#[test]
fn restored_usage_saturates_instead_of_wrapping() {
    let scope = root(Budget::UNLIMITED);
    let huge = Usage::model(u64::MAX, 0, u64::MAX);
    scope.restore(huge);
    scope.restore(Usage::model(2, 2, 2));
    let used = scope.usage();
    assert_eq!(used.input_tokens, u64::MAX, "wrapped to a small number");
    assert_eq!(used.output_tokens, 2);
    assert_eq!(used.cost_micros, u64::MAX);
}

#[test]
fn a_report_beyond_the_reservation_is_clamped_and_is_the_budget_error() {
    let scope = root(Budget::UNLIMITED.with_tokens(1_000).with_cost_micros(500));
    let reservation = scope.reserve(Usage::model(100, 0, 50)).unwrap();
    let error = reservation
        .settle(Usage::model(u64::MAX, u64::MAX, u64::MAX))
        .unwrap_err();
    assert_eq!(error.dimension, Dimension::Tokens);
    assert_eq!(error.limit, 1_000);
    let used = scope.usage();
    assert_eq!(used.tokens(), 100, "charged only what was reserved");
    assert_eq!(used.cost_micros, 50);
    // The parent's budget is not reset: it is still nearly all there.
    assert_eq!(scope.remaining().tokens, Some(900));
    assert_eq!(
        scope.exceeded().map(|(e, _)| e.dimension),
        Some(Dimension::Tokens)
    );
}

#[test]
fn a_report_within_the_reservation_gives_the_rest_back() {
    let scope = root(Budget::UNLIMITED.with_tokens(1_000));
    let reservation = scope.reserve(Usage::model(300, 0, 0)).unwrap();
    reservation.settle(Usage::model(20, 10, 7)).unwrap();
    assert_eq!(scope.remaining().tokens, Some(970));
    let used = scope.usage();
    assert_eq!(
        (used.input_tokens, used.output_tokens, used.cost_micros),
        (20, 10, 7)
    );
}

#[test]
fn a_report_in_an_unlimited_dimension_is_charged_and_saturates() {
    let scope = root(Budget::UNLIMITED);
    for _ in 0..2 {
        let reservation = scope.reserve(Usage::default()).unwrap();
        reservation
            .settle(Usage::model(u64::MAX - 1, u64::MAX - 1, u64::MAX - 1))
            .unwrap();
    }
    let used = scope.usage();
    assert_eq!(
        (used.input_tokens, used.output_tokens, used.cost_micros),
        (u64::MAX, u64::MAX, u64::MAX)
    );
}

#[test]
fn an_unsettled_reservation_marked_spent_stays_spent_and_another_comes_back() {
    let scope = root(Budget::UNLIMITED.with_tokens(1_000));
    drop(
        scope
            .reserve(Usage::model(400, 0, 0))
            .unwrap()
            .spent_if_unsettled(),
    );
    assert_eq!(scope.remaining().tokens, Some(600));
    assert_eq!(scope.usage().tokens(), 400);
    drop(scope.reserve(Usage::model(600, 0, 0)).unwrap());
    assert_eq!(scope.remaining().tokens, Some(600));
}

#[test]
fn a_fair_share_divides_what_can_be_spent_and_keeps_time_and_depth() {
    let budget = Budget::UNLIMITED
        .with_tokens(1_000)
        .with_cost_micros(u64::MAX)
        .with_calls(7)
        .with_depth(3)
        .with_time(std::time::Duration::from_secs(5));
    let share = budget.share(3);
    assert_eq!(share.tokens, Some(333));
    assert_eq!(share.cost_micros, Some(u64::MAX / 3));
    assert_eq!(share.calls, Some(2));
    assert_eq!((share.depth, share.time), (budget.depth, budget.time));
    assert_eq!(budget.share(0), budget, "no calls: nothing to divide");
}

/// One step applied to a chain of a root and a child scope.
#[derive(Debug, Clone)]
enum Step {
    Charge(Usage),
    Reserve { held: Usage, reported: Usage },
    Restore(Usage),
}

fn any_amount() -> impl Strategy<Value = u64> {
    prop_oneof![0..1_000u64, (u64::MAX - 1_000)..=u64::MAX, any::<u64>(),]
}

fn any_usage() -> impl Strategy<Value = Usage> {
    (any_amount(), any_amount(), any_amount())
        .prop_map(|(input, output, cost)| Usage::model(input, output, cost))
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        any_usage().prop_map(Step::Charge),
        (any_usage(), any_usage()).prop_map(|(held, reported)| Step::Reserve { held, reported }),
        any_usage().prop_map(Step::Restore),
    ]
}

fn any_limit() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), any_amount().prop_map(Some)]
}

/// What a counter should hold: the same rules as the scope's, on `u128`.
#[derive(Debug, Default, Clone, Copy)]
struct Expected {
    tokens: u128,
    cost: u128,
}

fn capped(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the limits and the amounts (up to `u64::MAX`): totals never
    /// go down (no wrap), a charge or reservation that fits is taken and
    /// one that does not is refused, a settled report is charged up to its
    /// reservation in a limited dimension, and the totals are exactly
    /// those of the same rules computed without overflow.
    #[test]
    fn budget_arithmetic_never_wraps_and_never_charges_past_a_reservation(
        tokens_limit in any_limit(),
        cost_limit in any_limit(),
        steps in prop::collection::vec(any_step(), 1..12),
    ) {
        let limits = Budget { tokens: tokens_limit, cost_micros: cost_limit, ..Budget::UNLIMITED };
        let root = root(limits);
        let Ok(child) = root.child("child", Budget::UNLIMITED) else {
            // Only a limit of nothing refuses the first call.
            prop_assert!(tokens_limit == Some(0) || cost_limit == Some(0));
            return Ok(());
        };
        let mut expected = Expected::default();
        let fits = |used: u128, amount: u64, limit: Option<u64>| {
            amount == 0
                || limit.is_none_or(|l| u128::from(capped(used)) + u128::from(amount) <= u128::from(l))
        };
        for step in steps {
            let (before_root, before_child) = (root.usage(), child.usage());
            match step {
                Step::Charge(usage) => {
                    let ok = fits(expected.tokens, usage.tokens(), tokens_limit)
                        && fits(expected.cost, usage.cost_micros, cost_limit);
                    prop_assert_eq!(child.charge(usage).is_ok(), ok);
                    if ok {
                        expected.tokens += u128::from(usage.tokens());
                        expected.cost += u128::from(usage.cost_micros);
                    }
                }
                Step::Reserve { held, reported } => {
                    let ok = fits(expected.tokens, held.tokens(), tokens_limit)
                        && fits(expected.cost, held.cost_micros, cost_limit);
                    let reservation = child.reserve(held);
                    prop_assert_eq!(reservation.is_ok(), ok);
                    let Ok(reservation) = reservation else { continue };
                    let clamp = |reported: u64, held: u64, limit: Option<u64>| {
                        if limit.is_some() { reported.min(held) } else { reported }
                    };
                    let over = (tokens_limit.is_some() && reported.tokens() > held.tokens())
                        || (cost_limit.is_some() && reported.cost_micros > held.cost_micros);
                    prop_assert_eq!(reservation.settle(reported).is_err(), over);
                    expected.tokens += u128::from(clamp(reported.tokens(), held.tokens(), tokens_limit));
                    expected.cost += u128::from(clamp(reported.cost_micros, held.cost_micros, cost_limit));
                }
                Step::Restore(usage) => {
                    child.restore(usage);
                    expected.tokens += u128::from(usage.tokens());
                    expected.cost += u128::from(usage.cost_micros);
                }
            }
            // Each total is exact (saturated at `u64::MAX`) and never goes
            // down.
            for (scope, before) in [(&root, before_root), (&child, before_child)] {
                let after = scope.usage();
                prop_assert!(after.input_tokens >= before.input_tokens, "input tokens went down");
                prop_assert!(after.output_tokens >= before.output_tokens, "output tokens went down");
                prop_assert!(after.cost_micros >= before.cost_micros, "cost went down");
                prop_assert_eq!(after.cost_micros, capped(expected.cost));
            }
            prop_assert_eq!(
                root.remaining().tokens,
                tokens_limit.map(|l| l.saturating_sub(capped(expected.tokens)))
            );
        }
    }
}
