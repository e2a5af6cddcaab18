//! Reading a function's signature once, for any of the four attributes:
//! its context parameter, its named parameters and what it returns. What
//! each attribute asks of it is in [`rules`]; every problem is reported at
//! the offending token, all of them in one build.

pub mod rules;

use std::fmt::Display;

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, Pat, PatType, ReturnType, Type};

use super::ctxt::Ctxt;
use super::docs;
use rules::Rules;

/// One input of the function, in declaration order.
pub enum Input {
    /// The context, by reference or by value, with its binding's name (and
    /// `mut`) when it is a plain name.
    Context {
        by_ref: bool,
        ident: Option<Ident>,
        mutability: Option<syn::Token![mut]>,
    },
    /// A named parameter: an index into [`Signature::params`].
    Param(usize),
}

/// A named parameter: a tool's argument, a prompt's argument or a URI
/// template's variable.
pub struct Param {
    pub ident: Ident,
    /// The name clients use: the identifier without any `r#` prefix.
    pub json_name: String,
    pub ty: Type,
    pub doc: Option<String>,
    /// `#[header = "Name"]`: the argument is mirrored in the HTTP header
    /// `Mcp-Param-Name` (the schema's `x-mcp-header`, SEP-2243).
    pub header: Option<syn::LitStr>,
}

/// What the function returns.
pub enum Output {
    /// No return type.
    Unit,
    /// `T`: always a success.
    Plain(Type),
    /// `Result<T, E>` (or an alias named `Result`): `Err` becomes an error.
    Result(Type),
}

/// What the macros need of a function's signature.
pub struct Signature {
    pub inputs: Vec<Input>,
    pub params: Vec<Param>,
    pub output: Output,
    pub is_async: bool,
}

impl Signature {
    /// Checks `sig` against `rules` and reads it.
    pub fn read(sig: &syn::Signature, rules: &Rules) -> syn::Result<Self> {
        let reader = Reader { rules };
        Ctxt::collect(|cx| {
            reader.check_header(cx, sig);
            let mut inputs = Vec::new();
            let mut params = Vec::new();
            let mut context_seen = false;
            for arg in &sig.inputs {
                match cx.ok(reader.input(arg, &mut context_seen)) {
                    Some(Read::Context(context)) => inputs.push(context),
                    Some(Read::Param(param)) => {
                        inputs.push(Input::Param(params.len()));
                        params.push(*param);
                    }
                    None => {}
                }
            }
            check_headers_differ(cx, &params);
            let output = reader.output(cx, sig);
            Some(Signature {
                inputs,
                params,
                output,
                is_async: sig.asyncness.is_some(),
            })
        })
    }
}

/// The reader for one attribute's rules.
struct Reader<'a> {
    rules: &'a Rules,
}

/// One input, read.
enum Read {
    Context(Input),
    Param(Box<Param>),
}

