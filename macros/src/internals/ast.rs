//! What each attribute reads from its item: the item itself, then its
//! arguments and signature, checked against each other. Generation starts
//! from these and reads nothing else.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Block, ItemFn, Visibility};

use super::attr::agent::AgentAttributes;
use super::attr::prompt::PromptAttributes;
use super::attr::resource::ResourceAttributes;
use super::attr::workflow::WorkflowAttributes;
use super::check;
use super::ctxt::Ctxt;
use super::signature::{Signature, rules};
use super::uri_template::Part;

/// An item an attribute goes on, kept beside the errors when it has any.
pub trait Item: Parse + ToTokens {
    /// The signature, whose parameter docs are removed before output.
    fn sig_mut(&mut self) -> &mut syn::Signature;

    /// Whether the item is valid Rust on its own, and so can be kept.
    fn is_complete(&self) -> bool {
        true
    }
}

impl Item for ItemFn {
    fn sig_mut(&mut self) -> &mut syn::Signature {
        &mut self.sig
    }
}

/// An `async fn` with a body (a local agent, a workflow) or without one,
/// ended by `;` (a remote agent's declaration).
pub struct Function {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub sig: syn::Signature,
    pub body: Option<Block>,
}

impl Item for Function {
    fn sig_mut(&mut self) -> &mut syn::Signature {
        &mut self.sig
    }

    fn is_complete(&self) -> bool {
        self.body.is_some()
    }
}

impl Parse for Function {
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
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for Function {
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

/// `#[agent]`: its arguments and signature.
pub struct Agent {
    pub attrs: AgentAttributes,
    pub sig: Signature,
}

impl Agent {
    /// Reads `#[agent(args)]` on `func`; `None` after reporting why not.
    pub fn from_ast(cx: &Ctxt, args: TokenStream, func: &Function) -> Option<Self> {
        let attrs = cx.ok(AgentAttributes::parse(args));
        let sig = cx.ok(Signature::read(&func.sig, &rules::AGENT));
        let placement = attrs
            .as_ref()
            .and_then(|attrs| cx.ok(check::agent_placement(func, attrs)));
        placement?;
        Some(Agent {
            attrs: attrs?,
            sig: sig?,
        })
    }
}

/// `#[workflow]`: its arguments and signature.
pub struct Workflow {
    pub attrs: WorkflowAttributes,
    pub sig: Signature,
}

impl Workflow {
    /// Reads `#[workflow(args)]` on `func`; `None` after reporting why not.
    pub fn from_ast(cx: &Ctxt, args: TokenStream, func: &Function) -> Option<Self> {
        let attrs = cx.ok(WorkflowAttributes::parse(args));
        let sig = cx.ok(Signature::read(&func.sig, &rules::WORKFLOW));
        cx.ok(check::workflow_body(func))?;
        Some(Workflow {
            attrs: attrs?,
            sig: sig?,
        })
    }
}

/// `#[prompt]`: its arguments and signature.
pub struct Prompt {
    pub attrs: PromptAttributes,
    pub sig: Signature,
}

impl Prompt {
    /// Reads `#[prompt(args)]` on `func`; `None` after reporting why not.
    pub fn from_ast(cx: &Ctxt, args: TokenStream, func: &ItemFn) -> Option<Self> {
        let attrs = cx.ok(PromptAttributes::parse(args));
        let sig = cx.ok(Signature::read(&func.sig, &rules::PROMPT));
        Some(Prompt {
            attrs: attrs?,
            sig: sig?,
        })
    }
}

/// `#[resource]`: its arguments, signature and parsed URI.
pub struct Resource {
    pub attrs: ResourceAttributes,
    pub sig: Signature,
    pub parts: Vec<Part>,
}

impl Resource {
    /// Reads `#[resource(args)]` on `func`; `None` after reporting why not.
    pub fn from_ast(cx: &Ctxt, args: TokenStream, func: &ItemFn) -> Option<Self> {
        let attrs = cx.ok(ResourceAttributes::parse(args));
        let sig = cx.ok(Signature::read(&func.sig, &rules::RESOURCE));
        let (attrs, sig) = (attrs?, sig?);
        let parts = cx.ok(check::resource_uri(&attrs, &sig))?;
        Some(Resource { attrs, sig, parts })
    }
}
