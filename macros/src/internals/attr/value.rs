//! The values a key takes: a string, a flag, a whole number, a path, a
//! duration, a list of agents. A malformed value is skipped, so the keys
//! after it are still read.

use syn::meta::ParseNestedMeta;
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

/// Skips a malformed value, so the arguments after it are still read.
fn skip_expression(input: syn::parse::ParseStream) {
    let _ = input.parse::<syn::Expr>();
}
