//! The built-in PostgreSQL types: their OIDs, the names used in casts, and the decoding of the
//! binary wire format of those whose values can be written as literals.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::LiteralError;

/// `bool`.
pub(crate) const BOOL: u32 = 16;
/// `bytea`.
pub(crate) const BYTEA: u32 = 17;
/// `"char"` (the one-byte internal type).
pub(crate) const CHAR: u32 = 18;
/// `name`.
pub(crate) const NAME: u32 = 19;
/// `int8`.
pub(crate) const INT8: u32 = 20;
/// `int2`.
pub(crate) const INT2: u32 = 21;
/// `int4`.
pub(crate) const INT4: u32 = 23;
/// `text`.
pub(crate) const TEXT: u32 = 25;
/// `oid`.
pub(crate) const OID: u32 = 26;
/// `json`.
pub(crate) const JSON: u32 = 114;
/// `float4`.
pub(crate) const FLOAT4: u32 = 700;
/// `float8`.
pub(crate) const FLOAT8: u32 = 701;
/// `bpchar` (`character(n)`).
pub(crate) const BPCHAR: u32 = 1042;
/// `varchar`.
pub(crate) const VARCHAR: u32 = 1043;
/// `date`.
pub(crate) const DATE: u32 = 1082;
/// `time`.
pub(crate) const TIME: u32 = 1083;
/// `timestamp`.
pub(crate) const TIMESTAMP: u32 = 1114;
/// `timestamptz`.
pub(crate) const TIMESTAMPTZ: u32 = 1184;
/// `interval`.
pub(crate) const INTERVAL: u32 = 1186;
/// `numeric`.
pub(crate) const NUMERIC: u32 = 1700;
/// `uuid`.
pub(crate) const UUID: u32 = 2950;
/// `jsonb`.
pub(crate) const JSONB: u32 = 3802;

/// Built-in types as (OID, OID of the array type or 0, name used in casts). Types whose values
/// cannot be written are listed too, so that errors and `NULL` casts can name them.
#[rustfmt::skip]
const TABLE: &[(u32, u32, &str)] = &[
    (BOOL, 1000, "bool"), (BYTEA, 1001, "bytea"), (CHAR, 1002, "\"char\""),
    (NAME, 1003, "name"), (INT8, 1016, "int8"), (INT2, 1005, "int2"),
    (22, 1006, "int2vector"), (INT4, 1007, "int4"), (24, 1008, "regproc"),
    (TEXT, 1009, "text"), (OID, 1028, "oid"), (27, 1010, "tid"),
    (28, 1011, "xid"), (29, 1012, "cid"), (30, 1013, "oidvector"),
    (JSON, 199, "json"), (142, 143, "xml"), (600, 1017, "point"),
    (601, 1018, "lseg"), (602, 1019, "path"), (603, 1020, "box"),
    (604, 1027, "polygon"), (628, 629, "line"), (650, 651, "cidr"),
    (FLOAT4, 1021, "float4"), (FLOAT8, 1022, "float8"), (718, 719, "circle"),
    (774, 775, "macaddr8"), (790, 791, "money"), (829, 1040, "macaddr"),
    (869, 1041, "inet"), (1033, 1034, "aclitem"), (BPCHAR, 1014, "bpchar"),
    (VARCHAR, 1015, "varchar"), (DATE, 1182, "date"), (TIME, 1183, "time"),
    (TIMESTAMP, 1115, "timestamp"), (TIMESTAMPTZ, 1185, "timestamptz"), (INTERVAL, 1187, "interval"),
    (1266, 1270, "timetz"), (1560, 1561, "bit"), (1562, 1563, "varbit"),
    (NUMERIC, 1231, "numeric"), (1790, 2201, "refcursor"), (2202, 2207, "regprocedure"),
    (2203, 2208, "regoper"), (2204, 2209, "regoperator"), (2205, 2210, "regclass"),
    (2206, 2211, "regtype"), (2249, 2287, "record"), (UUID, 2951, "uuid"),
    (2970, 2949, "txid_snapshot"), (3220, 3221, "pg_lsn"), (3614, 3643, "tsvector"),
    (3615, 3645, "tsquery"), (3734, 3735, "regconfig"), (3769, 3770, "regdictionary"),
    (JSONB, 3807, "jsonb"), (3904, 3905, "int4range"), (3906, 3907, "numrange"),
    (3908, 3909, "tsrange"), (3910, 3911, "tstzrange"), (3912, 3913, "daterange"),
    (3926, 3927, "int8range"), (4072, 4073, "jsonpath"), (4089, 4090, "regnamespace"),
    (4096, 4097, "regrole"), (4191, 4192, "regcollation"), (4451, 6150, "int4multirange"),
    (4532, 6151, "nummultirange"), (4533, 6152, "tsmultirange"), (4534, 6153, "tstzmultirange"),
    (4535, 6155, "datemultirange"), (4536, 6157, "int8multirange"), (5038, 5039, "pg_snapshot"),
    (5069, 271, "xid8"),
];

