//! The runtime's modules form one-way layers (docs/architecture.md): a
//! top-level module of `runtime/src` may use only the modules of the layers
//! below its own. This test reads the sources and fails on a path that
//! reaches sideways or up, so the structure stays true as the code grows.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first. Modules of one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    // The vocabulary: limits and usage, JSON Schemas and argument reading;
    // opening SQLite files.
    &["budget", "schema", "sqlite"],
    // Spans, metrics, trace propagation, `error.type`.
    &["telemetry"],
    // The protocol's vocabulary and plumbing.
    &["mcp"],
    // Definitions, context, errors, execution, local calls, call graph, host.
    &["agent"],
    // What is built on agents.
    &["remote", "prompt", "resource", "workflow", "quota"],
    // Models, which call agents here and tools on other servers.
    &["llm"],
    // Everything a binary serves, collected and checked.
    &["registry"],
    // The MCP server, split by job.
    &["server"],
    // stdio and streamable HTTP.
    &["transport"],
    // agentwire.toml, where the process-wide host is assembled; and the
    // testing kit, which assembles its own hosts for in-process servers.
    &["config", "testing"],
    // The command line.
    &["cli"],
    // The crate root and what generated code names.
    &["lib", "__private", "__fuzz"],
];

/// At most this many `.rs` files at the root of `runtime/src`.
const MAX_ROOT_FILES: usize = 8;

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The top-level module a file of `runtime/src` belongs to.
fn module_of(file: &Path) -> String {
    let relative = file.strip_prefix(source_root()).expect("a file under src");
    let first = relative.components().next().expect("a path");
    let first = first.as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The code of a line, without its comment (doc links may point anywhere).
fn code_of(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The top-level modules code names through `crate::`, with where: `a` in
/// `crate::a::b`, and `a`, `b` in `crate::{a::x, b}`. `$crate::` paths in
/// `macro_rules!` bodies are the user's view of the crate, not a use.
fn crate_paths_at(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::").map(|at| from + at) {
        let after = &code[at + "crate::".len()..];
        from = at + "crate::".len();
        let preceded_by_ident = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c == '$' || c == '_' || c.is_alphanumeric());
        if preceded_by_ident {
            continue;
        }
        let names = match after.strip_prefix('{') {
            Some(group) => group_heads(group),
            None => vec![ident_at(after)],
        };
        found.extend(names.into_iter().map(|name| (at, name)));
    }
    found.retain(|(_, name)| !name.is_empty() && name != "self");
    found
}

fn crate_paths(code: &str) -> Vec<String> {
    crate_paths_at(code)
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// The first path segment of each item of a `{...}` group, at depth one.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = vec![ident_at(group.trim_start())];
    let mut depth = 1;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => heads.push(ident_at(group[i + 1..].trim_start())),
            _ => {}
        }
    }
    heads
}

fn ident_at(text: &str) -> String {
    text.chars()
        .take_while(|c| *c == '_' || c.is_alphanumeric())
        .collect()
}

/// Every use of another top-level module: (user, used) → first place. A
/// file is read whole, comments removed line by line, so that a
/// `use crate::{...}` group spread over several lines is seen too.
fn uses() -> BTreeMap<(String, String), String> {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut uses = BTreeMap::new();
    for file in files {
        let user = module_of(&file);
        let text = fs::read_to_string(&file).expect("a readable source file");
        let code: Vec<&str> = text.lines().map(code_of).collect();
        let code = code.join("\n");
        for (offset, used) in crate_paths_at(&code) {
            if used == user {
                continue;
            }
            let line = code[..offset].matches('\n').count() + 1;
            let place = format!("{}:{line}", file.display());
            uses.entry((user.clone(), used)).or_insert(place);
        }
    }
    uses
}

#[test]
fn every_top_level_module_has_a_layer() {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut missing: Vec<String> = files
        .iter()
        .map(|file| module_of(file))
        .filter(|module| layer_of(module).is_none())
        .collect();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "these modules of runtime/src have no layer: {missing:?}; add each to LAYERS in \
         runtime/tests/layering.rs and to the table in docs/architecture.md"
    );
}

#[test]
fn no_module_uses_one_of_its_own_layer_or_above() {
    let mut wrong = Vec::new();
    for ((user, used), place) in uses() {
        let (Some(user_layer), Some(used_layer)) = (layer_of(&user), layer_of(&used)) else {
            // A path into something that is not a module (a macro at the
            // root, such as `crate::__agent_span`) belongs to the root.
            continue;
        };
        if used_layer >= user_layer {
            wrong.push(format!("{user} uses {used} at {place}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "modules reach sideways or up (see LAYERS in this test):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_source_root_holds_few_files() {
    let root_files: Vec<String> = fs::read_dir(source_root())
        .expect("runtime/src")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        root_files.len() <= MAX_ROOT_FILES,
        "runtime/src has {} files at its root ({root_files:?}); give the new one a folder",
        root_files.len()
    );
}

#[test]
fn the_path_reader_sees_plain_grouped_and_macro_paths() {
    assert_eq!(crate_paths("use crate::agent::AgentContext;"), ["agent"]);
    assert_eq!(
        crate_paths("use crate::{budget::Budget, mcp::{meta, Role}, self};"),
        ["budget", "mcp"]
    );
    assert_eq!(
        crate_paths("use crate::{\n    agent::Host,\n    llm::Models,\n};"),
        ["agent", "llm"]
    );
    assert!(crate_paths("$crate::__private::tracing::info_span!(").is_empty());
    assert!(crate_paths("let x = my_crate::thing;").is_empty());
    assert_eq!(
        code_of(r#"let a = "//"; // crate::llm"#),
        r#"let a = "//"; "#
    );
}

/// The macro crate parses in `internals/` and generates in `codegen/`, as
/// serde_derive does: reading never depends on writing.
#[test]
fn the_macros_read_without_generating() {
    let internals = Path::new(env!("CARGO_MANIFEST_DIR")).join("../macros/src/internals");
    let mut files = Vec::new();
    rust_files(&internals, &mut files);
    assert!(!files.is_empty(), "macros/src/internals has no sources");
    let wrong: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = fs::read_to_string(file).expect("a readable source file");
            text.lines()
                .enumerate()
                .filter(|(_, line)| code_of(line).contains("codegen"))
                .map(|(number, _)| format!("{}:{}", file.display(), number + 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "macros/src/internals uses codegen at:\n{}",
        wrong.join("\n")
    );
}
