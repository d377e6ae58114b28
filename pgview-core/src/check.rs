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
    ($( ($($name:ident : $n:tt),+) )+) => {$(
        impl<$($name),+> Columns for ($($name,)+) {
            type Tuple = Self;
        }
        tuples!(@nth ($($name),+) $($name : $n),+);
        tuples!(@arity ($($name),+));
    )+};
    (@nth $all:tt $($name:ident : $n:tt),+) => {$(
        tuples!(@one $all $name $n);
    )+};
    (@one ($($all:ident),+) $name:ident $n:tt) => {
        impl<$($all),+> Nth<$n> for ($($all,)+) {
            type Out = $name;
        }
    };
    (@arity ($($name:ident),+)) => {
        impl<$($name,)+ Other> SameArity<Other> for ($($name,)+)
        where
            Other: ArityOf<{ count!($($name)+) }>,
        {
        }
    };
}

macro_rules! count {
    () => { 0usize };
    ($head:ident $($tail:ident)*) => { 1usize + count!($($tail)*) };
}

/// Tuples of length `N`.
pub trait ArityOf<const N: usize> {}

macro_rules! arity_of {
    ($( ($($name:ident),+) )+) => {$(
        impl<$($name),+> ArityOf<{ count!($($name)+) }> for ($($name,)+) {}
    )+};
}

tuples! {
    (A:0)
    (A:0, B:1)
    (A:0, B:1, C:2)
    (A:0, B:1, C:2, D:3)
    (A:0, B:1, C:2, D:3, E:4)
    (A:0, B:1, C:2, D:3, E:4, F:5)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10, L:11)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10, L:11, M:12)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10, L:11, M:12, N:13)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10, L:11, M:12, N:13, O:14)
    (A:0, B:1, C:2, D:3, E:4, F:5, G:6, H:7, I:8, J:9, K:10, L:11, M:12, N:13, O:14, P:15)
}

arity_of! {
    (A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F) (A, B, C, D, E, F, G)
    (A, B, C, D, E, F, G, H) (A, B, C, D, E, F, G, H, I) (A, B, C, D, E, F, G, H, I, J)
    (A, B, C, D, E, F, G, H, I, J, K) (A, B, C, D, E, F, G, H, I, J, K, L)
    (A, B, C, D, E, F, G, H, I, J, K, L, M) (A, B, C, D, E, F, G, H, I, J, K, L, M, N)
    (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O) (A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P)
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
