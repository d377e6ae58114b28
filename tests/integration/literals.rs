//! Literal inlining: every supported value type, written into a view, reads back unchanged.

use std::io::Write;

use bigdecimal::BigDecimal;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::data_types::PgInterval;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{
    Array, BigInt, Bool, Bytea, Date, Double, Float, Integer, Interval, Json, Jsonb, Nullable,
    Numeric, SmallInt, Text, Time, Timestamp, Timestamptz, Uuid as SqlUuid, VarChar,
};
use diesel::PgConnection;
use pgview::View;
use proptest::prelude::*;

use crate::support::{conn, server_major};

/// The `mood` enum of the migrations (`pub`: a `diesel::table!` column has it).
#[derive(Debug, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(name = "mood"))]
#[allow(unreachable_pub)]
pub struct MoodType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = MoodType)]
pub(crate) enum Mood {
    Sad,
    Ok,
    Happy,
}

impl ToSql<MoodType, Pg> for Mood {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(match self {
            Mood::Sad => b"sad",
            Mood::Ok => b"ok",
            Mood::Happy => b"happy",
        })?;
        Ok(IsNull::No)
    }
}

impl FromSql<MoodType, Pg> for Mood {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        match bytes.as_bytes() {
            b"sad" => Ok(Mood::Sad),
            b"ok" => Ok(Mood::Ok),
            b"happy" => Ok(Mood::Happy),
            other => Err(format!("unknown mood {other:?}").into()),
        }
    }
}

/// Creates a view of `SELECT <value>` with the column `v`, reads `v` back, drops the view.
macro_rules! round_trip {
    ($conn:expr, $st:ty, $value:expr) => {{
        let conn: &mut PgConnection = $conn;
        let view = View::new(
            "literal_rt",
            diesel::select($value.clone().into_sql::<$st>()),
        )
        .unwrap()
        .columns(["v"])
        .unwrap();
        view.create()
            .execute(conn)
            .unwrap_or_else(|e| panic!("{e}: {}", view.query_sql()));
        let column = view.as_table().column::<$st, _>("v");
        let back = same_type_as(
            &$value,
            view.as_table()
                .select(column)
                .get_result(conn)
                .unwrap_or_else(|e| panic!("{e}: {}", view.query_sql())),
        );
        view.drop().execute(conn).unwrap();
        back
    }};
}

/// Gives `value` the type of `_model` (type inference for the macro above).
fn same_type_as<T>(_model: &T, value: T) -> T {
    value
}