/// A built-in (non-array) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Builtin {
    /// Its OID.
    pub(crate) oid: u32,
    /// Its name as written in a cast (`int4`, `"char"`).
    pub(crate) name: &'static str,
}

/// What a built-in OID denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuiltinOid {
    /// The type itself.
    Scalar(Builtin),
    /// The array type whose elements are of this type.
    ArrayOf(Builtin),
}

/// The built-in type (or array of one) with this OID, if pgview knows it.
pub(crate) fn lookup(oid: u32) -> Option<BuiltinOid> {
    TABLE.iter().find_map(|&(scalar, array, name)| {
        if scalar == oid {
            Some(BuiltinOid::Scalar(Builtin { oid, name }))
        } else if array == oid {
            Some(BuiltinOid::ArrayOf(Builtin { oid: scalar, name }))
        } else {
            None
        }
    })
}

/// A decoded value of a built-in type, ready to be written as a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decoded<'a> {
    /// A keyword that is a literal of the right type by itself (`true`), written bare.
    Bare(&'static str),
    /// The value in the input syntax of its type, to be quoted and cast.
    Text(Cow<'a, str>),
    /// The bytes of a `bytea`.
    Bytes(&'a [u8]),
    /// The byte of a `"char"`.
    Char(u8),
}

/// The error for a value of type `type_name` that cannot be written because of `reason`.
pub(crate) fn invalid(type_name: &str, reason: impl Into<String>) -> LiteralError {
    LiteralError::Invalid {
        type_name: type_name.to_owned(),
        reason: reason.into(),
    }
}

/// Text of type `type_name` that PostgreSQL can hold: UTF-8 without NUL bytes.
pub(crate) fn text<'a>(type_name: &str, bytes: &'a [u8]) -> Result<&'a str, LiteralError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| invalid(type_name, format!("not UTF-8: {e}")))?;
    if text.contains('\0') {
        return Err(invalid(type_name, "text contains a NUL byte"));
    }
    Ok(text)
}

/// Decodes `bytes`, the binary wire format of a value of type `ty`.
pub(crate) fn decode(ty: Builtin, bytes: &[u8]) -> Result<Decoded<'_>, LiteralError> {
    let err = |reason: String| invalid(ty.name, reason);
    match ty.oid {
        BOOL => match fixed::<1>(bytes).map_err(err)? {
            [0] => Ok(Decoded::Bare("false")),
            _ => Ok(Decoded::Bare("true")),
        },
        BYTEA => Ok(Decoded::Bytes(bytes)),
        CHAR => fixed::<1>(bytes).map(|[b]| Decoded::Char(b)).map_err(err),
        NAME if bytes.len() >= 64 => Err(err(format!("{} bytes is too long", bytes.len()))),
        TEXT | VARCHAR | BPCHAR | NAME | JSON => Ok(Decoded::Text(text(ty.name, bytes)?.into())),
        JSONB => match bytes.split_first() {
            Some((1, json)) => Ok(Decoded::Text(text(ty.name, json)?.into())),
            _ => Err(err("unsupported jsonb version".to_owned())),
        },
        oid => match input_text(oid, bytes) {
            Some(text) => text.map(|text| Decoded::Text(text.into())).map_err(err),
            None => Err(LiteralError::Unsupported {
                type_name: ty.name.to_owned(),
            }),
        },
    }
}

