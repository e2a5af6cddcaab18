//! How other agents call this one: the typed stubs `call` and
//! `call_with_budget`, and the `AgentStub` impl they hand the call to.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::AgentCode;

impl AgentCode<'_> {
    /// The stubs' own parameters read `caller` and `budget` in the docs,
    /// unless the agent uses those names itself.
    fn stub_ident(&self, name: &str, fallback: &str) -> Ident {
        let params = &self.agent.sig.params;
        if *self.fn_ident == name || params.iter().any(|p| p.ident == name) {
            format_ident!("{}", fallback)
        } else {
            format_ident!("{}", name)
        }
    }

    /// `Result<Output, CallError>`: what a call of this agent returns.
    fn call_result(&self) -> TokenStream {
        let AgentCode {
            private, output_ty, ..
        } = self;
        quote!(::core::result::Result<#output_ty, #private::CallError>)
    }

    /// `call` and `call_with_budget`.
    ///
    /// The stubs are plain functions returning a future that owns what it
    /// needs (a clone of the caller's context): a call to an undeclared
    /// agent is then reported once, at the call, and the future borrows
    /// nothing. They hand the call to the caller's `CanCall::run_call`,
    /// which runs `AgentStub::invoke` for an agent and journals it for a
    /// workflow. A recursive agent's future would contain itself, so its
    /// stubs box it (only they pay).
    pub(super) fn stubs(&self) -> TokenStream {
        let AgentCode {
            private,
            fn_ident,
            tool_name,
            ..
        } = self;
        let vis = &self.func.vis;
        let params = &self.agent.sig.params;
        let stub_params = params.iter().map(|p| {
            let (ident, ty) = (&p.ident, &p.ty);
            quote!(#ident: #ty)
        });
        let stub_params: Vec<_> = stub_params.collect();
        let stub_args: Vec<_> = params.iter().map(|p| &p.ident).collect();
        let caller = self.stub_ident("caller", "__agentwire_caller_ref");
        let budget = self.stub_ident("budget", "__agentwire_budget_arg");
        let call_doc = format!(
            "Calls the agent `{tool_name}` from an agent that declares it, within the caller's \
             remaining budget and `{tool_name}`'s own policy. The call is cancelled with the \
             caller; its failures (budget, error, panic) come back as a `CallError`."
        );
        let call_with_budget_doc =
            format!("[`call`]({fn_ident}::call), narrowed further by `budget`.");
        let (future_ty, make_future) = self.stub_future(&caller, &budget, &stub_args);
        quote! {
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
        }
    }

    /// The stubs' return type and the expression making the future: boxed
    /// for a recursive agent, `impl Future` otherwise.
    fn stub_future(
        &self,
        caller: &Ident,
        budget: &Ident,
        stub_args: &[&Ident],
    ) -> (TokenStream, TokenStream) {
        let AgentCode {
            private, fn_ident, ..
        } = self;
        let result = self.call_result();
        let run = quote! {
            <__AgentwireCaller as #private::CanCall<#fn_ident>>::run_call(
                #caller,
                #budget,
                (#(#stub_args,)*),
            )
        };
        if self.recursive() {
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
        }
    }

    /// `impl AgentStub`: the definition, the argument and output types,
    /// and how a call runs (in-process, or on the remote server).
    pub(super) fn agent_stub(&self) -> TokenStream {
        let AgentCode {
            private,
            fn_ident,
            output_ty,
            ..
        } = self;
        let params = &self.agent.sig.params;
        let param_tys = params.iter().map(|p| &p.ty);
        let stub_args: Vec<_> = params.iter().map(|p| &p.ident).collect();
        let result = self.call_result();
        let json_arguments = self.json_arguments();
        let run_call = match &self.agent.attrs.remote {
            Some(server) => self.remote_call(server),
            None => self.local_call(),
        };
        quote! {
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

                #json_arguments
            }
        }
    }

    /// `AgentStub::json_arguments`: the arguments as JSON when every
    /// parameter's type is `Serialize`, chosen per type at compile time
    /// (`ArgIsSerialize` applies through one more reference than
    /// `ArgIsOpaque`, so it wins when it applies).
    fn json_arguments(&self) -> TokenStream {
        let private = &self.private;
        let params = &self.agent.sig.params;
        let idents: Vec<_> = params.iter().map(|p| &p.ident).collect();
        let puts = params.iter().map(|p| {
            let ident = &p.ident;
            let name = &p.json_name;
            quote! {
                #private::put_json_argument(
                    &mut __agentwire_json,
                    #name,
                    (&&#private::ArgJson(#ident)).arg_json()?,
                );
            }
        });
        quote! {
            #[allow(unused_variables, unused_mut)]
            fn json_arguments(
                __agentwire_args: &Self::Args,
            ) -> ::core::option::Option<#private::JsonObject> {
                #[allow(unused_imports)]
                use #private::{ArgIsOpaque as _, ArgIsSerialize as _};
                let (#(#idents,)*) = __agentwire_args;
                let mut __agentwire_json = #private::JsonObject::new();
                #(#puts)*
                ::core::option::Option::Some(__agentwire_json)
            }
        }
    }
}
