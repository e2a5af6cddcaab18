//! Compile-pass and compile-fail tests of `#[prompt]` and `#[resource]`
//! (the `prompt_*` and `resource_*` files of `pass/` and `fail/`).
//!
//! `pass/`: each file's `main` checks the registration and renders or reads
//! through the CLI, so a pass test also fails when behaviour is wrong.
//! `fail/`: each `.stderr` records the message and the token it points at.
//! Regenerate with `TRYBUILD=overwrite cargo test -p agentwire-trybuild-tests
//! --test prompt_resource_ui` and read the diff.

#[test]
fn valid_prompts_and_resources_compile_and_run_and_invalid_ones_are_rejected_at_the_offending_token()
 {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/prompt_*.rs");
    t.pass("tests/pass/resource_*.rs");
    t.compile_fail("tests/fail/prompt_*.rs");
    t.compile_fail("tests/fail/resource_*.rs");
}
