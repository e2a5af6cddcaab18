//! Names learnt at run time (tools of other MCP servers, their servers)
//! turned into `&'static str`, as budgets and errors name agents. Each
//! distinct name is kept once for the life of the process; past a cap,
//! further names share one placeholder so that a server inventing names
//! cannot grow memory without bound.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

const CAP: usize = 4096;

/// The one `'static` copy of `name`.
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = names.get(name) {
        return known;
    }
    if names.len() >= CAP {
        return "(a tool of another server)";
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_kept_once() {
        let a = intern("files__read");
        let b = intern(&String::from("files__read"));
        assert!(std::ptr::eq(a, b));
    }
}
