//! What both ends of MCP authorization fetch from an OAuth authorization
//! server: where its metadata is (RFC 8414, then OpenID discovery), and its
//! answers, read within a size bound. The resource server (transport) and a
//! client signing in to another server (remote) share these.

use std::time::Duration;

/// How long one request to the authorization server may take.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from the authorization server.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Where `issuer`'s metadata may be, in the order to try: RFC 8414 (the
/// well-known part between origin and path), then OpenID discovery.
pub(crate) fn metadata_urls(issuer: &str) -> [String; 2] {
    let issuer = issuer.trim_end_matches('/');
    let (origin, path) = split_origin(issuer);
    [
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{issuer}/.well-known/openid-configuration"),
    ]
}

/// `https://host:port` and the rest of `url` (`/path`, or empty).
fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |at| at + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url.split_at(after_scheme + slash),
        None => (url, ""),
    }
}

/// The body of an answer from `url`, refused past 1 MiB so that a hostile
/// or broken server cannot make this process buffer without end.
pub(crate) async fn read_bounded(
    url: &str,
    mut response: reqwest::Response,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("{url}: the answer is larger than 1 MiB"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::{metadata_urls, split_origin};

    #[test]
    fn the_well_known_part_goes_between_origin_and_path() {
        assert_eq!(
            split_origin("https://a.example/tenant/1"),
            ("https://a.example", "/tenant/1")
        );
        assert_eq!(
            split_origin("http://localhost:9"),
            ("http://localhost:9", "")
        );
        assert_eq!(
            metadata_urls("https://a.example/tenant/1/"),
            [
                "https://a.example/.well-known/oauth-authorization-server/tenant/1".to_owned(),
                "https://a.example/tenant/1/.well-known/openid-configuration".to_owned(),
            ]
        );
    }
}
