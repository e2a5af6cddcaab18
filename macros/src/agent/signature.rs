//! Reading an agent's signature: its context parameter, its tool parameters
//! and what it returns. Every problem is reported with the offending token.

use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, ReturnType, Signature, Type};

use crate::attr_parse::push;
use crate::docs;

/// The name of the context type the runtime provides.
const CONTEXT_TYPE: &str = "AgentContext";

/// One input of the function, in declaration order.
pub enum Input {
    /// The agent's context, by reference or by value, with its binding's
    /// name (and `mut`) when it is a plain name.
    Context {
        by_ref: bool,
        ident: Option<Ident>,
        mutability: Option<syn::Token![mut]>,
    },
    /// A tool parameter: an index into [`AgentSignature::params`].
    Param(usize),
}

/// A parameter that becomes a property of the tool's input schema.
pub struct ToolParam {
    pub ident: Ident,
    /// The JSON name: the identifier without any `r#` prefix.
    pub json_name: String,
    pub ty: Type,
    pub doc: Option<String>,
}

/// What the function returns.
pub enum Output {
    /// No return type: the tool answers with empty content.
    Unit,
    /// `T`: always a success.
    Plain(Type),
    /// `Result<T, E>` (or an alias named `Result`): `Err` becomes an error result.
    Result(Type),
}

pub struct AgentSignature {
    pub inputs: Vec<Input>,
    pub params: Vec<ToolParam>,
    pub output: Output,
}

impl AgentSignature {
    /// Checks that `func` can be an agent and reads what the macro needs.
    pub fn read(sig: &Signature) -> syn::Result<Self> {
        let mut errors = None;
        if sig.asyncness.is_none() {
            push(
                &mut errors,
                syn::Error::new(
                    sig.fn_token.span,
                    "`#[agent]` needs an `async fn`: write `async fn` so the agent can await \
                     other agents, models and I/O",
                ),
            );
        }
        if let Some(unsafety) = &sig.unsafety {
            push(
                &mut errors,
                syn::Error::new(
                    unsafety.span,
                    "an agent cannot be `unsafe fn`: MCP clients call it with no way to uphold \
                     its safety contract",
                ),
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    &sig.generics,
                    "an agent cannot be generic: each agent is one MCP tool with one fixed input \
                     schema, so every parameter needs a concrete type",
                ),
            );
        }
        if let Some(variadic) = &sig.variadic {
            push(
                &mut errors,
                syn::Error::new(variadic.span(), "an agent cannot be variadic"),
            );
        }

        let mut inputs = Vec::new();
        let mut params = Vec::new();
        let mut context_seen = false;
        for arg in &sig.inputs {
            match read_input(arg, &mut context_seen) {
                Ok(ReadInput::Context {
                    by_ref,
                    ident,
                    mutability,
                }) => inputs.push(Input::Context {
                    by_ref,
                    ident,
                    mutability,
                }),
                Ok(ReadInput::Param(param)) => {
                    inputs.push(Input::Param(params.len()));
                    params.push(*param);
                }
                Err(e) => push(&mut errors, e),
            }
        }

        if let ReturnType::Type(_, ty) = &sig.output
            && let Type::ImplTrait(_) = &**ty
        {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    ty,
                    "an agent cannot return `impl Trait`: its result needs a concrete type \
                     that the tool's output schema can describe",
                ),
            );
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
}

enum ReadInput {
    Context {
        by_ref: bool,
        ident: Option<Ident>,
        mutability: Option<syn::Token![mut]>,
    },
    Param(Box<ToolParam>),
}

fn read_input(arg: &FnArg, context_seen: &mut bool) -> syn::Result<ReadInput> {
    let typed = match arg {
        FnArg::Receiver(receiver) => {
            return Err(syn::Error::new(
                receiver.self_token.span,
                "`#[agent]` goes on a free function, not a method: an MCP tool has no `self`; \
                 move the function out of the `impl` block",
            ));
        }
        FnArg::Typed(typed) => typed,
    };

    if let Some((by_ref, mutable)) = context_kind(&typed.ty) {
        if *context_seen {
            return Err(syn::Error::new_spanned(
                &typed.ty,
                "an agent takes at most one `AgentContext` parameter, and this is the second one",
            ));
        }
        if mutable {
            return Err(syn::Error::new_spanned(
                &typed.ty,
                "take the context as `&AgentContext`: it is shared with the agents this one \
                 calls, so it cannot be borrowed mutably",
            ));
        }
        *context_seen = true;
        let (ident, mutability) = match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => (Some(pat.ident.clone()), pat.mutability),
            _ => (None, None),
        };
        return Ok(ReadInput::Context {
            by_ref,
            ident,
            mutability,
        });
    }

    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
        Pat::Wild(wild) => {
            return Err(syn::Error::new_spanned(
                wild,
                "agent parameters need a name, because each one becomes a named argument of \
                 the tool; write `_name: T` for one the function does not use",
            ));
        }
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "agent parameters must be plain names, because each one becomes a named \
                 argument of the tool; destructure inside the function body instead",
            ));
        }
    };
    check_param_type(&typed.ty)?;
    Ok(ReadInput::Param(Box::new(ToolParam {
        json_name: ident.unraw().to_string(),
        ident,
        ty: (*typed.ty).clone(),
        doc: docs::doc_text(&typed.attrs),
    })))
}

/// Rejects parameter types that can never come out of a JSON tool call.
pub(crate) fn check_param_type(ty: &Type) -> syn::Result<()> {
    match ty {
        Type::ImplTrait(_) => Err(syn::Error::new_spanned(
            ty,
            "an agent cannot take `impl Trait` parameters: each parameter needs a concrete type \
             that the tool's input schema can describe",
        )),
        Type::Reference(reference) => {
            let suggestion = match &*reference.elem {
                Type::Path(path) if path.path.is_ident("str") => "use `String` instead of `&str`",
                _ => "use an owned type instead of a reference",
            };
            Err(syn::Error::new_spanned(
                ty,
                format!(
                    "agent parameters are deserialized from the tool call's JSON arguments, so \
                     they must own their data: {suggestion}"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `Some((by_ref, mutable))` when `ty` names the agent context.
pub(crate) fn context_kind(ty: &Type) -> Option<(bool, bool)> {
    match ty {
        Type::Reference(reference) => {
            is_context_path(&reference.elem).then_some((true, reference.mutability.is_some()))
        }
        _ => is_context_path(ty).then_some((false, false)),
    }
}

fn is_context_path(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == CONTEXT_TYPE))
}

pub(crate) fn is_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Result"))
}
