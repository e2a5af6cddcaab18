//! Reading `///` doc comments, which arrive as `#[doc = "..."]` attributes.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// Joins the doc comment lines of `attrs` into one text, with the single
/// leading space that `///` leaves removed. `None` when there is no doc text.
pub fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Removes the doc comments and `#[header]`s on a function's parameters,
/// which the macros read and rustc would reject.
pub fn strip_parameter_attributes(sig: &mut syn::Signature) {
    for input in &mut sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            typed
                .attrs
                .retain(|a| !a.path().is_ident("doc") && !a.path().is_ident("header"));
        }
    }
}
