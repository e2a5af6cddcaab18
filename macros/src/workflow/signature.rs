//! Reading a workflow's signature: its context parameter, its tool
//! parameters and what it returns. Every problem is reported with the
//! offending token.

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, Pat, ReturnType, Signature, Type};

use crate::agent::signature::{AgentSignature, Input, Output, ToolParam, is_result};
use crate::attr_parse::push;
use crate::docs;

/// The name of the context type a workflow takes.
const CONTEXT_TYPE: &str = "WorkflowContext";

/// Checks that `sig` can be a workflow and reads it into the same shape as
/// an agent's signature.
pub fn read(sig: &Signature) -> syn::Result<AgentSignature> {
    let mut errors = None;
    if sig.asyncness.is_none() {
        push(
            &mut errors,
            syn::Error::new(
                sig.fn_token.span,
                "`#[workflow]` needs an `async fn`: write `async fn` so the workflow can await \
                 its steps, agents, timers and input",
            ),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        push(
            &mut errors,
            syn::Error::new(
                unsafety.span,
                "a workflow cannot be `unsafe fn`: MCP clients start it with no way to uphold \
                 its safety contract",
            ),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        push(
            &mut errors,
            syn::Error::new(
                sig.generics.span(),
                "a workflow cannot be generic: each workflow is one MCP tool with one fixed \
                 input schema, so every parameter needs a concrete type",
            ),
        );
    }
    if let Some(variadic) = &sig.variadic {
        push(
            &mut errors,
            syn::Error::new(variadic.span(), "a workflow cannot be variadic"),
        );
    }

    let mut inputs = Vec::new();
    let mut params = Vec::new();
    let mut context_seen = false;
    for arg in &sig.inputs {
        match read_input(arg, &mut context_seen) {
            Ok(None) => {}
            Ok(Some(Read::Context(input))) => inputs.push(input),
            Ok(Some(Read::Param(param))) => {
                inputs.push(Input::Param(params.len()));
                params.push(*param);
            }
            Err(e) => push(&mut errors, e),
        }
    }
    let output = match &sig.output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) if is_result(ty) => Output::Result((**ty).clone()),
        ReturnType::Type(_, ty) => Output::Plain((**ty).clone()),
    };
    match errors {
        Some(e) => Err(e),
        None => Ok(AgentSignature {
            inputs,
            params,
            output,
        }),
    }
}

enum Read {
    Context(Input),
    Param(Box<ToolParam>),
}

fn read_input(arg: &FnArg, context_seen: &mut bool) -> syn::Result<Option<Read>> {
    let typed = match arg {
        FnArg::Receiver(receiver) => {
            return Err(syn::Error::new(
                receiver.self_token.span,
                "`#[workflow]` goes on a free function, not a method: an MCP tool has no \
                 `self`; move the function out of the `impl` block",
            ));
        }
        FnArg::Typed(typed) => typed,
    };
    let (by_ref, mutable, ty_name) = context_kind(&typed.ty);
    match ty_name {
        Some(CONTEXT_TYPE) => {
            if *context_seen {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "a workflow takes at most one `WorkflowContext` parameter, and this is \
                     the second one",
                ));
            }
            if mutable {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "take the context as `&WorkflowContext`: the workflow's steps and agent \
                     calls share it, so it cannot be borrowed mutably",
                ));
            }
            *context_seen = true;
            let (ident, mutability) = match &*typed.pat {
                Pat::Ident(pat) if pat.subpat.is_none() => {
                    (Some(pat.ident.clone()), pat.mutability)
                }
                _ => (None, None),
            };
            return Ok(Some(Read::Context(Input::Context {
                by_ref,
                ident,
                mutability,
            })));
        }
        Some(_) => {
            return Err(syn::Error::new(
                typed.ty.span(),
                "a workflow takes a `&WorkflowContext`, not an `AgentContext`: its steps, \
                 timers and agent calls go through the workflow's context so that they are \
                 journaled",
            ));
        }
        None => {}
    }
    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
        other => {
            return Err(syn::Error::new(
                other.span(),
                "workflow parameters must be plain names, because each one becomes a named \
                 argument of the tool; destructure inside the function body instead",
            ));
        }
    };
    match &*typed.ty {
        Type::ImplTrait(_) => {
            return Err(syn::Error::new(
                typed.ty.span(),
                "a workflow cannot take `impl Trait` parameters: each parameter needs a \
                 concrete type that the tool's input schema can describe",
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
                    "workflow parameters are read from the tool call's JSON arguments and \
                     journaled with the run, so they must own their data: {suggestion}"
                ),
            ));
        }
        _ => {}
    }
    Ok(Some(Read::Param(Box::new(ToolParam {
        json_name: ident.unraw().to_string(),
        ident,
        ty: (*typed.ty).clone(),
        doc: docs::doc_text(&typed.attrs),
    }))))
}

/// `(by_ref, mutable, Some(name))` when `ty` names a context type.
fn context_kind(ty: &Type) -> (bool, bool, Option<&'static str>) {
    let name = |ty: &Type| -> Option<&'static str> {
        match ty {
            Type::Path(path) if path.qself.is_none() => {
                let last = path.path.segments.last()?;
                if last.ident == CONTEXT_TYPE {
                    Some(CONTEXT_TYPE)
                } else if last.ident == "AgentContext" {
                    Some("AgentContext")
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    match ty {
        Type::Reference(reference) => (true, reference.mutability.is_some(), name(&reference.elem)),
        _ => (false, false, name(ty)),
    }
}
