//! What `#[prompt]` and `#[resource]` generate alike: a function reading
//! text arguments, calling the user's function (async or not) and turning
//! what it returns into messages or contents.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::tokens::{ARGS, NameSpans, call_args, ctx, take_params};
use crate::internals::signature::{Output, Signature};

/// The `__private` functions one kind of handler uses.
pub struct Runtime {
    /// What the generated function returns: `PromptFuture`.
    pub future: &'static str,
    /// Reads one argument: `take_prompt_argument`.
    pub take: &'static str,
    /// Turn the returned value into the answer, for `T` and `Result<T, E>`.
    pub plain: &'static str,
    pub fallible: &'static str,
}

/// `fn #name(ctx, args) -> Future`: reads the arguments, calls `func` and
/// finishes with what it returns.
pub fn entry_point(
    private: &TokenStream,
    func: &Ident,
    sig: &Signature,
    name: &str,
    runtime: &Runtime,
) -> TokenStream {
    let name = Ident::new(name, Span::call_site());
    let future = Ident::new(runtime.future, Span::call_site());
    let args = Ident::new(ARGS, Span::call_site());
    let ctx = ctx();
    let take = take_params(private, &sig.params, runtime.take, NameSpans::AtCallSite);
    let invoke = call(func, sig, &ctx);
    let finish = finish(private, &sig.output, runtime, invoke);
    quote! {
        #[allow(unused_variables, non_snake_case)]
        fn #name(
            #ctx: #private::AgentContext,
            mut #args: #private::JsonObject,
        ) -> #private::#future {
            ::std::boxed::Box::pin(async move {
                #(#take)*
                #finish
            })
        }
    }
}

/// The call of the user's function, awaited when it is `async`.
fn call(func: &Ident, sig: &Signature, ctx: &Ident) -> TokenStream {
    let args = call_args(sig, ctx);
    let awaited = sig.is_async.then(|| quote!(.await));
    quote!(#func(#(#args),*) #awaited)
}

/// The `__private` function turning the returned value into messages or
/// contents, applied to `value`.
fn finish(
    private: &TokenStream,
    output: &Output,
    runtime: &Runtime,
    value: TokenStream,
) -> TokenStream {
    let (name, ty) = match output {
        Output::Result(ty) => (runtime.fallible, Some(ty)),
        Output::Plain(ty) => (runtime.plain, Some(ty)),
        Output::Unit => (runtime.plain, None),
    };
    let function = Ident::new(name, Span::call_site());
    match ty {
        // Naming the type makes a type that does not fit be reported at it.
        Some(ty) => quote_spanned!(ty.span()=> #private::#function::<#ty>(#value)),
        None => quote!(#private::#function(#value)),
    }
}

/// `complete = path`: `Some(COMPLETER)`, checked to be a `Completer` at
/// the path.
pub fn completer(private: &TokenStream, complete: Option<&syn::Path>) -> TokenStream {
    match complete {
        Some(path) => quote_spanned! {path.span()=>
            ::core::option::Option::Some({
                const COMPLETER: #private::Completer = #path;
                COMPLETER
            })
        },
        None => quote!(::core::option::Option::None),
    }
}
