//! API keys: read from the environment or a file, sent in a header marked
//! sensitive, and never printed — not by `Debug`, not in errors, not in logs.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A secret value such as an API key. Its `Debug` output is `Secret(***)`
/// and it has no `Display`, so it cannot end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a key (surrounding whitespace, a trailing newline in a key file
    /// for example, is removed).
    pub fn new(value: impl AsRef<str>) -> Self {
        Secret(value.as_ref().trim().into())
    }

    /// The key from the environment variable `name`, if set and not empty.
    pub fn from_env(var: impl Fn(&str) -> Option<String>, name: &str) -> Option<Self> {
        var(name)
            .filter(|value| !value.trim().is_empty())
            .map(Secret::new)
    }

    /// The key in the file at `path`. The error names the file, never its
    /// contents.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
        let secret = Secret::new(text);
        if secret.0.is_empty() {
            return Err(format!("the key file {} is empty", path.display()));
        }
        Ok(secret)
    }

    /// The secret itself, to put in a request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = Secret::new("sk-very-secret\n");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(Secret(***))");
        assert_eq!(secret.expose(), "sk-very-secret");
    }
}