/// The value in the input syntax of its type, for the types written that way that are not text;
/// `None` for a type whose values cannot be written.
fn input_text(oid: u32, bytes: &[u8]) -> Option<Result<String, String>> {
    Some(match oid {
        INT2 => fixed(bytes).map(|b| i16::from_be_bytes(b).to_string()),
        INT4 => fixed(bytes).map(|b| i32::from_be_bytes(b).to_string()),
        INT8 => fixed(bytes).map(|b| i64::from_be_bytes(b).to_string()),
        OID => fixed(bytes).map(|b| u32::from_be_bytes(b).to_string()),
        FLOAT4 => fixed(bytes).map(|b| float_text(&format!("{:?}", f32::from_be_bytes(b)))),
        FLOAT8 => fixed(bytes).map(|b| float_text(&format!("{:?}", f64::from_be_bytes(b)))),
        NUMERIC => numeric_text(bytes),
        DATE => fixed(bytes).map(|b| date_text(i32::from_be_bytes(b))),
        TIME => fixed(bytes).and_then(|b| time_text(i64::from_be_bytes(b))),
        TIMESTAMP => fixed(bytes).map(|b| timestamp_text(i64::from_be_bytes(b), false)),
        TIMESTAMPTZ => fixed(bytes).map(|b| timestamp_text(i64::from_be_bytes(b), true)),
        INTERVAL => fixed(bytes).map(interval_text),
        UUID => fixed(bytes).map(uuid_text),
        _ => return None,
    })
}

/// Exactly `N` bytes.
fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
    <[u8; N]>::try_from(bytes).map_err(|_| format!("expected {N} bytes, got {}", bytes.len()))
}

/// The `{:?}` text of a float, in PostgreSQL's input syntax. `{:?}` gives the shortest text that
/// reads back as the same value; PostgreSQL reads it with `strtod`/`strtof`, which round exactly.
fn float_text(debug: &str) -> String {
    match debug {
        "inf" => "Infinity".to_owned(),
        "-inf" => "-Infinity".to_owned(),
        other => other.strip_suffix(".0").unwrap_or(other).to_owned(),
    }
}

/// The text of a binary `numeric`: every digit, with exactly `dscale` fractional digits (the
/// server too drops digits beyond `dscale` when it receives a value).
fn numeric_text(bytes: &[u8]) -> Result<String, String> {
    let (header, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or("truncated numeric header")?;
    let [n0, n1, w0, w1, s0, s1, d0, d1] = *header;
    let ndigits =
        usize::try_from(i16::from_be_bytes([n0, n1])).map_err(|_| "negative digit count")?;
    let weight = i32::from(i16::from_be_bytes([w0, w1]));
    let sign = u16::from_be_bytes([s0, s1]);
    let dscale = u16::from_be_bytes([d0, d1]);
    if rest.len() != 2 * ndigits {
        return Err(format!(
            "{ndigits} digits announced, {} bytes present",
            rest.len()
        ));
    }
    let digits = rest
        .chunks_exact(2)
        .map(|pair| match fixed(pair).map(i16::from_be_bytes)? {
            digit @ 0..=9999 => Ok(digit),
            digit => Err(format!("invalid base-10000 digit {digit}")),
        })
        .collect::<Result<Vec<i16>, String>>()?;
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        0xC000 => return Ok("NaN".to_owned()),
        0xD000 => return Ok("Infinity".to_owned()),
        0xF000 => return Ok("-Infinity".to_owned()),
        other => return Err(format!("invalid sign {other:#06x}")),
    };
    if dscale > 0x3FFF {
        return Err(format!("invalid display scale {dscale}"));
    }
    Ok(numeric_digits(
        negative,
        weight,
        usize::from(dscale),
        &digits,
    ))
}

