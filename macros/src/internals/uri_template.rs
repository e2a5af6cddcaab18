//! Parsing a resource URI at compile time: a fixed URI, or an RFC 6570
//! template with `{name}` and `{+name}` variables (the forms agentwire
//! matches; see the runtime's `uri_template` module).

/// One piece of a URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `{name}`: one path segment.
    Variable(String),
    /// `{+name}`: any text, `/` included.
    Reserved(String),
}

/// The parts of `uri`, or what is wrong with it.
pub fn parse(uri: &str) -> Result<Vec<Part>, String> {
    if !has_scheme(uri) {
        return Err(format!(
            "`{uri}` is not an absolute URI: it needs a scheme, as in `file:///notes.txt` or \
             `notes://{{day}}`"
        ));
    }
    let mut parts = Vec::new();
    let mut rest = uri;
    while !rest.is_empty() {
        let Some(open) = rest.find(['{', '}']) else {
            parts.push(Part::Literal(rest.to_owned()));
            break;
        };
        if rest[open..].starts_with('}') {
            return Err(format!("`{uri}` has a `}}` that closes no `{{`"));
        }
        if open > 0 {
            parts.push(Part::Literal(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("`{uri}` has a `{{` that is never closed"));
        };
        let expression = &after[..close];
        parts.push(variable(expression, uri)?);
        rest = &after[close + 1..];
    }
    let mut seen = Vec::new();
    for part in &parts {
        if let Part::Variable(name) | Part::Reserved(name) = part {
            if seen.contains(name) {
                return Err(format!("the variable `{name}` appears twice in `{uri}`"));
            }
            seen.push(name.clone());
        }
    }
    for pair in parts.windows(2) {
        if !matches!(pair[0], Part::Literal(_)) && !matches!(pair[1], Part::Literal(_)) {
            return Err(format!(
                "`{uri}` puts two variables side by side; separate them with fixed text so a URI \
                 can be split between them"
            ));
        }
    }
    Ok(parts)
}

fn variable(expression: &str, uri: &str) -> Result<Part, String> {
    let (reserved, name) = match expression.strip_prefix('+') {
        Some(name) => (true, name),
        None => (false, expression),
    };
    if let Some(operator) = name.chars().next().filter(|c| "#./;?&=,!@|".contains(*c)) {
        return Err(format!(
            "`{{{expression}}}` in `{uri}` uses the `{operator}` operator; agentwire matches \
             `{{name}}` (one path segment) and `{{+name}}` (any text)"
        ));
    }
    if name.contains(',') || name.contains('*') || name.contains(':') {
        return Err(format!(
            "`{{{expression}}}` in `{uri}` is not a single variable; write one variable per `{{...}}`"
        ));
    }
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{{{expression}}}` in `{uri}` does not name a variable; a variable is a Rust \
             identifier such as `{{id}}`, matching a parameter of the function"
        ));
    }
    Ok(if reserved {
        Part::Reserved(name.to_owned())
    } else {
        Part::Variable(name.to_owned())
    })
}

/// Whether `uri` starts with a scheme (`letter *( letter / digit / + - . ) :`).
fn has_scheme(uri: &str) -> bool {
    let Some((scheme, _)) = uri.split_once(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_variables() {
        assert_eq!(
            parse("test://template/{id}/data").unwrap(),
            [
                Part::Literal("test://template/".into()),
                Part::Variable("id".into()),
                Part::Literal("/data".into())
            ]
        );
        assert_eq!(
            parse("file:///{+path}").unwrap(),
            [
                Part::Literal("file:///".into()),
                Part::Reserved("path".into())
            ]
        );
        assert_eq!(parse("test://static-text").unwrap().len(), 1);
    }

    #[test]
    fn bad_templates_say_what_is_wrong() {
        assert!(parse("no-scheme/{id}").unwrap_err().contains("scheme"));
        assert!(parse("x://{id").unwrap_err().contains("never closed"));
        assert!(parse("x://id}").unwrap_err().contains("closes no"));
        assert!(parse("x://{?q}").unwrap_err().contains("operator"));
        assert!(parse("x://{a,b}").unwrap_err().contains("single variable"));
        assert!(parse("x://{}").unwrap_err().contains("does not name"));
        assert!(parse("x://{a}/{a}").unwrap_err().contains("twice"));
        assert!(parse("x://{a}{b}").unwrap_err().contains("side by side"));
    }
}
