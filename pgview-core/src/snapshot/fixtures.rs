//! Builders of [`ViewState`]s for unit tests that run without a database: a state reads like
//! the row `sql/state.sql` would return for it.
//!
//! ```text
//! let v = ViewState::view("s.v", "SELECT t.a FROM s.t").columns(&[("a", "integer")]).reading_tables(&["s.t"]);
//! let m = ViewState::materialized("s.m", "SELECT v.a FROM s.v").reading(&["s.v"]).index(IndexState::unique("m_a", &["a"]));
//! ```
//!
//! The fingerprint follows the kind, definition, columns and options (as the state query
//! computes it: kind, a digest of the definition, `"name" type` list, sorted options), so two
//! states that differ in those have different fingerprints.

use std::collections::BTreeMap;

pub(crate) use super::state::IndexState;
use super::state::{Acl, Column, Key, ViewState};

/// The role that owns the views of the fixtures and runs the comparison (no `ALTER … OWNER`).
pub(crate) const OWNER: &str = "app";

/// `"s.v"` as a key.
pub(crate) fn key(name: &str) -> Key {
    let (schema, name) = name
        .split_once('.')
        .unwrap_or_else(|| panic!("{name:?} is not schema.name"));
    (schema.to_owned(), name.to_owned())
}

impl ViewState {
    /// A plain view `schema.name` with `definition` (one column `a integer`), in scope, owned
    /// by [`OWNER`], reading nothing.
    pub(crate) fn view(name: &str, definition: &str) -> Self {
        Self {
            key: key(name),
            oid: 0,
            partial: false,
            materialized: false,
            in_scope: true,
            definition: definition.to_owned(),
            owner: OWNER.to_owned(),
            options: Vec::new(),
            comment: None,
            columns: vec![Column {
                name: "a".to_owned(),
                sql_type: "integer".to_owned(),
            }],
            column_comments: BTreeMap::new(),
            populated: true,
            tablespace: None,
            indexes: Vec::new(),
            acl: Acl::default(),
            extras: Vec::new(),
            reads: Vec::new(),
            read_tables: Vec::new(),
            fingerprint: Vec::new(),
            blockers: Vec::new(),
            explicit_columns: false,
        }
        .fingerprinted()
    }

    /// A populated materialized view, otherwise as [`ViewState::view`].
    pub(crate) fn materialized(name: &str, definition: &str) -> Self {
        Self {
            materialized: true,
            ..Self::view(name, definition)
        }
        .fingerprinted()
    }

    /// The columns, `(name, type)`.
    pub(crate) fn columns(mut self, columns: &[(&str, &str)]) -> Self {
        self.columns = columns
            .iter()
            .map(|(name, sql_type)| Column {
                name: (*name).to_owned(),
                sql_type: (*sql_type).to_owned(),
            })
            .collect();
        self.fingerprinted()
    }

    /// The views it reads (`schema.name`).
    pub(crate) fn reading(mut self, views: &[&str]) -> Self {
        self.reads = views.iter().map(|v| key(v)).collect();
        self
    }

    /// The tables it reads (`schema.name`).
    pub(crate) fn reading_tables(mut self, tables: &[&str]) -> Self {
        self.read_tables = tables.iter().map(|t| key(t)).collect();
        self
    }

    /// An index (of a materialized view).
    pub(crate) fn index(mut self, index: IndexState) -> Self {
        self.indexes.push(index);
        self
    }

    /// Whether a materialized view is populated.
    pub(crate) fn populated(mut self, populated: bool) -> Self {
        self.populated = populated;
        self
    }

    /// The options, as `reloptions` holds them (`name=value`).
    pub(crate) fn options(mut self, options: &[&str]) -> Self {
        self.options = options.iter().map(|o| (*o).to_owned()).collect();
        self.options.sort();
        self.fingerprinted()
    }

    /// The comment on the view.
    pub(crate) fn comment(mut self, comment: &str) -> Self {
        self.comment = Some(comment.to_owned());
        self
    }

    /// The tablespace of a materialized view.
    pub(crate) fn tablespace(mut self, tablespace: &str) -> Self {
        self.tablespace = Some(tablespace.to_owned());
        self
    }

    /// Outside the comparison's scope: an undeclared view the comparison keeps.
    pub(crate) fn out_of_scope(mut self) -> Self {
        self.in_scope = false;
        self
    }

    /// The fingerprint the state query would give it.
    fn fingerprinted(mut self) -> Self {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("\"{}\" {}", c.name, c.sql_type))
            .collect();
        self.fingerprint = vec![
            if self.materialized { "m" } else { "v" }.to_owned(),
            format!("md5 of {}", self.definition),
            columns.join(", "),
            self.options.join(", "),
        ];
        self
    }
}

impl IndexState {
    /// A unique index on plain columns, usable by `REFRESH … CONCURRENTLY`.
    pub(crate) fn unique(name: &str, columns: &[&str]) -> Self {
        Self::with(name, true, true, columns)
    }

    /// A non-unique index.
    pub(crate) fn plain(name: &str, columns: &[&str]) -> Self {
        Self::with(name, false, false, columns)
    }

    /// A unique index that `REFRESH … CONCURRENTLY` cannot use (with a `WHERE` clause).
    pub(crate) fn unique_partial(name: &str, columns: &[&str]) -> Self {
        let mut index = Self::with(name, true, false, columns);
        let tail = format!("{} WHERE (a > 0)", index.tail.take().unwrap_or_default());
        index.definition.push_str(" WHERE (a > 0)");
        index.tail = Some(tail);
        index
    }

    fn with(name: &str, unique: bool, concurrent: bool, columns: &[&str]) -> Self {
        let tail = format!(" USING btree ({})", columns.join(", "));
        Self {
            name: name.to_owned(),
            unique,
            concurrent,
            definition: format!(
                "CREATE {}INDEX {name} ON <relation>{tail}",
                if unique { "UNIQUE " } else { "" }
            ),
            tail: Some(tail),
        }
    }
}
