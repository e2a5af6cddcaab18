//! Writing the code for one prompt. Everything here names the runtime
//! through `crate_path::private()`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr};

use super::attr::PromptAttributes;
use crate::emit::{call, finish, location, option_str, param_definitions, take_params};
use crate::handler::HandlerSignature;
use crate::{crate_path, docs};

pub fn prompt(func: &ItemFn, attrs: &PromptAttributes, sig: &HandlerSignature) -> TokenStream {
    let private = crate_path::private();
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;

    let name = attrs
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| fn_ident.to_string());
    let title = option_str(attrs.title.as_ref().map(LitStr::value));
    let description = option_str(
        attrs
            .description
            .as_ref()
            .map(LitStr::value)
            .or_else(|| docs::doc_text(&func.attrs)),
    );
    let icons = &attrs.icons;
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
        "prompt_param_schema",
        "prompt_param_is_required",
    );
    let args = Ident::new("__agentwire_args", Span::call_site());
    let ctx = Ident::new("__agentwire_ctx", Span::call_site());
    let take = take_params(&private, &sig.params, "take_prompt_argument", &args);
    let invoke = call(fn_ident, sig, &ctx);
    let finish = finish(
        &private,
        &sig.output,
        "prompt_messages",
        "prompt_messages_result",
        invoke,
    );
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
                params: &[#(#params),*],
                complete: #complete,
                render: #fn_ident::__agentwire_render,
                location: #location,
            };

            #[allow(unused_variables, non_snake_case)]
            fn __agentwire_render(
                #ctx: #private::AgentContext,
                mut #args: #private::JsonObject,
            ) -> #private::PromptFuture {
                ::std::boxed::Box::pin(async move {
                    #(#take)*
                    #finish
                })
            }
        }

        #private::inventory::submit! { #private::PromptEntry(#fn_ident::DEFINITION) }
    }
}
