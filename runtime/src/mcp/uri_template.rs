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

/// The longest URI matched against templates, in bytes. Longer ones are
/// refused before any matching (a URI is request data: its length must not
/// decide how long a request takes).
pub const MAX_URI_BYTES: usize = 16 * 1024;

impl UriTemplate {
    /// The variables of `uri` when it matches the template, in template
    /// order, percent-decoded; `None` when it does not match (or is longer
    /// than [`MAX_URI_BYTES`]). When several splits match, each variable
    /// takes the shortest value that lets the rest match, first variable
    /// first. A value with a malformed `%` escape does not match.
    ///
    /// Linear in the URI's length for a given template: see
    /// [`match_table`].
    pub fn matches(&self, uri: &str) -> Option<Vec<(&'static str, String)>> {
        if uri.len() > MAX_URI_BYTES || !self.fixed_ends_match(uri) {
            return None;
        }
        let table = match_table(self.parts, uri);
        if !table[0][0] {
            return None;
        }
        let mut found = Vec::new();
        let mut at = 0;
        for (k, part) in self.parts.iter().enumerate() {
            match part {
                TemplatePart::Literal(text) => at += text.len(),
                TemplatePart::Variable(name) | TemplatePart::Reserved(name) => {
                    // The shortest value after which the rest matches; the
                    // table says one exists, so this scan stops at it.
                    let mut end = at + 1;
                    while !(uri.is_char_boundary(end) && table[k + 1][end]) {
                        end += 1;
                        if end > uri.len() {
                            return None;
                        }
                    }
                    found.push((*name, percent_decode(&uri[at..end])?));
                    at = end;
                }
            }
        }
        Some(found)
    }

