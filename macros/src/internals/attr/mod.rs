//! The arguments of the four attributes, `#[agent(..)]` to `#[resource(..)]`:
//! one module per attribute, the tool metadata and budget that `#[agent]` and
//! `#[workflow]` share, and here the reading of one `key = value` with errors
//! that name the key and point at it.

pub mod agent;
pub mod budget;
pub mod prompt;
pub mod resource;
pub mod tool;
pub mod value;
pub mod workflow;

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;

use super::ctxt::Ctxt;

/// Reads every `key = value` of an attribute's arguments with `read`,
/// keeping each bad key's error and going on with the next key.
pub fn read_args(
    cx: &Ctxt,
    args: TokenStream,
    mut read: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    let parser = syn::meta::parser(|meta| {
        cx.ok(read(&meta));
        Ok(())
    });
    cx.ok(syn::parse::Parser::parse2(parser, args));
}

/// Reads every key of a list such as `budget(...)` with `read`, reporting
/// all the bad ones together.
pub fn read_list(
    meta: &ParseNestedMeta,
    mut read: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    Ctxt::collect(|cx| {
        let parsed = meta.parse_nested_meta(|inner| {
            cx.ok(read(&inner));
            Ok(())
        });
        cx.ok(parsed)
    })
}

/// The key as an identifier's text; empty for a path such as `a::b`.
pub fn key(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Fills `slot` once; a second value for the same key is an error. `attr`
/// names the attribute, for the message.
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

/// The error `message` for a key that is not allowed, after skipping
/// whatever value follows it so that one bad key does not hide the errors
/// in the keys after it.
pub fn reject(meta: &ParseNestedMeta, message: impl std::fmt::Display) -> syn::Error {
    let skipped = if meta.input.peek(syn::Token![=]) {
        meta.value().and_then(|v| v.parse::<syn::Expr>()).map(drop)
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|_| Ok(()))
    } else {
        Ok(())
    };
    match skipped {
        Ok(()) => meta.error(message),
        Err(e) => e,
    }
}

/// The error for an unknown key of `#[attr(..)]`, listing the `known` ones.
pub fn unknown_key(meta: &ParseNestedMeta, attr: &str, known: &str) -> syn::Error {
    let key = path_text(&meta.path);
    reject(
        meta,
        format!("unknown `#[{attr}]` argument `{key}`; the known ones are {known}"),
    )
}

/// The key as written, for messages.
pub fn path_text(path: &syn::Path) -> String {
    quote::quote!(#path).to_string().replace(' ', "")
}
