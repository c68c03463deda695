//! The `Schema` half of `#[derive(Cbor)]`: the same shape as the encoding, with names.

use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

/// `impl Schema`; nothing for a union (the `Cbor` half reports it).
pub fn expand(input: &DeriveInput) -> Tokens {
    let name = &input.ident;
    let name_str = name.to_string();
    let body = match &input.data {
        Data::Struct(s) => {
            let fields = match &s.fields {
                Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                    let t = &u.unnamed[0].ty;
                    quote!(::tandem_sdk::schema::Fields::Newtype(
                        &<#t as ::tandem_sdk::schema::Schema>::SCHEMA
                    ))
                }
                f => fields(f),
            };
            quote!(::tandem_sdk::schema::Type::Struct(#name_str, #fields))
        }
        Data::Enum(e) => {
            let mut next: u64 = 0;
            let variants = e.variants.iter().map(|v| {
                let index = match &v.discriminant {
                    Some((_, expr)) => crate::literal_index(expr).unwrap_or(next),
                    None => next,
                };
                next = index.wrapping_add(1);
                let vname = v.ident.to_string();
                let f = fields(&v.fields);
                quote!(::tandem_sdk::schema::Variant { name: #vname, index: #index, fields: #f })
            });
            quote!(::tandem_sdk::schema::Type::Enum(#name_str, &[#(#variants),*]))
        }
        Data::Union(_) => return quote!(),
    };
    let mut generics = input.generics.clone();
    let params: Vec<_> = generics.type_params().map(|p| p.ident.clone()).collect();
    let where_clause = generics.make_where_clause();
    for p in params {
        where_clause
            .predicates
            .push(syn::parse_quote!(#p: ::tandem_sdk::schema::Schema));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::tandem_sdk::schema::Schema for #name #ty_generics #where_clause {
            const SCHEMA: ::tandem_sdk::schema::Type = #body;
        }
    }
}

/// `Fields::Named`/`Tuple`/`Unit` (a one-field struct is handled by the caller).
fn fields(fields: &Fields) -> Tokens {
    match fields {
        Fields::Named(named) => {
            let items = named.named.iter().map(|f| {
                let n = f
                    .ident
                    .as_ref()
                    .map(|i| i.to_string().trim_start_matches("r#").to_string())
                    .unwrap_or_default();
                let t = &f.ty;
                quote!(::tandem_sdk::schema::Field {
                    name: #n,
                    ty: <#t as ::tandem_sdk::schema::Schema>::SCHEMA,
                })
            });
            quote!(::tandem_sdk::schema::Fields::Named(&[#(#items),*]))
        }
        Fields::Unnamed(u) => {
            let items = u.unnamed.iter().map(|f| {
                let t = &f.ty;
                quote!(<#t as ::tandem_sdk::schema::Schema>::SCHEMA)
            });
            quote!(::tandem_sdk::schema::Fields::Tuple(&[#(#items),*]))
        }
        Fields::Unit => quote!(::tandem_sdk::schema::Fields::Unit),
    }
}
