//! Resource URI templates (RFC 6570, the subset MCP servers use): literal
//! text with `{name}` variables (one path segment) and `{+name}` variables
//! (any text, `/` included).
//!
//! `#[resource]` parses and checks the template at compile time and records
//! its parts, so nothing here parses; this module matches URIs against the
//! parts and reads the variables back out.

use std::fmt;

/// One piece of a URI template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatePart {
    /// Text that must appear as written.
    Literal(&'static str),
    /// `{name}`: a non-empty value without `/`, `?` or `#`.
    Variable(&'static str),
    /// `{+name}`: a non-empty value that may contain any character.
    Reserved(&'static str),
}

/// A parsed URI template.
#[derive(Clone, Copy)]
pub struct UriTemplate {
    /// The template's literal text and variables, in order.
    pub parts: &'static [TemplatePart],
}

impl UriTemplate {
    /// The variables of `uri` when it matches the template, in template
    /// order, percent-decoded; `None` when it does not match.
    pub fn matches(&self, uri: &str) -> Option<Vec<(&'static str, String)>> {
        let mut found = Vec::new();
        if match_parts(self.parts, uri, &mut found) {
            found.reverse();
            Some(found)
        } else {
            None
        }
    }

    /// The names of the template's variables, in order.
    pub fn variables(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Literal(_) => None,
            TemplatePart::Variable(name) | TemplatePart::Reserved(name) => Some(*name),
        })
    }
}

impl fmt::Display for UriTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in self.parts {
            match part {
                TemplatePart::Literal(text) => f.write_str(text)?,
                TemplatePart::Variable(name) => write!(f, "{{{name}}}")?,
                TemplatePart::Reserved(name) => write!(f, "{{+{name}}}")?,
            }
        }
        Ok(())
    }
}

/// Matches `parts` against all of `rest`, pushing variables in reverse order.
fn match_parts(
    parts: &[TemplatePart],
    rest: &str,
    found: &mut Vec<(&'static str, String)>,
) -> bool {
    let Some((first, others)) = parts.split_first() else {
        return rest.is_empty();
    };
    match first {
        TemplatePart::Literal(text) => rest
            .strip_prefix(text)
            .is_some_and(|after| match_parts(others, after, found)),
        TemplatePart::Variable(name) | TemplatePart::Reserved(name) => {
            let reserved = matches!(first, TemplatePart::Reserved(_));
            // Try every split point, shortest value first.
            for (end, _) in rest.char_indices().skip(1).chain([(rest.len(), ' ')]) {
                let raw = &rest[..end];
                if !reserved && raw.contains(['/', '?', '#']) {
                    break;
                }
                let Some(value) = percent_decode(raw) else {
                    continue;
                };
                if match_parts(others, &rest[end..], found) {
                    found.push((name, value));
                    return true;
                }
            }
            false
        }
    }
}

/// Decodes `%XX` escapes; `None` when they are malformed or not UTF-8.
fn percent_decode(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return Some(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use TemplatePart::*;

    const DATA: UriTemplate = UriTemplate {
        parts: &[
            Literal("test://template/"),
            Variable("id"),
            Literal("/data"),
        ],
    };

    #[test]
    fn a_simple_variable_is_one_segment() {
        assert_eq!(
            DATA.matches("test://template/123/data"),
            Some(vec![("id", "123".to_owned())])
        );
        assert_eq!(
            DATA.matches("test://template/a%20b/data"),
            Some(vec![("id", "a b".to_owned())])
        );
        assert_eq!(DATA.matches("test://template//data"), None, "empty");
        assert_eq!(
            DATA.matches("test://template/1/2/data"),
            None,
            "two segments"
        );
        assert_eq!(DATA.matches("test://template/123/datum"), None);
        assert_eq!(DATA.matches("test://template/%zz/data"), None, "bad escape");
        assert_eq!(DATA.to_string(), "test://template/{id}/data");
    }

    #[test]
    fn a_reserved_variable_spans_segments_and_several_variables_split() {
        let files = UriTemplate {
            parts: &[Literal("file:///"), Reserved("path")],
        };
        assert_eq!(
            files.matches("file:///a/b/c.txt"),
            Some(vec![("path", "a/b/c.txt".to_owned())])
        );

        let pair = UriTemplate {
            parts: &[Literal("x://"), Variable("a"), Literal("-"), Variable("b")],
        };
        assert_eq!(
            pair.matches("x://1-2-3"),
            Some(vec![("a", "1".to_owned()), ("b", "2-3".to_owned())])
        );
        assert_eq!(pair.variables().collect::<Vec<_>>(), ["a", "b"]);
    }
}