impl Reader<'_> {
    /// An error at `tokens`, underlining them whole or from their first
    /// character as the rules say.
    fn error(&self, tokens: impl ToTokens, message: impl Display) -> syn::Error {
        if self.rules.whole_spans {
            syn::Error::new_spanned(tokens, message)
        } else {
            syn::Error::new(tokens.into_token_stream().span(), message)
        }
    }

    /// `async`, `unsafe`, generics, variadics.
    fn check_header(&self, cx: &Ctxt, sig: &syn::Signature) {
        let Rules { attr, noun, .. } = self.rules;
        if let (None, Some(awaits)) = (&sig.asyncness, self.rules.awaits) {
            cx.error(syn::Error::new(
                sig.fn_token.span,
                format!("`#[{attr}]` needs an `async fn`: write `async fn` so {awaits}"),
            ));
        }
        if let Some(unsafety) = &sig.unsafety {
            let clients = self.rules.clients;
            cx.error(syn::Error::new(
                unsafety.span,
                format!(
                    "{noun} cannot be `unsafe fn`: MCP clients {clients} it with no way to \
                     uphold its safety contract"
                ),
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            let why = if self.rules.tool {
                format!("each {attr} is one MCP tool with one fixed input schema, so ")
            } else {
                String::new()
            };
            cx.error(self.error(
                &sig.generics,
                format!("{noun} cannot be generic: {why}every parameter needs a concrete type"),
            ));
        }
        if let Some(variadic) = &sig.variadic {
            cx.error(syn::Error::new(
                variadic.span(),
                format!("{noun} cannot be variadic"),
            ));
        }
    }

    fn input(&self, arg: &FnArg, context_seen: &mut bool) -> syn::Result<Read> {
        let typed = match arg {
            FnArg::Receiver(receiver) => {
                let no_self = if self.rules.tool {
                    "an MCP tool has no `self`; "
                } else {
                    ""
                };
                return Err(syn::Error::new(
                    receiver.self_token.span,
                    format!(
                        "`#[{}]` goes on a free function, not a method: {no_self}move the \
                         function out of the `impl` block",
                        self.rules.attr
                    ),
                ));
            }
            FnArg::Typed(typed) => typed,
        };
        match self.context_kind(&typed.ty) {
            Some(kind) => self.context(typed, kind, context_seen).map(Read::Context),
            None => self.param(typed).map(|p| Read::Param(Box::new(p))),
        }
    }

    /// `Some(Ok((by_ref, mutable)))` when `ty` is the context type,
    /// `Some(Err(message))` when it is a context type refused here.
    fn context_kind(&self, ty: &Type) -> Option<Result<(bool, bool), &'static str>> {
        let (by_ref, mutable, ty) = match ty {
            Type::Reference(r) => (true, r.mutability.is_some(), &*r.elem),
            _ => (false, false, ty),
        };
        let Type::Path(path) = ty else { return None };
        let last = path.path.segments.last().filter(|_| path.qself.is_none())?;
        let context = &self.rules.context;
        if last.ident == context.ty {
            Some(Ok((by_ref, mutable)))
        } else {
            let (foreign, message) = context.foreign?;
            (last.ident == foreign).then_some(Err(message))
        }
    }

    fn context(
        &self,
        typed: &PatType,
        kind: Result<(bool, bool), &'static str>,
        context_seen: &mut bool,
    ) -> syn::Result<Input> {
        let (by_ref, mutable) = kind.map_err(|message| self.error(&typed.ty, message))?;
        let Rules { noun, context, .. } = self.rules;
        if *context_seen {
            return Err(self.error(
                &typed.ty,
                format!(
                    "{noun} takes at most one `{}` parameter, and this is the second one",
                    context.ty
                ),
            ));
        }
        if mutable {
            return Err(self.error(
                &typed.ty,
                format!(
                    "take the context as `&{}`: {}, so it cannot be borrowed mutably",
                    context.ty, context.shared
                ),
            ));
        }
        *context_seen = true;
        let (ident, mutability) = match &*typed.pat {
            Pat::Ident(pat) if pat.subpat.is_none() => (Some(pat.ident.clone()), pat.mutability),
            _ => (None, None),
        };
        Ok(Input::Context {
            by_ref,
            ident,
            mutability,
        })
    }

    fn param(&self, typed: &PatType) -> syn::Result<Param> {
        let Rules {
            params,
            each_param_is,
            ..
        } = self.rules;
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            Pat::Wild(wild) => {
                return Err(self.error(
                    wild,
                    format!(
                        "{params} need a name, because each one {each_param_is}; write \
                         `_name: T` for one the function does not use"
                    ),
                ));
            }
            other => {
                return Err(self.error(
                    other,
                    format!(
                        "{params} must be plain names, because each one {each_param_is}; \
                         destructure inside the function body instead"
                    ),
                ));
            }
        };
        self.check_param_type(&typed.ty)?;
        Ok(Param {
            json_name: ident.unraw().to_string(),
            ident,
            ty: (*typed.ty).clone(),
            doc: docs::doc_text(&typed.attrs),
            header: self.header(&typed.attrs)?,
        })
    }

    /// The `#[header = "Name"]` of a parameter, checked.
    fn header(&self, attrs: &[syn::Attribute]) -> syn::Result<Option<syn::LitStr>> {
        let mut found: Option<syn::LitStr> = None;
        for attr in attrs.iter().filter(|a| a.path().is_ident(HEADER)) {
            if !self.rules.tool {
                return Err(syn::Error::new_spanned(
                    attr,
                    format!(
                        "`#[header]` is for the parameters of agents and workflows: it names \
                         the HTTP header a `tools/call` carries the argument in, and {} \
                         is no tool",
                        self.rules.noun
                    ),
                ));
            }
            let name = match &attr.meta {
                syn::Meta::NameValue(syn::MetaNameValue {
                    value:
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(name),
                            ..
                        }),
                    ..
                }) => name.clone(),
                _ => {
                    return Err(syn::Error::new_spanned(
                        attr,
                        "write `#[header = \"Name\"]`: the argument then travels in the HTTP \
                         header `Mcp-Param-Name` as well as in the body",
                    ));
                }
            };
            if found.is_some() {
                return Err(syn::Error::new_spanned(
                    attr,
                    "this parameter already has a `#[header]`: an argument travels in one header",
                ));
            }
            let value = name.value();
            if value.is_empty() || !value.chars().all(is_token_char) {
                return Err(syn::Error::new_spanned(
                    &name,
                    format!(
                        "`{value}` cannot be an HTTP header name: use letters, digits and \
                         `!#$%&'*+-.^_`|~` only (an RFC 9110 token), such as \"Region\""
                    ),
                ));
            }
            found = Some(name);
        }
        Ok(found)
    }

    /// Rejects parameter types that can never come out of a request.
    fn check_param_type(&self, ty: &Type) -> syn::Result<()> {
        let Rules {
            noun, param, owned, ..
        } = self.rules;
        match ty {
            Type::ImplTrait(_) => {
                let schema = if self.rules.tool {
                    " that the tool's input schema can describe"
                } else {
                    ""
                };
                Err(self.error(
                    ty,
                    format!(
                        "{noun} cannot take `impl Trait` parameters: each {param} needs a \
                         concrete type{schema}"
                    ),
                ))
            }
            Type::Reference(reference) => {
                let suggestion = match &*reference.elem {
                    Type::Path(path) if path.path.is_ident("str") => {
                        "use `String` instead of `&str`"
                    }
                    _ => "use an owned type instead of a reference",
                };
                Err(self.error(ty, format!("{owned}: {suggestion}")))
            }
            _ => Ok(()),
        }
    }

    fn output(&self, cx: &Ctxt, sig: &syn::Signature) -> Output {
        let Rules { attr, noun, .. } = self.rules;
        match &sig.output {
            ReturnType::Default => {
                if let Some(returns) = self.rules.returns {
                    cx.error(syn::Error::new(
                        sig.ident.span(),
                        format!("`#[{attr}]` needs a return type: {noun} returns {returns}"),
                    ));
                }
                Output::Unit
            }
            ReturnType::Type(_, ty) => {
                if self.rules.tool && matches!(**ty, Type::ImplTrait(_)) {
                    cx.error(self.error(
                        ty,
                        format!(
                            "{noun} cannot return `impl Trait`: its result needs a concrete \
                             type that the tool's output schema can describe"
                        ),
                    ));
                }
                if is_result(ty) {
                    Output::Result((**ty).clone())
                } else {
                    Output::Plain((**ty).clone())
                }
            }
        }
    }
}

