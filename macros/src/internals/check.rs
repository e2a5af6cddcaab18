//! Checks that need more than one piece of what was read: an agent's body
//! against `remote`, a workflow's body, a resource's URI against its
//! parameters.

use syn::LitStr;
use syn::spanned::Spanned;

use super::ast::Function;
use super::attr::agent::AgentAttributes;
use super::attr::resource::ResourceAttributes;
use super::ctxt::Ctxt;
use super::signature::Signature;
use super::uri_template::{self, Part};

/// A local agent has a body; a remote one (`remote = "..."`) has none, and
/// runs elsewhere, so it declares no callees of its own.
pub fn agent_placement(func: &Function, attrs: &AgentAttributes) -> syn::Result<()> {
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

/// A workflow's steps run in the server that declares it.
pub fn workflow_body(func: &Function) -> syn::Result<()> {
    match &func.body {
        Some(_) => Ok(()),
        None => Err(syn::Error::new(
            func.sig.ident.span(),
            "a workflow needs a body: its steps run in this server",
        )),
    }
}

/// Parses the URI and checks that the parameters and the template
/// variables are the same names.
pub fn resource_uri(attrs: &ResourceAttributes, sig: &Signature) -> syn::Result<Vec<Part>> {
    let Some(uri) = &attrs.uri else {
        // `ResourceAttributes::parse` has already reported it.
        return Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[resource]` needs the resource's URI",
        ));
    };
    let parts = uri_template::parse(&uri.value())
        .map_err(|problem| syn::Error::new(uri.span(), problem))?;
    let variables: Vec<&str> = parts
        .iter()
        .filter_map(|part| match part {
            Part::Variable(name) | Part::Reserved(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
        .collect();
    Ctxt::collect(|cx| {
        if variables.is_empty() {
            fixed_uri_takes_nothing(cx, attrs, sig, uri);
        } else {
            variables_are_parameters(cx, sig, uri, &variables);
        }
        Some(())
    })?;
    Ok(parts)
}

/// A fixed URI has no variables: no parameters, nothing to complete.
fn fixed_uri_takes_nothing(cx: &Ctxt, attrs: &ResourceAttributes, sig: &Signature, uri: &LitStr) {
    for param in &sig.params {
        cx.error(syn::Error::new(
            param.ident.span(),
            format!(
                "the resource `{}` has a fixed URI, so it takes no parameters; to serve a \
                 family of URIs, make the URI a template with `{{{}}}` in it",
                uri.value(),
                param.json_name
            ),
        ));
    }
    if let Some(complete) = &attrs.complete {
        cx.error(syn::Error::new_spanned(
            complete,
            "`complete` suggests values for URI template variables, and this resource's \
             URI has none",
        ));
    }
}

/// Every parameter is a template variable, and every variable a parameter.
fn variables_are_parameters(cx: &Ctxt, sig: &Signature, uri: &LitStr, variables: &[&str]) {
    let known = variables
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    for param in &sig.params {
        if !variables.contains(&param.json_name.as_str()) {
            cx.error(syn::Error::new(
                param.ident.span(),
                format!(
                    "`{}` is not a variable of the URI template `{}`, whose variables are \
                     {known}; a resource's parameters are its template variables",
                    param.json_name,
                    uri.value()
                ),
            ));
        }
    }
    for variable in variables {
        if !sig.params.iter().any(|p| p.json_name == *variable) {
            cx.error(syn::Error::new(
                uri.span(),
                format!(
                    "the URI template variable `{{{variable}}}` has no parameter; add \
                     `{variable}: String` to the function"
                ),
            ));
        }
    }
}
