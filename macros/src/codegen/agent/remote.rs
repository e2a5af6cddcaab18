//! What a remote agent's stubs do: send the arguments to its server.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use super::AgentCode;

impl AgentCode<'_> {
    /// The body of `AgentStub::invoke` for an agent on `server`.
    pub(super) fn remote_call(&self, server: &LitStr) -> TokenStream {
        let AgentCode {
            private,
            fn_ident,
            output_ty,
            ..
        } = self;
        let puts = self.agent.sig.params.iter().map(|p| {
            let ident = &p.ident;
            let name = &p.json_name;
            quote!(#private::put_argument(&mut __agentwire_args, #name, #ident, #fn_ident::DEFINITION)?;)
        });
        quote! {
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
        }
    }
}
