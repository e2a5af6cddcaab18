//! Writing the code for one agent. Everything here names the runtime through
//! `crate_path::private()`; behaviour lives in the runtime, not in this text.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitBool, LitStr};

use super::attr::AgentAttributes;
use super::signature::{AgentSignature, Input, Output};
use crate::{crate_path, docs};

pub fn agent(func: &ItemFn, attrs: &AgentAttributes, sig: &AgentSignature) -> TokenStream {
    let private = crate_path::private();
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;

    let tool_name = attrs
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
    let read_only = option_bool(&attrs.read_only);
    let destructive = option_bool(&attrs.destructive);
    let idempotent = option_bool(&attrs.idempotent);
    let open_world = option_bool(&attrs.open_world);
    let icons = &attrs.icons;
    let deny_unknown_arguments = attrs
        .deny_unknown_arguments
        .as_ref()
        .is_some_and(|flag| flag.value);

    let (result_ty, wrap_output) = result_type(&sig.output);
    let output_check_span = match &sig.output {
        Output::Unit => fn_ident.span(),
        Output::Plain(ty) | Output::Result(ty) => ty.span(),
    };
    let output_schema = quote_spanned! {output_check_span=>
        #private::output_schema::<<#result_ty as #private::IntoAgentResult>::Output>
    };

    let params = sig.params.iter().map(|p| {
        let name = &p.json_name;
        let ty = &p.ty;
        let doc = option_str(p.doc.clone());
        let schema = quote_spanned!(ty.span()=> #private::param_schema::<#ty>);
        quote! {
            #private::ParamDefinition {
                name: #name,
                description: #doc,
                schema: #schema,
                required: #private::param_is_required::<#ty>,
            }
        }
    });

    let take_arguments = sig.params.iter().map(|p| {
        let ident = &p.ident;
        let name = &p.json_name;
        let ty = &p.ty;
        let take = quote_spanned! {ty.span()=>
            #private::take_argument::<#ty>(&mut __agentwire_args, #name)
        };
        quote!(let #ident: #ty = #take?;)
    });

    let call_args = |ctx: &TokenStream| -> Vec<TokenStream> {
        sig.inputs
            .iter()
            .map(|input| match input {
                Input::Context {
                    by_ref: true,
                    mutable: true,
                } => quote!(&mut #ctx),
                Input::Context {
                    by_ref: true,
                    mutable: false,
                } => quote!(&#ctx),
                Input::Context { by_ref: false, .. } => quote!(#ctx),
                Input::Param(i) => {
                    let ident = &sig.params[*i].ident;
                    quote!(#ident)
                }
            })
            .collect()
    };
    let ctx_ident = quote!(__agentwire_ctx);
    let invoke_args = call_args(&ctx_ident);
    let mut_ctx = sig
        .inputs
        .iter()
        .any(|i| matches!(i, Input::Context { mutable: true, .. }))
        .then(|| quote!(mut));

    let stub_params = sig.params.iter().map(|p| {
        let ident = &p.ident;
        let ty = &p.ty;
        quote!(#ident: #ty)
    });

    let stub_doc = format!(
        "The agent `{tool_name}`: its definition, and the typed stub \
         [`{fn_ident}::call`]({fn_ident}::call) that calls it from another agent."
    );
    let call_doc = format!(
        "Calls the agent `{tool_name}` from another agent, as a child of `caller`: \
         the call is cancelled with the caller, and its failures (a panic included) \
         come back as a `CallError`."
    );
    let location = quote_spanned! {fn_ident.span()=>
        #private::SourceLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            module_path: ::core::module_path!(),
        }
    };

    // The stub is a field-less braced struct named like the function: it
    // lives in the type namespace only, so it sits beside the function
    // (even inside a function body) and reads `greet::call(ctx, ...)`.
    quote! {
        #func

        #[doc = #stub_doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_ident {}

        impl #fn_ident {
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
                params: &[#(#params),*],
                deny_unknown_arguments: #deny_unknown_arguments,
                output_schema: #output_schema,
                invoke: #fn_ident::__agentwire_invoke,
                location: #location,
            };

            #[allow(unused_variables, unused_mut)]
            fn __agentwire_invoke(
                #mut_ctx #ctx_ident: #private::AgentContext,
                mut __agentwire_args: #private::JsonObject,
            ) -> #private::InvokeFuture {
                ::std::boxed::Box::pin(async move {
                    #(#take_arguments)*
                    let output = #wrap_output(#fn_ident(#(#invoke_args),*).await);
                    #private::finish_invocation::<#result_ty>(output)
                })
            }

            #[doc = #call_doc]
            #[allow(clippy::too_many_arguments)]
            #vis async fn call(
                caller: &#private::AgentContext,
                #(#stub_params),*
            ) -> ::core::result::Result<
                <#result_ty as #private::IntoAgentResult>::Output,
                #private::CallError,
            > {
                #private::call_local(caller, #fn_ident::DEFINITION, move |#mut_ctx #ctx_ident| async move {
                    #private::IntoAgentResult::into_agent_result(
                        #wrap_output(#fn_ident(#(#invoke_args),*).await)
                    )
                })
                .await
            }
        }

        #private::inventory::submit! { #private::AgentEntry(#fn_ident::DEFINITION) }
    }
}

/// The `Result` type the function's output is seen as, and the wrapper that
/// turns the function's value into it.
fn result_type(output: &Output) -> (TokenStream, TokenStream) {
    let ok = quote!(::core::result::Result::<_, ::core::convert::Infallible>::Ok);
    match output {
        Output::Result(ty) => (quote!(#ty), quote!()),
        Output::Plain(ty) => (
            quote!(::core::result::Result<#ty, ::core::convert::Infallible>),
            ok,
        ),
        Output::Unit => (
            quote!(::core::result::Result<(), ::core::convert::Infallible>),
            ok,
        ),
    }
}

fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

fn option_bool(value: &Option<LitBool>) -> TokenStream {
    match value {
        Some(flag) => quote!(::core::option::Option::Some(#flag)),
        None => quote!(::core::option::Option::None),
    }
}
