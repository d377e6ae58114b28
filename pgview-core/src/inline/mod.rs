//! Literal inlining: turns a Diesel query into SQL text with every bind value written as a
//! typed literal, because `CREATE VIEW` takes no bind parameters.
//!
//! This is the one module that depends on diesel's semver-exempt
//! `i-implement-a-third-party-backend-and-opt-into-breaking-changes` feature (as diesel-async
//! does): it renders the query with `QueryFragment::to_sql`, collects the binds with
//! `RawBytesBindCollector` (PostgreSQL's binary format) and rewrites each `$n` placeholder into
//! the literal of its value.

mod array;
mod literal;
mod place;
mod types;

use std::collections::HashMap;

use diesel::pg::{Pg, PgMetadataLookup, PgQueryBuilder, PgTypeMetadata};
use diesel::query_builder::bind_collector::RawBytesBindCollector;
use diesel::query_builder::{QueryBuilder, QueryFragment};

use crate::error::{Error, QueryValue, RelationKind, Result};
use crate::ident::QualifiedName;
use crate::lexer::pieces::{split, Piece};
use literal::{CustomType, CustomTypes, Resolved};

/// Why one value cannot be written as a literal; [`InlineError::in_view`] says where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LiteralError {
    /// A SQL type pgview does not write (its name, or `oid <n>`).
    Unsupported { type_name: String },
    /// A value of its type that cannot be written, and why.
    Invalid { type_name: String, reason: String },
}

/// Why a query could not be written with its values as literals.
#[derive(Debug)]
pub(crate) enum InlineError {
    /// Diesel could not render the query or collect its values.
    Diesel(diesel::result::Error),
    /// The value `$number` cannot be written.
    Value {
        /// Its number among the query's values, from 1.
        number: usize,
        /// The select-list item holding it, from 1 (see [`place::select_item`]).
        select_item: Option<usize>,
        /// The end of the SQL text before it (see [`place::text_before`]).
        after: String,
        /// Why it cannot be written.
        error: LiteralError,
    },
}

impl InlineError {
    /// The error of this one for the query of `view`, a view of `kind`.
    pub(crate) fn in_view(self, view: &QualifiedName, kind: RelationKind) -> Error {
        let (number, select_item, after, error) = match self {
            Self::Diesel(error) => return Error::from(error),
            Self::Value {
                number,
                select_item,
                after,
                error,
            } => (number, select_item, after, error),
        };
        let value = Box::new(QueryValue {
            view: view.fullname(),
            kind,
            number,
            select_item,
            column: None,
            after,
        });
        match error {
            LiteralError::Unsupported { type_name } => {
                Error::UnsupportedLiteralType { value, type_name }
            }
            LiteralError::Invalid { type_name, reason } => Error::InvalidLiteral {
                value,
                type_name,
                reason,
            },
        }
    }
}

/// Renders `query` as SQL text with its bind values inlined as literals.
///
/// # Errors
/// [`InlineError::Value`] for the first value that cannot be written as a literal,
/// [`InlineError::Diesel`] when Diesel cannot build the query.
pub(crate) fn inline_query<Q: QueryFragment<Pg> + ?Sized>(
    query: &Q,
) -> std::result::Result<String, InlineError> {
    let sql = render_sql(query).map_err(InlineError::Diesel)?;
    let mut binds = RawBytesBindCollector::<Pg>::new();
    let mut lookup = FakeOids::default();
    query
        .collect_binds(&mut binds, &mut lookup, &Pg)
        .map_err(InlineError::Diesel)?;
    let pieces = split(&sql);
    let mut out = String::with_capacity(sql.len());
    // The byte offset in `sql` of the piece at hand, to say where a value is.
    let mut offset = 0;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Text(text) => {
                out.push_str(text);
                offset += text.len();
            }
            Piece::Param(number) => {
                let placeholder = place::placeholder_len(&sql, offset);
                let next = match pieces.get(i + 1) {
                    Some(Piece::Text(text)) => text.trim_start().chars().next(),
                    _ => None,
                };
                // `'1'::int4[1]` or `'x'::t.f` would read the subscript or field as part of
                // the type name: parenthesize the literal there.
                let wrap = matches!(next, Some('[' | '.'));
                if wrap {
                    out.push('(');
                }
                write_bind(&mut out, &binds, &lookup, *number).map_err(|error| match error {
                    BindError::Diesel(error) => InlineError::Diesel(error),
                    BindError::Literal(error) => InlineError::Value {
                        number: *number,
                        select_item: place::select_item(&sql, offset),
                        after: place::text_before(&sql, offset),
                        error,
                    },
                })?;
                if wrap {
                    out.push(')');
                }
                offset += placeholder;
            }
        }
    }
    Ok(out)
}

