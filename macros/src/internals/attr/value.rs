//! The values a key takes: a string, a flag, a whole number, a path, a
//! duration, a list of agents. A malformed value is skipped, so the keys
//! after it are still read.

use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::{LitBool, LitInt, LitStr};

use super::path_text;

/// `key = "..."`.
pub fn string(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let key = path_text(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` needs a value: `{key} = \"...\"`")))?;
    value.parse::<LitStr>().map_err(|e| {
        skip_expression(value);
        syn::Error::new(
            e.span(),
            format!("`{key}` takes a string literal: `{key} = \"...\"`"),
        )
    })
}

/// `read_only` alone means `read_only = true`.
pub fn flag(meta: &ParseNestedMeta) -> syn::Result<LitBool> {
    if meta.input.peek(syn::Token![=]) {
        let key = path_text(&meta.path);
        let value = meta.value()?;
        value.parse::<LitBool>().map_err(|e| {
            skip_expression(value);
            syn::Error::new(
                e.span(),
                format!("`{key}` takes `true` or `false`, or no value at all for `true`"),
            )
        })
    } else {
        Ok(LitBool::new(true, meta.path.segments[0].ident.span()))
    }
}

/// `key = 10`.
pub fn integer(meta: &ParseNestedMeta) -> syn::Result<LitInt> {
    let key = path_text(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` needs a value: `{key} = 10`")))?;
    value.parse::<LitInt>().map_err(|e| {
        skip_expression(value);
        syn::Error::new(
            e.span(),
            format!("`{key}` takes a whole number, such as `{key} = 10`"),
        )
    })
}

/// `key = path::to::item`; `what` is an example path, for the messages.
pub fn path(meta: &ParseNestedMeta, what: &str) -> syn::Result<syn::Path> {
    let key = path_text(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` needs a value: `{key} = {what}`")))?;
    value
        .parse::<syn::Path>()
        .map_err(|e| syn::Error::new(e.span(), format!("`{key}` takes a path: `{key} = {what}`")))
}

/// `key = "30s"`: a whole number followed by `ms`, `s`, `m` or `h`, checked
/// here so that a typo fails at the literal.
pub fn duration(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let value = string(meta)?;
    let text = value.value();
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let number_ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
        && digits.chars().any(|c| c.is_ascii_digit());
    if number_ok && matches!(unit, "ms" | "s" | "m" | "h") {
        Ok(value)
    } else {
        Err(syn::Error::new(
            value.span(),
            "a duration is a whole number followed by `ms`, `s`, `m` or `h`, such as \"30s\"",
        ))
    }
}

/// `calls = [a, b::c]`: the agents a function may call.
pub fn callees(meta: &ParseNestedMeta) -> syn::Result<Vec<syn::Path>> {
    let value = meta
        .value()
        .map_err(|_| meta.error("`calls` lists the agents this one calls: `calls = [a, b]`"))?;
    let content;
    syn::bracketed!(content in value);
    let paths = content.parse_terminated(syn::Path::parse_mod_style, syn::Token![,])?;
    Ok(paths.into_iter().collect())
}

/// `scopes = ["reports:read", "reports:write"]`: the OAuth scopes a caller
/// needs. Each is a non-empty string of printable ASCII without spaces,
/// `"` or `\` (RFC 6749 §3.3), given once.
pub fn scopes(meta: &ParseNestedMeta) -> syn::Result<Vec<LitStr>> {
    let usage = "`scopes` lists the OAuth scopes a caller needs: `scopes = [\"reports:write\"]`";
    let value = meta.value().map_err(|_| meta.error(usage))?;
    if !value.peek(syn::token::Bracket) {
        let found = value.parse::<syn::Expr>();
        return Err(match found {
            Ok(expr) => syn::Error::new_spanned(expr, usage),
            Err(e) => syn::Error::new(e.span(), usage),
        });
    }
    let content;
    syn::bracketed!(content in value);
    let items = content.parse_terminated(syn::Expr::parse, syn::Token![,])?;
    let mut scopes: Vec<LitStr> = Vec::new();
    for item in items {
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(scope),
            ..
        }) = item
        else {
            return Err(syn::Error::new_spanned(
                item,
                "a scope is a string literal, such as \"reports:write\"",
            ));
        };
        let text = scope.value();
        if text.is_empty() {
            return Err(syn::Error::new(scope.span(), "a scope cannot be empty"));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !matches!(*c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
        {
            return Err(syn::Error::new(
                scope.span(),
                format!(
                    "the scope {text:?} contains {c:?}; a scope is printable ASCII without \
                     spaces, `\"` or `\\` (to need several scopes, list them: \
                     `scopes = [\"a\", \"b\"]`)"
                ),
            ));
        }
        if scopes.iter().any(|seen| seen.value() == text) {
            return Err(syn::Error::new(
                scope.span(),
                format!("the scope {text:?} is listed twice"),
            ));
        }
        scopes.push(scope);
    }
    Ok(scopes)
}

/// Skips a malformed value, so the arguments after it are still read.
fn skip_expression(input: syn::parse::ParseStream) {
    let _ = input.parse::<syn::Expr>();
}
