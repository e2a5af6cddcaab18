//! Small pieces of generated code that several kinds share. All of them
//! name the runtime through the `private` path from [`super::crate_path`].

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, LitBool, LitStr};

use crate::internals::docs;
use crate::internals::signature::{Input, Param, Signature};

/// The name a tool, prompt or resource is listed under: the `name` key, or
/// the function's own name.
pub fn name_or_fn(name: Option<&LitStr>, fn_ident: &Ident) -> String {
    name.map(LitStr::value)
        .unwrap_or_else(|| fn_ident.to_string())
}

/// Its description, as an `Option<&str>` expression: the `description` key,
/// or else the function's doc comments.
pub fn description(key: Option<&LitStr>, fn_attrs: &[Attribute]) -> TokenStream {
    option_str(key.map(LitStr::value).or_else(|| docs::doc_text(fn_attrs)))
}

/// `Some("text")` or `None`.
pub fn option_str(value: Option<String>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

/// `Some(true)`, `Some(false)` or `None`.
pub fn option_bool(value: &Option<LitBool>) -> TokenStream {
    match value {
        Some(flag) => quote!(::core::option::Option::Some(#flag)),
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

/// Where the names of `__private` functions and locals point, for a
/// parameter of type `ty`: the type for agents and workflows, the macro's
/// call site for prompts and resources, as their snapshots pin.
#[derive(Clone, Copy)]
pub enum NameSpans {
    AtType,
    AtCallSite,
}

impl NameSpans {
    fn ident(self, name: &str, ty: &syn::Type) -> Ident {
        match self {
            NameSpans::AtType => Ident::new(name, ty.span()),
            NameSpans::AtCallSite => Ident::new(name, Span::call_site()),
        }
    }
}

/// One `ParamDefinition` per parameter; `schema` and `required` name the
/// `__private` functions that carry the trait bounds for this kind of
/// parameter, so a bad type is reported at the type.
pub fn param_definitions(
    private: &TokenStream,
    params: &[Param],
    (schema, required): (&str, &str),
    spans: NameSpans,
) -> Vec<TokenStream> {
    params
        .iter()
        .map(|p| {
            let name = &p.json_name;
            let ty = &p.ty;
            let doc = option_str(p.doc.clone());
            let (schema, required) = (spans.ident(schema, ty), spans.ident(required, ty));
            // A header argument must be a single primitive value: its own
            // bound says so at the type.
            let schema = match &p.header {
                Some(_) => Ident::new("header_param_schema", ty.span()),
                None => schema,
            };
            let header = option_str(p.header.as_ref().map(syn::LitStr::value));
            let schema = quote_spanned!(ty.span()=> #private::#schema::<#ty>);
            let required = quote_spanned!(ty.span()=> #private::#required::<#ty>);
            quote! {
                #private::ParamDefinition {
                    name: #name,
                    description: #doc,
                    schema: #schema,
                    required: #required,
                    header: #header,
                }
            }
        })
        .collect()
}

/// `let name: T = take::<T>(&mut __agentwire_args, "name")?;` for every
/// parameter: `take` is the `__private` function reading one argument.
pub fn take_params(
    private: &TokenStream,
    params: &[Param],
    take: &str,
    spans: NameSpans,
) -> Vec<TokenStream> {
    params
        .iter()
        .map(|p| {
            let ident = &p.ident;
            let name = &p.json_name;
            let ty = &p.ty;
            let (take, args) = (spans.ident(take, ty), spans.ident(ARGS, ty));
            let call = quote_spanned!(ty.span()=> #private::#take::<#ty>(&mut #args, #name));
            quote!(let #ident: #ty = #call?;)
        })
        .collect()
}

/// The name of the generated functions' JSON arguments.
pub const ARGS: &str = "__agentwire_args";

/// The name of the generated functions' context.
pub fn ctx() -> Ident {
    Ident::new("__agentwire_ctx", Span::call_site())
}

/// The arguments that call the user's function, with `ctx` as the context.
pub fn call_args(sig: &Signature, ctx: &Ident) -> Vec<TokenStream> {
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
