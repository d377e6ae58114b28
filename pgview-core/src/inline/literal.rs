//! Writing one bind value, given as its type OID and its binary wire format, as a SQL literal
//! that yields exactly the same typed value. Every literal carries a cast to its type.

use std::fmt::Write as _;

use super::array;
use super::types::{self, Builtin, BuiltinOid, Decoded};
use super::LiteralError;
use crate::sql_text::push_string_constant;

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
) -> Result<(), LiteralError> {
    match kind(oid, custom)? {
        Kind::Scalar(ty) => write_scalar(out, ty, value),
        Kind::Array(element) => array::write_array(out, element, value, custom),
    }
}

/// What `oid` stands for: a custom type first (the inliner's fake OIDs are authoritative), else a
/// built-in type; an unknown OID is an error.
pub(crate) fn kind(oid: u32, custom: &dyn CustomTypes) -> Result<Kind<'_>, LiteralError> {
    if let Some(resolved) = custom.resolve(oid) {
        return Ok(match resolved {
            Resolved::Custom(ty) => Kind::Scalar(Scalar::Custom(check_custom(ty)?)),
            Resolved::ArrayOfCustom(ty) => Kind::Array(Scalar::Custom(check_custom(ty)?)),
        });
    }
    match types::lookup(oid) {
        Some(BuiltinOid::Scalar(ty)) => Ok(Kind::Scalar(Scalar::Builtin(ty))),
        Some(BuiltinOid::ArrayOf(ty)) => Ok(Kind::Array(Scalar::Builtin(ty))),
        None => Err(LiteralError::Unsupported {
            type_name: format!("oid {oid}"),
        }),
    }
}

/// A custom type whose name can be written as quoted identifiers.
fn check_custom(ty: CustomType<'_>) -> Result<CustomType<'_>, LiteralError> {
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
) -> Result<(), LiteralError> {
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
        Decoded::Text(text) => push_string_constant(out, &text),
        Decoded::Bytes(bytes) => write_bytea(out, bytes),
        Decoded::Char(byte) => write_char(out, byte),
    }
    write_cast(out, ty);
    Ok(())
}

