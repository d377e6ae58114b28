//! The two queries that read views: `sql/select.sql` ([`Selection`]: which views, with what
//! costs no lock) and `sql/state.sql` ([`states_query`]: the whole state of given views, which
//! locks each view it prints until the transaction ends, so callers read a bounded number of
//! views per subtransaction and roll it back).

use std::sync::LazyLock;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Untyped};
use diesel::{QueryResult, QueryableByName};

use crate::lexer::pieces::{split, Piece};

use super::blueprint::Proxy;
use super::fingerprint::{SELECT_SQL, STATE_SQL};
use super::state::Key;

/// The texts of the two queries, split at their placeholders (`$n`, some used twice).
static SELECT_PIECES: LazyLock<Vec<Piece<'static>>> = LazyLock::new(|| split(&SELECT_SQL));
static STATE_PIECES: LazyLock<Vec<Piece<'static>>> = LazyLock::new(|| split(&STATE_SQL));

/// A query of this module with its binds.
///
/// Unlike `diesel::sql_query`, Diesel may prepare it: its text is the same at every call, so
/// the connection prepares it once and the server plans it once (planning the state query
/// costs more than running it on a batch of a few dozen views, and a comparison runs it
/// thousands of times).
#[derive(Debug, Clone)]
pub(crate) struct StateQuery {
    pieces: &'static [Piece<'static>],
    binds: Binds,
}

#[derive(Debug, Clone)]
enum Binds {
    /// `$1` schemas in scope, `$2` and `$3` named views, `$4` with their readers.
    Selection {
        schemas: Option<Vec<String>>,
        named_schemas: Vec<String>,
        names: Vec<String>,
        dependents: bool,
    },
    /// `$1` OIDs, `$2` whether each is in scope, `$3` and `$4` views by name, `$5` whether
    /// each is read whole, `$6` and `$7` each one's proxy table and index names (see
    /// `sql/state.sql`).
    States {
        oids: Vec<i64>,
        in_scope: Vec<bool>,
        schemas: Vec<String>,
        names: Vec<String>,
        whole: Vec<bool>,
        holders: Vec<Option<String>>,
        holder_indexes: Vec<Option<String>>,
    },
}

impl QueryFragment<Pg> for StateQuery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for piece in self.pieces {
            match *piece {
                Piece::Text(text) => out.push_sql(text),
                Piece::Param(number) => match (&self.binds, number) {
                    (Binds::Selection { schemas, .. }, 1) => {
                        out.push_bind_param::<Nullable<Array<Text>>, _>(schemas)?;
                    }
                    (Binds::Selection { named_schemas, .. }, 2) => {
                        out.push_bind_param::<Array<Text>, _>(named_schemas)?;
                    }
                    (Binds::Selection { names, .. }, 3) | (Binds::States { names, .. }, 4) => {
                        out.push_bind_param::<Array<Text>, _>(names)?;
                    }
                    (Binds::Selection { dependents, .. }, 4) => {
                        out.push_bind_param::<Bool, _>(dependents)?;
                    }
                    (Binds::States { oids, .. }, 1) => {
                        out.push_bind_param::<Array<BigInt>, _>(oids)?;
                    }
                    (Binds::States { in_scope, .. }, 2) => {
                        out.push_bind_param::<Array<Bool>, _>(in_scope)?;
                    }
                    (Binds::States { schemas, .. }, 3) => {
                        out.push_bind_param::<Array<Text>, _>(schemas)?;
                    }
                    (Binds::States { whole, .. }, 5) => {
                        out.push_bind_param::<Array<Bool>, _>(whole)?;
                    }
                    (Binds::States { holders, .. }, 6) => {
                        out.push_bind_param::<Array<Nullable<Text>>, _>(holders)?;
                    }
                    (Binds::States { holder_indexes, .. }, 7) => {
                        out.push_bind_param::<Array<Nullable<Text>>, _>(holder_indexes)?;
                    }
                    _ => {
                        return Err(diesel::result::Error::QueryBuilderError(
                            format!("no value for ${number}").into(),
                        ))
                    }
                },
            }
        }
        Ok(())
    }
}

