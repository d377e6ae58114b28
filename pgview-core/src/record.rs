//! The ownership record: which views pgview manages in a database.
//!
//! A view is *managed* when a migration pgview generated created it or declared it (the
//! declared views of every generated migration are recorded, so declaring an existing view
//! adopts it). The record is the table `pgview.managed_views`, which the migrations pgview
//! writes create and keep up to date in their own transaction (as diesel keeps
//! `__diesel_schema_migrations`): `up.sql` records the declared views and forgets the views it
//! drops; `down.sql` puts the record back as it was.
//!
//! The default scope of a comparison ([`DiffScope::managed`](crate::DiffScope::managed)) is
//! the declared views plus the recorded ones: a recorded view the application no longer
//! declares is dropped, and a view nobody recorded is someone else's and is left alone.
//!
//! | column | |
//! | --- | --- |
//! | `schema_name`, `view_name` | the view (primary key) |
//! | `kind` | `view` or `materialized view` |
//! | `view_oid` | the OID of the view pgview created or recorded |
//! | `declared_hash` | the hash of the declared definition it was made from ([`declared_hash`]) |
//! | `stamp` | the view's stamp when the migration ended (see `snapshot/fingerprint.rs`) |
//! | `recorded_at` | when a migration last recorded it |
//!
//! A row is only believed while the view of that name is still the object it recorded (same
//! OID): a recorded view dropped by hand and a view made by hand later under its name is not
//! pgview's, and is left alone (the stale row is forgotten by the next migration). Migrations
//! write the OID of each view they create or re-create when they run.
//!
//! The hash and the stamp let a comparison skip the views nothing changed: a declared view
//! whose definition hashes as recorded and whose stamp is still the one the migration left
//! (nobody changed it since) is what pgview applied, and is not created again to be compared.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use sha2::{Digest, Sha256};

use crate::definition::AnyView;
use crate::error::RelationKind;
use crate::snapshot::{normalization_sql, Key, STAMP};
use crate::sql_text::string_constant;

/// The schema of the record (the schema of pgview's own objects).
pub const RECORD_SCHEMA: &str = "pgview";

/// The table of the record, in [`RECORD_SCHEMA`].
pub const RECORD_TABLE: &str = "managed_views";

/// An expression that is true when the record exists (for the comparison's first query).
pub(crate) const RECORD_EXISTS_SQL: &str =
    "pg_catalog.to_regclass('pgview.managed_views') IS NOT NULL";

/// Reads the record (only sent when it exists).
/// `recorded_at` is read as seconds since the epoch, which a down migration writes back
/// whatever the `DateStyle` and `TimeZone` of the session that applies it.
pub(crate) const RECORD_SQL: &str = "SELECT schema_name, view_name, kind, \
     view_oid::int8 AS view_oid, declared_hash, stamp, \
     pg_catalog.date_part('epoch', recorded_at)::text AS recorded_at FROM pgview.managed_views";

/// One row of the record.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub(crate) struct RecordRow {
    #[diesel(sql_type = Text)]
    schema_name: String,
    #[diesel(sql_type = Text)]
    view_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    view_oid: i64,
    #[diesel(sql_type = Nullable<Text>)]
    declared_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    stamp: Option<String>,
    #[diesel(sql_type = Text)]
    recorded_at: String,
}

/// What the record says of one view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) kind: RelationKind,
    /// Seconds since the epoch, to be written back unchanged by a down migration (`None`: the
    /// time the migration runs).
    pub(crate) at: Option<String>,
    /// The OID recorded (`None` in a change: the OID of the view when the migration runs).
    pub(crate) oid: Option<i64>,
    /// The hash of the declared definition ([`declared_hash`]; `None`: not declared).
    pub(crate) hash: Option<String>,
    /// The stamp recorded (`None` in a change: the view's stamp when the migration ends).
    pub(crate) stamp: Option<String>,
}

/// The hash of a declared definition as a comparison with `search_path` creates it: equal
/// hashes, equal statements resolved the same way (SHA-256, hex).
pub(crate) fn declared_hash(view: &AnyView, search_path: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(view.kind().to_string());
    hasher.update([0]);
    hasher.update(search_path);
    hasher.update([0]);
    hasher.update(normalization_sql(view));
    hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A declared view as the record would hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    pub(crate) kind: RelationKind,
    pub(crate) hash: String,
}

/// The record, by view.
pub(crate) type Record = BTreeMap<Key, Recorded>;