/// Writes the decimal text of a finite numeric from its base-10000 digits.
fn numeric_digits(negative: bool, weight: i32, dscale: usize, digits: &[i16]) -> String {
    let digit = |i: i32| {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0)
    };
    let mut int = String::new();
    for i in 0..=weight {
        let _ = write!(int, "{:04}", digit(i));
    }
    let int = int.trim_start_matches('0');
    let mut text = String::from(if negative { "-" } else { "" });
    text.push_str(if int.is_empty() { "0" } else { int });
    if dscale > 0 {
        let mut frac = String::with_capacity(dscale + 4);
        let mut i = weight + 1;
        while frac.len() < dscale {
            let _ = write!(frac, "{:04}", digit(i));
            i += 1;
        }
        frac.truncate(dscale);
        text.push('.');
        text.push_str(&frac);
    }
    if negative && !text.bytes().any(|b| matches!(b, b'1'..=b'9')) {
        text.remove(0);
    }
    text
}

/// Microseconds in a day.
const USECS_PER_DAY: i64 = 86_400_000_000;
/// Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_DAYS: i64 = 10_957;

/// The text of a `date` (days since 2000-01-01).
fn date_text(days: i32) -> String {
    match days {
        i32::MAX => "infinity".to_owned(),
        i32::MIN => "-infinity".to_owned(),
        days => {
            let (year, month, day) = civil_from_days(i64::from(days) + PG_EPOCH_DAYS);
            let mut text = ymd(year, month, day);
            if year <= 0 {
                text.push_str(" BC");
            }
            text
        }
    }
}

/// The text of a `time` (microseconds since midnight, `24:00:00` included).
fn time_text(micros: i64) -> Result<String, String> {
    if !(0..=USECS_PER_DAY).contains(&micros) {
        return Err(format!("{micros} microseconds is not a time of day"));
    }
    Ok(time_of_day(micros))
}

/// The text of a `timestamp` or, with `+00`, a `timestamptz` (microseconds since 2000-01-01
/// 00:00:00, UTC for `timestamptz`).
fn timestamp_text(micros: i64, utc: bool) -> String {
    match micros {
        i64::MAX => "infinity".to_owned(),
        i64::MIN => "-infinity".to_owned(),
        micros => {
            let days = micros.div_euclid(USECS_PER_DAY) + PG_EPOCH_DAYS;
            let (year, month, day) = civil_from_days(days);
            let mut text = ymd(year, month, day);
            text.push(' ');
            text.push_str(&time_of_day(micros.rem_euclid(USECS_PER_DAY)));
            if utc {
                text.push_str("+00");
            }
            if year <= 0 {
                text.push_str(" BC");
            }
            text
        }
    }
}