/// One value of one of the supported types.
#[derive(Debug, Clone)]
enum Value {
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Numeric(BigDecimal),
    Text(String),
    VarChar(String),
    Bytes(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    Timestamptz(DateTime<Utc>),
    Interval(i64, i32, i32),
    Uuid(u128),
    Json(serde_json::Value),
    Jsonb(serde_json::Value),
    Mood(Mood),
    NullInt(Option<i32>),
    NullText(Option<String>),
    NullMood(Option<Mood>),
    IntArray(Vec<Option<i32>>),
    TextArray(Vec<String>),
    MoodArray(Vec<Mood>),
    DateArray(Vec<NaiveDate>),
}

/// Text without NUL (PostgreSQL cannot store it), rich in what breaks quoting.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\x00]{0,40}",
        proptest::collection::vec(
            prop_oneof![
                Just("'".to_string()),
                Just("''".to_string()),
                Just("\\".to_string()),
                Just("$1".to_string()),
                Just("$$".to_string()),
                Just("$pgview$".to_string()),
                Just("--".to_string()),
                Just("/*".to_string()),
                Just("*/".to_string()),
                Just("\n".to_string()),
                Just("\r\t".to_string()),
                Just("\"".to_string()),
                Just("é✓視".to_string()),
                Just("E'".to_string()),
                "[a-z ]{0,3}",
            ],
            0..12
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn date() -> impl Strategy<Value = NaiveDate> {
    // PostgreSQL dates start at 4713 BC; chrono's ISO year 0 is 1 BC.
    (-4712i32..=200_000, 1u32..=365).prop_map(|(year, day)| {
        NaiveDate::from_yo_opt(year, day)
            .unwrap_or_else(|| NaiveDate::from_yo_opt(year, 1).unwrap())
    })
}

fn time() -> impl Strategy<Value = NaiveTime> {
    (0u32..86_400, 0u32..1_000_000).prop_map(|(secs, micros)| {
        NaiveTime::from_num_seconds_from_midnight_opt(secs, micros * 1000).unwrap()
    })
}

fn timestamp() -> impl Strategy<Value = NaiveDateTime> {
    (date(), time()).prop_map(|(d, t)| d.and_time(t))
}

fn numeric() -> impl Strategy<Value = BigDecimal> {
    prop_oneof![
        (any::<i64>(), 0i64..20).prop_map(|(digits, scale)| BigDecimal::new(digits.into(), scale)),
        ("-?[0-9]{1,40}(\\.[0-9]{1,30})?").prop_map(|s| s.parse::<BigDecimal>().unwrap()),
    ]
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn mood() -> impl Strategy<Value = Mood> {
    prop_oneof![Just(Mood::Sad), Just(Mood::Ok), Just(Mood::Happy)]
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
    ]
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>(),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(-0.0f32),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(Value::I16),
        any::<i32>().prop_map(Value::I32),
        any::<i64>().prop_map(Value::I64),
        float32().prop_map(Value::F32),
        float64().prop_map(Value::F64),
        numeric().prop_map(Value::Numeric),
        text().prop_map(Value::Text),
        text().prop_map(Value::VarChar),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        date().prop_map(Value::Date),
        time().prop_map(Value::Time),
        timestamp().prop_map(Value::Timestamp),
        timestamp().prop_map(|t| Value::Timestamptz(t.and_utc())),
        (any::<i64>(), any::<i32>(), any::<i32>()).prop_map(|(us, d, m)| Value::Interval(us, d, m)),
        any::<u128>().prop_map(Value::Uuid),
        json().prop_map(Value::Json),
        json().prop_map(Value::Jsonb),
        mood().prop_map(Value::Mood),
        proptest::option::of(any::<i32>()).prop_map(Value::NullInt),
        proptest::option::of(text()).prop_map(Value::NullText),
        proptest::option::of(mood()).prop_map(Value::NullMood),
        proptest::collection::vec(proptest::option::of(any::<i32>()), 0..6)
            .prop_map(Value::IntArray),
        proptest::collection::vec(text(), 0..5).prop_map(Value::TextArray),
        proptest::collection::vec(mood(), 0..5).prop_map(Value::MoodArray),
        proptest::collection::vec(date(), 0..4).prop_map(Value::DateArray),
    ]
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn check(conn: &mut PgConnection, value: Value) {
    match value {
        Value::Bool(v) => assert_eq!(round_trip!(conn, Bool, v), v),
        Value::I16(v) => assert_eq!(round_trip!(conn, SmallInt, v), v),
        Value::I32(v) => assert_eq!(round_trip!(conn, Integer, v), v),
        Value::I64(v) => assert_eq!(round_trip!(conn, BigInt, v), v),
        Value::F32(v) => {
            let back = round_trip!(conn, Float, v);
            assert!(
                v.to_bits() == back.to_bits() || (v.is_nan() && back.is_nan()),
                "{v:?} != {back:?}"
            );
        }
        Value::F64(v) => {
            let back = round_trip!(conn, Double, v);
            assert!(same_f64(v, back), "{v:?} != {back:?}");
        }
        Value::Numeric(v) => assert_eq!(round_trip!(conn, Numeric, v.clone()), v),
        Value::Text(v) => assert_eq!(round_trip!(conn, Text, v.clone()), v),
        Value::VarChar(v) => assert_eq!(round_trip!(conn, VarChar, v.clone()), v),
        Value::Bytes(v) => assert_eq!(round_trip!(conn, Bytea, v.clone()), v),
        Value::Date(v) => assert_eq!(round_trip!(conn, Date, v), v),
        Value::Time(v) => assert_eq!(round_trip!(conn, Time, v), v),
        Value::Timestamp(v) => assert_eq!(round_trip!(conn, Timestamp, v), v),
        Value::Timestamptz(v) => assert_eq!(round_trip!(conn, Timestamptz, v), v),
        Value::Interval(microseconds, days, months) => check_interval(
            conn,
            PgInterval {
                microseconds,
                days,
                months,
            },
        ),
        Value::Uuid(v) => {
            let v = uuid::Uuid::from_u128(v);
            assert_eq!(round_trip!(conn, SqlUuid, v), v);
        }
        Value::Json(v) => assert_eq!(round_trip!(conn, Json, v.clone()), v),
        Value::Jsonb(v) => assert_eq!(round_trip!(conn, Jsonb, v.clone()), v),
        Value::Mood(v) => assert_eq!(round_trip!(conn, MoodType, v), v),
        Value::NullInt(v) => assert_eq!(round_trip!(conn, Nullable<Integer>, v), v),
        Value::NullText(v) => assert_eq!(round_trip!(conn, Nullable<Text>, v.clone()), v),
        Value::NullMood(v) => assert_eq!(round_trip!(conn, Nullable<MoodType>, v), v),
        Value::IntArray(v) => {
            assert_eq!(round_trip!(conn, Array<Nullable<Integer>>, v.clone()), v);
        }
        Value::TextArray(v) => assert_eq!(round_trip!(conn, Array<Text>, v.clone()), v),
        Value::MoodArray(v) => assert_eq!(round_trip!(conn, Array<MoodType>, v.clone()), v),
        Value::DateArray(v) => assert_eq!(round_trip!(conn, Array<Date>, v.clone()), v),
    }
}

/// An interval through a view reads back unchanged; except on PostgreSQL 13 and 14 when its
/// time part is beyond ±2,147,483,647 hours: those versions read each number of an interval's
/// text as a 32-bit integer, so no literal holds it, and the server refuses the text.
fn check_interval(conn: &mut PgConnection, v: PgInterval) {
    let hours_fit = i32::try_from(v.microseconds / 3_600_000_000).is_ok();
    if hours_fit || server_major() >= 15 {
        assert_eq!(round_trip!(conn, Interval, v), v);
        return;
    }
    let view = View::new("literal_rt", diesel::select(v.into_sql::<Interval>()))
        .unwrap()
        .columns(["v"])
        .unwrap();
    // In a savepoint: the test's transaction goes on.
    let err = conn
        .transaction(|conn| view.create().execute(conn))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("interval field value out of range"),
        "{err}: {}",
        view.query_sql()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1200, ..ProptestConfig::default() })]

    /// At least 1,000 values across every supported type, each through a real view.
    #[test]
    fn every_supported_value_round_trips(values in proptest::collection::vec(value(), 1..2)) {
        let conn = &mut conn();
        for value in values {
            check(conn, value);
        }
    }
}

