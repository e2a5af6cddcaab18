//! Icons for tools, prompts and resources, from the URLs the macros record.

use rmcp::model::Icon;

/// The MCP icons for `sources` (URLs or `data:` URIs), each with the MIME
/// type its URL implies; `None` when there are none.
pub fn icons(sources: &[&str]) -> Option<Vec<Icon>> {
    if sources.is_empty() {
        return None;
    }
    Some(
        sources
            .iter()
            .map(|src| {
                let icon = Icon::new(*src);
                match mime_type(src) {
                    Some(mime) => icon.with_mime_type(mime),
                    None => icon,
                }
            })
            .collect(),
    )
}

/// The MIME type of an icon: a `data:` URI says it; otherwise the file
/// extension of the URL's path suggests it.
fn mime_type(src: &str) -> Option<&str> {
    if let Some(data) = src.strip_prefix("data:") {
        let end = data.find([';', ','])?;
        return (end > 0).then(|| &data[..end]);
    }
    let path = src.split(['?', '#']).next().unwrap_or(src);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mime_type_comes_from_the_data_uri_or_the_extension() {
        assert_eq!(mime_type("data:image/png;base64,AAAA"), Some("image/png"));
        assert_eq!(
            mime_type("https://example.com/logo.SVG?v=2"),
            Some("image/svg+xml")
        );
        assert_eq!(mime_type("https://example.com/logo"), None);
        assert_eq!(mime_type("data:,plain"), None);
        assert!(icons(&[]).is_none());
        assert_eq!(
            icons(&["a.png"]).unwrap()[0].mime_type.as_deref(),
            Some("image/png")
        );
    }
}
