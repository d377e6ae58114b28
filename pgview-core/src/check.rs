//! Compile-time checks that `#[derive(PgView)]` emits: the struct's columns against the SQL
//! type of the view's query. Implementation detail; not public API.

use std::marker::PhantomData;

use diesel::query_builder::Query;

/// The columns of a query's SQL type: a tuple stays as it is, a single SQL type becomes a
/// one-element tuple.
pub trait Columns {
    /// The columns as a tuple.
    type Tuple;
}

/// The type of column `N` of a tuple of SQL types.
#[diagnostic::on_unimplemented(
    message = "the view's query has fewer columns than the struct has fields",
    label = "this field has no column in the query",
    note = "every field of the struct is one column of the view, in order"
)]
pub trait Nth<const N: usize> {
    /// The SQL type of that column.
    type Out;
}

/// Tuples of the same length.
#[diagnostic::on_unimplemented(
    message = "the view's query returns {Self} but the struct declares the columns {Other}",
    label = "the number of columns differs",
    note = "every field of the struct is one column of the view, in order"
)]
pub trait SameArity<Other> {}

/// Two equal SQL types.
#[diagnostic::on_unimplemented(
    message = "the view's query gives this column the SQL type `{Self}`, but the field is declared as `{Declared}`",
    label = "the field's type does not match the query",
    note = "change the field's type, or set its SQL type with `#[pgview(sql_type = ...)]`, or change the query (nullability counts: `Nullable<T>` is `Option<T>`)"
)]
pub trait SameSqlType<Declared> {}

impl<T> SameSqlType<T> for T {}

/// Whether a Diesel SQL type is `Nullable<…>`, from its `SqlType::IsNull`.
pub trait Nullability {
    /// `true` for `is_nullable::IsNullable`.
    const NULLABLE: bool;
}

impl Nullability for diesel::sql_types::is_nullable::IsNullable {
    const NULLABLE: bool = true;
}

impl Nullability for diesel::sql_types::is_nullable::NotNull {
    const NULLABLE: bool = false;
}

/// The SQL type of column `N` of the query type `Q`: the SQL type `#[derive(PgView)]` gives a
/// field that neither its Rust type nor `sql_type = …` types, when the view has `query = f`
/// (`f` names the query's type too when declared with `#[diesel::dsl::auto_type]`).
/// [`NoSuchColumn`] when the query has no column `N` (the column count check reports it).
pub type QueryColumn<Q, const N: usize> = <Q as QueryColumnOf<N>>::SqlType;

/// See [`QueryColumn`].
pub trait QueryColumnOf<const N: usize> {
    /// The SQL type of the column.
    type SqlType;
}

impl<Q, const N: usize> QueryColumnOf<N> for Q
where
    Q: Query,
    Q::SqlType: Columns,
    <Q::SqlType as Columns>::Tuple: ColumnAt<N>,
{
    type SqlType = <<Q::SqlType as Columns>::Tuple as ColumnAt<N>>::Out;
}

/// Column `N` of a tuple of SQL types, or [`NoSuchColumn`] past its end (for every `N` below
/// 16), so that a field without a column makes the column count check fail, not every use of
/// the field's SQL type.
pub trait ColumnAt<const N: usize> {
    /// The SQL type of that column, or [`NoSuchColumn`].
    type Out;
}

/// The SQL type [`QueryColumn`] gives a field that has no column in the query. The column
/// count check fails then, so no program that compiles has it.
#[derive(Debug, Clone, Copy, diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
#[diesel(postgres_type(oid = 0, array_oid = 0))]
pub struct NoSuchColumn;

/// Checks that a field whose SQL type is the query's column (see [`QueryColumn`]) can be read
/// from it, so that a field of the wrong type is an error on the field.
pub fn reads_column<Field, SqlType>()
where
    Field: diesel::deserialize::FromSql<SqlType, diesel::pg::Pg>,
{
}

