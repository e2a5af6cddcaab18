//! Compile-pass and compile-fail tests of `#[agent]`.
//!
//! `pass/`: agents that must compile; each file's `main` then checks the
//! registered tools and runs the agents through the CLI's `call` command, so a
//! pass test also fails when the generated schema or behaviour is wrong. The
//! `error: ...` and `_meta: ...` lines trybuild shows for them are the CLI's
//! own output for the calls that are meant to fail; only `main`'s asserts
//! decide.
//!
//! `fail/`: agents that must be rejected; each `.stderr` records the message
//! and the token it points at. Regenerate with
//! `TRYBUILD=overwrite cargo test -p agentwire-trybuild-tests` and read the diff.

#[test]
fn valid_agents_compile_and_run_and_invalid_agents_are_rejected_at_the_offending_token() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/fail/*.rs");
}
