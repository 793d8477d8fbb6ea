//! `#[derive(TarsStruct)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Expr, Fields, Ident, Lit, LitStr, Type};

struct Field {
    ident: Ident,
    ty: Type,
    tag: u8,
    require: bool,
    default: Option<Expr>,
}

struct StructAttrs {
    name: Option<LitStr>,
    key: Option<Vec<Ident>>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let named = named_fields(input)?;
    let attrs = parse_struct_attrs(input)?;
    let fields = parse_fields(named)?;

    let ident = &input.ident;
    let name = attrs
        .name
        .clone()
        .unwrap_or_else(|| LitStr::new(&ident.to_string(), ident.span()));
    let lifetime = input
        .generics
        .lifetimes()
        .next()
        .map(|l| l.lifetime.clone());
    let (de, ty_generics, impl_generics) = match &lifetime {
        Some(lt) => (quote!(#lt), quote!(<#lt>), quote!(<#lt>)),
        None => (quote!('de), quote!(), quote!(<'de>)),
    };
    let plain_generics = match &lifetime {
        Some(lt) => quote!(<#lt>),
        None => quote!(),
    };

    let encode_fields = fields.iter().map(encode_field);
    let decode_fields = fields.iter().map(|f| decode_field(f, &name));
    let decode_values = fields.iter().map(|f| decode_value(f, &name));
    let default_fields = fields.iter().map(|f| {
        let id = &f.ident;
        let d = default_expr(f);
        quote!(#id: #d)
    });
    let key_cmp = key_cmp(&fields, attrs.key.as_deref())?;
    let describe = describe_impl(&plain_generics, ident, &ty_generics, &name, &fields);

    Ok(quote! {
        impl #plain_generics ::tars_codec::Struct for #ident #ty_generics {
            const NAME: &'static str = #name;

            #[inline]
            fn write_fields(&self, w: &mut ::tars_codec::encoding::Writer<'_>) {
                // A local copy of the cursor, kept in registers across the fields.
                w.scoped(|w| {
                    #(#encode_fields)*
                });
            }
        }

        impl #plain_generics ::tars_codec::Encode for #ident #ty_generics {
            #[inline]
            fn write(&self, tag: u8, w: &mut ::tars_codec::encoding::Writer<'_>) {
                ::tars_codec::encoding::write_nested(self, tag, w);
            }
        }

        impl #impl_generics ::tars_codec::StructDecode<#de> for #ident #ty_generics {
            const NAME: &'static str = #name;

            #[inline]
            fn decode_fields(
                r: &mut ::tars_codec::Reader<#de>,
            ) -> ::tars_codec::Result<Self> {
                ::core::result::Result::Ok(Self { #(#decode_values,)* })
            }

            #[inline]
            fn decode_fields_into(
                &mut self,
                r: &mut ::tars_codec::Reader<#de>,
            ) -> ::tars_codec::Result<()> {
                #(#decode_fields)*
                ::core::result::Result::Ok(())
            }
        }

        impl #impl_generics ::tars_codec::Decode<#de> for #ident #ty_generics {
            #[inline]
            fn decode(
                r: &mut ::tars_codec::Reader<#de>,
                ty: ::tars_codec::WireType,
            ) -> ::tars_codec::Result<Self> {
                ::tars_codec::encoding::decode_nested(r, ty)
            }

            #[inline(always)]
            fn decode_field(
                r: &mut ::tars_codec::Reader<#de>,
                tag: u8,
            ) -> ::tars_codec::Result<::core::option::Option<Self>> {
                ::tars_codec::encoding::decode_nested_field(r, tag)
            }

            #[inline(always)]
            fn decode_field_into(
                &mut self,
                r: &mut ::tars_codec::Reader<#de>,
                tag: u8,
            ) -> ::tars_codec::Result<bool> {
                ::tars_codec::encoding::decode_nested_field_into(self, r, tag)
            }
        }

        impl #plain_generics ::core::default::Default for #ident #ty_generics {
            fn default() -> Self {
                Self { #(#default_fields,)* }
            }
        }

        #describe

        impl #plain_generics ::tars_codec::KeyOrd for #ident #ty_generics {
            fn key_cmp(&self, other: &Self) -> ::core::cmp::Ordering {
                #key_cmp
            }
        }
    })
}

/// The struct's named fields; anything else (tuple structs, enums, type parameters, more than
/// one lifetime) is a compile error.
fn named_fields(input: &DeriveInput) -> syn::Result<&syn::FieldsNamed> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(input, "TarsStruct needs a struct"));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            input,
            "TarsStruct needs named fields",
        ));
    };
    if input.generics.type_params().next().is_some()
        || input.generics.const_params().next().is_some()
        || input.generics.lifetimes().count() > 1
    {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "TarsStruct supports at most one lifetime and no type parameters",
        ));
    }
    Ok(named)
}

/// `impl Describe`: the struct's name and fields, for tools that print decoded values.
fn describe_impl(
    generics: &TokenStream,
    ident: &Ident,
    ty_generics: &TokenStream,
    name: &LitStr,
    fields: &[Field],
) -> TokenStream {
    let describe_fields = fields.iter().map(|f| {
        let Field {
            ident,
            ty,
            tag,
            require,
            ..
        } = f;
        let field_name = ident.to_string();
        quote! {
            ::tars_codec::encoding::FieldSchema {
                tag: #tag,
                name: #field_name,
                require: #require,
                schema: <#ty as ::tars_codec::Describe>::schema(),
            }
        }
    });
    quote! {
        impl #generics ::tars_codec::Describe for #ident #ty_generics {
            fn schema() -> ::tars_codec::encoding::Schema {
                ::tars_codec::encoding::Schema::Struct(::tars_codec::encoding::StructSchema {
                    name: #name,
                    fields: ::std::vec![#(#describe_fields),*],
                })
            }
        }
    }
}