/// The SQL type of a query value, from the value.
pub fn query_sql_type<Q: Query>(_query: &Q) -> PhantomData<Q::SqlType> {
    PhantomData
}

/// The columns of a query's SQL type.
pub fn columns<ST: Columns>(_sql_type: PhantomData<ST>) -> PhantomData<ST::Tuple> {
    PhantomData
}

/// Checks that the query has as many columns as the struct.
pub fn same_arity<Query, Declared>(_query: PhantomData<Query>)
where
    Query: SameArity<Declared>,
{
}

/// The SQL type of column `N`.
pub fn nth<const N: usize, T: Nth<N>>(_columns: PhantomData<T>) -> PhantomData<T::Out> {
    PhantomData
}

/// Checks one column's SQL type against the declared one.
pub fn same_sql_type<Declared, Actual>(_actual: PhantomData<Actual>)
where
    Actual: SameSqlType<Declared>,
{
}

macro_rules! tuples {
    ($( ($($name:ident : $n:tt : $other:ident),+) [$($missing:tt)*] )+) => {$(
        impl<$($name),+> Columns for ($($name,)+) {
            type Tuple = Self;
        }
        impl<$($name,)+ $($other),+> SameArity<($($other,)+)> for ($($name,)+) {}
        tuples!(@nth ($($name),+) $($name : $n),+);
        tuples!(@missing ($($name),+) $($missing)*);
    )+};
    (@nth $all:tt $($name:ident : $n:tt),+) => {$(
        tuples!(@one $all $name $n);
    )+};
    (@one ($($all:ident),+) $name:ident $n:tt) => {
        impl<$($all),+> Nth<$n> for ($($all,)+) {
            type Out = $name;
        }
        impl<$($all),+> ColumnAt<$n> for ($($all,)+) {
            type Out = $name;
        }
    };
    (@missing $all:tt $($n:tt)*) => {$(
        tuples!(@none $all $n);
    )*};
    (@none ($($all:ident),+) $n:tt) => {
        impl<$($all),+> ColumnAt<$n> for ($($all,)+) {
            type Out = NoSuchColumn;
        }
    };
}

tuples! {
    (A:0:A2) [1 2 3 4 5 6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2) [2 3 4 5 6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2) [3 4 5 6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2) [4 5 6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2) [5 6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2) [6 7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2) [7 8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2) [8 9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2) [9 10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2) [10 11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2) [11 12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2, L:11:L2) [12 13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2, L:11:L2, M:12:M2) [13 14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2, L:11:L2, M:12:M2, N:13:N2) [14 15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2, L:11:L2, M:12:M2, N:13:N2, O:14:O2) [15]
    (A:0:A2, B:1:B2, C:2:C2, D:3:D2, E:4:E2, F:5:F2, G:6:G2, H:7:H2, I:8:I2, J:9:J2, K:10:K2, L:11:L2, M:12:M2, N:13:N2, O:14:O2, P:15:P2) []
}

/// A single SQL type is one column.
macro_rules! single_columns {
    ($($ty:ty),+ $(,)?) => {$(
        impl Columns for $ty {
            type Tuple = ($ty,);
        }
    )+};
}

mod single {
    use super::Columns;
    use diesel::sql_types::{
        BigInt, Bool, Bytea, Date, Double, Float, Integer, Interval, Json, Jsonb, Numeric,
        SmallInt, Text, Time, Timestamp, Timestamptz, Uuid,
    };

    single_columns!(
        BigInt,
        Bool,
        Bytea,
        Date,
        Double,
        Float,
        Integer,
        Interval,
        Json,
        Jsonb,
        Numeric,
        SmallInt,
        Text,
        Time,
        Timestamp,
        Timestamptz,
        Uuid,
    );

    impl<T> Columns for diesel::sql_types::Nullable<T> {
        type Tuple = (Self,);
    }

    impl<T> Columns for diesel::sql_types::Array<T> {
        type Tuple = (Self,);
    }
}
