//! What only a local agent has: its function, the entry point the server
//! invokes, its span, its callees and its registration.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::AgentCode;
use crate::codegen::tokens::{NameSpans, call_args, ctx, take_params};
use crate::codegen::tool;
use crate::internals::signature::Output;

impl AgentCode<'_> {
    /// The user's function, its context seen as a `CallerContext`.
    pub(super) fn item(&self) -> TokenStream {
        let private = &self.private;
        tool::with_caller_context(self.func, &self.agent.sig, &quote!(#private::CallerContext))
    }

    /// The function's result as an `AgentResult`, inside a call.
    fn invoke_body(&self) -> TokenStream {
        let AgentCode {
            private, fn_ident, ..
        } = self;
        let (wrap, result_ty) = (&self.result.wrap, &self.result.ty);
        let invoke_args = call_args(&self.agent.sig, &ctx());
        let into_result = quote_spanned! {self.result.span=>
            <#result_ty as #private::IntoAgentResult>::into_agent_result(output)
        };
        quote! {
            let output = #wrap(#fn_ident(#(#invoke_args),*).await);
            #into_result
        }
    }

    /// The body of `AgentStub::invoke`: the call runs in-process, under the
    /// caller's budget.
    pub(super) fn local_call(&self) -> TokenStream {
        let fn_ident = self.fn_ident;
        let private = &self.private;
        let ctx = ctx();
        let body = self.invoke_body();
        quote! {
            #private::call_local(&__agentwire_caller, #fn_ident::DEFINITION, __agentwire_budget, move |#ctx| async move {
                #body
            })
            .await
        }
    }

    /// `__agentwire_invoke` (a tool call from a client), `__agentwire_span`
    /// and `__agentwire_callees`.
    pub(super) fn local_items(&self) -> TokenStream {
        let AgentCode {
            private,
            fn_ident,
            tool_name,
            ..
        } = self;
        let sig = &self.agent.sig;
        let (wrap, result_ty) = (&self.result.wrap, &self.result.ty);
        let ctx = ctx();
        let invoke_args = call_args(sig, &ctx);
        let take_arguments = take_params(private, &sig.params, "take_argument", NameSpans::AtType);
        let finish = quote_spanned! {self.result.span=>
            #private::finish_invocation::<#result_ty>(output)
        };
        let plain_check = self.plain_check();
        let callees_fn = tool::callees_fn(private, &self.callees());
        quote! {
            #[allow(unused_variables)]
            fn __agentwire_invoke(
                #ctx: #private::AgentContext,
                mut __agentwire_args: #private::JsonObject,
            ) -> #private::InvokeFuture {
                #plain_check
                ::std::boxed::Box::pin(async move {
                    #(#take_arguments)*
                    let output = #wrap(#fn_ident(#(#invoke_args),*).await);
                    #finish
                })
            }

            fn __agentwire_span() -> #private::tracing::Span {
                #private::agent_span!(#tool_name)
            }

            #callees_fn
        }
    }

    /// For a plain return type, a check that it is not a `Result` under
    /// another name, reported at the type.
    fn plain_check(&self) -> TokenStream {
        let private = &self.private;
        match &self.agent.sig.output {
            Output::Plain(ty) => quote_spanned! {ty.span()=>
                #[allow(unused_imports)]
                use #private::{ReturnIsPlain as _, ReturnIsResult as _};
                (&#private::ReturnCheck::<#ty>::new()).check();
            },
            _ => quote!(),
        }
    }

    /// `Declares<Callee>` for every declared callee (what lets the stubs
    /// compile), and the registration the server finds at start-up.
    pub(super) fn registration(&self) -> TokenStream {
        let AgentCode {
            private, fn_ident, ..
        } = self;
        let declares = self.callees().into_iter().map(|callee| {
            quote_spanned! {callee.span()=>
                impl #private::Declares<#callee> for #fn_ident {}
            }
        });
        quote! {
            #(#declares)*
            #private::inventory::submit! { #private::AgentEntry(#fn_ident::DEFINITION) }
        }
    }
}
