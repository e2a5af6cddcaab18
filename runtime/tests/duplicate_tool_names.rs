//! Two agents with one tool name in a binary: start-up names both definitions.

use agentwire::prelude::*;
use agentwire::{Registry, RegistryError};

mod first {
    use super::*;

    /// One `lookup`.
    #[agent]
    pub async fn lookup(key: String) -> String {
        key
    }
}

mod second {
    use super::*;

    /// Another `lookup`, renamed into the same tool name.
    #[agent(name = "lookup")]
    pub async fn find(key: String) -> String {
        key
    }
}

#[test]
fn start_up_fails_naming_both_definitions_with_file_and_line() {
    let error = match Registry::collect() {
        Err(error) => error,
        Ok(_) => panic!("two agents named `lookup` were accepted"),
    };
    let RegistryError::DuplicateName {
        name,
        first,
        second,
    } = &error
    else {
        panic!("expected a duplicate-name error, got {error}");
    };
    assert_eq!(*name, "lookup");
    let this_file = file!();
    assert_eq!((first.file, first.line), (this_file, 11));
    assert_eq!((second.file, second.line), (this_file, 21));
    let message = error.to_string();
    assert!(message.contains(&format!("{this_file}:11")), "{message}");
    assert!(message.contains(&format!("{this_file}:21")), "{message}");
    assert!(message.contains("#[agent(name = "), "{message}");
}

#[test]
fn an_empty_registry_explains_the_linker() {
    let error = match Registry::from_definitions([]) {
        Err(error) => error,
        Ok(_) => panic!("an empty registry was accepted"),
    };
    assert!(matches!(error, RegistryError::Empty));
    let message = error.to_string();
    assert!(message.contains("no agents are registered"), "{message}");
    assert!(message.contains("linker"), "{message}");
}