/// The fields in ascending tag order; a tag used twice is an error.
fn parse_fields(named: &syn::FieldsNamed) -> syn::Result<Vec<Field>> {
    let mut fields = named
        .named
        .iter()
        .map(parse_field)
        .collect::<syn::Result<Vec<_>>>()?;
    fields.sort_by_key(|f| f.tag);
    for pair in fields.windows(2) {
        if pair[0].tag == pair[1].tag {
            return Err(syn::Error::new_spanned(
                &pair[1].ident,
                format!("tag {} is used twice", pair[1].tag),
            ));
        }
    }
    Ok(fields)
}

fn parse_struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut out = StructAttrs {
        name: None,
        key: None,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("tars")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                out.name = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("key") {
                let mut keys = Vec::new();
                meta.parse_nested_meta(|m| {
                    keys.push(m.path.require_ident()?.clone());
                    Ok(())
                })?;
                out.key = Some(keys);
                Ok(())
            } else {
                Err(meta.error("expected `name = \"..\"` or `key(..)`"))
            }
        })?;
    }
    Ok(out)
}

fn parse_field(field: &syn::Field) -> syn::Result<Field> {
    let mut tag = None;
    let mut require = false;
    let mut default = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("tars")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("tag") {
                let lit: syn::LitInt = meta.value()?.parse()?;
                tag = Some(lit.base10_parse::<u8>().map_err(|_| {
                    syn::Error::new_spanned(&lit, "a TARS tag is between 0 and 255")
                })?);
                Ok(())
            } else if meta.path.is_ident("require") {
                require = true;
                Ok(())
            } else if meta.path.is_ident("optional") {
                require = false;
                Ok(())
            } else if meta.path.is_ident("default") {
                default = Some(meta.value()?.parse::<Expr>()?);
                Ok(())
            } else {
                Err(meta.error("expected `tag = N`, `require`, `optional` or `default = ..`"))
            }
        })?;
    }
    let ident = field
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new_spanned(field, "TarsStruct needs named fields"))?;
    let tag = tag.ok_or_else(|| syn::Error::new_spanned(field, "missing #[tars(tag = N)]"))?;
    Ok(Field {
        ident,
        ty: field.ty.clone(),
        tag,
        require,
        default,
    })
}

fn default_expr(field: &Field) -> TokenStream {
    match &field.default {
        Some(Expr::Lit(lit)) if matches!(lit.lit, Lit::Str(_)) => {
            quote!(::tars_codec::FromStatic::from_static(#lit))
        }
        Some(expr) => quote!(#expr),
        None => quote!(::core::default::Default::default()),
    }
}

fn encode_field(field: &Field) -> TokenStream {
    let Field { ident, ty, tag, .. } = field;
    if field.require {
        quote!(::tars_codec::Encode::write(&self.#ident, #tag, w);)
    } else {
        let d = default_expr(field);
        quote! {
            if !::tars_codec::Encode::is_omittable(&self.#ident, || -> #ty { #d }) {
                ::tars_codec::Encode::write(&self.#ident, #tag, w);
            }
        }
    }
}

/// `field: value` for by-value decoding (top-level structs: packets, argument blocks).
fn decode_value(field: &Field, name: &LitStr) -> TokenStream {
    let Field { ident, tag, .. } = field;
    let absent = if field.require {
        quote!(return ::core::result::Result::Err(
            ::tars_codec::Error::required_field_missing(#name, #tag)
        ))
    } else {
        default_expr(field)
    };
    quote! {
        #ident: match ::tars_codec::Decode::decode_field(r, #tag) {
            ::core::result::Result::Ok(::core::option::Option::Some(v)) => v,
            ::core::result::Result::Ok(::core::option::Option::None) => #absent,
            ::core::result::Result::Err(e) => {
                return ::core::result::Result::Err(e.in_field(#name, #tag))
            }
        }
    }
}

/// In-place decoding of one field (nested structs, container elements).
fn decode_field(field: &Field, name: &LitStr) -> TokenStream {
    let Field { ident, tag, .. } = field;
    let absent = if field.require {
        quote!(return ::core::result::Result::Err(
            ::tars_codec::Error::required_field_missing(#name, #tag)
        ))
    } else {
        let d = default_expr(field);
        quote!(self.#ident = #d)
    };
    quote! {
        match ::tars_codec::Decode::decode_field_into(&mut self.#ident, r, #tag) {
            ::core::result::Result::Ok(true) => {}
            ::core::result::Result::Ok(false) => #absent,
            ::core::result::Result::Err(e) => {
                return ::core::result::Result::Err(e.in_field(#name, #tag))
            }
        }
    }
}

fn key_cmp(fields: &[Field], key: Option<&[Ident]>) -> syn::Result<TokenStream> {
    let idents: Vec<&Ident> = match key {
        Some(key) => {
            for k in key {
                if !fields.iter().any(|f| &f.ident == k) {
                    return Err(syn::Error::new_spanned(k, "key names an unknown field"));
                }
            }
            key.iter().collect()
        }
        None => fields.iter().map(|f| &f.ident).collect(),
    };
    Ok(quote! {
        ::core::cmp::Ordering::Equal
            #(.then_with(|| ::tars_codec::KeyOrd::key_cmp(&self.#idents, &other.#idents)))*
    })
}
