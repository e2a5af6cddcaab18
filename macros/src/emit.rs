//! Small pieces of generated code that `#[prompt]` and `#[resource]` share.
//! All of them name the runtime through `crate_path::private()`.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::agent::signature::{Output, ToolParam};
use crate::handler::{HandlerSignature, Input};

/// `Some("text")` or `None`.
pub fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

/// The `SourceLocation` of the item named `ident`.
pub fn location(private: &TokenStream, ident: &Ident) -> TokenStream {
    quote_spanned! {ident.span()=>
        #private::SourceLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            module_path: ::core::module_path!(),
        }
    }
}

/// One `ParamDefinition` per parameter; `schema` and `required` name the
/// `__private` functions that carry the trait bounds for this kind of
/// parameter, so a bad type is reported at the type.
pub fn param_definitions(
    private: &TokenStream,
    params: &[ToolParam],
    schema: &str,
    required: &str,
) -> Vec<TokenStream> {
    let schema = Ident::new(schema, proc_macro2::Span::call_site());
    let required = Ident::new(required, proc_macro2::Span::call_site());
    params
        .iter()
        .map(|p| {
            let name = &p.json_name;
            let ty = &p.ty;
            let doc = option_str(p.doc.clone());
            let schema = quote_spanned!(ty.span()=> #private::#schema::<#ty>);
            let required = quote_spanned!(ty.span()=> #private::#required::<#ty>);
            quote! {
                #private::ParamDefinition {
                    name: #name,
                    description: #doc,
                    schema: #schema,
                    required: #required,
                }
            }
        })
        .collect()
}

/// `let name: T = take::<T>(&mut args, "name")?;` for every parameter.
pub fn take_params(
    private: &TokenStream,
    params: &[ToolParam],
    take: &str,
    args: &Ident,
) -> Vec<TokenStream> {
    let take = Ident::new(take, proc_macro2::Span::call_site());
    params
        .iter()
        .map(|p| {
            let ident = &p.ident;
            let name = &p.json_name;
            let ty = &p.ty;
            let call = quote_spanned!(ty.span()=> #private::#take::<#ty>(&mut #args, #name));
            quote!(let #ident: #ty = #call?;)
        })
        .collect()
}

/// The call of the user's function, awaited when it is `async`.
pub fn call(func: &Ident, sig: &HandlerSignature, ctx: &Ident) -> TokenStream {
    let args = sig.inputs.iter().map(|input| match input {
        Input::Context { by_ref: true } => quote!(&#ctx),
        Input::Context { by_ref: false } => quote!(#ctx),
        Input::Param(i) => {
            let ident = &sig.params[*i].ident;
            quote!(#ident)
        }
    });
    let awaited = sig.is_async.then(|| quote!(.await));
    quote!(#func(#(#args),*) #awaited)
}

/// The `__private` function turning the returned value into messages or
/// contents: `plain` for `T`, `fallible` for `Result<T, E>`.
pub fn finish(
    private: &TokenStream,
    output: &Output,
    plain: &str,
    fallible: &str,
    value: TokenStream,
) -> TokenStream {
    let (name, ty) = match output {
        Output::Result(ty) => (fallible, Some(ty)),
        Output::Plain(ty) => (plain, Some(ty)),
        Output::Unit => (plain, None),
    };
    let function = Ident::new(name, proc_macro2::Span::call_site());
    match ty {
        // Naming the type makes a type that does not fit be reported at it.
        Some(ty) => quote_spanned!(ty.span()=> #private::#function::<#ty>(#value)),
        None => quote!(#private::#function(#value)),
    }
}
