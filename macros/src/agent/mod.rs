//! `#[agent]`: reads an `async fn`, keeps it as written, and adds beside it a
//! type of the same name holding the agent's definition and its typed call
//! stub, plus the inventory registration.

pub(crate) mod attr;
pub(crate) mod expand;
pub(crate) mod signature;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Block, Signature, Visibility};

use attr::AgentAttributes;
use signature::AgentSignature;

/// An `async fn` with a body (a local agent) or without one, ended by `;`
/// (a remote agent's declaration).
pub struct AgentItem {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: Signature,
    pub body: Option<Block>,
}

impl Parse for AgentItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = if input.peek(syn::Token![;]) {
            input.parse::<syn::Token![;]>()?;
            None
        } else {
            Some(input.parse()?)
        };
        Ok(AgentItem {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for AgentItem {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for attr in &self.attrs {
            attr.to_tokens(tokens);
        }
        self.vis.to_tokens(tokens);
        self.sig.to_tokens(tokens);
        match &self.body {
            Some(body) => body.to_tokens(tokens),
            None => quote!(;).to_tokens(tokens),
        }
    }
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: AgentItem = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[agent]` goes on an `async fn`",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };

    let attrs = AgentAttributes::parse(args);
    let signature = AgentSignature::read(&func.sig);
    let placement = attrs
        .as_ref()
        .ok()
        .map(|attrs| check_placement(&func, attrs));
    // Doc comments on parameters are ours to read; rustc rejects them if left.
    strip_parameter_docs(&mut func);

    match (attrs, signature, placement) {
        (Ok(attrs), Ok(signature), Some(Ok(()))) => expand::agent(&func, &attrs, &signature),
        (attrs, signature, placement) => {
            // Report every problem, and keep the function so the IDE still
            // sees it and the rest of the crate type-checks.
            let mut errors = None;
            let placement = placement.and_then(Result::err);
            for error in [attrs.err(), signature.err(), placement]
                .into_iter()
                .flatten()
            {
                crate::attr_parse::push(&mut errors, error);
            }
            let errors = errors.map(|e| e.to_compile_error());
            let item = func.body.is_some().then_some(&func);
            quote!(#errors #item)
        }
    }
}

/// A local agent has a body; a remote one (`remote = "..."`) has none, and
/// runs elsewhere, so it declares no callees of its own.
fn check_placement(func: &AgentItem, attrs: &AgentAttributes) -> syn::Result<()> {
    match (&attrs.remote, &func.body) {
        (None, None) => Err(syn::Error::new(
            func.sig.span(),
            "this agent has no body: write its body, or, if it runs on another MCP server, \
             declare which one with `#[agent(remote = \"server-name\")]`",
        )),
        (Some(remote), Some(_)) => Err(syn::Error::new(
            remote.span(),
            "a remote agent runs on another server, so its declaration has no body: end it \
             with `;` instead of `{ ... }`",
        )),
        (Some(remote), None) if attrs.calls.is_some() || attrs.recursive.is_some() => {
            Err(syn::Error::new(
                remote.span(),
                "`calls` and `recursive` describe a local agent's body; a remote agent's \
                 server declares its own",
            ))
        }
        _ => Ok(()),
    }
}

fn strip_parameter_docs(func: &mut AgentItem) {
    for input in &mut func.sig.inputs {
        if let syn::FnArg::Typed(typed) = input {
            typed.attrs.retain(|a| !crate::docs::is_doc(a));
        }
    }
}
