//! [`ViewState`]: everything pgview knows about one view of a database, read by
//! `sql/state.sql` (see [`super::query`]).

use std::collections::BTreeMap;

use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::QueryableByName;

/// `schema`, `name`: how views are identified and ordered.
pub(crate) type Key = (String, String);

/// `schema.name`, unquoted.
pub(crate) fn fullname(key: &Key) -> String {
    format!("{}.{}", key.0, key.1)
}

/// One row of `sql/state.sql`.
// The booleans are columns of the query.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, QueryableByName)]
pub(crate) struct StateRow {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    oid: i64,
    #[diesel(sql_type = Bool)]
    materialized: bool,
    #[diesel(sql_type = Bool)]
    in_scope: bool,
    #[diesel(sql_type = Nullable<Text>)]
    definition: Option<String>,
    #[diesel(sql_type = Text)]
    owner: String,
    #[diesel(sql_type = Array<Text>)]
    options: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    comment: Option<String>,
    #[diesel(sql_type = Bool)]
    populated: bool,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    fingerprint: Vec<Option<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    tablespace: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    column_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    column_types: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    comment_columns: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    comment_texts: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    index_names: Vec<String>,
    #[diesel(sql_type = Array<Bool>)]
    index_unique: Vec<bool>,
    #[diesel(sql_type = Array<Bool>)]
    index_concurrent: Vec<bool>,
    #[diesel(sql_type = Array<Text>)]
    index_definitions: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    index_tails: Vec<Option<String>>,
    #[diesel(sql_type = Bool)]
    has_acl: bool,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    grantees: Vec<Option<String>>,
    #[diesel(sql_type = Array<Text>)]
    privileges: Vec<String>,
    #[diesel(sql_type = Array<Bool>)]
    grantable: Vec<bool>,
    #[diesel(sql_type = Array<Text>)]
    owner_revoked: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    extras: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    read_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    read_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    read_kinds: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    blockers: Vec<String>,
    #[diesel(sql_type = Bool)]
    explicit_columns: bool,
}

/// A column: its name and its type as `format_type` prints it (with `COLLATE` when the
/// column's collation is not its type's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) sql_type: String,
}

/// An index of a materialized view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexState {
    pub(crate) name: String,
    pub(crate) unique: bool,
    /// Whether `REFRESH MATERIALIZED VIEW CONCURRENTLY` can use it (unique, on plain columns,
    /// without `WHERE`).
    pub(crate) concurrent: bool,
    /// `pg_get_indexdef`, schema-qualified.
    pub(crate) definition: String,
    /// The definition after `CREATE [UNIQUE] INDEX name ON relation` (` USING btree (…)…`).
    pub(crate) tail: Option<String>,
}

impl IndexState {
    /// What makes two indexes of the same name the same index: uniqueness and everything
    /// after the relation name (so that an index compares equal on a view moved to another
    /// schema).
    pub(crate) fn signature(&self) -> String {
        match &self.tail {
            Some(tail) => format!("{} {tail}", self.unique),
            None => self.definition.clone(),
        }
    }
}

/// One privilege granted to a role other than the owner (`None`: `PUBLIC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrantState {
    pub(crate) grantee: Option<String>,
    pub(crate) privilege: String,
    pub(crate) grantable: bool,
}

/// The privileges of a view (`pg_class.relacl`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Acl {
    /// Whether the view has an explicit ACL (otherwise: the owner's default privileges only).
    pub(crate) explicit: bool,
    pub(crate) grants: Vec<GrantState>,
    /// Default privileges the owner gave up.
    pub(crate) owner_revoked: Vec<String>,
}

