//! `#[prompt]`: the function as written, beside it a type of the same name
//! holding the prompt's definition, and the inventory registration.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr};

use super::crate_path;
use super::handler::{self, Runtime};
use super::tokens::{NameSpans, description, location, name_or_fn, option_str, param_definitions};
use crate::internals::ast::Prompt;

const RUNTIME: Runtime = Runtime {
    future: "PromptFuture",
    take: "take_prompt_argument",
    plain: "prompt_messages",
    fallible: "prompt_messages_result",
};

/// The code for the prompt `func`, read as `prompt`.
pub fn generate(func: &ItemFn, prompt: &Prompt) -> TokenStream {
    let private = crate_path::private();
    let Prompt { attrs, sig } = prompt;
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;

    let name = name_or_fn(attrs.name.as_ref(), fn_ident);
    let title = option_str(attrs.title.as_ref().map(LitStr::value));
    let description = description(attrs.description.as_ref(), &func.attrs);
    let icons = &attrs.icons;
    let scopes = attrs.scopes.as_deref().unwrap_or_default();
    let complete = handler::completer(&private, attrs.complete.as_ref());
    let names = ("prompt_param_schema", "prompt_param_is_required");
    let params = param_definitions(&private, &sig.params, names, NameSpans::AtCallSite);
    let render = handler::entry_point(&private, fn_ident, sig, "__agentwire_render", &RUNTIME);
    let location = location(&private, fn_ident);
    let doc = format!("The prompt `{name}`: its definition, as `#[prompt]` recorded it.");

    quote! {
        #func

        #[doc = #doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_ident {}

        impl #fn_ident {
            #[doc(hidden)]
            #vis const DEFINITION: &'static #private::PromptDefinition = &#private::PromptDefinition {
                name: #name,
                title: #title,
                description: #description,
                icons: &[#(#icons),*],
                scopes: &[#(#scopes),*],
                params: &[#(#params),*],
                complete: #complete,
                render: #fn_ident::__agentwire_render,
                location: #location,
            };

            #render
        }

        #private::inventory::submit! { #private::PromptEntry(#fn_ident::DEFINITION) }
    }
}