#[test]
fn edge_values_round_trip() {
    let conn = &mut conn();
    for v in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        f64::MAX,
        f64::MIN_POSITIVE,
    ] {
        assert!(same_f64(round_trip!(conn, Double, v), v), "{v}");
    }
    for v in ["0", "-0.000100", "123456789012345678901234567890.123456789"] {
        let v: BigDecimal = v.parse().unwrap();
        assert_eq!(round_trip!(conn, Numeric, v.clone()), v);
    }
    for s in [
        "it's",
        "a\\b",
        "$1 -- /* $$ */",
        "line\nbreak",
        "視圖 ✓",
        "",
    ] {
        assert_eq!(round_trip!(conn, Text, s.to_string()), s);
    }
    let bc = NaiveDate::from_ymd_opt(-43, 3, 15).unwrap();
    assert_eq!(round_trip!(conn, Date, bc), bc);
    let largest_everywhere = i64::from(i32::MAX) * 3_600_000_000 + 3_599_999_999;
    for (microseconds, days, months) in [
        (3_600_000_000, 0, 0),
        (-5_400_000_001, 1, -1),
        (largest_everywhere, i32::MAX, i32::MAX),
        (-largest_everywhere, i32::MIN, i32::MIN),
        (i64::MIN, i32::MIN, i32::MIN),
        (i64::MAX, i32::MAX, i32::MAX),
    ] {
        check_interval(
            conn,
            PgInterval {
                microseconds,
                days,
                months,
            },
        );
    }
    let empty: Vec<i32> = Vec::new();
    assert_eq!(round_trip!(conn, Array<Integer>, empty.clone()), empty);
    assert_eq!(
        round_trip!(conn, Nullable<Array<Integer>>, None::<Vec<i32>>),
        None
    );
}
