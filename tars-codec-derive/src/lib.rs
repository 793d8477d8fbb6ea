//! Derive macros for `tars-codec`: `#[derive(TarsStruct)]` for IDL structs and
//! `#[derive(TarsEnum)]` for IDL enums. See the `tars-codec` crate docs for the attribute syntax.

use proc_macro::TokenStream;

mod enums;
mod structs;

/// Derives `Struct`, `StructDecode`, `Encode`, `Decode`, `KeyOrd` and `Default` for a struct
/// declared from a TARS IDL struct.
///
/// Field attribute: `#[tars(tag = N)]` (0..=255), plus `require` for required fields and
/// `default = <literal>` for an IDL default (string literals become the field's string type).
/// Struct attributes: `#[tars(name = "tars.EndpointF")]` (the IDL name used in errors) and
/// `#[tars(key(a, b))]` (the fields TarsCpp's `operator<` compares; all fields by default).
#[proc_macro_derive(TarsStruct, attributes(tars))]
pub fn derive_tars_struct(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    structs::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `Encode`, `Decode`, `KeyOrd`, `Default` (the first variant, as the IDL says) and the
/// `i32` conversions for a fieldless enum declared from a TARS IDL enum. Enums travel as `int`;
/// decoding a value with no variant is an `invalid value` error. The enum must be `Copy`.
#[proc_macro_derive(TarsEnum)]
pub fn derive_tars_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    enums::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