/// The text of an `interval` (i64 microseconds, i32 days, i32 months): every field carries its
/// own sign, so the text means the same under every `IntervalStyle` (`sql_standard` applies a
/// lone leading sign to all fields).
///
/// The time part is written as hours, minutes, seconds and microseconds: PostgreSQL 13 and 14
/// read each number of an interval's text as a 32-bit integer (`'3600000000 microseconds'`,
/// one hour, is "interval field value out of range" there), so every interval whose time part
/// is within ±2,147,483,647 hours (about 245,000 years) reads back exactly on every version;
/// beyond that only PostgreSQL 15 and later can read it (older ones refuse the text, no value
/// is changed).
fn interval_text(bytes: [u8; 16]) -> String {
    const MICROS_PER_SECOND: i64 = 1_000_000;
    const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
    const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
    let [u0, u1, u2, u3, u4, u5, u6, u7, d0, d1, d2, d3, m0, m1, m2, m3] = bytes;
    let micros = i64::from_be_bytes([u0, u1, u2, u3, u4, u5, u6, u7]);
    let days = i32::from_be_bytes([d0, d1, d2, d3]);
    let months = i32::from_be_bytes([m0, m1, m2, m3]);
    let mut fields = Vec::new();
    if months != 0 {
        fields.push(format!("{months:+} mons"));
    }
    if days != 0 {
        fields.push(format!("{days:+} days"));
    }
    // `/` and `%` round toward zero: every part has the sign of `micros` (even `i64::MIN`).
    for (value, unit) in [
        (micros / MICROS_PER_HOUR, "hours"),
        (micros % MICROS_PER_HOUR / MICROS_PER_MINUTE, "minutes"),
        (micros % MICROS_PER_MINUTE / MICROS_PER_SECOND, "seconds"),
        (micros % MICROS_PER_SECOND, "microseconds"),
    ] {
        if value != 0 {
            fields.push(format!("{value:+} {unit}"));
        }
    }
    if fields.is_empty() {
        "0".to_owned()
    } else {
        fields.join(" ")
    }
}

