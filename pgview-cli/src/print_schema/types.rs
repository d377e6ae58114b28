//! Rust and Diesel types for the columns of a view.
//!
//! Built-in types that `#[derive(PgView)]` infers from the field's Rust type get that Rust type
//! alone; the others get a `sql_type` too: `json` and `oid` (Rust types shared with other SQL
//! types), enums and every other type without a mapping (a marker in the `sql_types` module, as
//! `diesel print-schema` writes for custom types, so that the derive and `verify` find the type
//! by name). Arrays are `Vec<Option<T>>`: PostgreSQL does not say whether an array holds NULL
//! elements.

use pgview_core::{ColumnInfo, TypeName};

/// How a field is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldType {
    /// The Rust type.
    pub(crate) rust: String,
    /// The `sql_type = …` override, when the derive cannot infer it.
    pub(crate) sql_type: Option<String>,
    /// A custom type that needs a marker in `sql_types` (schema, name, enum).
    pub(crate) custom: Option<TypeName>,
}

/// A scalar type: its Rust type and Diesel SQL type (`None`: no mapping).
fn scalar(oid: u32) -> Option<(&'static str, &'static str)> {
    Some(match oid {
        16 => ("bool", "Bool"),
        17 => ("Vec<u8>", "Bytea"),
        19 | 25 | 1042 | 1043 => ("String", "Text"),
        20 => ("i64", "BigInt"),
        21 => ("i16", "SmallInt"),
        23 => ("i32", "Integer"),
        26 => ("u32", "Oid"),
        114 => ("serde_json::Value", "Json"),
        700 => ("f32", "Float"),
        701 => ("f64", "Double"),
        1082 => ("chrono::NaiveDate", "Date"),
        1083 => ("chrono::NaiveTime", "Time"),
        1114 => ("chrono::NaiveDateTime", "Timestamp"),
        1184 => ("chrono::DateTime<chrono::Utc>", "Timestamptz"),
        1186 => ("diesel::pg::data_types::PgInterval", "Interval"),
        1700 => ("bigdecimal::BigDecimal", "Numeric"),
        2950 => ("uuid::Uuid", "Uuid"),
        3802 => ("serde_json::Value", "Jsonb"),
        _ => return None,
    })
}

/// SQL types whose Rust type the derive would map to another SQL type.
const NEEDS_SQL_TYPE: &[u32] = &[26, 114];

/// The type of a field over `column`; custom types are named `marker` (a path to the type's
/// marker, such as `sql_types::Mood`).
pub(crate) fn field_type(
    column: &ColumnInfo,
    mut marker: impl FnMut(&TypeName) -> String,
) -> FieldType {
    let (ty, is_array) = match &column.element {
        Some(element) => (element, true),
        None => (&column.type_name, false),
    };
    let oid = if is_array {
        ty.oid
    } else {
        column.domain_base.unwrap_or(ty.oid)
    };
    let (rust, sql, custom) = match scalar(oid) {
        Some((rust, sql)) => (rust.to_owned(), format!("diesel::sql_types::{sql}"), None),
        None => ("String".to_owned(), marker(ty), Some(ty.clone())),
    };
    let needs_sql_type = custom.is_some() || NEEDS_SQL_TYPE.contains(&oid);
    let (rust, sql) = if is_array {
        (
            format!("Vec<Option<{rust}>>"),
            format!("diesel::sql_types::Array<diesel::sql_types::Nullable<{sql}>>"),
        )
    } else {
        (rust, sql)
    };
    let (rust, sql) = if column.not_null {
        (rust, sql)
    } else {
        (
            format!("Option<{rust}>"),
            format!("diesel::sql_types::Nullable<{sql}>"),
        )
    };
    FieldType {
        rust,
        sql_type: needs_sql_type.then_some(sql),
        custom,
    }
}