impl QueryId for StateQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for StateQuery {
    type SqlType = Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for StateQuery {}

/// Which views a selection query reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    /// Schemas in scope (`None`: every user schema).
    pub(crate) schemas: Option<Vec<String>>,
    /// Views named one by one.
    pub(crate) names: Vec<Key>,
    /// Also every view reading a selected one, transitively.
    pub(crate) dependents: bool,
}

impl Selection {
    /// The selection query (`sql/select.sql`): rows of [`SelectRow`].
    pub(crate) fn query(&self) -> StateQuery {
        let (named_schemas, names): (Vec<String>, Vec<String>) = self.names.iter().cloned().unzip();
        StateQuery {
            pieces: &SELECT_PIECES,
            binds: Binds::Selection {
                schemas: self.schemas.clone(),
                named_schemas,
                names,
                dependents: self.dependents,
            },
        }
    }
}

/// One row of the selection query.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct SelectRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) oid: i64,
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    pub(crate) materialized: bool,
    #[diesel(sql_type = Bool)]
    pub(crate) in_scope: bool,
    #[diesel(sql_type = Text)]
    pub(crate) stamp: String,
    #[diesel(sql_type = Array<Text>)]
    read_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    read_names: Vec<String>,
}

/// A view found by a selection: what costs no lock to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Selected {
    pub(crate) key: Key,
    pub(crate) oid: i64,
    pub(crate) materialized: bool,
    pub(crate) in_scope: bool,
    /// See `fingerprint.rs`.
    pub(crate) stamp: String,
    /// The views and materialized views it reads.
    pub(crate) reads: Vec<Key>,
}

impl SelectRow {
    pub(crate) fn into_selected(self) -> Selected {
        Selected {
            key: (self.schema, self.name),
            oid: self.oid,
            materialized: self.materialized,
            in_scope: self.in_scope,
            stamp: self.stamp,
            reads: self.read_schemas.into_iter().zip(self.read_names).collect(),
        }
    }
}

/// The state query (`sql/state.sql`) of the views `by_oid` (each with whether it is in scope)
/// and `by_name` (not in scope), each read whole.
pub(crate) fn states_query(by_oid: &[(i64, bool)], by_name: &[Key]) -> StateQuery {
    let by_name: Vec<(Key, bool, Option<Proxy>)> = by_name
        .iter()
        .map(|key| (key.clone(), true, None))
        .collect();
    states_query_with(by_oid, &by_name)
}

/// [`states_query`], with whether each view read by name is read whole: `false` for a view
/// the comparison created, of which only what its definition makes is read (the components
/// of its fingerprint after the defined ones are empty, and so are its triggers, rules,
/// column defaults and blockers: see `sql/state.sql`), and the proxy it was created as, if
/// any (a declared materialized view created as a plain view: see [`Proxy`]).
pub(crate) fn states_query_with(
    by_oid: &[(i64, bool)],
    by_name: &[(Key, bool, Option<Proxy>)],
) -> StateQuery {
    let (oids, in_scope): (Vec<i64>, Vec<bool>) = by_oid.iter().copied().unzip();
    let mut schemas = Vec::with_capacity(by_name.len());
    let mut names = Vec::with_capacity(by_name.len());
    let mut whole = Vec::with_capacity(by_name.len());
    let mut holders = Vec::with_capacity(by_name.len());
    let mut holder_indexes = Vec::with_capacity(by_name.len());
    for ((schema, name), read_whole, proxy) in by_name {
        schemas.push(schema.clone());
        names.push(name.clone());
        whole.push(*read_whole);
        holders.push(proxy.as_ref().map(|p| p.table.clone()));
        holder_indexes.push(proxy.as_ref().map(|p| text_array_literal(&p.index_names)));
    }
    StateQuery {
        pieces: &STATE_PIECES,
        binds: Binds::States {
            oids,
            in_scope,
            schemas,
            names,
            whole,
            holders,
            holder_indexes,
        },
    }
}

/// The text of a `text[]` holding `items` (`{"a","b \"c\""}`), read back exactly by
/// `::text[]` (each element quoted, its quotes and backslashes escaped).
fn text_array_literal(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!("{{{}}}", quoted.join(","))
}