/// The parameter attribute naming an argument's HTTP header.
pub const HEADER: &str = "header";

/// An RFC 9110 token character, what HTTP header names are made of.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Header names are case-insensitive, so two parameters cannot share one
/// however it is spelled.
fn check_headers_differ(cx: &Ctxt, params: &[Param]) {
    let mut seen: Vec<String> = Vec::new();
    for header in params.iter().filter_map(|p| p.header.as_ref()) {
        let lower = header.value().to_ascii_lowercase();
        if seen.contains(&lower) {
            cx.error(syn::Error::new_spanned(
                header,
                format!(
                    "another parameter already travels in the header `Mcp-Param-{}` (header \
                     names ignore case); give each its own",
                    header.value()
                ),
            ));
        } else {
            seen.push(lower);
        }
    }
}

/// Whether `ty` is named `Result`, whatever its path.
fn is_result(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

#[cfg(test)]
mod tests {
    use super::Signature;
    use super::rules::{AGENT, PROMPT, RESOURCE, Rules, WORKFLOW};

    /// The messages for `sig` under `rules`, in order; empty when it is fine.
    fn messages(sig: &str, rules: &Rules) -> Vec<String> {
        let sig: syn::Signature = syn::parse_str(sig).unwrap();
        match Signature::read(&sig, rules) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn tools_must_be_async_but_prompts_and_resources_need_not() {
        assert!(messages("fn f()", &AGENT)[0].contains("needs an `async fn`"));
        assert!(messages("fn f()", &WORKFLOW)[0].contains("needs an `async fn`"));
        assert!(messages("fn f() -> String", &PROMPT).is_empty());
        assert!(messages("fn f() -> String", &RESOURCE).is_empty());
    }

    #[test]
    fn only_prompts_and_resources_need_a_return_type() {
        assert!(messages("async fn f()", &AGENT).is_empty());
        assert!(messages("async fn f()", &WORKFLOW).is_empty());
        assert!(messages("async fn f()", &PROMPT)[0].contains("needs a return type"));
        assert!(messages("async fn f()", &RESOURCE)[0].contains("needs a return type"));
    }

    #[test]
    fn each_kind_names_itself_in_its_messages() {
        for (rules, noun) in [
            (&AGENT, "an agent"),
            (&WORKFLOW, "a workflow"),
            (&PROMPT, "a prompt"),
            (&RESOURCE, "a resource"),
        ] {
            let found = messages("async unsafe fn f() -> String", rules);
            assert_eq!(found.len(), 1);
            assert!(found[0].starts_with(&format!("{noun} cannot be `unsafe fn`")));
        }
    }

    #[test]
    fn a_workflow_refuses_the_agent_context_that_the_others_take() {
        let sig = "async fn f(ctx: &AgentContext) -> String";
        assert!(messages(sig, &AGENT).is_empty());
        assert!(messages(sig, &PROMPT).is_empty());
        assert!(messages(sig, &WORKFLOW)[0].contains("not an `AgentContext`"));
    }

    #[test]
    fn every_kind_asks_for_a_name_instead_of_a_wildcard() {
        for rules in [&AGENT, &WORKFLOW, &PROMPT, &RESOURCE] {
            let found = messages("async fn f(_: String) -> String", rules);
            assert!(found[0].contains("need a name"), "{}", found[0]);
        }
    }

    #[test]
    fn all_problems_are_reported_in_declaration_order() {
        let found = messages(
            "fn f<T>(ctx: &AgentContext, again: &AgentContext, text: &str)",
            &AGENT,
        );
        let starts: Vec<_> = found.iter().map(|m| &m[..12]).collect();
        assert_eq!(
            starts,
            [
                "`#[agent]` n",
                "an agent can",
                "an agent tak",
                "agent parame"
            ]
        );
    }
}
