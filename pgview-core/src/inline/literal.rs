//! Writing one bind value, given as its type OID and its binary wire format, as a SQL literal
//! that yields exactly the same typed value. Every literal carries a cast to its type.

use std::fmt::Write as _;

use super::array;
use super::types::{self, Builtin, BuiltinOid, Decoded};
use crate::error::Error;

/// A type that is not built in: registered by name through diesel's `PgMetadataLookup`
/// (for example a PostgreSQL enum). The inliner hands out fake OIDs for these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CustomType<'a> {
    /// The schema the type was looked up in, if one was given.
    pub(crate) schema: Option<&'a str>,
    /// The name of the type.
    pub(crate) name: &'a str,
}

/// What a fake OID handed out for a custom type stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved<'a> {
    /// The custom type itself.
    Custom(CustomType<'a>),
    /// The array type of the custom type.
    ArrayOfCustom(CustomType<'a>),
}

/// The custom types known to the inliner, by the fake OIDs it handed out.
pub(crate) trait CustomTypes {
    /// The custom type (or array of one) that `oid` stands for, if it is one.
    fn resolve(&self, oid: u32) -> Option<Resolved<'_>>;
}

/// The type of a single (non-array) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar<'a> {
    /// A built-in type.
    Builtin(Builtin),
    /// A custom type, whose binary form must be its text (as for enums).
    Custom(CustomType<'a>),
}

/// What a type OID stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    /// A single value of this type.
    Scalar(Scalar<'a>),
    /// An array of values of this element type.
    Array(Scalar<'a>),
}

/// Writes the literal for a value of type `oid` (None = SQL NULL) to `out`.
pub(crate) fn write_literal(
    out: &mut String,
    oid: u32,
    value: Option<&[u8]>,
    custom: &dyn CustomTypes,
) -> Result<(), Error> {
    match kind(oid, custom)? {
        Kind::Scalar(ty) => write_scalar(out, ty, value),
        Kind::Array(element) => array::write_array(out, element, value, custom),
    }
}

/// What `oid` stands for: a custom type first (the inliner's fake OIDs are authoritative), else a
/// built-in type; an unknown OID is an error.
pub(crate) fn kind(oid: u32, custom: &dyn CustomTypes) -> Result<Kind<'_>, Error> {
    if let Some(resolved) = custom.resolve(oid) {
        return Ok(match resolved {
            Resolved::Custom(ty) => Kind::Scalar(Scalar::Custom(check_custom(ty)?)),
            Resolved::ArrayOfCustom(ty) => Kind::Array(Scalar::Custom(check_custom(ty)?)),
        });
    }
    match types::lookup(oid) {
        Some(BuiltinOid::Scalar(ty)) => Ok(Kind::Scalar(Scalar::Builtin(ty))),
        Some(BuiltinOid::ArrayOf(ty)) => Ok(Kind::Array(Scalar::Builtin(ty))),
        None => Err(Error::UnsupportedLiteralType {
            type_name: format!("oid {oid}"),
        }),
    }
}

/// A custom type whose name can be written as quoted identifiers.
fn check_custom(ty: CustomType<'_>) -> Result<CustomType<'_>, Error> {
    let parts = ty.schema.into_iter().chain([ty.name]);
    for part in parts {
        if part.is_empty() || part.contains('\0') {
            let reason = "its name is empty or contains a NUL byte";
            return Err(types::invalid(&Scalar::Custom(ty).display_name(), reason));
        }
    }
    Ok(ty)
}

impl Scalar<'_> {
    /// The name of the type for error messages (`int4`, `myschema.mood`).
    pub(crate) fn display_name(&self) -> String {
        match self {
            Self::Builtin(ty) => ty.name.to_owned(),
            Self::Custom(CustomType {
                schema: Some(schema),
                name,
            }) => format!("{schema}.{name}"),
            Self::Custom(CustomType { schema: None, name }) => (*name).to_owned(),
        }
    }

    /// Writes the name of the type as in a cast (`int4`, `"myschema"."mood"`).
    pub(crate) fn write_name(&self, out: &mut String) {
        match self {
            Self::Builtin(ty) => out.push_str(ty.name),
            Self::Custom(ty) => {
                if let Some(schema) = ty.schema {
                    write_identifier(out, schema);
                    out.push('.');
                }
                write_identifier(out, ty.name);
            }
        }
    }
}

/// Writes a value of the single type `ty` (None = SQL NULL).
pub(crate) fn write_scalar(
    out: &mut String,
    ty: Scalar<'_>,
    value: Option<&[u8]>,
) -> Result<(), Error> {
    let Some(bytes) = value else {
        out.push_str("NULL");
        write_cast(out, ty);
        return Ok(());
    };
    let decoded = match ty {
        Scalar::Builtin(builtin) => types::decode(builtin, bytes)?,
        Scalar::Custom(_) => Decoded::Text(custom_text(ty, bytes)?.into()),
    };
    match decoded {
        Decoded::Bare(keyword) => {
            out.push_str(keyword);
            return Ok(());
        }
        Decoded::Text(text) => write_string(out, &text),
        Decoded::Bytes(bytes) => write_bytea(out, bytes),
        Decoded::Char(byte) => write_char(out, byte),
    }
    write_cast(out, ty);
    Ok(())
}

/// The text of a custom type's value. Its binary form is taken as its text, which is right for
/// enums (and domains over text); control characters, never seen in labels but common in other
/// binary formats, are refused.
fn custom_text<'b>(ty: Scalar<'_>, bytes: &'b [u8]) -> Result<&'b str, Error> {
    let name = ty.display_name();
    let text = types::text(&name, bytes)?;
    if text.chars().any(char::is_control) {
        let reason = "its binary form contains control characters, so it is not an enum label";
        return Err(types::invalid(&name, reason));
    }
    Ok(text)
}

/// Writes `::type`.
fn write_cast(out: &mut String, ty: Scalar<'_>) {
    out.push_str("::");
    ty.write_name(out);
}

/// Writes a string constant: a standard one (`'it''s'`), or an escape string (`E'a\\b'`) when the
/// text has a backslash, so that the meaning does not depend on `standard_conforming_strings`.
pub(crate) fn write_string(out: &mut String, text: &str) {
    if text.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Writes `E'\\x…'`, the hex form of a `bytea`.
fn write_bytea(out: &mut String, bytes: &[u8]) {
    out.push_str("E'\\\\x");
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out.push('\'');
}

/// Writes a `"char"` byte: printable ASCII as itself, any other byte through its signed value
/// (`'-1'::int4` then the `"char"` cast), which reads the same on every server version.
fn write_char(out: &mut String, byte: u8) {
    if byte == b' ' || byte.is_ascii_graphic() {
        write_string(out, char::from(byte).encode_utf8(&mut [0; 4]));
    } else {
        let _ = write!(out, "'{}'::int4", i8::from_ne_bytes([byte]));
    }
}

/// Writes a quoted identifier (`"my""type"`).
fn write_identifier(out: &mut String, name: &str) {
    out.push('"');
    out.push_str(&name.replace('"', "\"\""));
    out.push('"');
}
