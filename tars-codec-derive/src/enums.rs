//! `#[derive(TarsEnum)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "TarsEnum needs an enum"));
    };
    let ident = &input.ident;
    let name = ident.to_string();
    let mut arms = Vec::new();
    let mut next: TokenStream = quote!(0i32);
    let mut first = None;
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                variant,
                "TarsEnum variants carry no fields",
            ));
        }
        let v = &variant.ident;
        let value: TokenStream = match &variant.discriminant {
            Some((_, expr)) => quote!((#expr) as i32),
            None => next.clone(),
        };
        arms.push((v.clone(), value.clone()));
        next = quote!((#value + 1));
        first.get_or_insert_with(|| v.clone());
    }
    let Some(first) = first else {
        return Err(syn::Error::new_spanned(
            input,
            "TarsEnum needs at least one variant",
        ));
    };
    let consts: Vec<_> = arms
        .iter()
        .enumerate()
        .map(|(i, (_, value))| {
            let c = quote::format_ident!("__TARS_V{}", i);
            (c, value.clone())
        })
        .collect();
    let const_defs: Vec<_> = consts
        .iter()
        .map(|(c, value)| quote!(const #c: i32 = #value;))
        .collect();
    let describe = describe_impl(ident, &name, &arms, &consts, &const_defs);
    let to_i32 = arms
        .iter()
        .zip(&consts)
        .map(|((v, _), (c, _))| quote!(#ident::#v => #c));
    let from_i32 = arms
        .iter()
        .zip(&consts)
        .map(|((v, _), (c, _))| quote!(#c => #ident::#v));

    Ok(quote! {
        impl ::core::convert::From<#ident> for i32 {
            fn from(v: #ident) -> i32 {
                #(#const_defs)*
                match v { #(#to_i32,)* }
            }
        }

        impl ::core::convert::TryFrom<i32> for #ident {
            type Error = ::tars_codec::Error;

            fn try_from(v: i32) -> ::tars_codec::Result<Self> {
                #(#const_defs)*
                ::core::result::Result::Ok(match v {
                    #(#from_i32,)*
                    other => {
                        return ::core::result::Result::Err(
                            ::tars_codec::Error::invalid_value(#name, i64::from(other)),
                        )
                    }
                })
            }
        }

        impl ::core::default::Default for #ident {
            fn default() -> Self {
                #ident::#first
            }
        }

        impl ::tars_codec::Encode for #ident {
            #[inline]
            fn write(&self, tag: u8, w: &mut ::tars_codec::encoding::Writer<'_>) {
                ::tars_codec::Encode::write(&i32::from(*self), tag, w);
            }
        }

        impl<'de> ::tars_codec::Decode<'de> for #ident {
            #[inline]
            fn decode(
                r: &mut ::tars_codec::Reader<'de>,
                ty: ::tars_codec::WireType,
            ) -> ::tars_codec::Result<Self> {
                let v = <i32 as ::tars_codec::Decode<'de>>::decode(r, ty)?;
                <Self as ::core::convert::TryFrom<i32>>::try_from(v)
            }
        }

        #describe

        impl ::tars_codec::KeyOrd for #ident {
            fn key_cmp(&self, other: &Self) -> ::core::cmp::Ordering {
                i32::from(*self).cmp(&i32::from(*other))
            }
        }
    })
}

/// `impl Describe`: the enum's name and `(variant, value)` pairs.
fn describe_impl(
    ident: &syn::Ident,
    name: &str,
    arms: &[(syn::Ident, TokenStream)],
    consts: &[(syn::Ident, TokenStream)],
    const_defs: &[TokenStream],
) -> TokenStream {
    let variants = arms.iter().zip(consts).map(|((v, _), (c, _))| {
        let variant = v.to_string();
        quote!((#variant, #c))
    });
    quote! {
        impl ::tars_codec::Describe for #ident {
            fn schema() -> ::tars_codec::encoding::Schema {
                #(#const_defs)*
                ::tars_codec::encoding::Schema::Enum(#name, ::std::vec![#(#variants),*])
            }
        }
    }
}
