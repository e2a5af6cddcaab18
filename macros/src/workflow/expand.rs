//! Writing the code for one workflow. Everything here names the runtime
//! through `crate_path::private()`; behaviour lives in the runtime.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::LitStr;
use syn::spanned::Spanned;

use super::attr::{RetryAttr, WorkflowAttributes};
use crate::agent::AgentItem;
use crate::agent::expand::{
    budget_policy, call_args, option_bool, option_str, result_type, with_caller_context,
};
use crate::agent::signature::{AgentSignature, Output};
use crate::{crate_path, docs};

pub fn workflow(func: &AgentItem, attrs: &WorkflowAttributes, sig: &AgentSignature) -> TokenStream {
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
    let policy = budget_policy(&private, attrs.budget.as_ref());
    let callees = attrs.calls.clone().unwrap_or_default();
    let retry = retry_policy(&private, attrs.retry.as_ref());
    let step_timeout = match &attrs.step_timeout {
        Some(t) => {
            quote_spanned!(t.span()=> ::core::option::Option::Some(#private::units::duration(#t)))
        }
        None => quote!(::core::option::Option::None),
    };

    let output_check_span = match &sig.output {
        Output::Unit => fn_ident.span(),
        Output::Plain(ty) | Output::Result(ty) => ty.span(),
    };
    let (result_ty, wrap_output) = result_type(&sig.output, output_check_span);
    let output_ty = quote!(<#result_ty as #private::IntoAgentResult>::Output);
    let output_schema = quote_spanned! {output_check_span=>
        #private::workflow_output_schema::<#output_ty>
    };

    let params = sig.params.iter().map(|p| {
        let name = &p.json_name;
        let ty = &p.ty;
        let doc = option_str(p.doc.clone());
        let schema = quote_spanned!(ty.span()=> #private::param_schema::<#ty>);
        let required = quote_spanned!(ty.span()=> #private::param_is_required::<#ty>);
        quote! {
            #private::ParamDefinition {
                name: #name,
                description: #doc,
                schema: #schema,
                required: #required,
            }
        }
    });
    let ctx_ident = quote!(__agentwire_ctx);
    let invoke_args = call_args(sig, &ctx_ident);
    let take_arguments = sig.params.iter().map(|p| {
        let ident = &p.ident;
        let name = &p.json_name;
        let ty = &p.ty;
        let take = quote_spanned! {ty.span()=>
            #private::take_argument::<#ty>(&mut __agentwire_args, #name)
        };
        quote!(let #ident: #ty = #take?;)
    });
    let checks = sig.params.iter().map(|p| {
        let name = &p.json_name;
        let ty = &p.ty;
        quote_spanned!(ty.span()=> #private::check_argument::<#ty>(__agentwire_args, #name)?;)
    });
    let declares = callees.iter().map(|callee| {
        quote_spanned! {callee.span()=>
            impl #private::WorkflowDeclares<#callee> for #fn_ident {}
        }
    });
    let stub_doc = format!(
        "The workflow `{tool_name}`: its definition. Clients start runs with the tool \
         `{tool_name}` or with `workflows-run`."
    );
    let location = quote_spanned! {fn_ident.span()=>
        #private::SourceLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            module_path: ::core::module_path!(),
        }
    };
    let item = with_caller_context(func, sig, &quote!(#private::WorkflowCaller));

    quote! {
        #item

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
                // Unknown arguments are ignored, as by agents without the flag.
                deny_unknown_arguments: false,
                output_schema: #output_schema,
                kind: #private::AgentKind::Workflow(&#private::WorkflowDefinition {
                    run: #fn_ident::__agentwire_run,
                    check: #fn_ident::__agentwire_check,
                    retry: #retry,
                    step_timeout: #step_timeout,
                }),
                policy: #policy,
                callees: #fn_ident::__agentwire_callees,
                recursive: false,
                span: #private::no_span,
                location: #location,
            };

            #[allow(unused_variables, unused_mut)]
            fn __agentwire_run(
                #ctx_ident: #private::WorkflowContext,
                mut __agentwire_args: #private::JsonObject,
            ) -> #private::InvokeFuture {
                ::std::boxed::Box::pin(async move {
                    #(#take_arguments)*
                    let output = #wrap_output(#fn_ident(#(#invoke_args),*).await);
                    #private::finish_invocation::<#result_ty>(output)
                })
            }

            #[allow(unused_variables)]
            fn __agentwire_check(
                __agentwire_args: &#private::JsonObject,
            ) -> ::core::result::Result<(), #private::ArgumentError> {
                #(#checks)*
                ::core::result::Result::Ok(())
            }

            fn __agentwire_callees() -> &'static [&'static #private::AgentDefinition] {
                const CALLEES: &[&#private::AgentDefinition] = &[#(#callees::DEFINITION),*];
                CALLEES
            }
        }

        #(#declares)*
        #private::inventory::submit! { #private::AgentEntry(#fn_ident::DEFINITION) }
    }
}

/// The declared retry policy, on top of the runtime's default.
fn retry_policy(private: &TokenStream, retry: Option<&RetryAttr>) -> TokenStream {
    let Some(retry) = retry else {
        return quote!(#private::RetryPolicy::DEFAULT);
    };
    let attempts = retry.attempts.as_ref().map(|a| quote!(attempts: #a,));
    let backoff = retry
        .backoff
        .as_ref()
        .map(|b| quote_spanned!(b.span()=> backoff: #private::units::duration(#b),));
    let max_backoff = retry
        .max_backoff
        .as_ref()
        .map(|b| quote_spanned!(b.span()=> max_backoff: #private::units::duration(#b),));
    let factor = retry.factor.as_ref().map(|f| match f {
        syn::Lit::Int(i) => {
            let value = i.base10_digits();
            let float: proc_macro2::TokenStream = format!("{value}.0").parse().unwrap_or_default();
            quote!(factor: #float,)
        }
        other => quote!(factor: #other,),
    });
    quote! {
        #private::RetryPolicy {
            #attempts
            #backoff
            #max_backoff
            #factor
            ..#private::RetryPolicy::DEFAULT
        }
    }
}