/// Everything a migration compares, drops and re-creates about one view.
// The booleans are facts of the catalog, each read as is.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ViewState {
    pub(crate) key: Key,
    /// Its OID (what the ownership record identifies it by).
    pub(crate) oid: i64,
    pub(crate) materialized: bool,
    /// Whether the view is in the comparison's scope (live catalog only).
    pub(crate) in_scope: bool,
    /// `pg_get_viewdef`, read with an empty `search_path` (every name qualified).
    pub(crate) definition: String,
    pub(crate) owner: String,
    /// `pg_class.reloptions` as `name=value`.
    pub(crate) options: Vec<String>,
    pub(crate) comment: Option<String>,
    pub(crate) columns: Vec<Column>,
    /// Column comments by column name.
    pub(crate) column_comments: BTreeMap<String, String>,
    pub(crate) populated: bool,
    pub(crate) tablespace: Option<String>,
    pub(crate) indexes: Vec<IndexState>,
    pub(crate) acl: Acl,
    /// Triggers, rules and column defaults, as statements that re-create them.
    pub(crate) extras: Vec<String>,
    /// The views and materialized views it reads.
    pub(crate) reads: Vec<Key>,
    /// The tables (ordinary, partitioned, foreign) it reads.
    pub(crate) read_tables: Vec<Key>,
    /// What it is, as the drift guard of a migration checks it (see `fingerprint.rs`): kind,
    /// `md5` of the definition, columns, options, owner and privileges, `md5` of the rest.
    pub(crate) fingerprint: Vec<String>,
    /// Whether only the components of the fingerprint that its definition makes are known
    /// (a declared view as the comparison created it: its owner, privileges and triggers are
    /// those it will keep, not those it has in the comparison). Such a state is read without
    /// the rest (`states_query_with`): the other components of its fingerprint are empty, and
    /// so are its `extras` and `blockers`.
    pub(crate) partial: bool,
    /// Objects other than views that depend on it (a `DROP` would fail because of them).
    pub(crate) blockers: Vec<String>,
    /// Whether its stored query refers to no whole row and to no type (read of a live view
    /// only; `false` otherwise): then what it makes of the views it reads depends only on the
    /// columns its text names or expands (see `batches.rs`).
    pub(crate) explicit_columns: bool,
}

impl StateRow {
    pub(crate) fn into_state(self) -> ViewState {
        let columns = self
            .column_names
            .into_iter()
            .zip(self.column_types)
            .map(|(name, sql_type)| Column { name, sql_type })
            .collect();
        let indexes = self
            .index_names
            .into_iter()
            .zip(self.index_unique)
            .zip(self.index_concurrent)
            .zip(self.index_definitions)
            .zip(self.index_tails)
            .map(
                |((((name, unique), concurrent), definition), tail)| IndexState {
                    name,
                    unique,
                    concurrent,
                    definition,
                    tail,
                },
            )
            .collect();
        let grants = self
            .grantees
            .into_iter()
            .zip(self.privileges)
            .zip(self.grantable)
            .map(|((grantee, privilege), grantable)| GrantState {
                grantee,
                privilege,
                grantable,
            })
            .collect();
        let mut options = self.options;
        options.sort();
        let (mut reads, mut read_tables) = (Vec::new(), Vec::new());
        for ((schema, name), kind) in self
            .read_schemas
            .into_iter()
            .zip(self.read_names)
            .zip(self.read_kinds)
        {
            if matches!(kind.as_str(), "v" | "m") {
                reads.push((schema, name));
            } else {
                read_tables.push((schema, name));
            }
        }
        ViewState {
            key: (self.schema, self.name),
            oid: self.oid,
            materialized: self.materialized,
            in_scope: self.in_scope,
            definition: self.definition.unwrap_or_default(),
            owner: self.owner,
            options,
            comment: self.comment,
            columns,
            column_comments: self
                .comment_columns
                .into_iter()
                .zip(self.comment_texts)
                .collect(),
            populated: self.populated,
            tablespace: self.tablespace,
            indexes,
            acl: Acl {
                explicit: self.has_acl,
                grants,
                owner_revoked: self.owner_revoked,
            },
            extras: self.extras,
            reads,
            read_tables,
            fingerprint: self
                .fingerprint
                .into_iter()
                .map(Option::unwrap_or_default)
                .collect(),
            partial: false,
            blockers: self.blockers,
            explicit_columns: self.explicit_columns,
        }
    }
}

/// Reads rows into states by key.
pub(crate) fn states(rows: Vec<StateRow>) -> BTreeMap<Key, ViewState> {
    rows.into_iter()
        .map(StateRow::into_state)
        .map(|state| (state.key.clone(), state))
        .collect()
}

/// A view option (`name=value` in `reloptions`) split in two; a bare name is `true`.
pub(crate) fn split_option(option: &str) -> (&str, &str) {
    option.split_once('=').unwrap_or((option, "true"))
}

/// The options as compared: a plain view's boolean options that are off are the same as
/// unset, so `security_barrier=false` and no option compare equal.
pub(crate) fn effective_options(state: &ViewState) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = state
        .options
        .iter()
        .map(|o| split_option(o))
        .filter(|(name, value)| {
            state.materialized
                || !matches!(*name, "security_barrier" | "security_invoker")
                || crate::sql_text::is_true(value)
        })
        .map(|(name, value)| {
            let value = if !state.materialized && name != "check_option" {
                "true".to_owned()
            } else {
                value.to_ascii_lowercase()
            };
            (name.to_owned(), value)
        })
        .collect();
    options.sort();
    options
}