/// The text of a custom type's value. Its binary form is taken as its text, which is right for
/// enums (and domains over text); control characters, never seen in labels but common in other
/// binary formats, are refused.
fn custom_text<'b>(ty: Scalar<'_>, bytes: &'b [u8]) -> Result<&'b str, LiteralError> {
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
        push_string_constant(out, char::from(byte).encode_utf8(&mut [0; 4]));
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

#[cfg(test)]
pub(crate) mod tests {
    use diesel::pg::{Pg, PgMetadataLookup, PgTypeMetadata};
    use diesel::query_builder::bind_collector::RawBytesBindCollector;
    use diesel::query_builder::BindCollector;
    use diesel::serialize::{IsNull, Output, ToSql};
    use diesel::sql_types::{Array, HasSqlType, Text};

    use super::*;

    /// The fake OID of the enum `mood`, then of its array type.
    pub(crate) const MOOD: u32 = 90_001;
    /// The fake OID of `"my schema"."we""ird"`, then of its array type.
    pub(crate) const WEIRD: u32 = 90_003;

    /// The enum `mood`.
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub(crate) struct Mood;

    /// The enum `"my schema"."we""ird"`.
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "we\"ird", schema = "my schema"))]
    pub(crate) struct Weird;

    /// An enum label, serialized as PostgreSQL does: its text.
    #[derive(Debug)]
    pub(crate) struct Label(pub(crate) &'static str);

    impl ToSql<Mood, Pg> for Label {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
            std::io::Write::write_all(out, self.0.as_bytes())?;
            Ok(IsNull::No)
        }
    }

    impl ToSql<Weird, Pg> for Label {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
            <Self as ToSql<Mood, Pg>>::to_sql(self, out)
        }
    }

    /// Hands out the fake OIDs above.
    struct Lookup;

    impl PgMetadataLookup for Lookup {
        fn lookup_type(&mut self, name: &str, _schema: Option<&str>) -> PgTypeMetadata {
            let oid = if name == "mood" { MOOD } else { WEIRD };
            PgTypeMetadata::new(oid, oid + 1)
        }
    }

    /// Resolves the fake OIDs above.
    struct Types;

    impl CustomTypes for Types {
        fn resolve(&self, oid: u32) -> Option<Resolved<'_>> {
            let mood = CustomType {
                schema: None,
                name: "mood",
            };
            let weird = CustomType {
                schema: Some("my schema"),
                name: "we\"ird",
            };
            let bad = CustomType {
                schema: None,
                name: "nul\0",
            };
            match oid {
                MOOD => Some(Resolved::Custom(mood)),
                90_002 => Some(Resolved::ArrayOfCustom(mood)),
                WEIRD => Some(Resolved::Custom(weird)),
                90_004 => Some(Resolved::ArrayOfCustom(weird)),
                90_005 => Some(Resolved::Custom(bad)),
                _ => None,
            }
        }
    }

    /// The OID and binary form diesel collects for `value` bound as `ST`.
    pub(crate) fn bind<ST, T>(value: &T) -> (u32, Option<Vec<u8>>)
    where
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + ?Sized,
    {
        let mut collector = RawBytesBindCollector::<Pg>::new();
        collector
            .push_bound_value::<ST, T>(value, &mut Lookup)
            .unwrap();
        let oid = collector.metadata[0].oid().unwrap();
        (oid, collector.binds.pop().unwrap())
    }

    /// The literal for a value of type `oid`.
    pub(crate) fn render(oid: u32, value: Option<&[u8]>) -> Result<String, LiteralError> {
        let mut out = String::new();
        write_literal(&mut out, oid, value, &Types).map(|()| out)
    }

    /// The literal for `value` bound as `ST`.
    pub(crate) fn lit<ST, T>(value: &T) -> String
    where
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + ?Sized,
    {
        let (oid, bytes) = bind::<ST, T>(value);
        render(oid, bytes.as_deref()).unwrap()
    }

    /// The type name of an `InvalidLiteral` error (panics on anything else).
    pub(crate) fn invalid_type(result: Result<String, LiteralError>) -> String {
        match result {
            Err(LiteralError::Invalid { type_name, .. }) => type_name,
            other => panic!("expected InvalidLiteral, got {other:?}"),
        }
    }

    /// The type name of an `UnsupportedLiteralType` error (panics on anything else).
    pub(crate) fn unsupported_type(result: Result<String, LiteralError>) -> String {
        match result {
            Err(LiteralError::Unsupported { type_name }) => type_name,
            other => panic!("expected UnsupportedLiteralType, got {other:?}"),
        }
    }

    #[test]
    fn bool_is_a_bare_keyword() {
        assert_eq!(lit::<diesel::sql_types::Bool, _>(&true), "true");
        assert_eq!(lit::<diesel::sql_types::Bool, _>(&false), "false");
        assert_eq!(render(types::BOOL, Some(&[2])).unwrap(), "true");
        assert_eq!(invalid_type(render(types::BOOL, Some(&[]))), "bool");
    }

    #[test]
    fn text_is_quoted_and_cast() {
        let cases = [
            ("it's", "'it''s'::text"),
            ("a\\b", "E'a\\\\b'::text"),
            ("'\\'", "E'''\\\\'''::text"),
            (
                "line\nbreak\t$1 -- /* $$",
                "'line\nbreak\t$1 -- /* $$'::text",
            ),
            ("ünï 🎉 中文", "'ünï 🎉 中文'::text"),
            ("", "''::text"),
        ];
        for (text, expected) in cases {
            assert_eq!(lit::<Text, _>(text), expected);
        }
        assert_eq!(render(types::VARCHAR, Some(b"x")).unwrap(), "'x'::varchar");
        assert_eq!(
            render(types::BPCHAR, Some(b"x  ")).unwrap(),
            "'x  '::bpchar"
        );
        assert_eq!(render(types::NAME, Some(b"n")).unwrap(), "'n'::name");
    }

    #[test]
    fn text_that_postgresql_cannot_hold_is_refused() {
        assert_eq!(invalid_type(render(types::TEXT, Some(b"a\0b"))), "text");
        assert_eq!(
            invalid_type(render(types::VARCHAR, Some(b"\xff"))),
            "varchar"
        );
        assert_eq!(invalid_type(render(types::NAME, Some(&[b'n'; 64]))), "name");
    }

    #[test]
    fn bytea_is_hex_in_an_escape_string() {
        let bytes: &[u8] = &[0x0a, 0x0b, 0xff, b'\'', b'\\'];
        assert_eq!(
            lit::<diesel::sql_types::Binary, _>(bytes),
            "E'\\\\x0a0bff275c'::bytea"
        );
        assert_eq!(render(types::BYTEA, Some(&[])).unwrap(), "E'\\\\x'::bytea");
    }

    #[test]
    fn char_bytes() {
        let char_of = |byte: u8| lit::<diesel::sql_types::CChar, _>(&byte);
        assert_eq!(char_of(b'A'), "'A'::\"char\"");
        assert_eq!(char_of(b'\''), "''''::\"char\"");
        assert_eq!(char_of(b'\\'), "E'\\\\'::\"char\"");
        assert_eq!(char_of(0), "'0'::int4::\"char\"");
        assert_eq!(char_of(b'\n'), "'10'::int4::\"char\"");
        assert_eq!(char_of(0xff), "'-1'::int4::\"char\"");
    }

    #[test]
    fn json_and_jsonb() {
        let json = br#"{"a":"it's \"q\" \\"}"#;
        let expected = r#"E'{"a":"it''s \\"q\\" \\\\"}'::json"#;
        assert_eq!(render(types::JSON, Some(json)).unwrap(), expected);
        let jsonb = [&[1][..], b"[1, \"x\"]"].concat();
        assert_eq!(
            render(types::JSONB, Some(&jsonb)).unwrap(),
            "'[1, \"x\"]'::jsonb"
        );
        assert_eq!(invalid_type(render(types::JSONB, Some(b"\x02{}"))), "jsonb");
        assert_eq!(invalid_type(render(types::JSONB, Some(b""))), "jsonb");
    }

    #[test]
    fn nulls_carry_their_type() {
        assert_eq!(render(types::INT4, None).unwrap(), "NULL::int4");
        assert_eq!(render(1009, None).unwrap(), "NULL::text[]");
        assert_eq!(render(869, None).unwrap(), "NULL::inet");
        assert_eq!(render(18, None).unwrap(), "NULL::\"char\"");
        assert_eq!(render(MOOD, None).unwrap(), "NULL::\"mood\"");
        assert_eq!(render(90_002, None).unwrap(), "NULL::\"mood\"[]");
        assert_eq!(
            render(WEIRD, None).unwrap(),
            "NULL::\"my schema\".\"we\"\"ird\""
        );
        assert_eq!(unsupported_type(render(12_345, None)), "oid 12345");
    }

    #[test]
    fn unsupported_types_are_named() {
        assert_eq!(
            unsupported_type(render(869, Some(&[2, 32, 0, 4, 1, 2, 3, 4]))),
            "inet"
        );
        assert_eq!(unsupported_type(render(3904, Some(&[1]))), "int4range");
        assert_eq!(unsupported_type(render(1266, Some(&[0; 12]))), "timetz");
        assert_eq!(unsupported_type(render(12_345, Some(&[]))), "oid 12345");
    }

    #[test]
    fn enums_are_written_by_label() {
        assert_eq!(lit::<Mood, _>(&Label("happy")), "'happy'::\"mood\"");
        assert_eq!(lit::<Mood, _>(&Label("it's\\")), "E'it''s\\\\'::\"mood\"");
        let weird = "'x\"y'::\"my schema\".\"we\"\"ird\"";
        assert_eq!(lit::<Weird, _>(&Label("x\"y")), weird);
        let array = lit::<Array<Mood>, _>(&[Label("happy"), Label("sad")][..]);
        assert_eq!(
            array,
            "ARRAY['happy'::\"mood\", 'sad'::\"mood\"]::\"mood\"[]"
        );
    }

    #[test]
    fn custom_values_that_are_no_labels_are_refused() {
        assert_eq!(
            invalid_type(render(WEIRD, Some(&[0, 0, 0, 1]))),
            "my schema.we\"ird"
        );
        assert_eq!(invalid_type(render(MOOD, Some(b"\x01top"))), "mood");
        assert_eq!(invalid_type(render(MOOD, Some(b"\xc3"))), "mood");
        assert_eq!(invalid_type(render(90_005, None)), "nul\0");
    }
}
