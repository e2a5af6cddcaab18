//! Reading `key = value` arguments of an attribute (`#[agent(..)]`,
//! `#[workflow(..)]`, `#[prompt(..)]`, `#[resource(..)]`) with errors that name the key and
//! point at it. `attr` is the attribute's name, for the messages.

use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

/// Adds `error` to the errors collected so far.
pub fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(existing) => existing.combine(error),
        None => *errors = Some(error),
    }
}

/// Fills `slot` once; a second value for the same key is an error.
pub fn set<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta,
    value: T,
    attr: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!(
            "`{}` is given twice in `#[{attr}]`",
            path_text(&meta.path)
        )));
    }
    *slot = Some(value);
    Ok(())
}

/// `key = "..."`.
pub fn string_value(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
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
pub fn flag_value(meta: &ParseNestedMeta) -> syn::Result<LitBool> {
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

/// Skips a malformed value, so the arguments after it are still read.
pub fn skip_expression(input: syn::parse::ParseStream) {
    let _ = input.parse::<syn::Expr>();
}

/// `key = path::to::item`.
pub fn path_value(meta: &ParseNestedMeta, what: &str) -> syn::Result<syn::Path> {
    let key = path_text(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` needs a value: `{key} = {what}`")))?;
    value
        .parse::<syn::Path>()
        .map_err(|e| syn::Error::new(e.span(), format!("`{key}` takes a path: `{key} = {what}`")))
}

/// The error for an unknown key, after skipping whatever value follows it so
/// that one unknown key does not hide the errors in the keys after it.
pub fn unknown_key(meta: &ParseNestedMeta, attr: &str, known: &str) -> syn::Error {
    let skipped = if meta.input.peek(syn::Token![=]) {
        meta.value().and_then(|v| v.parse::<syn::Expr>()).map(drop)
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|_| Ok(()))
    } else {
        Ok(())
    };
    if let Err(e) = skipped {
        return e;
    }
    meta.error(format!(
        "unknown `#[{attr}]` argument `{}`; the known ones are {known}",
        path_text(&meta.path)
    ))
}

/// The key as written, for messages.
pub fn path_text(path: &syn::Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}
