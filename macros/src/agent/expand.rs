//! Writing the code for one agent. Everything here names the runtime through
//! `crate_path::private()`; behaviour lives in the runtime, not in this text.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{LitBool, LitStr};

use super::AgentItem;
use super::attr::{AgentAttributes, BudgetPolicy};
use super::signature::{AgentSignature, Input, Output};
use crate::{crate_path, docs};

pub fn agent(func: &AgentItem, attrs: &AgentAttributes, sig: &AgentSignature) -> TokenStream {
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
    let recursive = attrs.recursive.as_ref().is_some_and(LitBool::value);
    let policy = budget_policy(&private, attrs.budget.as_ref());
    let callees = attrs.calls.clone().unwrap_or_default();

    // Everything that checks the return type is spanned at it, so a type
    // that does not fit is reported there, not at `#[agent]`.
    let output_check_span = match &sig.output {
        Output::Unit => fn_ident.span(),
        Output::Plain(ty) | Output::Result(ty) => ty.span(),
    };
    let (result_ty, wrap_output) = result_type(&sig.output, output_check_span);
    let output_ty =
        quote_spanned!(output_check_span=> <#result_ty as #private::IntoAgentResult>::Output);
    let output_schema = quote_spanned! {output_check_span=>
        #private::output_schema::<#output_ty>
    };

    let remote = attrs.remote.as_ref();
    let params = sig.params.iter().map(|p| {
        let name = &p.json_name;
        let ty = &p.ty;
        let doc = option_str(p.doc.clone());
        // A remote agent's parameters are sent, a local one's received.
        let (schema, required) = if remote.is_some() {
            (
                quote_spanned!(ty.span()=> #private::remote_param_schema::<#ty>),
                quote_spanned!(ty.span()=> #private::remote_param_is_required::<#ty>),
            )
        } else {
            (
                quote_spanned!(ty.span()=> #private::param_schema::<#ty>),
                quote_spanned!(ty.span()=> #private::param_is_required::<#ty>),
            )
        };
        quote! {
            #private::ParamDefinition {
                name: #name,
                description: #doc,
                schema: #schema,
                required: #required,
            }
        }
    });

    let stub_params: Vec<_> = sig
        .params
        .iter()
        .map(|p| {
            let ident = &p.ident;
            let ty = &p.ty;
            quote!(#ident: #ty)
        })
        .collect();
    let stub_args: Vec<_> = sig.params.iter().map(|p| &p.ident).collect();
    // The stubs' own parameters read `caller` and `budget` in the docs,
    // unless the agent uses those names itself.
    let taken = |name: &str| *fn_ident == name || sig.params.iter().any(|p| p.ident == name);
    let caller = if taken("caller") {
        format_ident!("__agentwire_caller_ref")
    } else {
        format_ident!("caller")
    };
    let budget = if taken("budget") {
        format_ident!("__agentwire_budget_arg")
    } else {
        format_ident!("budget")
    };
    let stub_doc = format!(
        "The agent `{tool_name}`: its definition, and the typed stubs \
         [`{fn_ident}::call`]({fn_ident}::call) and \
         [`{fn_ident}::call_with_budget`]({fn_ident}::call_with_budget) that call it from \
         another agent which declares it in `#[agent(calls = [...])]`."
    );
    let call_doc = format!(
        "Calls the agent `{tool_name}` from an agent that declares it, within the caller's \
         remaining budget and `{tool_name}`'s own policy. The call is cancelled with the \
         caller; its failures (budget, error, panic) come back as a `CallError`."
    );
    let call_with_budget_doc = format!("[`call`]({fn_ident}::call), narrowed further by `budget`.");
    let location = quote_spanned! {fn_ident.span()=>
        #private::SourceLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            module_path: ::core::module_path!(),
        }
    };

    let (kind, run_call, local_items, item, registration) = match remote {
        Some(server) => {
            let puts = sig.params.iter().map(|p| {
                let ident = &p.ident;
                let name = &p.json_name;
                quote!(#private::put_argument(&mut __agentwire_args, #name, #ident, #fn_ident::DEFINITION)?;)
            });
            let run_call = quote! {
                let mut __agentwire_args = #private::JsonObject::new();
                #(#puts)*
                #private::call_remote::<#output_ty>(
                    &__agentwire_caller,
                    #fn_ident::DEFINITION,
                    #server,
                    __agentwire_args,
                    __agentwire_budget,
                )
                .await
            };
            (
                quote!(#private::AgentKind::Remote { server: #server }),
                run_call,
                quote!(),
                quote!(),
                quote!(),
            )
        }
        None => {
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
            let into_result = quote_spanned! {output_check_span=>
                <#result_ty as #private::IntoAgentResult>::into_agent_result(output)
            };
            let finish = quote_spanned! {output_check_span=>
                #private::finish_invocation::<#result_ty>(output)
            };
            let plain_check = match &sig.output {
                Output::Plain(ty) => quote_spanned! {ty.span()=>
                    #[allow(unused_imports)]
                    use #private::{ReturnIsPlain as _, ReturnIsResult as _};
                    (&#private::ReturnCheck::<#ty>::new()).check();
                },
                _ => quote!(),
            };
            let run_call = quote! {
                #private::call_local(&__agentwire_caller, #fn_ident::DEFINITION, __agentwire_budget, move |#ctx_ident| async move {
                    let output = #wrap_output(#fn_ident(#(#invoke_args),*).await);
                    #into_result
                })
                .await
            };
            let local_items = quote! {
                #[allow(unused_variables)]
                fn __agentwire_invoke(
                    #ctx_ident: #private::AgentContext,
                    mut __agentwire_args: #private::JsonObject,
                ) -> #private::InvokeFuture {
                    #plain_check
                    ::std::boxed::Box::pin(async move {
                        #(#take_arguments)*
                        let output = #wrap_output(#fn_ident(#(#invoke_args),*).await);
                        #finish
                    })
                }

                fn __agentwire_span() -> #private::tracing::Span {
                    #private::agent_span!(#tool_name)
                }

                fn __agentwire_callees() -> &'static [&'static #private::AgentDefinition] {
                    const CALLEES: &[&#private::AgentDefinition] = &[#(#callees::DEFINITION),*];
                    CALLEES
                }
            };
            let declares = callees.iter().map(|callee| {
                quote_spanned! {callee.span()=>
                    impl #private::Declares<#callee> for #fn_ident {}
                }
            });
            let item = with_caller_context(func, sig, &quote!(#private::CallerContext));
            let registration = quote! {
                #(#declares)*
                #private::inventory::submit! { #private::AgentEntry(#fn_ident::DEFINITION) }
            };
            (
                quote!(#private::AgentKind::Local(#fn_ident::__agentwire_invoke)),
                run_call,
                local_items,
                item,
                registration,
            )
        }
    };
    let (callees_fn, span_fn) = if remote.is_some() {
        (quote!(#private::no_callees), quote!(#private::no_span))
    } else {
        (
            quote!(#fn_ident::__agentwire_callees),
            quote!(#fn_ident::__agentwire_span),
        )
    };

    // The stubs are plain functions returning a future that owns what it
    // needs (a clone of the caller's context): a call to an undeclared agent
    // is then reported once, at the call, and the future borrows nothing.
    // They hand the call to the caller's `CanCall::run_call`, which runs
    // `AgentStub::invoke` for an agent and journals it for a workflow. A
    // recursive agent's future would contain itself, so its stubs box it
    // (only they pay).
    let result = quote!(::core::result::Result<#output_ty, #private::CallError>);
    let run = quote! {
        <__AgentwireCaller as #private::CanCall<#fn_ident>>::run_call(
            #caller,
            #budget,
            (#(#stub_args,)*),
        )
    };
    let (future_ty, make_future) = if recursive {
        (
            quote! {
                ::core::pin::Pin<::std::boxed::Box<
                    dyn ::core::future::Future<Output = #result> + ::core::marker::Send,
                >>
            },
            quote!(::std::boxed::Box::pin(#run)),
        )
    } else {
        (
            quote!(impl ::core::future::Future<Output = #result> + ::core::marker::Send + use<__AgentwireCaller>),
            run,
        )
    };
    let stubs = quote! {
        #[doc = #call_doc]
        #[allow(clippy::too_many_arguments)]
        #vis fn call<__AgentwireCaller: #private::CanCall<#fn_ident>>(
            #caller: &__AgentwireCaller,
            #(#stub_params),*
        ) -> #future_ty {
            #fn_ident::call_with_budget(#caller, #private::Budget::UNLIMITED, #(#stub_args),*)
        }

        #[doc = #call_with_budget_doc]
        #[allow(clippy::too_many_arguments)]
        #vis fn call_with_budget<__AgentwireCaller: #private::CanCall<#fn_ident>>(
            #caller: &__AgentwireCaller,
            #budget: #private::Budget,
            #(#stub_params),*
        ) -> #future_ty {
            #make_future
        }
    };
    let param_tys: Vec<_> = sig.params.iter().map(|p| &p.ty).collect();
    let agent_stub = quote! {
        impl #private::AgentStub for #fn_ident {
            const DEFINITION: &'static #private::AgentDefinition = #fn_ident::DEFINITION;
            type Args = (#(#param_tys,)*);
            type Output = #output_ty;

            #[allow(unused_variables)]
            fn invoke(
                __agentwire_caller: #private::AgentContext,
                __agentwire_budget: #private::Budget,
                __agentwire_args: Self::Args,
            ) -> impl ::core::future::Future<Output = #result> + ::core::marker::Send + 'static {
                let (#(#stub_args,)*) = __agentwire_args;
                async move { #run_call }
            }
        }
    };

    // The stub is a field-less braced struct named like the function: it
    // lives in the type namespace only, so it sits beside the function
    // (even inside a function body) and reads `greet::call(ctx, ...)`.
    quote! {
        #item

        #agent_stub

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
                kind: #kind,
                policy: #policy,
                callees: #callees_fn,
                recursive: #recursive,
                span: #span_fn,
                location: #location,
            };

            #local_items

            #stubs
        }

        #registration
    }
}

/// The arguments that call the user's function, with `ctx` as the context.
pub(crate) fn call_args(sig: &AgentSignature, ctx: &TokenStream) -> Vec<TokenStream> {
    sig.inputs
        .iter()
        .map(|input| match input {
            Input::Context { by_ref: true, .. } => quote!(&#ctx),
            Input::Context { by_ref: false, .. } => quote!(#ctx),
            Input::Param(i) => {
                let ident = &sig.params[*i].ident;
                quote!(#ident)
            }
        })
        .collect()
}

/// The user's function, whose body sees its context wrapped in `caller`
/// (`CallerContext` for an agent, `WorkflowCaller` for a workflow), typed by
/// the function: the wrapper that can call the agents it declares, and no
/// others.
pub(crate) fn with_caller_context(
    func: &AgentItem,
    sig: &AgentSignature,
    caller: &TokenStream,
) -> TokenStream {
    let AgentItem {
        attrs,
        vis,
        sig: fn_sig,
        body,
    } = func;
    let fn_ident = &fn_sig.ident;
    let context = sig.inputs.iter().find_map(|input| match input {
        Input::Context {
            by_ref,
            ident: Some(ident),
            mutability,
        } => Some((*by_ref, ident, mutability)),
        _ => None,
    });
    let shadow = context.map(
        |(by_ref, ident, mutability): (bool, &Ident, &Option<syn::Token![mut]>)| {
            let owned = if by_ref {
                quote!(::core::clone::Clone::clone(#ident))
            } else {
                quote!(#ident)
            };
            let reference = by_ref.then(|| quote!(&));
            quote! {
                #[allow(unused_variables, unused_mut)]
                let #mutability #ident = #reference #caller::<#fn_ident>::new(#owned);
            }
        },
    );
    // The statements go straight into the new body: wrapping the old block
    // in another would make rustc warn about "unnecessary braces".
    let statements = body.as_ref().map(|block| &block.stmts);
    let statements = statements.into_iter().flatten();
    quote! {
        #(#attrs)*
        #vis #fn_sig {
            #shadow
            #(#statements)*
        }
    }
}

/// The agent's own limits as a `Budget` constant. Durations and costs are
/// parsed by `const fn`s, so a malformed one fails the build at its literal.
pub(crate) fn budget_policy(private: &TokenStream, policy: Option<&BudgetPolicy>) -> TokenStream {
    let none = quote!(::core::option::Option::None);
    let Some(policy) = policy else {
        return quote!(#private::Budget::UNLIMITED);
    };
    let time = policy.time.as_ref().map_or(
        none.clone(),
        |t| quote_spanned!(t.span()=> ::core::option::Option::Some(#private::units::duration(#t))),
    );
    let cost = policy.cost.as_ref().map_or(none.clone(), |c| {
        quote_spanned!(c.span()=> ::core::option::Option::Some(#private::units::cost_micros(#c)))
    });
    let int = |value: &Option<syn::LitInt>| {
        value
            .as_ref()
            .map_or(none.clone(), |v| quote!(::core::option::Option::Some(#v)))
    };
    let (tokens, depth, calls) = (int(&policy.tokens), int(&policy.depth), int(&policy.calls));
    quote! {
        #private::Budget {
            time: #time,
            tokens: #tokens,
            cost_micros: #cost,
            depth: #depth,
            calls: #calls,
        }
    }
}

/// The `Result` type the function's output is seen as, and the wrapper that
/// turns the function's value into it.
pub(crate) fn result_type(output: &Output, span: proc_macro2::Span) -> (TokenStream, TokenStream) {
    let ok = quote_spanned!(span=> ::core::result::Result::<_, ::core::convert::Infallible>::Ok);
    match output {
        Output::Result(ty) => (quote!(#ty), quote!()),
        Output::Plain(ty) => (
            quote_spanned!(span=> ::core::result::Result<#ty, ::core::convert::Infallible>),
            ok,
        ),
        Output::Unit => (
            quote_spanned!(span=> ::core::result::Result<(), ::core::convert::Infallible>),
            ok,
        ),
    }
}

pub(crate) fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

pub(crate) fn option_bool(value: &Option<LitBool>) -> TokenStream {
    match value {
        Some(flag) => quote!(::core::option::Option::Some(#flag)),
        None => quote!(::core::option::Option::None),
    }
}
