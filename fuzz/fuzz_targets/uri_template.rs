//! Resource URI templates against any URI: never a panic, linear time (the
//! matcher is a table, see runtime/src/mcp/uri_template.rs), and on short
//! URIs the same answer as a plain backtracking matcher written from the
//! documented rules.

#![no_main]

use std::collections::HashMap;
use std::sync::Mutex;

use agentwire::__private::{TemplatePart, UriTemplate};
use libfuzzer_sys::fuzz_target;

/// Literal pieces templates are built from: separators, multi-byte
/// characters, escapes, pieces that overlap each other.
const LITERALS: &[&str] = &["/", "a", "ab", "://", "x/", "é", "%", "?q=", "-", "{"];
const NAMES: &[&str] = &["v0", "v1", "v2", "v3"];

/// The template `spec` describes (two bits of kind, four of literal per
/// part, at most four parts), made `'static` once per distinct template.
fn template(spec: &[u8]) -> UriTemplate {
    static MADE: Mutex<Option<HashMap<Vec<u8>, &'static [TemplatePart]>>> = Mutex::new(None);
    let mut made = MADE.lock().unwrap();
    let parts = made
        .get_or_insert_with(HashMap::new)
        .entry(spec.to_vec())
        .or_insert_with(|| {
            let mut variables = 0;
            let parts: Vec<TemplatePart> = spec
                .iter()
                .map(|&b| match b % 3 {
                    0 => TemplatePart::Literal(LITERALS[usize::from(b / 3) % LITERALS.len()]),
                    kind => {
                        let name = NAMES[variables % NAMES.len()];
                        variables += 1;
                        if kind == 1 {
                            TemplatePart::Variable(name)
                        } else {
                            TemplatePart::Reserved(name)
                        }
                    }
                })
                .collect();
            Box::leak(parts.into_boxed_slice())
        });
    UriTemplate { parts }
}

/// The documented rules, by backtracking: literals as written; a variable
/// takes a non-empty value ending on a character boundary (`{name}`: no
/// `/`, `?` or `#`), the shortest that lets the rest match, first variable
/// first; values are then percent-decoded, a bad escape failing the match.
fn reference(parts: &[TemplatePart], uri: &str) -> Option<Vec<(&'static str, String)>> {
    fn split(parts: &[TemplatePart], uri: &str, out: &mut Vec<(&'static str, String)>) -> bool {
        let Some((first, rest)) = parts.split_first() else {
            return uri.is_empty();
        };
        match first {
            TemplatePart::Literal(text) => {
                uri.starts_with(text) && split(rest, &uri[text.len()..], out)
            }
            TemplatePart::Variable(name) | TemplatePart::Reserved(name) => {
                let reserved = matches!(first, TemplatePart::Reserved(_));
                for (end, c) in uri.char_indices().map(|(i, c)| (i + c.len_utf8(), c)) {
                    if !reserved && matches!(c, '/' | '?' | '#') {
                        return false;
                    }
                    out.push((name, uri[..end].to_owned()));
                    if split(rest, &uri[end..], out) {
                        return true;
                    }
                    out.pop();
                }
                false
            }
        }
    }
    let mut raw = Vec::new();
    if !split(parts, uri, &mut raw) {
        return None;
    }
    raw.into_iter()
        .map(|(name, value)| Some((name, decode(&value)?)))
        .collect()
}

fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(count % 5).min(rest.len());
    let (spec, uri) = rest.split_at(count);
    let Ok(uri) = std::str::from_utf8(uri) else {
        return;
    };
    let template = template(spec);
    let found = template.matches(uri);
    if let Some(values) = &found {
        assert_eq!(values.len(), template.variables().count());
    }
    // Backtracking is exponential in the number of variables: short URIs only.
    if uri.len() <= 48 {
        assert_eq!(
            found,
            reference(template.parts, uri),
            "template {template} against {uri:?}"
        );
    }
});