/// Renders a query fragment to SQL text as Diesel would send it (placeholders included).
pub(crate) fn render<Q: QueryFragment<Pg> + ?Sized>(query: &Q) -> Result<String> {
    Ok(render_sql(query)?)
}

fn render_sql<Q: QueryFragment<Pg> + ?Sized>(query: &Q) -> diesel::QueryResult<String> {
    let mut builder = PgQueryBuilder::default();
    query.to_sql(&mut builder, &Pg)?;
    Ok(builder.finish())
}

/// Why [`write_bind`] failed.
enum BindError {
    Diesel(diesel::result::Error),
    Literal(LiteralError),
}

fn write_bind(
    out: &mut String,
    binds: &RawBytesBindCollector<Pg>,
    lookup: &FakeOids,
    number: usize,
) -> std::result::Result<(), BindError> {
    let index = number.checked_sub(1);
    let (Some(metadata), Some(value)) = (
        index.and_then(|i| binds.metadata.get(i)),
        index.and_then(|i| binds.binds.get(i)),
    ) else {
        return Err(BindError::Diesel(diesel::result::Error::QueryBuilderError(
            format!("the query has the placeholder ${number} but no value for it").into(),
        )));
    };
    let oid = metadata.oid().map_err(|e| {
        BindError::Literal(LiteralError::Unsupported {
            type_name: e.to_string(),
        })
    })?;
    literal::write_literal(out, oid, value.as_deref(), lookup).map_err(BindError::Literal)
}

/// The first fake OID handed out for types looked up by name; real OIDs of user types start at
/// 16384 and built-in ones are below, so counting down from the top never meets them in
/// practice, and the literal writer only ever compares against the OIDs it handed out.
const FIRST_FAKE_OID: u32 = u32::MAX;

/// A `PgMetadataLookup` that needs no connection: each type looked up by name (an enum, for
/// example) gets a pair of fake OIDs, remembered so the literal writer can cast to the name.
#[derive(Debug, Default)]
pub(crate) struct FakeOids {
    by_name: HashMap<(Option<String>, String), (u32, u32)>,
    by_oid: HashMap<u32, (Option<String>, String, bool)>,
}

impl PgMetadataLookup for FakeOids {
    fn lookup_type(&mut self, type_name: &str, schema: Option<&str>) -> PgTypeMetadata {
        let key = (schema.map(str::to_owned), type_name.to_owned());
        let next = u32::try_from(self.by_name.len() * 2).unwrap_or(u32::MAX - 1);
        let (oid, array_oid) = *self.by_name.entry(key.clone()).or_insert_with(|| {
            let oid = FIRST_FAKE_OID - next;
            (oid, oid - 1)
        });
        self.by_oid
            .insert(oid, (key.0.clone(), key.1.clone(), false));
        self.by_oid.insert(array_oid, (key.0, key.1, true));
        PgTypeMetadata::new(oid, array_oid)
    }
}

impl FakeOids {
    /// The type looked up by name that `oid` stands for: its schema as given, its name, and
    /// whether `oid` is its array type.
    pub(crate) fn named(&self, oid: u32) -> Option<(Option<&str>, &str, bool)> {
        let (schema, name, is_array) = self.by_oid.get(&oid)?;
        Some((schema.as_deref(), name, *is_array))
    }
}

impl CustomTypes for FakeOids {
    fn resolve(&self, oid: u32) -> Option<Resolved<'_>> {
        let (schema, name, is_array) = self.by_oid.get(&oid)?;
        let custom = CustomType {
            schema: schema.as_deref(),
            name,
        };
        Some(if *is_array {
            Resolved::ArrayOfCustom(custom)
        } else {
            Resolved::Custom(custom)
        })
    }
}

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::sql_types::{Array, Integer};

    use super::inline_query;

    #[test]
    fn literals_followed_by_a_subscript_are_parenthesized() {
        let subscript = diesel::select(
            sql::<Integer>("")
                .bind::<Array<Integer>, _>(vec![1, 2])
                .sql("[1]"),
        );
        assert_eq!(
            inline_query(&subscript).unwrap(),
            "SELECT (ARRAY['1'::int4, '2'::int4]::int4[])[1]"
        );
    }
}
