//! `#[workflow]`: the function as written (its context seen as a
//! `WorkflowCaller`), beside it a type of the same name holding the
//! workflow's definition, with the entry points the workflow backend runs,
//! and the inventory registration.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::crate_path;
use super::tokens::{NameSpans, call_args, ctx, param_definitions, take_params};
use super::tool::{self, Definition, ResultType};
use crate::internals::ast::{Function, Workflow};
use crate::internals::attr::workflow::RetryAttr;

/// The code for the workflow `func`, read as `workflow`.
pub fn generate(func: &Function, workflow: &Workflow) -> TokenStream {
    let private = crate_path::private();
    let Workflow { attrs, sig } = workflow;
    let fn_ident = &func.sig.ident;
    let vis = &func.vis;
    let result = ResultType::new(&sig.output, fn_ident);
    let definition = definition(&private, func, workflow, &result);
    let entry_points = entry_points(&private, func, workflow, &result);
    let callees_fn = tool::callees_fn(&private, attrs.calls.as_deref().unwrap_or_default());
    let declares = attrs.calls.iter().flatten().map(|callee| {
        quote_spanned! {callee.span()=>
            impl #private::WorkflowDeclares<#callee> for #fn_ident {}
        }
    });
    let tool_name = tool::tool_name(&attrs.tool, fn_ident);
    let stub_doc = format!(
        "The workflow `{tool_name}`: its definition. Clients start runs with the tool \
         `{tool_name}` or with `workflows-run`."
    );
    let item = tool::with_caller_context(func, sig, &quote!(#private::WorkflowCaller));

    quote! {
        #item

        #[doc = #stub_doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #fn_ident {}

        impl #fn_ident {
            #definition

            #entry_points

            #callees_fn
        }

        #(#declares)*
        #private::inventory::submit! { #private::AgentEntry(#fn_ident::DEFINITION) }
    }
}

/// `const DEFINITION`: a tool whose kind is a workflow, with its retry
/// policy and step timeout.
fn definition(
    private: &TokenStream,
    func: &Function,
    workflow: &Workflow,
    result: &ResultType,
) -> TokenStream {
    let Workflow { attrs, sig } = workflow;
    let fn_ident = &func.sig.ident;
    let result_ty = &result.ty;
    let output_ty = quote!(<#result_ty as #private::IntoAgentResult>::Output);
    let retry = retry_policy(private, attrs.retry.as_ref());
    let step_timeout = match &attrs.step_timeout {
        Some(t) => {
            quote_spanned!(t.span()=> ::core::option::Option::Some(#private::units::duration(#t)))
        }
        None => quote!(::core::option::Option::None),
    };
    let task = if attrs
        .task_required
        .as_ref()
        .is_some_and(syn::LitBool::value)
    {
        quote!(#private::TaskSupport::Required)
    } else {
        quote!(#private::TaskSupport::Optional)
    };
    let names = ("param_schema", "param_is_required");
    let definition = Definition {
        params: param_definitions(private, &sig.params, names, NameSpans::AtType),
        // Unknown arguments are ignored, as by agents without the flag.
        deny_unknown_arguments: false,
        input_constraints: quote!(::core::option::Option::None),
        output_schema: quote_spanned! {result.span=>
            #private::workflow_output_schema::<#output_ty>
        },
        kind: quote! {
            #private::AgentKind::Workflow(&#private::WorkflowDefinition {
                run: #fn_ident::__agentwire_run,
                check: #fn_ident::__agentwire_check,
                retry: #retry,
                step_timeout: #step_timeout,
            })
        },
        policy: tool::budget_policy(private, attrs.budget.as_ref()),
        callees: quote!(#fn_ident::__agentwire_callees),
        // A workflow is never called by an agent, so it is in no cycle.
        recursive: false,
        task,
        span: quote!(#private::no_span),
    };
    tool::definition(private, func, &attrs.tool, definition)
}

/// `__agentwire_run`, which runs the workflow, and `__agentwire_check`,
/// which checks a run's arguments before it is started.
fn entry_points(
    private: &TokenStream,
    func: &Function,
    workflow: &Workflow,
    result: &ResultType,
) -> TokenStream {
    let sig = &workflow.sig;
    let fn_ident = &func.sig.ident;
    let (wrap, result_ty) = (&result.wrap, &result.ty);
    let ctx = ctx();
    let invoke_args = call_args(sig, &ctx);
    let take_arguments = take_params(private, &sig.params, "take_argument", NameSpans::AtType);
    let checks = sig.params.iter().map(|p| {
        let name = &p.json_name;
        let ty = &p.ty;
        quote_spanned!(ty.span()=> #private::check_argument::<#ty>(__agentwire_args, #name)?;)
    });
    quote! {
        #[allow(unused_variables, unused_mut)]
        fn __agentwire_run(
            #ctx: #private::WorkflowContext,
            mut __agentwire_args: #private::JsonObject,
        ) -> #private::InvokeFuture {
            ::std::boxed::Box::pin(async move {
                #(#take_arguments)*
                let output = #wrap(#fn_ident(#(#invoke_args),*).await);
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
            let float: TokenStream = format!("{value}.0").parse().unwrap_or_default();
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
