//! `#[resource]`: reads a function, keeps it as written, and adds beside it
//! a type of the same name holding the resource's definition, plus the
//! inventory registration. The URI is parsed here, so a bad template or a
//! parameter that matches no template variable fails the build.

mod attr;
mod expand;
mod template;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::attr_parse::push;
use crate::handler::{HandlerSignature, Kind};
use attr::ResourceAttributes;
use template::Part;

const KIND: Kind = Kind {
    attr: "resource",
    noun: "a resource",
    param: "URI template variable",
    returns: "its contents: `String`, `Vec<u8>`, `ResourceContent` or `Vec<ResourceContent>`",
};

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "`#[resource]` goes on a function (`async fn` or `fn`)",
            )
            .to_compile_error();
            return quote!(#error #item);
        }
    };

    let attrs = ResourceAttributes::parse(args);
    let signature = HandlerSignature::read(&func, KIND);
    crate::docs::strip_parameter_docs(&mut func);

    let checked = match (attrs, signature) {
        (Ok(attrs), Ok(signature)) => {
            check(&attrs, &signature).map(|parts| (attrs, signature, parts))
        }
        (attrs, signature) => {
            let mut errors = None;
            for error in [attrs.err(), signature.err()].into_iter().flatten() {
                push(&mut errors, error);
            }
            Err(errors.expect("one of them failed"))
        }
    };
    match checked {
        Ok((attrs, signature, parts)) => expand::resource(&func, &attrs, &signature, &parts),
        Err(errors) => {
            // Keep the function so the IDE still sees it.
            let errors = errors.to_compile_error();
            quote!(#errors #func)
        }
    }
}

/// Parses the URI and checks that the parameters and the template
/// variables are the same names.
fn check(attrs: &ResourceAttributes, sig: &HandlerSignature) -> syn::Result<Vec<Part>> {
    let uri = attrs.uri.as_ref().expect("parse requires `uri`");
    let parts =
        template::parse(&uri.value()).map_err(|problem| syn::Error::new(uri.span(), problem))?;
    let variables: Vec<&str> = parts
        .iter()
        .filter_map(|part| match part {
            Part::Variable(name) | Part::Reserved(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
        .collect();
    let mut errors = None;
    if variables.is_empty() {
        for param in &sig.params {
            push(
                &mut errors,
                syn::Error::new(
                    param.ident.span(),
                    format!(
                        "the resource `{}` has a fixed URI, so it takes no parameters; to serve a \
                         family of URIs, make the URI a template with `{{{}}}` in it",
                        uri.value(),
                        param.json_name
                    ),
                ),
            );
        }
        if let Some(complete) = &attrs.complete {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    complete,
                    "`complete` suggests values for URI template variables, and this resource's \
                     URI has none",
                ),
            );
        }
    } else {
        let known = variables
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        for param in &sig.params {
            if !variables.contains(&param.json_name.as_str()) {
                push(
                    &mut errors,
                    syn::Error::new(
                        param.ident.span(),
                        format!(
                            "`{}` is not a variable of the URI template `{}`, whose variables are {known}; \
                             a resource's parameters are its template variables",
                            param.json_name,
                            uri.value()
                        ),
                    ),
                );
            }
        }
        for variable in &variables {
            if !sig.params.iter().any(|p| p.json_name == *variable) {
                push(
                    &mut errors,
                    syn::Error::new(
                        uri.span(),
                        format!(
                            "the URI template variable `{{{variable}}}` has no parameter; add \
                             `{variable}: String` to the function"
                        ),
                    ),
                );
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(parts),
    }
}
