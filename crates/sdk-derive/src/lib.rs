//! `#[derive(Cbor)]` for tandem-sdk's `Cbor` trait (use it as `tandem_sdk::Cbor`).
//!
//! Encodings (DAG-CBOR):
//! - a struct with named fields, or a tuple struct of two or more fields: an array of its
//!   fields in declaration order, like fvm's `Serialize_tuple` (field names are not encoded,
//!   so renaming a field keeps the encoding; reordering changes it);
//! - a tuple struct of exactly one field (`struct Id(u64)`): the field itself (a newtype is
//!   transparent, as with serde);
//! - a unit struct, or a struct with no fields: an empty array;
//! - an enum: every variant, unit or not, is an array `[index, fields…]`, where `index` is
//!   the variant's discriminant (`= N` if written, else one more than the previous variant,
//!   starting at 0, as Rust counts). The same bytes as the serde tuple `(index, fields…)`.
//!
//! Decoding is strict: an array of another length, or an unknown variant index, is a
//! `CborError::Type`. Type parameters get a `Cbor` bound.
//!
//! The derive also implements `tandem_sdk::schema::Schema` (the same shape, with field and
//! variant names), so every field's type needs a schema too (the SDK's types have one).
//!
//! `#[derive(Event)]` implements `tandem_sdk::event::Event` for a struct with named fields:
//! an Ethereum-log-shaped event, `#[indexed]` fields as topics (at most three).

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Expr, Fields, Lit, parse_macro_input};

mod event;
mod schema;

#[proc_macro_derive(Cbor)]
pub fn derive_cbor(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let schema = schema::expand(&input);
    match expand(input).map(|cbor| quote!(#cbor #schema)) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[proc_macro_derive(Event, attributes(indexed))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match event::expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(mut input: DeriveInput) -> syn::Result<Tokens> {
    let (encode, decode) = match &input.data {
        Data::Struct(s) => struct_body(&s.fields),
        Data::Enum(e) => enum_body(e)?,
        Data::Union(_) => {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[derive(Cbor)] supports structs and enums, not unions",
            ));
        }
    };
    let params: Vec<_> = input
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .collect();
    let where_clause = input.generics.make_where_clause();
    for p in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#p: ::tandem_sdk::cbor::Cbor));
    }
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::tandem_sdk::cbor::Cbor for #name #ty_generics #where_clause {
            fn encode(&self, out: &mut ::tandem_sdk::__private::Vec<u8>) {
                #encode
            }
            fn decode(
                r: &mut ::tandem_sdk::cbor::Reader<'_>,
            ) -> ::core::result::Result<Self, ::tandem_sdk::cbor::CborError> {
                #decode
            }
        }
    })
}

/// Bindings for the fields (`f0, f1…`), and the pattern or constructor that uses them.
fn bindings(fields: &Fields) -> (Vec<syn::Ident>, Tokens) {
    let names: Vec<_> = (0..fields.len()).map(|i| format_ident!("f{}", i)).collect();
    let shape = match fields {
        Fields::Named(named) => {
            let idents = named.named.iter().map(|f| &f.ident);
            quote!({ #(#idents: #names),* })
        }
        Fields::Unnamed(_) => quote!(( #(#names),* )),
        Fields::Unit => quote!(),
    };
    (names, shape)
}

fn encode_fields(names: &[syn::Ident]) -> Tokens {
    quote! { #( ::tandem_sdk::cbor::Cbor::encode(#names, out); )* }
}

fn decode_fields(names: &[syn::Ident]) -> Tokens {
    quote! { #( let #names = ::tandem_sdk::cbor::Cbor::decode(r)?; )* }
}

fn struct_body(fields: &Fields) -> (Tokens, Tokens) {
    let (names, shape) = bindings(fields);
    if matches!(fields, Fields::Unnamed(_)) && names.len() == 1 {
        return (
            quote! { ::tandem_sdk::cbor::Cbor::encode(&self.0, out) },
            quote! { ::core::result::Result::Ok(Self(::tandem_sdk::cbor::Cbor::decode(r)?)) },
        );
    }
    let n = names.len() as u64;
    let enc = encode_fields(&names);
    let dec = decode_fields(&names);
    (
        quote! {
            let Self #shape = self;
            ::tandem_sdk::cbor::head(out, 4, #n);
            #enc
        },
        quote! {
            if r.array()? != #n as usize {
                return ::core::result::Result::Err(::tandem_sdk::cbor::CborError::Type);
            }
            #dec
            ::core::result::Result::Ok(Self #shape)
        },
    )
}

fn enum_body(e: &syn::DataEnum) -> syn::Result<(Tokens, Tokens)> {
    let mut encode_arms = Vec::new();
    let mut decode_arms = Vec::new();
    let mut next: u64 = 0;
    for v in &e.variants {
        let index = match &v.discriminant {
            Some((_, expr)) => literal_index(expr)?,
            None => next,
        };
        next = index.wrapping_add(1);
        let ident = &v.ident;
        let (names, shape) = bindings(&v.fields);
        let len = 1 + names.len() as u64;
        let enc = encode_fields(&names);
        let dec = decode_fields(&names);
        encode_arms.push(quote! {
            Self::#ident #shape => {
                ::tandem_sdk::cbor::head(out, 4, #len);
                ::tandem_sdk::cbor::head(out, 0, #index);
                #enc
            }
        });
        decode_arms.push(quote! {
            #index => {
                if n != #len as usize {
                    return ::core::result::Result::Err(::tandem_sdk::cbor::CborError::Type);
                }
                #dec
                ::core::result::Result::Ok(Self::#ident #shape)
            }
        });
    }
    let encode = if encode_arms.is_empty() {
        quote! { match *self {} }
    } else {
        quote! { match self { #(#encode_arms)* } }
    };
    let decode = quote! {
        let n = r.array()?;
        if n == 0 {
            return ::core::result::Result::Err(::tandem_sdk::cbor::CborError::Type);
        }
        match r.expect(0)? {
            #(#decode_arms)*
            _ => ::core::result::Result::Err(::tandem_sdk::cbor::CborError::Type),
        }
    };
    Ok((encode, decode))
}

/// A variant's written discriminant: a non-negative integer literal.
pub(crate) fn literal_index(expr: &Expr) -> syn::Result<u64> {
    if let Expr::Lit(lit) = expr
        && let Lit::Int(i) = &lit.lit
    {
        return i.base10_parse::<u64>();
    }
    Err(syn::Error::new(
        expr.span(),
        "#[derive(Cbor)]: a discriminant must be a non-negative integer literal",
    ))
}
