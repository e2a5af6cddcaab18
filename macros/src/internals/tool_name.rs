//! MCP tool names: 1 to 128 characters of `[A-Za-z0-9_.-]`.

/// Explains why `name` is not a valid MCP tool name, or `None` when it is.
pub fn problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an MCP tool name cannot be empty".to_owned());
    }
    let len = name.chars().count();
    if len > 128 {
        return Some(format!(
            "an MCP tool name has at most 128 characters, and `{name}` has {len}"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Some(format!(
            "an MCP tool name may only use letters, digits, `_`, `.` and `-`, \
             and `{name}` contains {bad:?}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn accepts_the_characters_mcp_allows() {
        assert_eq!(problem("research.summarize-v2_final"), None);
        assert_eq!(problem(&"a".repeat(128)), None);
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters() {
        assert!(problem("").unwrap().contains("empty"));
        assert!(problem(&"a".repeat(129)).unwrap().contains("129"));
        assert!(problem("say hello").unwrap().contains("' '"));
        assert!(problem("tool/x").unwrap().contains("'/'"));
    }
}
