//! Reading the signature of a prompt or resource function: an optional
//! context, named parameters that arrive as text, and a return value. Like
//! `agent::signature`, every problem is reported at the offending token.

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type};

use crate::agent::signature::{Output, ToolParam, context_kind, is_result};
use crate::attr_parse::push;
use crate::docs;

/// What kind of function is read, for the messages.
#[derive(Clone, Copy)]
pub struct Kind {
    /// `prompt`, `resource`.
    pub attr: &'static str,
    /// `a prompt`, `a resource`.
    pub noun: &'static str,
    /// What a parameter becomes: `prompt argument`, `URI template variable`.
    pub param: &'static str,
    /// What the function must return, for the message about `()`.
    pub returns: &'static str,
}

/// One input of the function, in declaration order.
pub enum Input {
    /// The context, by reference or by value.
    Context { by_ref: bool },
    /// A named parameter: an index into [`HandlerSignature::params`].
    Param(usize),
}

/// A prompt's or resource's signature.
pub struct HandlerSignature {
    pub inputs: Vec<Input>,
    pub params: Vec<ToolParam>,
    pub output: Output,
    pub is_async: bool,
}

impl HandlerSignature {
    pub fn read(func: &ItemFn, kind: Kind) -> syn::Result<Self> {
        let sig = &func.sig;
        let Kind { attr, noun, .. } = kind;
        let mut errors = None;
        if let Some(unsafety) = &sig.unsafety {
            push(
                &mut errors,
                syn::Error::new(
                    unsafety.span,
                    format!(
                        "{noun} cannot be `unsafe fn`: MCP clients call it with no way to uphold its safety contract"
                    ),
                ),
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            push(
                &mut errors,
                syn::Error::new(
                    sig.generics.span(),
                    format!("{noun} cannot be generic: every parameter needs a concrete type"),
                ),
            );
        }
        if let Some(variadic) = &sig.variadic {
            push(
                &mut errors,
                syn::Error::new(variadic.span(), format!("{noun} cannot be variadic")),
            );
        }

        let mut inputs = Vec::new();
        let mut params = Vec::new();
        let mut context_seen = false;
        for arg in &sig.inputs {
            match read_input(arg, &mut context_seen, kind) {
                Ok(None) => inputs.push(Input::Context {
                    by_ref: context_by_ref(arg),
                }),
                Ok(Some(param)) => {
                    inputs.push(Input::Param(params.len()));
                    params.push(param);
                }
                Err(e) => push(&mut errors, e),
            }
        }

        let output = match &sig.output {
            ReturnType::Default => {
                push(
                    &mut errors,
                    syn::Error::new(
                        sig.ident.span(),
                        format!(
                            "`#[{attr}]` needs a return type: {noun} returns {}",
                            kind.returns
                        ),
                    ),
                );
                Output::Unit
            }
            ReturnType::Type(_, ty) if is_result(ty) => Output::Result((**ty).clone()),
            ReturnType::Type(_, ty) => Output::Plain((**ty).clone()),
        };

        match errors {
            Some(e) => Err(e),
            None => Ok(HandlerSignature {
                inputs,
                params,
                output,
                is_async: sig.asyncness.is_some(),
            }),
        }
    }
}

fn context_by_ref(arg: &FnArg) -> bool {
    matches!(arg, FnArg::Typed(t) if context_kind(&t.ty).is_some_and(|(by_ref, _)| by_ref))
}

/// `Ok(None)` for the context parameter, `Ok(Some(..))` for a named one.
fn read_input(arg: &FnArg, context_seen: &mut bool, kind: Kind) -> syn::Result<Option<ToolParam>> {
    let Kind {
        attr, noun, param, ..
    } = kind;
    let typed = match arg {
        FnArg::Receiver(receiver) => {
            return Err(syn::Error::new(
                receiver.self_token.span,
                format!(
                    "`#[{attr}]` goes on a free function, not a method: move the function out of the `impl` block"
                ),
            ));
        }
        FnArg::Typed(typed) => typed,
    };
    if let Some((_, mutable)) = context_kind(&typed.ty) {
        if *context_seen {
            return Err(syn::Error::new(
                typed.ty.span(),
                format!(
                    "{noun} takes at most one `AgentContext` parameter, and this is the second one"
                ),
            ));
        }
        if mutable {
            return Err(syn::Error::new(
                typed.ty.span(),
                "take the context as `&AgentContext`: it is shared with the agents this one \
                 calls, so it cannot be borrowed mutably",
            ));
        }
        *context_seen = true;
        return Ok(None);
    }
    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
        other => {
            return Err(syn::Error::new(
                other.span(),
                format!(
                    "the parameters of {noun} must be plain names, because each one is a {param}; destructure inside the function body instead"
                ),
            ));
        }
    };
    match &*typed.ty {
        Type::ImplTrait(_) => {
            return Err(syn::Error::new(
                typed.ty.span(),
                format!(
                    "{noun} cannot take `impl Trait` parameters: each {param} needs a concrete type"
                ),
            ));
        }
        Type::Reference(reference) => {
            let suggestion = match &*reference.elem {
                Type::Path(path) if path.path.is_ident("str") => "use `String` instead of `&str`",
                _ => "use an owned type instead of a reference",
            };
            return Err(syn::Error::new(
                typed.ty.span(),
                format!(
                    "each {param} is read from the request's text, so the parameter must own its data: {suggestion}"
                ),
            ));
        }
        _ => {}
    }
    Ok(Some(ToolParam {
        json_name: ident.unraw().to_string(),
        ident,
        ty: (*typed.ty).clone(),
        doc: docs::doc_text(&typed.attrs),
    }))
}
