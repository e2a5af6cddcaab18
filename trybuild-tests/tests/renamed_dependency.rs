//! The code `#[agent]` generates reaches the runtime through the name the
//! user's `Cargo.toml` gives it, not through a hard-coded `::agentwire`.
//!
//! This cannot be a trybuild pass test. Cargo refuses a crate that depends on
//! one package under two names ("depends on crate `agentwire` ... multiple
//! times with different names"), and trybuild's test crate depends on
//! `agentwire` for the other tests, which would let a hard-coded
//! `::agentwire` resolve anyway. So this test writes a separate crate whose
//! only dependency is `aw = { package = "agentwire", path = ".." }`, with
//! `renamed_dependency/agents.rs` as its `main.rs`, and builds and runs it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes the crate `name` with `main_rs` as its only source, in this
/// package's temporary directory, and returns its directory.
fn write_project(name: &str, main_rs: &str) -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("trybuild-tests lives in the workspace");
    let runtime = workspace.join("runtime");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(dir.join("src")).unwrap();
    // The workspace's `[profile.dev]` is repeated so that the dependencies
    // built for the workspace are reused instead of built again.
    let manifest = format!(
        r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
aw = {{ package = "agentwire", path = {runtime:?} }}

[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false

# Not a member of the agentwire workspace.
[workspace]
"#
    );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("src/main.rs"), main_rs).unwrap();
    // The workspace's lock file, so that the same versions are used and
    // nothing needs the network.
    fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

/// Runs `cargo <command>` on `project`, passing `program_args` to the program.
fn cargo(project: &Path, command: &str, program_args: &[&str]) -> Output {
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the temporary directory is inside the target directory");
    Command::new(env!("CARGO"))
        .current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir)
        .args([command, "--quiet", "--offline", "--color=never"])
        .args(program_args)
        .output()
        .expect("cargo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn agents_compile_and_run_when_agentwire_is_a_renamed_dependency() {
    let project = write_project(
        "renamed-dependency",
        include_str!("renamed_dependency/agents.rs"),
    );

    let call = cargo(
        &project,
        "run",
        &["--", "call", "greet_twice", "--args", r#"{"name": "Ada"}"#],
    );
    assert!(
        call.status.success(),
        "the crate using `aw` failed to build or run:\n{}",
        text(&call.stderr)
    );
    assert_eq!(text(&call.stdout), "Hello, Ada! Hello, Ada!\n");

    let list = cargo(&project, "run", &["--", "list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    assert!(text(&list.stdout).contains(r#""name": "greet_twice""#));
}

/// The control: in that crate, the name `agentwire` really does not resolve,
/// so the test above would fail if the generated code used it.
#[test]
fn the_name_agentwire_does_not_exist_in_the_renamed_dependency_crate() {
    let project = write_project(
        "renamed-dependency-control",
        // A path of the kind generated code uses.
        "fn main() {\n    let _ = ::agentwire::__private::param_is_required::<String>;\n}\n",
    );
    let build = cargo(&project, "build", &[]);
    assert!(!build.status.success(), "`::agentwire` resolved");
    let stderr = text(&build.stderr);
    assert!(
        stderr.contains("`agentwire`") && stderr.contains("error[E0433]"),
        "the build fails for the name `agentwire`:\n{stderr}"
    );
}
