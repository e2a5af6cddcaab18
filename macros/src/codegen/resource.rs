//! `#[resource]`: the function as written, beside it a type of the same
//! name holding the resource's definition (a fixed URI or a URI template),
//! and the inventory registration.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr};

use super::crate_path;
use super::handler::{self, Runtime};
use super::tokens::{NameSpans, description, location, name_or_fn, option_str, param_definitions};
use crate::internals::ast::Resource;
use crate::internals::attr::resource::{Audience, ResourceAttributes};
use crate::internals::uri_template::Part;

const RUNTIME: Runtime = Runtime {
    future: "ResourceFuture",
    take: "take_template_variable",
    plain: "resource_contents",
    fallible: "resource_contents_result",
};

/// The code for the resource `func`, read as `resource`.
pub fn generate(func: &ItemFn, resource: &Resource) -> TokenStream {
    let private = crate_path::private();
    let Resource { attrs, sig, parts } = resource;
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;

    let name = name_or_fn(attrs.name.as_ref(), fn_ident);
    let uri_text = attrs.uri.as_ref().map(LitStr::value).unwrap_or_default();
    let uri = uri(&private, &uri_text, parts);
    let title = option_str(attrs.title.as_ref().map(LitStr::value));
    let description = description(attrs.description.as_ref(), &func.attrs);
    let mime_type = option_str(attrs.mime_type.as_ref().map(LitStr::value));
    let icons = &attrs.icons;
    let scopes = attrs.scopes.as_deref().unwrap_or_default();
    let (audience, priority) = annotations(&private, attrs);
    let complete = handler::completer(&private, attrs.complete.as_ref());
    let names = ("template_param_schema", "template_param_is_required");
    let params = param_definitions(&private, &sig.params, names, NameSpans::AtCallSite);
    let read = handler::entry_point(&private, fn_ident, sig, "__agentwire_read", &RUNTIME);
    let location = location(&private, fn_ident);
    let doc = format!("The resource `{uri_text}`: its definition, as `#[resource]` recorded it.");

    quote! {
        #func

        #[doc = #doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_ident {}

        impl #fn_ident {
            #[doc(hidden)]
            #vis const DEFINITION: &'static #private::ResourceDefinition = &#private::ResourceDefinition {
                name: #name,
                uri: #uri,
                title: #title,
                description: #description,
                mime_type: #mime_type,
                icons: &[#(#icons),*],
                scopes: &[#(#scopes),*],
                audience: &[#(#audience),*],
                priority: #priority,
                params: &[#(#params),*],
                complete: #complete,
                read: #fn_ident::__agentwire_read,
                location: #location,
            };

            #read
        }

        #private::inventory::submit! { #private::ResourceEntry(#fn_ident::DEFINITION) }
    }
}

/// `ResourceUri::Static` for a fixed URI, `ResourceUri::Template` with the
/// parsed parts for a template, so nothing is parsed at run time.
fn uri(private: &TokenStream, uri_text: &str, parts: &[Part]) -> TokenStream {
    let is_template = parts.iter().any(|p| !matches!(p, Part::Literal(_)));
    if !is_template {
        return quote!(#private::ResourceUri::Static(#uri_text));
    }
    let parts = parts.iter().map(|part| match part {
        Part::Literal(text) => quote!(#private::TemplatePart::Literal(#text)),
        Part::Variable(name) => quote!(#private::TemplatePart::Variable(#name)),
        Part::Reserved(name) => quote!(#private::TemplatePart::Reserved(#name)),
    });
    quote!(#private::ResourceUri::Template(#private::UriTemplate { parts: &[#(#parts),*] }))
}

/// The audience's roles and the priority.
fn annotations(
    private: &TokenStream,
    attrs: &ResourceAttributes,
) -> (Vec<TokenStream>, TokenStream) {
    let audience = attrs
        .audience
        .iter()
        .flat_map(|(_, readers)| readers)
        .map(|reader| match reader {
            Audience::User => quote!(#private::Role::User),
            Audience::Assistant => quote!(#private::Role::Assistant),
        })
        .collect();
    let priority = match &attrs.priority {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    (audience, priority)
}
