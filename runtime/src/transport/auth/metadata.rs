//! Protected Resource Metadata (RFC 9728): the document that tells a
//! client which authorization server issues tokens for this server, and
//! which scopes exist.

use serde_json::{Value, json};

/// The well-known prefix of RFC 9728.
pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata URL of `resource`: the well-known prefix between its origin
/// and its path (`https://h/mcp` → `https://h/.well-known/oauth-protected-resource/mcp`).
pub(crate) fn url_for(resource: &str) -> String {
    let after_scheme = resource.find("://").map_or(0, |at| at + 3);
    let (origin, path) = match resource[after_scheme..].find('/') {
        Some(slash) => resource.split_at(after_scheme + slash),
        None => (resource, ""),
    };
    let path = path.trim_end_matches('/');
    format!("{origin}{WELL_KNOWN}{path}")
}

/// The paths this server answers the metadata on: the bare well-known path
/// and the one suffixed with the path of `resource` and of the endpoint.
pub(crate) fn paths(resource: &str, endpoint_path: &str) -> Vec<String> {
    let mut paths = vec![WELL_KNOWN.to_owned()];
    let suffixed = url_for(resource);
    if let Some(at) = suffixed.find(WELL_KNOWN) {
        paths.push(suffixed[at..].to_owned());
    }
    paths.push(format!(
        "{WELL_KNOWN}{}",
        endpoint_path.trim_end_matches('/')
    ));
    paths.sort();
    paths.dedup();
    paths
}

/// The document.
pub(crate) fn document(resource: &str, issuer: &str, scopes: &[String], name: &str) -> Value {
    json!({
        "resource": resource,
        "authorization_servers": [issuer],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_well_known_part_goes_between_origin_and_path() {
        assert_eq!(
            url_for("https://h.example/mcp"),
            "https://h.example/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            url_for("http://127.0.0.1:9"),
            "http://127.0.0.1:9/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            paths("https://h.example/api/mcp", "/mcp"),
            [
                "/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/api/mcp",
                "/.well-known/oauth-protected-resource/mcp",
            ]
        );
    }
}
