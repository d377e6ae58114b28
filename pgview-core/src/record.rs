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
//! | `recorded_at` | when a migration last recorded it |
//!
//! A row is only believed while the view of that name is still the object it recorded (same
//! OID): a recorded view dropped by hand and a view made by hand later under its name is not
//! pgview's, and is left alone (the stale row is forgotten by the next migration). Migrations
//! write the OID of each view they create or re-create when they run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::error::RelationKind;
use crate::snapshot::{qualified, Key};
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
     view_oid::int8 AS view_oid, \
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
    /// others; after up, `declared` are the declared views, `gone` the views that no longer
    /// exist where they were; `recreated_up` and `recreated_down` the views each direction
    /// creates or re-creates (whose OID changes). Up records the declared views (and the new
    /// OID of every recorded view it re-creates) and forgets the stale rows and the views it
    /// drops; down writes back every row as it was, with the OID of the view it leaves there
    /// (or, for a stale row, the OID it had).
    pub(crate) fn between(
        record: &Record,
        stale: &Record,
        declared: &BTreeMap<Key, RelationKind>,
        gone: &BTreeSet<Key>,
        recreated_up: &BTreeSet<Key>,
        recreated_down: &BTreeSet<Key>,
    ) -> (Self, Self) {
        let mut up = Self::default();
        let mut down = Self::default();
        let restored = |was: &Recorded| Recorded {
            oid: None,
            ..was.clone()
        };
        for (key, kind) in declared {
            match record.get(key) {
                Some(was) if was.kind == *kind && !recreated_up.contains(key) => {}
                Some(was) => {
                    let at = (was.kind == *kind).then(|| was.at.clone()).flatten();
                    up.record.insert(key.clone(), recorded(*kind, at));
                    down.record.insert(key.clone(), restored(was));
                }
                None => {
                    up.record.insert(key.clone(), recorded(*kind, None));
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
                down.record.insert(key.clone(), restored(was));
            } else if recreated_up.contains(key) {
                up.record.insert(key.clone(), restored(was));
            }
        }
        for (key, was) in record {
            if recreated_down.contains(key) && !down.record.contains_key(key) {
                down.record.insert(key.clone(), restored(was));
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
             view_oid oid NOT NULL, \
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
            let mut insert = String::from(
                "INSERT INTO pgview.managed_views (schema_name, view_name, kind, view_oid, recorded_at) VALUES ",
            );
            for (i, (key, recorded)) in self.record.iter().enumerate() {
                if i > 0 {
                    insert.push_str(", ");
                }
                let at = recorded.at.as_deref().map_or_else(
                    || "pg_catalog.now()".to_owned(),
                    |at| {
                        format!(
                            "pg_catalog.to_timestamp({})::timestamptz",
                            string_constant(at)
                        )
                    },
                );
                let oid = recorded.oid.map_or_else(
                    || {
                        let name = qualified(&key.0, &key.1)
                            .map_or_else(|_| format!("{}.{}", key.0, key.1), |n| n.to_string());
                        format!("pg_catalog.to_regclass({})::oid", string_constant(&name))
                    },
                    |oid| format!("{oid}::oid"),
                );
                let _ = write!(
                    insert,
                    "({}, {}, {}, {oid}, {at})",
                    string_constant(&key.0),
                    string_constant(&key.1),
                    string_constant(&recorded.kind.to_string()),
                );
            }
            insert.push_str(
                " ON CONFLICT (schema_name, view_name) DO UPDATE \
                 SET kind = EXCLUDED.kind, view_oid = EXCLUDED.view_oid, \
                 recorded_at = EXCLUDED.recorded_at",
            );
            sql.push(insert);
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

/// A row to write: `kind`, recorded at `recorded_at` (`None`: now), with the OID of the view
/// when the migration runs.
fn recorded(kind: RelationKind, at: Option<String>) -> Recorded {
    Recorded {
        kind,
        at,
        oid: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str, n: &str) -> Key {
        (s.to_owned(), n.to_owned())
    }

    fn row(kind: RelationKind, at: &str, oid: i64) -> Recorded {
        Recorded {
            kind,
            at: Some(at.to_owned()),
            oid: Some(oid),
        }
    }

    #[test]
    fn a_change_and_its_undo() {
        let record: Record = [
            (key("s", "kept"), row(RelationKind::View, "1893456000", 10)),
            (
                key("s", "gone"),
                row(RelationKind::MaterializedView, "1893542400.25", 11),
            ),
            (
                key("s", "rebuilt"),
                row(RelationKind::View, "1893456001", 12),
            ),
        ]
        .into();
        let stale: Record = [(key("s", "old"), row(RelationKind::View, "1", 13))].into();
        let declared: BTreeMap<Key, RelationKind> = [
            (key("s", "kept"), RelationKind::View),
            (key("s", "rebuilt"), RelationKind::View),
            (key("s", "it's new"), RelationKind::View),
        ]
        .into();
        let gone: BTreeSet<Key> = [key("s", "gone")].into();
        let rebuilt: BTreeSet<Key> = [key("s", "rebuilt")].into();
        let (up, down) = RecordChange::between(
            &record,
            &stale,
            &declared,
            &gone,
            &rebuilt,
            &BTreeSet::new(),
        );
        assert_eq!(up.forget, [key("s", "old"), key("s", "gone")]);
        assert_eq!(
            up.statements()[3],
            "INSERT INTO pgview.managed_views (schema_name, view_name, kind, view_oid, recorded_at) VALUES \
             ('s', 'it''s new', 'view', pg_catalog.to_regclass('\"s\".\"it''s new\"')::oid, pg_catalog.now()), \
             ('s', 'rebuilt', 'view', pg_catalog.to_regclass('\"s\".\"rebuilt\"')::oid, \
             pg_catalog.to_timestamp('1893456001')::timestamptz) \
             ON CONFLICT (schema_name, view_name) DO UPDATE SET kind = EXCLUDED.kind, \
             view_oid = EXCLUDED.view_oid, recorded_at = EXCLUDED.recorded_at"
        );
        assert_eq!(down.forget, [key("s", "it's new")]);
        let undo = &down.statements()[3];
        assert!(
            undo.contains("('s', 'gone', 'materialized view', pg_catalog.to_regclass('\"s\".\"gone\"')::oid, pg_catalog.to_timestamp('1893542400.25')::timestamptz)"),
            "{undo}"
        );
        assert!(undo.contains("('s', 'old', 'view', 13::oid, "), "{undo}");
        assert!(!undo.contains("'kept'"), "{undo}");
        let nothing = RecordChange::between(
            &record,
            &Record::new(),
            &[(key("s", "kept"), RelationKind::View)].into(),
            &BTreeSet::new(),
            &BTreeSet::new(),
            &BTreeSet::new(),
        );
        assert!(nothing.0.is_empty() && nothing.1.is_empty());
    }
}