    /// Whether the literal text the template starts and ends with (if any)
    /// is there: a cheap test that rules out most templates at once.
    fn fixed_ends_match(&self, uri: &str) -> bool {
        let starts = match self.parts.first() {
            Some(TemplatePart::Literal(text)) => uri.starts_with(text),
            _ => true,
        };
        let ends = match self.parts.last() {
            Some(TemplatePart::Literal(text)) => uri.ends_with(text),
            _ => true,
        };
        starts && ends
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

/// Whether a `{name}` value must stop before this byte.
fn is_segment_end(byte: u8) -> bool {
    matches!(byte, b'/' | b'?' | b'#')
}

/// `table[k][i]`: whether `parts[k..]` matches all of `uri[i..]`, computed
/// from the last part back, each row in one pass over the URI. That is
/// O(URI length × template length) time and memory, whatever the URI holds
/// (a backtracking matcher trying every split of every variable is
/// polynomial of the degree of the number of variables, or worse).
fn match_table(parts: &[TemplatePart], uri: &str) -> Vec<Vec<bool>> {
    let bytes = uri.as_bytes();
    let n = bytes.len();
    let mut table = vec![vec![false; n + 1]; parts.len() + 1];
    table[parts.len()][n] = true;
    for (k, part) in parts.iter().enumerate().rev() {
        let (done, rest) = table.split_at_mut(k + 1);
        let (row, next) = (&mut done[k], &rest[0]);
        match part {
            TemplatePart::Literal(text) => {
                for i in 0..=n {
                    row[i] = bytes[i..].starts_with(text.as_bytes()) && next[i + text.len()];
                }
            }
            TemplatePart::Variable(_) | TemplatePart::Reserved(_) => {
                let reserved = matches!(part, TemplatePart::Reserved(_));
                // row[i]: some non-empty value `uri[i..e]` (allowed bytes,
                // ending on a character boundary) is followed by a match.
                for i in (0..n).rev() {
                    let allowed = reserved || !is_segment_end(bytes[i]);
                    let ends_here = uri.is_char_boundary(i + 1) && next[i + 1];
                    row[i] = allowed && (ends_here || row[i + 1]);
                }
            }
        }
    }
    table
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
            // Two hex digits exactly: `from_str_radix` alone would also
            // take a sign (`%+0` as NUL).
            let hex = bytes.get(i + 1..i + 3)?;
            let digit = |b: u8| char::from(b).to_digit(16);
            out.push((digit(hex[0])? * 16 + digit(hex[1])?) as u8);
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
        assert_eq!(
            DATA.matches("test://template/a%2F/data"),
            Some(vec![("id", "a/".to_owned())])
        );
        assert_eq!(DATA.to_string(), "test://template/{id}/data");
    }

    /// Found by the `uri_template` fuzz target: `%+0` was read as the
    /// escape of byte 0 (`u8::from_str_radix` takes a sign).
    #[test]
    fn an_escape_is_two_hex_digits_and_nothing_else() {
        for bad in ["%+0", "%-1", "%+f", "% 1", "%1", "%"] {
            let uri = format!("test://template/x{bad}/data");
            assert_eq!(DATA.matches(&uri), None, "{uri}");
        }
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

    #[test]
    fn a_long_uri_that_does_not_match_is_answered_in_linear_time() {
        // Three variables and no final `.txt`: a matcher that tries every
        // split of every variable does about n⁴/24 steps here (~10¹⁴ for
        // this length, hours); this one does a few passes.
        let three = UriTemplate {
            parts: &[
                Literal("file:///"),
                Reserved("a"),
                Literal("/"),
                Reserved("b"),
                Literal("/"),
                Reserved("c"),
                Literal(".txt"),
            ],
        };
        let slashes = "/".repeat(MAX_URI_BYTES - 20);
        assert_eq!(three.matches(&format!("file:///{slashes}x")), None);
        let hit = three.matches(&format!("file:///{slashes}x.txt")).unwrap();
        assert_eq!(hit[0].1, "/", "the first takes the least");
        assert_eq!(hit[1].1, "/");
        assert!(hit[2].1.ends_with("/x") && hit[2].1.len() == slashes.len() - 3);

        // The same for one-segment variables over a long segment.
        let long = "a".repeat(MAX_URI_BYTES - 40);
        assert_eq!(DATA.matches(&format!("test://template/{long}/datum")), None);
        let found = DATA.matches(&format!("test://template/{long}/data"));
        assert!(found.is_some_and(|f| f == [("id", long.clone())]));
    }

    #[test]
    fn a_uri_longer_than_the_cap_is_not_matched() {
        let files = UriTemplate {
            parts: &[Literal("file:///"), Reserved("path")],
        };
        let at_cap = format!("file:///{}", "a".repeat(MAX_URI_BYTES - 8));
        assert!(files.matches(&at_cap).is_some());
        assert_eq!(files.matches(&format!("{at_cap}a")), None);
    }

    /// The backtracking matcher this module used before, as the reference
    /// for what matches and how values split (on short inputs); mended
    /// where it let a last variable match an empty value.
    fn reference(parts: &[TemplatePart], rest: &str, found: &mut Vec<String>) -> bool {
        let Some((first, others)) = parts.split_first() else {
            return rest.is_empty();
        };
        match first {
            Literal(text) => rest
                .strip_prefix(text)
                .is_some_and(|after| reference(others, after, found)),
            Variable(_) | Reserved(_) => {
                for (end, _) in rest.char_indices().skip(1).chain([(rest.len(), ' ')]) {
                    if end == 0 {
                        break;
                    }
                    if matches!(first, Variable(_)) && rest[..end].contains(['/', '?', '#']) {
                        break;
                    }
                    if reference(others, &rest[end..], found) {
                        found.push(rest[..end].to_owned());
                        return true;
                    }
                }
                false
            }
        }
    }

    const SHAPES: &[&[TemplatePart]] = &[
        &[Literal("x://"), Variable("a"), Literal("-"), Variable("b")],
        &[Literal("x://"), Reserved("a"), Literal("/"), Variable("b")],
        &[Variable("a"), Literal("é"), Reserved("b"), Literal("/z")],
        &[
            Literal("x://"),
            Reserved("a"),
            Reserved("b"),
            Literal("-"),
            Variable("c"),
        ],
        &[Reserved("a")],
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Same answers as the backtracking matcher, on URIs made of the
        /// characters that matter (separators, literals' text, a two-byte
        /// character).
        #[test]
        fn the_linear_matcher_agrees_with_backtracking(
            shape in 0..SHAPES.len(),
            uri in "(x://|[-/?#aéz]){0,14}",
        ) {
            let template = UriTemplate { parts: SHAPES[shape] };
            let mut expected = Vec::new();
            let expected = reference(template.parts, &uri, &mut expected).then(|| {
                expected.reverse();
                expected
            });
            let got = template
                .matches(&uri)
                .map(|found| found.into_iter().map(|(_, v)| v).collect::<Vec<_>>());
            proptest::prop_assert_eq!(got, expected, "{} against {:?}", template, uri);
        }
    }
}
