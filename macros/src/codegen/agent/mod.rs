//! `#[agent]`: the function as written (its context seen as a
//! `CallerContext`), beside it a type of the same name holding the agent's
//! definition and its typed call stubs, and the inventory registration. A
//! remote agent (`remote = "server"`) has only the type: it runs elsewhere.

mod local;
mod remote;
mod stubs;

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::LitBool;
use syn::spanned::Spanned;

use super::crate_path;
use super::tokens::{NameSpans, param_definitions};
use super::tool::{self, Definition, ResultType};
use crate::internals::ast::{Agent, Function};

/// What every part of one agent's code needs.
struct AgentCode<'a> {
    private: TokenStream,
    func: &'a Function,
    agent: &'a Agent,
    fn_ident: &'a Ident,
    tool_name: String,
    result: ResultType,
    /// The agent's output type, as its stubs return it.
    output_ty: TokenStream,
}

/// The code for the agent `func`, read as `agent`.
pub fn generate(func: &Function, agent: &Agent) -> TokenStream {
    let private = crate_path::private();
    let fn_ident = &func.sig.ident;
    let result = ResultType::new(&agent.sig.output, fn_ident);
    let (span, result_ty) = (result.span, &result.ty);
    let output_ty = quote_spanned!(span=> <#result_ty as #private::IntoAgentResult>::Output);
    let code = AgentCode {
        tool_name: tool::tool_name(&agent.attrs.tool, fn_ident),
        private,
        func,
        agent,
        fn_ident,
        result,
        output_ty,
    };
    code.agent()
}

impl AgentCode<'_> {
    /// Everything, in the order the parts are written out.
    fn agent(&self) -> TokenStream {
        let remote = self.agent.attrs.remote.as_ref();
        let (item, local_items, registration) = match remote {
            Some(_) => (quote!(), quote!(), quote!()),
            None => (self.item(), self.local_items(), self.registration()),
        };
        let agent_stub = self.agent_stub();
        let definition = self.definition();
        let stubs = self.stubs();
        let AgentCode {
            fn_ident,
            tool_name,
            ..
        } = self;
        let vis = &self.func.vis;
        let stub_doc = format!(
            "The agent `{tool_name}`: its definition, and the typed stubs \
             [`{fn_ident}::call`]({fn_ident}::call) and \
             [`{fn_ident}::call_with_budget`]({fn_ident}::call_with_budget) that call it from \
             another agent which declares it in `#[agent(calls = [...])]`."
        );

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
                #definition

                #local_items

                #stubs
            }

            #registration
        }
    }

    /// `const DEFINITION`. A remote agent's parameters are sent, a local
    /// one's received, so their schemas carry different bounds.
    fn definition(&self) -> TokenStream {
        let AgentCode {
            private, fn_ident, ..
        } = self;
        let attrs = &self.agent.attrs;
        let (span, output_ty) = (self.result.span, &self.output_ty);
        let remote = attrs.remote.as_ref();
        let (names, kind, callees, agent_span) = match remote {
            Some(server) => (
                ("remote_param_schema", "remote_param_is_required"),
                quote!(#private::AgentKind::Remote { server: #server }),
                quote!(#private::no_callees),
                quote!(#private::no_span),
            ),
            None => (
                ("param_schema", "param_is_required"),
                quote!(#private::AgentKind::Local(#fn_ident::__agentwire_invoke)),
                quote!(#fn_ident::__agentwire_callees),
                quote!(#fn_ident::__agentwire_span),
            ),
        };
        let definition = Definition {
            params: param_definitions(private, &self.agent.sig.params, names, NameSpans::AtType),
            deny_unknown_arguments: attrs
                .deny_unknown_arguments
                .as_ref()
                .is_some_and(|f| f.value),
            input_constraints: match &attrs.input_constraints {
                Some(path) => quote_spanned! {path.span()=>
                    ::core::option::Option::Some(#private::input_constraints(#path))
                },
                None => quote!(::core::option::Option::None),
            },
            output_schema: quote_spanned!(span=> #private::output_schema::<#output_ty>),
            kind,
            policy: tool::budget_policy(private, attrs.budget.as_ref()),
            callees,
            recursive: self.recursive(),
            task: match attrs.task.as_ref().map(syn::LitStr::value).as_deref() {
                Some("required") => quote!(#private::TaskSupport::Required),
                Some(_) => quote!(#private::TaskSupport::Optional),
                None => quote!(#private::TaskSupport::Never),
            },
            span: agent_span,
        };
        tool::definition(private, self.func, &attrs.tool, definition)
    }

    /// `recursive`: the agent may take part in a cycle of calls.
    fn recursive(&self) -> bool {
        self.agent
            .attrs
            .recursive
            .as_ref()
            .is_some_and(LitBool::value)
    }

    /// The agents this one declares in `calls = [...]`.
    fn callees(&self) -> Vec<syn::Path> {
        self.agent.attrs.calls.clone().unwrap_or_default()
    }
}
