//! `#[derive(Event)]`: a struct with named fields as an Ethereum-log-shaped event.

use proc_macro2::{Span, TokenStream as Tokens};
use quote::quote;
use syn::{Data, DeriveInput, Fields};

pub fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => &n.named,
            Fields::Unit => &syn::punctuated::Punctuated::new(),
            Fields::Unnamed(_) => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    "#[derive(Event)] needs named fields (they name the log's fields)",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[derive(Event)] supports structs with named fields",
            ));
        }
    };
    let mut schema_fields = Vec::new();
    let mut encodes = Vec::new();
    let mut writes = Vec::new();
    let mut indexed_count = 0;
    for f in named {
        let indexed = f.attrs.iter().any(|a| a.path().is_ident("indexed"));
        if indexed {
            indexed_count += 1;
            if indexed_count > 3 {
                return Err(syn::Error::new_spanned(
                    f,
                    "#[derive(Event)]: at most three #[indexed] fields (topics 2 to 4)",
                ));
            }
        }
        let ident = f
            .ident
            .as_ref()
            .ok_or_else(|| syn::Error::new_spanned(f, "unnamed"))?;
        let n = ident.to_string().trim_start_matches("r#").to_string();
        let t = &f.ty;
        schema_fields.push(quote! {
            ::tandem_sdk::event::EventField {
                name: #n,
                ty: <#t as ::tandem_sdk::schema::Schema>::SCHEMA,
                sol: <#t as ::tandem_sdk::event::SolType>::SOL,
                indexed: #indexed,
            }
        });
        encodes.push(quote! {
            let mut v = ::tandem_sdk::__private::Vec::new();
            ::tandem_sdk::event::SolType::sol_encode(&self.#ident, &mut v)?;
            out.push(v);
        });
        writes.push(quote! {
            log.field(&self.#ident, #indexed)?;
        });
    }
    let name = &input.ident;
    let name_str = name.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::tandem_sdk::event::Event for #name #ty_generics #where_clause {
            const SCHEMA: ::tandem_sdk::event::EventSchema = ::tandem_sdk::event::EventSchema {
                name: #name_str,
                fields: &[#(#schema_fields),*],
            };
            fn fields(
                &self,
                out: &mut ::tandem_sdk::__private::Vec<::tandem_sdk::__private::Vec<u8>>,
            ) -> ::core::result::Result<(), ::tandem_sdk::event::EventError> {
                #(#encodes)*
                ::core::result::Result::Ok(())
            }
            fn write_log(
                &self,
                log: &mut ::tandem_sdk::event::LogWriter,
            ) -> ::core::result::Result<(), ::tandem_sdk::event::EventError> {
                #(#writes)*
                ::core::result::Result::Ok(())
            }
        }
    })
}
