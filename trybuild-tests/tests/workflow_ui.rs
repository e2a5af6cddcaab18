//! Compile tests of `#[workflow]`: what must compile, and the messages of
//! what must not.

#[test]
fn workflow_macro_output() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/pass/workflow_*.rs");
    cases.compile_fail("tests/fail/workflow_*.rs");
}