/// The rows read by [`RECORD_SQL`].
pub(crate) fn record(rows: Vec<RecordRow>) -> Record {
    rows.into_iter()
        .map(|row| {
            let kind = if row.kind == "materialized view" {
                RelationKind::MaterializedView
            } else {
                RelationKind::View
            };
            (
                (row.schema_name, row.view_name),
                Recorded {
                    kind,
                    at: Some(row.recorded_at),
                    oid: Some(row.view_oid),
                    hash: row.declared_hash,
                    stamp: row.stamp,
                },
            )
        })
        .collect()
}

/// A change of the record made by a migration: views recorded (or their kind updated) and
/// views forgotten.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RecordChange {
    /// Views to record with their kind (and, for a down migration, the time they had).
    pub(crate) record: BTreeMap<Key, Recorded>,
    /// Views to forget.
    pub(crate) forget: Vec<Key>,
}

impl RecordChange {
    /// Whether it changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.record.is_empty() && self.forget.is_empty()
    }

    /// The change an up migration makes to the record, and the change that undoes it.
    ///
    /// `record` holds the rows whose view is still the object they recorded, `stale` the
    /// others; `stamps` the views' stamps before the migration. After up, `declared` are the
    /// declared views, `gone` the views that no longer exist where they were; `touched_up` the
    /// views up changes in any way (their stamp changes) and `recreated_down` the views down
    /// creates or re-creates. Up records every declared view it changes, or whose record is
    /// missing or out of date (so that the next comparison can skip it), and forgets the stale
    /// rows and the views it drops; down writes back every row as it was, with the OID of the
    /// view it leaves there (or, for a stale row, the OID it had).
    pub(crate) fn between(
        record: &Record,
        stale: &Record,
        stamps: &BTreeMap<Key, String>,
        declared: &BTreeMap<Key, Declared>,
        gone: &BTreeSet<Key>,
        touched_up: &BTreeSet<Key>,
        recreated_down: &BTreeSet<Key>,
    ) -> (Self, Self) {
        let mut up = Self::default();
        let mut down = Self::default();
        // Written back by down: the OID of the view there then, and the stamp it will have if
        // the row was up to date (else the row stays as out of date as it was).
        let restored = |key: &Key, was: &Recorded| Recorded {
            oid: None,
            stamp: if was.stamp.is_some() && was.stamp.as_ref() == stamps.get(key) {
                None
            } else {
                was.stamp.clone()
            },
            ..was.clone()
        };
        for (key, new) in declared {
            let row = Recorded {
                kind: new.kind,
                at: None,
                oid: None,
                hash: Some(new.hash.clone()),
                stamp: None,
            };
            match record.get(key) {
                Some(was)
                    if was.kind == new.kind
                        && was.hash.as_ref() == Some(&new.hash)
                        && was.stamp.is_some()
                        && was.stamp.as_ref() == stamps.get(key)
                        && !touched_up.contains(key) => {}
                Some(was) => {
                    let at = (was.kind == new.kind).then(|| was.at.clone()).flatten();
                    up.record.insert(key.clone(), Recorded { at, ..row });
                    down.record.insert(key.clone(), restored(key, was));
                }
                None => {
                    up.record.insert(key.clone(), row);
                    match stale.get(key) {
                        Some(was) => {
                            down.record.insert(key.clone(), was.clone());
                        }
                        None => down.forget.push(key.clone()),
                    }
                }
            }
        }
        for (key, was) in stale {
            if !declared.contains_key(key) {
                up.forget.push(key.clone());
                down.record.insert(key.clone(), was.clone());
            }
        }
        for (key, was) in record {
            if declared.contains_key(key) {
                continue;
            }
            if gone.contains(key) {
                up.forget.push(key.clone());
                down.record.insert(key.clone(), restored(key, was));
            } else if touched_up.contains(key) {
                up.record.insert(key.clone(), restored(key, was));
            }
        }
        for (key, was) in record {
            if recreated_down.contains(key) && !down.record.contains_key(key) {
                down.record.insert(key.clone(), restored(key, was));
            }
        }
        (up, down)
    }

    /// The statements: the record created when missing, then the rows written and deleted.
    pub(crate) fn statements(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut sql = vec![
            "CREATE SCHEMA IF NOT EXISTS pgview".to_owned(),
            "CREATE TABLE IF NOT EXISTS pgview.managed_views (\
             schema_name text NOT NULL, view_name text NOT NULL, \
             kind text NOT NULL CHECK (kind IN ('view', 'materialized view')), \
             view_oid oid NOT NULL, declared_hash text, stamp text, \
             recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now(), \
             PRIMARY KEY (schema_name, view_name))"
                .to_owned(),
        ];
        if !self.forget.is_empty() {
            let mut delete = String::from(
                "DELETE FROM pgview.managed_views WHERE (schema_name, view_name) IN (VALUES ",
            );
            for (i, key) in self.forget.iter().enumerate() {
                if i > 0 {
                    delete.push_str(", ");
                }
                let _ = write!(
                    delete,
                    "({}, {})",
                    string_constant(&key.0),
                    string_constant(&key.1)
                );
            }
            delete.push(')');
            sql.push(delete);
        }
        if !self.record.is_empty() {
            let rows: Vec<String> = self
                .record
                .iter()
                .map(|(key, row)| {
                    let text = |value: Option<&str>| {
                        value.map_or_else(
                            || "NULL::text".to_owned(),
                            |v| format!("{}::text", string_constant(v)),
                        )
                    };
                    format!(
                        "({}::text, {}::text, {}::text, {}::oid, {}, {}, {}::timestamptz)",
                        string_constant(&key.0),
                        string_constant(&key.1),
                        string_constant(&row.kind.to_string()),
                        row.oid
                            .map_or_else(|| "NULL".to_owned(), |oid| oid.to_string()),
                        text(row.hash.as_deref()),
                        text(row.stamp.as_deref()),
                        row.at.as_deref().map_or_else(
                            || "NULL".to_owned(),
                            |at| format!("pg_catalog.to_timestamp({})", string_constant(at))
                        ),
                    )
                })
                .collect();
            sql.push(format!(
                "INSERT INTO pgview.managed_views \
                 (schema_name, view_name, kind, view_oid, declared_hash, stamp, recorded_at) \
                 SELECT v.s, v.n, v.k, coalesce(v.o, c.oid), v.h, coalesce(v.st, {stamp}), \
                 coalesce(v.at, pg_catalog.now()) \
                 FROM (VALUES {}) AS v (s, n, k, o, h, st, at) \
                 LEFT JOIN pg_catalog.pg_namespace ns ON ns.nspname = v.s \
                 LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid AND c.relname = v.n \
                 ON CONFLICT (schema_name, view_name) DO UPDATE SET kind = EXCLUDED.kind, \
                 view_oid = EXCLUDED.view_oid, declared_hash = EXCLUDED.declared_hash, \
                 stamp = EXCLUDED.stamp, recorded_at = EXCLUDED.recorded_at",
                rows.join(", "),
                stamp = *STAMP
            ));
        }
        sql
    }

    /// One line for `describe()` and the comment of the step.
    pub(crate) fn describe(&self) -> String {
        let names = |keys: &mut dyn Iterator<Item = &Key>| -> String {
            keys.map(|k| format!("{}.{}", k.0, k.1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !self.record.is_empty() {
            parts.push(format!("records {}", names(&mut self.record.keys())));
        }
        if !self.forget.is_empty() {
            parts.push(format!("forgets {}", names(&mut self.forget.iter())));
        }
        format!(
            "the ownership record ({RECORD_SCHEMA}.{RECORD_TABLE}) {}",
            parts.join("; ")
        )
    }
}

/// A `DO` block that points the record's rows of `views` (each with the OID it had) at the
/// views of the same names, once they were dropped and created again by
/// [`with_dependent_views`](crate::with_dependent_views): they are the same views, managed as
/// before. Does nothing when there is no record.
pub(crate) fn re_identify_sql(views: &[(&Key, i64)]) -> Option<String> {
    if views.is_empty() {
        return None;
    }
    let rows: Vec<String> = views
        .iter()
        .map(|(key, oid)| {
            format!(
                "({}, {}, {oid}::oid)",
                string_constant(&key.0),
                string_constant(&key.1)
            )
        })
        .collect();
    let body = format!(
        "BEGIN
  IF pg_catalog.to_regclass('pgview.managed_views') IS NOT NULL THEN
    UPDATE pgview.managed_views m
       SET view_oid = pg_catalog.to_regclass(pg_catalog.quote_ident(m.schema_name) || '.' || pg_catalog.quote_ident(m.view_name))::oid
     WHERE (m.schema_name, m.view_name, m.view_oid) IN (VALUES {});
  END IF;
END",
        rows.join(", ")
    );
    Some(format!("DO {}", crate::sql_text::dollar_quote(&body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str, n: &str) -> Key {
        (s.to_owned(), n.to_owned())
    }

    fn row(kind: RelationKind, at: &str, oid: i64, hash: &str, stamp: &str) -> Recorded {
        Recorded {
            kind,
            at: Some(at.to_owned()),
            oid: Some(oid),
            hash: Some(hash.to_owned()),
            stamp: Some(stamp.to_owned()),
        }
    }

    fn decl(kind: RelationKind, hash: &str) -> Declared {
        Declared {
            kind,
            hash: hash.to_owned(),
        }
    }

    #[test]
    fn a_change_and_its_undo() {
        let v = RelationKind::View;
        let record: Record = [
            (key("s", "kept"), row(v, "1893456000", 10, "h1", "st1")),
            (
                key("s", "gone"),
                row(
                    RelationKind::MaterializedView,
                    "1893542400.25",
                    11,
                    "h2",
                    "st2",
                ),
            ),
            (key("s", "rebuilt"), row(v, "1893456001", 12, "h3", "st3")),
            (key("s", "edited"), row(v, "1893456002", 14, "h4", "old")),
        ]
        .into();
        let stale: Record = [(key("s", "old"), row(v, "1", 13, "h5", "st5"))].into();
        let stamps: BTreeMap<Key, String> = [
            (key("s", "kept"), "st1".to_owned()),
            (key("s", "gone"), "st2".to_owned()),
            (key("s", "rebuilt"), "st3".to_owned()),
            (key("s", "edited"), "new".to_owned()),
        ]
        .into();
        let declared: BTreeMap<Key, Declared> = [
            (key("s", "kept"), decl(v, "h1")),
            (key("s", "rebuilt"), decl(v, "h3")),
            (key("s", "edited"), decl(v, "h4")),
            (key("s", "it's new"), decl(v, "h6")),
        ]
        .into();
        let gone: BTreeSet<Key> = [key("s", "gone")].into();
        let touched: BTreeSet<Key> = [key("s", "rebuilt"), key("s", "it's new")].into();
        let (up, down) = RecordChange::between(
            &record,
            &stale,
            &stamps,
            &declared,
            &gone,
            &touched,
            &BTreeSet::new(),
        );
        assert_eq!(up.forget, [key("s", "old"), key("s", "gone")]);
        // Written: the new view, the rebuilt one (new OID and stamp), and the one edited by
        // hand since (its stamp is out of date); not the untouched one.
        let written: Vec<&Key> = up.record.keys().collect();
        assert_eq!(
            written,
            [
                &key("s", "edited"),
                &key("s", "it's new"),
                &key("s", "rebuilt")
            ]
        );
        let insert = &up.statements()[3];
        assert!(
            insert.contains("('s'::text, 'it''s new'::text, 'view'::text, NULL::oid, 'h6'::text, NULL::text, NULL::timestamptz)"),
            "{insert}"
        );
        assert!(
            insert.contains("coalesce(v.st, pg_catalog.md5("),
            "{insert}"
        );
        assert!(
            insert.contains("pg_catalog.to_timestamp('1893456001')"),
            "{insert}"
        );
        assert_eq!(down.forget, [key("s", "it's new")]);
        let undo = &down.statements()[3];
        // The dropped view comes back with the OID and stamp it will have; the stale row as it
        // was; the row edited by hand keeps its out-of-date stamp.
        assert!(
            undo.contains("('s'::text, 'gone'::text, 'materialized view'::text, NULL::oid, 'h2'::text, NULL::text, pg_catalog.to_timestamp('1893542400.25')::timestamptz)"),
            "{undo}"
        );
        assert!(
            undo.contains(
                "('s'::text, 'old'::text, 'view'::text, 13::oid, 'h5'::text, 'st5'::text"
            ),
            "{undo}"
        );
        assert!(
            undo.contains("'edited'::text, 'view'::text, NULL::oid, 'h4'::text, 'old'::text"),
            "{undo}"
        );
        assert!(!undo.contains("'kept'"), "{undo}");
        let nothing = RecordChange::between(
            &record,
            &Record::new(),
            &stamps,
            &[(key("s", "kept"), decl(v, "h1"))].into(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
        );
        assert!(nothing.0.is_empty() && nothing.1.is_empty());
    }
}
