//! Writing the code for one resource. Everything here names the runtime
//! through `crate_path::private()`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use super::attr::{Audience, ResourceAttributes};
use super::template::Part;
use crate::emit::{call, finish, location, option_str, param_definitions, take_params};
use crate::handler::HandlerSignature;
use crate::{crate_path, docs};

pub fn resource(
    func: &ItemFn,
    attrs: &ResourceAttributes,
    sig: &HandlerSignature,
    parts: &[Part],
) -> TokenStream {
    let private = crate_path::private();
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;

    let name = attrs
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| fn_ident.to_string());
    let uri_text = attrs.uri.as_ref().map(LitStr::value).unwrap_or_default();
    let is_template = parts.iter().any(|p| !matches!(p, Part::Literal(_)));
    let uri = if is_template {
        let parts = parts.iter().map(|part| match part {
            Part::Literal(text) => quote!(#private::TemplatePart::Literal(#text)),
            Part::Variable(name) => quote!(#private::TemplatePart::Variable(#name)),
            Part::Reserved(name) => quote!(#private::TemplatePart::Reserved(#name)),
        });
        quote!(#private::ResourceUri::Template(#private::UriTemplate { parts: &[#(#parts),*] }))
    } else {
        quote!(#private::ResourceUri::Static(#uri_text))
    };
    let title = option_str(attrs.title.as_ref().map(LitStr::value));
    let description = option_str(
        attrs
            .description
            .as_ref()
            .map(LitStr::value)
            .or_else(|| docs::doc_text(&func.attrs)),
    );
    let mime_type = option_str(attrs.mime_type.as_ref().map(LitStr::value));
    let icons = &attrs.icons;
    let audience =
        attrs
            .audience
            .iter()
            .flat_map(|(_, readers)| readers)
            .map(|reader| match reader {
                Audience::User => quote!(#private::Role::User),
                Audience::Assistant => quote!(#private::Role::Assistant),
            });
    let priority = match &attrs.priority {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let complete = match &attrs.complete {
        Some(path) => quote_spanned! {path.span()=>
            ::core::option::Option::Some({
                const COMPLETER: #private::Completer = #path;
                COMPLETER
            })
        },
        None => quote!(::core::option::Option::None),
    };

    let params = param_definitions(
        &private,
        &sig.params,
        "template_param_schema",
        "template_param_is_required",
    );
    let args = Ident::new("__agentwire_args", Span::call_site());
    let ctx = Ident::new("__agentwire_ctx", Span::call_site());
    let take = take_params(&private, &sig.params, "take_template_variable", &args);
    let invoke = call(fn_ident, sig, &ctx);
    let finish = finish(
        &private,
        &sig.output,
        "resource_contents",
        "resource_contents_result",
        invoke,
    );
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
                audience: &[#(#audience),*],
                priority: #priority,
                params: &[#(#params),*],
                complete: #complete,
                read: #fn_ident::__agentwire_read,
                location: #location,
            };

            #[allow(unused_variables, non_snake_case)]
            fn __agentwire_read(
                #ctx: #private::AgentContext,
                mut #args: #private::JsonObject,
            ) -> #private::ResourceFuture {
                ::std::boxed::Box::pin(async move {
                    #(#take)*
                    #finish
                })
            }
        }

        #private::inventory::submit! { #private::ResourceEntry(#fn_ident::DEFINITION) }
    }
}