/// The text of a `uuid`.
fn uuid_text(bytes: [u8; 16]) -> String {
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// `YYYY-MM-DD` for a proleptic Gregorian date, the year as PostgreSQL writes it (year 0 is
/// 1 BC, so a year `y <= 0` is written `1 - y`; the caller adds ` BC`).
fn ymd(year: i64, month: i64, day: i64) -> String {
    let year = if year <= 0 { 1 - year } else { year };
    format!("{year:04}-{month:02}-{day:02}")
}

/// `HH:MM:SS` with the fraction of a second when there is one (trailing zeros dropped).
fn time_of_day(micros: i64) -> String {
    let (seconds, fraction) = (micros / 1_000_000, micros % 1_000_000);
    let mut text = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01, by Howard
/// Hinnant's `civil_from_days`; exact for every day count a `date` or `timestamp` can hold.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
    use diesel::pg::data_types::{PgInterval, PgNumeric};
    use diesel::sql_types::{BigInt, Date, Double, Float, Integer, Interval, Numeric, SmallInt};
    use diesel::sql_types::{Time, Timestamp, Timestamptz};

    use super::super::literal::tests::{invalid_type, lit, render};
    use super::*;

    #[test]
    fn table() {
        let int4 = Builtin {
            oid: INT4,
            name: "int4",
        };
        assert_eq!(lookup(INT4), Some(BuiltinOid::Scalar(int4)));
        assert_eq!(lookup(1007), Some(BuiltinOid::ArrayOf(int4)));
        assert_eq!(lookup(0), None);
        assert_eq!(lookup(199).map(|_| ()), Some(()));
    }

    #[test]
    fn integers() {
        assert_eq!(lit::<SmallInt, _>(&-5_i16), "'-5'::int2");
        assert_eq!(lit::<Integer, _>(&42), "'42'::int4");
        assert_eq!(lit::<BigInt, _>(&i64::MIN), "'-9223372036854775808'::int8");
        assert_eq!(
            lit::<diesel::sql_types::Oid, _>(&u32::MAX),
            "'4294967295'::oid"
        );
        assert_eq!(invalid_type(render(INT4, Some(&[0, 0, 1]))), "int4");
    }

    #[test]
    fn floats() {
        let double = |v: f64| lit::<Double, _>(&v);
        assert_eq!(double(1.5), "'1.5'::float8");
        assert_eq!(double(1e-300), "'1e-300'::float8");
        assert_eq!(double(-0.0), "'-0'::float8");
        assert_eq!(double(100.0), "'100'::float8");
        assert_eq!(double(0.1 + 0.2), "'0.30000000000000004'::float8");
        assert_eq!(double(f64::NAN), "'NaN'::float8");
        assert_eq!(double(f64::INFINITY), "'Infinity'::float8");
        assert_eq!(double(f64::NEG_INFINITY), "'-Infinity'::float8");
        assert_eq!(lit::<Float, _>(&0.1_f32), "'0.1'::float4");
        assert_eq!(lit::<Float, _>(&1e-45_f32), "'1e-45'::float4");
        assert_eq!(invalid_type(render(FLOAT8, Some(&[0; 4]))), "float8");
    }

    /// The binary form of a numeric.
    fn numeric(weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
        let ndigits = i16::try_from(digits.len()).unwrap();
        let header = [ndigits, weight].map(i16::to_be_bytes).concat();
        let digits = digits.iter().flat_map(|d| d.to_be_bytes());
        [
            header,
            sign.to_be_bytes().to_vec(),
            dscale.to_be_bytes().to_vec(),
        ]
        .concat()
        .into_iter()
        .chain(digits)
        .collect()
    }

    #[test]
    fn numerics() {
        let positive = PgNumeric::Positive {
            weight: 0,
            scale: 4,
            digits: vec![123, 4500],
        };
        assert_eq!(lit::<Numeric, _>(&positive), "'123.4500'::numeric");
        let negative = PgNumeric::Negative {
            weight: -1,
            scale: 3,
            digits: vec![10],
        };
        assert_eq!(lit::<Numeric, _>(&negative), "'-0.001'::numeric");
        assert_eq!(lit::<Numeric, _>(&PgNumeric::NaN), "'NaN'::numeric");
        let cases = [
            (numeric(0, 0xD000, 0, &[]), "'Infinity'::numeric"),
            (numeric(0, 0xF000, 0, &[]), "'-Infinity'::numeric"),
            (numeric(0, 0, 0, &[]), "'0'::numeric"),
            (
                numeric(2, 0, 3, &[0, 12, 3400, 5000]),
                "'123400.500'::numeric",
            ),
            (numeric(0, 0x4000, 2, &[7, 1234, 5678]), "'-7.12'::numeric"),
            (numeric(0, 0x4000, 2, &[0]), "'0.00'::numeric"),
            (
                numeric(-3, 0, 14, &[12, 3456]),
                "'0.00000000001234'::numeric",
            ),
            (numeric(3, 0, 0, &[7]), "'7000000000000'::numeric"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(render(NUMERIC, Some(&bytes)).unwrap(), expected);
        }
    }

    #[test]
    fn malformed_numerics() {
        let mut count_mismatch = numeric(0, 0, 0, &[1]);
        count_mismatch.push(0);
        for bytes in [
            numeric(0, 0x1000, 0, &[]),
            numeric(0, 0, 0x4000, &[]),
            numeric(0, 0, 0, &[10_000]),
            numeric(0, 0, 0, &[-1]),
            count_mismatch,
            vec![0, 0, 0],
            [(-1_i16).to_be_bytes(), [0; 2], [0; 2], [0; 2]].concat(),
        ] {
            assert_eq!(invalid_type(render(NUMERIC, Some(&bytes))), "numeric");
        }
    }

    #[test]
    fn dates() {
        let date = |y, m, d| lit::<Date, _>(&NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(date(2024, 2, 29), "'2024-02-29'::date");
        assert_eq!(date(0, 1, 1), "'0001-01-01 BC'::date");
        assert_eq!(date(-43, 3, 15), "'0044-03-15 BC'::date");
        assert_eq!(date(-4713, 11, 24), "'4714-11-24 BC'::date");
        assert_eq!(date(10_000, 1, 2), "'10000-01-02'::date");
        let days = |d: i32| render(DATE, Some(&d.to_be_bytes())).unwrap();
        assert_eq!(days(i32::MAX), "'infinity'::date");
        assert_eq!(days(i32::MIN), "'-infinity'::date");
        assert_eq!(days(2_145_031_948), "'5874897-12-31'::date");
    }

    #[test]
    fn civil_from_days_matches_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-3_000_000..3_000_000).step_by(997).chain(-800..800) {
            let date = epoch + chrono::TimeDelta::days(days);
            let expected = (
                i64::from(date.year()),
                i64::from(date.month()),
                i64::from(date.day()),
            );
            assert_eq!(civil_from_days(days), expected, "{days}");
        }
    }

    #[test]
    fn times_and_timestamps() {
        let time = NaiveTime::from_hms_micro_opt(13, 45, 1, 123_456).unwrap();
        assert_eq!(lit::<Time, _>(&time), "'13:45:01.123456'::time");
        assert_eq!(lit::<Time, _>(&NaiveTime::MIN), "'00:00:00'::time");
        let day = 86_400_000_000_i64.to_be_bytes();
        assert_eq!(render(TIME, Some(&day)).unwrap(), "'24:00:00'::time");
        assert_eq!(
            invalid_type(render(TIME, Some(&(-1_i64).to_be_bytes()))),
            "time"
        );
        let at = |y, m, d, micro| -> NaiveDateTime {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            date.and_hms_micro_opt(13, 45, 1, micro).unwrap()
        };
        assert_eq!(
            lit::<Timestamp, _>(&at(2024, 2, 29, 500_000)),
            "'2024-02-29 13:45:01.5'::timestamp"
        );
        assert_eq!(
            lit::<Timestamp, _>(&at(-43, 3, 15, 0)),
            "'0044-03-15 13:45:01 BC'::timestamp"
        );
        let utc = at(2024, 2, 29, 500_000).and_utc();
        assert_eq!(
            lit::<Timestamptz, _>(&utc),
            "'2024-02-29 13:45:01.5+00'::timestamptz"
        );
        let bc = at(-43, 3, 15, 1).and_utc();
        assert_eq!(
            lit::<Timestamptz, _>(&bc),
            "'0044-03-15 13:45:01.000001+00 BC'::timestamptz"
        );
        let micros = |us: i64, oid| render(oid, Some(&us.to_be_bytes())).unwrap();
        assert_eq!(micros(i64::MAX, TIMESTAMP), "'infinity'::timestamp");
        assert_eq!(micros(i64::MIN, TIMESTAMPTZ), "'-infinity'::timestamptz");
        assert_eq!(
            micros(-1, TIMESTAMP),
            "'1999-12-31 23:59:59.999999'::timestamp"
        );
    }

    #[test]
    fn intervals() {
        let interval = |microseconds, days, months| {
            lit::<Interval, _>(&PgInterval {
                microseconds,
                days,
                months,
            })
        };
        assert_eq!(interval(0, 0, 0), "'0'::interval");
        assert_eq!(
            interval(5, -1, 1),
            "'+1 mons -1 days +5 microseconds'::interval"
        );
        assert_eq!(interval(-1, 0, 0), "'-1 microseconds'::interval");
        assert_eq!(interval(3_600_000_000, 0, 0), "'+1 hours'::interval");
        assert_eq!(
            interval(-5_400_000_001, 0, 0),
            "'-1 hours -30 minutes -1 microseconds'::interval"
        );
        assert_eq!(
            interval(61_000_000, 0, 0),
            "'+1 minutes +1 seconds'::interval"
        );
        assert_eq!(
            interval(i64::MIN, i32::MIN, i32::MIN),
            "'-2147483648 mons -2147483648 days -2562047788 hours -54 seconds -775808 microseconds'::interval"
        );
        assert_eq!(
            interval(i64::MAX, i32::MAX, i32::MAX),
            "'+2147483647 mons +2147483647 days +2562047788 hours +54 seconds +775807 microseconds'::interval"
        );
        assert_eq!(invalid_type(render(INTERVAL, Some(&[0; 15]))), "interval");
    }

    #[test]
    fn uuids() {
        let bytes: Vec<u8> = (0x10..0x20).collect();
        let expected = "'10111213-1415-1617-1819-1a1b1c1d1e1f'::uuid";
        assert_eq!(render(UUID, Some(&bytes)).unwrap(), expected);
        assert_eq!(invalid_type(render(UUID, Some(&bytes[1..]))), "uuid");
    }
}
