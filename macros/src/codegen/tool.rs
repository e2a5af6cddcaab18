//! What `#[agent]` and `#[workflow]` generate alike: both are MCP tools
//! described by an `AgentDefinition`, whose function body sees its context
//! through a caller wrapper, and whose result is a `Result`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::LitStr;
use syn::spanned::Spanned;

use super::tokens::{description, location, name_or_fn, option_bool, option_str};
use crate::internals::ast::Function;
use crate::internals::attr::budget::BudgetPolicy;
use crate::internals::attr::tool::ToolKeys;
use crate::internals::signature::{Input, Output, Signature};

/// The MCP tool name: the `name` key, or the function's name.
pub fn tool_name(keys: &ToolKeys, fn_ident: &Ident) -> String {
    name_or_fn(keys.name.as_ref(), fn_ident)
}

/// The fields of an `AgentDefinition` that agents and workflows fill
/// differently; the others come from the tool keys and the function.
pub struct Definition {
    pub params: Vec<TokenStream>,
    pub deny_unknown_arguments: bool,
    pub input_constraints: TokenStream,
    pub output_schema: TokenStream,
    pub kind: TokenStream,
    pub policy: TokenStream,
    pub callees: TokenStream,
    pub recursive: bool,
    /// `TaskSupport::...`: whether calls may become MCP tasks.
    pub task: TokenStream,
    pub span: TokenStream,
}

/// `const DEFINITION: &AgentDefinition`, the tool's description for the
/// registry, the stubs and the call graph.
pub fn definition(
    private: &TokenStream,
    func: &Function,
    keys: &ToolKeys,
    definition: Definition,
) -> TokenStream {
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;
    let tool_name = tool_name(keys, fn_ident);
    let title = option_str(keys.title.as_ref().map(LitStr::value));
    let description = description(keys.description.as_ref(), &func.attrs);
    let read_only = option_bool(&keys.read_only);
    let destructive = option_bool(&keys.destructive);
    let idempotent = option_bool(&keys.idempotent);
    let open_world = option_bool(&keys.open_world);
    let icons = &keys.icons;
    let scopes = keys.scopes.as_deref().unwrap_or_default();
    let location = location(private, fn_ident);
    let Definition {
        params,
        deny_unknown_arguments,
        input_constraints,
        output_schema,
        kind,
        policy,
        callees,
        recursive,
        task,
        span,
    } = definition;
    quote! {
        #[doc(hidden)]
        #vis const DEFINITION: &'static #private::AgentDefinition = &#private::AgentDefinition {
            name: #tool_name,
            title: #title,
            description: #description,
            annotations: #private::AnnotationFlags {
                read_only: #read_only,
                destructive: #destructive,
                idempotent: #idempotent,
                open_world: #open_world,
            },
            icons: &[#(#icons),*],
            scopes: &[#(#scopes),*],
            params: &[#(#params),*],
            deny_unknown_arguments: #deny_unknown_arguments,
            input_constraints: #input_constraints,
            output_schema: #output_schema,
            kind: #kind,
            policy: #policy,
            callees: #callees,
            recursive: #recursive,
            task: #task,
            span: #span,
            location: #location,
        };
    }
}

/// The user's function, whose body sees its context wrapped in `caller`
/// (`CallerContext` for an agent, `WorkflowCaller` for a workflow), typed by
/// the function: the wrapper that can call the agents it declares, and no
/// others.
pub fn with_caller_context(func: &Function, sig: &Signature, caller: &TokenStream) -> TokenStream {
    let Function {
        attrs,
        vis,
        sig: fn_sig,
        body,
    } = func;
    let fn_ident = &fn_sig.ident;
    let shadow = sig.inputs.iter().find_map(|input| match input {
        Input::Context {
            by_ref,
            ident: Some(ident),
            mutability,
        } => {
            let owned = if *by_ref {
                quote!(::core::clone::Clone::clone(#ident))
            } else {
                quote!(#ident)
            };
            let reference = by_ref.then(|| quote!(&));
            Some(quote! {
                #[allow(unused_variables, unused_mut)]
                let #mutability #ident = #reference #caller::<#fn_ident>::new(#owned);
            })
        }
        _ => None,
    });
    // The statements go straight into the new body: wrapping the old block
    // in another would make rustc warn about "unnecessary braces".
    let statements = body.as_ref().map(|block| &block.stmts);
    let statements = statements.into_iter().flatten();
    quote! {
        #(#attrs)*
        #vis #fn_sig {
            #shadow
            #(#statements)*
        }
    }
}

/// The function's own limits as a `Budget` constant. Durations and costs
/// are parsed by `const fn`s, so a malformed one fails the build at its
/// literal.
pub fn budget_policy(private: &TokenStream, policy: Option<&BudgetPolicy>) -> TokenStream {
    let none = quote!(::core::option::Option::None);
    let Some(policy) = policy else {
        return quote!(#private::Budget::UNLIMITED);
    };
    let time = policy.time.as_ref().map_or(
        none.clone(),
        |t| quote_spanned!(t.span()=> ::core::option::Option::Some(#private::units::duration(#t))),
    );
    let cost = policy.cost.as_ref().map_or(none.clone(), |c| {
        quote_spanned!(c.span()=> ::core::option::Option::Some(#private::units::cost_micros(#c)))
    });
    let int = |value: &Option<syn::LitInt>| {
        value
            .as_ref()
            .map_or(none.clone(), |v| quote!(::core::option::Option::Some(#v)))
    };
    let (tokens, depth, calls) = (int(&policy.tokens), int(&policy.depth), int(&policy.calls));
    quote! {
        #private::Budget {
            time: #time,
            tokens: #tokens,
            cost_micros: #cost,
            depth: #depth,
            calls: #calls,
        }
    }
}

/// How the function's return value is seen: as a `Result` whatever it is.
pub struct ResultType {
    /// Where everything checking the return type points: at the type, so a
    /// type that does not fit is reported there, not at the attribute.
    pub span: Span,
    /// The `Result` type the output is seen as.
    pub ty: TokenStream,
    /// What turns the function's value into it (nothing for a `Result`).
    pub wrap: TokenStream,
}

impl ResultType {
    /// How `output`, the return of the function `fn_ident`, is seen.
    pub fn new(output: &Output, fn_ident: &Ident) -> Self {
        let span = match output {
            Output::Unit => fn_ident.span(),
            Output::Plain(ty) | Output::Result(ty) => ty.span(),
        };
        let ok =
            quote_spanned!(span=> ::core::result::Result::<_, ::core::convert::Infallible>::Ok);
        let (ty, wrap) = match output {
            Output::Result(ty) => (quote!(#ty), quote!()),
            Output::Plain(ty) => (
                quote_spanned!(span=> ::core::result::Result<#ty, ::core::convert::Infallible>),
                ok,
            ),
            Output::Unit => (
                quote_spanned!(span=> ::core::result::Result<(), ::core::convert::Infallible>),
                ok,
            ),
        };
        ResultType { span, ty, wrap }
    }
}

/// `fn __agentwire_callees()`: the definitions of the agents in `calls`,
/// for the call graph and its cycle check.
pub fn callees_fn(private: &TokenStream, callees: &[syn::Path]) -> TokenStream {
    quote! {
        fn __agentwire_callees() -> &'static [&'static #private::AgentDefinition] {
            const CALLEES: &[&#private::AgentDefinition] = &[#(#callees::DEFINITION),*];
            CALLEES
        }
    }
}
