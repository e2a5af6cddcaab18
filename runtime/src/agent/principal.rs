//! [`Principal`]: who is calling, as the authorization server vouched for
//! them, carried from the HTTP request to everything the call starts.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The caller of a request: the subject of its access token, the OAuth
/// client it used and the scopes it was granted.
///
/// Only an HTTP server with `[auth]` knows one; over stdio (the parent
/// process is trusted) and on an HTTP server without `[auth]` there is none.
/// Everything that outlives the request (a workflow run, an MCP task, a
/// pending question) keeps its principal, and only that principal may see
/// or change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The token's `sub`: the user (or, for client credentials, the client).
    pub subject: String,
    /// The OAuth client the token was issued to (`client_id` or `azp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The scopes granted (`scope`, space-separated, or `scp`).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The access token the caller presented, validated: the subject token
    /// of an RFC 8693 token exchange downstream, and nothing else (it is
    /// never sent on as it is). Not kept with what outlives the request.
    #[serde(skip)]
    pub(crate) access_token: Option<AccessToken>,
}

/// A caller's validated access token. Its `Debug` shows no token, and
/// principals compare equal whatever token they came with (a principal is
/// who calls, not with which token).
#[derive(Clone)]
pub(crate) struct AccessToken(Arc<str>);

impl AccessToken {
    pub(crate) fn new(token: &str) -> Self {
        AccessToken(token.into())
    }

    /// The token itself.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(…)")
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for AccessToken {}

impl Principal {
    /// A principal with no client id and no scopes.
    pub fn new(subject: impl Into<String>) -> Self {
        Principal {
            subject: subject.into(),
            client_id: None,
            scopes: Vec::new(),
            access_token: None,
        }
    }

    /// Whether the token granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    /// The scopes of `needed` this principal lacks, in order.
    pub fn missing<'a>(&self, needed: &[&'a str]) -> Vec<&'a str> {
        needed
            .iter()
            .copied()
            .filter(|scope| !self.has_scope(scope))
            .collect()
    }

    /// Whether `owner` (who started something) is this principal. Things
    /// started without a principal (stdio, no `[auth]`) belong to anyone
    /// without one, and never to a principal, nor the other way round.
    pub fn owns(owner: Option<&Principal>, caller: Option<&Principal>) -> bool {
        match (owner, caller) {
            (None, None) => true,
            (Some(owner), Some(caller)) => owner.subject == caller.subject,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_ownership() {
        let mut alice = Principal::new("alice");
        alice.scopes = vec!["reports:read".into()];
        assert!(alice.has_scope("reports:read"));
        assert_eq!(
            alice.missing(&["reports:read", "reports:write"]),
            ["reports:write"]
        );
        let bob = Principal::new("bob");
        assert!(Principal::owns(Some(&alice), Some(&alice.clone())));
        assert!(!Principal::owns(Some(&alice), Some(&bob)));
        assert!(!Principal::owns(Some(&alice), None));
        assert!(!Principal::owns(None, Some(&bob)));
        assert!(Principal::owns(None, None));
    }
}
