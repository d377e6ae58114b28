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
//! | `recorded_at` | when a migration last recorded it |

use std::collections::BTreeMap;
use std::fmt::Write as _;

use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::error::RelationKind;
use crate::snapshot::Key;
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
    #[diesel(sql_type = Text)]
    recorded_at: String,
}

/// What the record says of one view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) kind: RelationKind,
    /// Seconds since the epoch, to be written back unchanged by a down migration (`None`: the
    /// time the migration runs).
    pub(crate) recorded_at: Option<String>,
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
                    recorded_at: Some(row.recorded_at),
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

    /// The change from `before` to the record with `record` added and `forget` removed, and
    /// the change that undoes it.
    pub(crate) fn between(
        before: &Record,
        record: &BTreeMap<Key, RelationKind>,
        forget: &[Key],
    ) -> (Self, Self) {
        let mut up = Self::default();
        let mut down = Self::default();
        for (key, kind) in record {
            match before.get(key) {
                Some(was) if was.kind == *kind => {}
                Some(was) => {
                    up.record.insert(key.clone(), recorded_now(*kind));
                    down.record.insert(key.clone(), was.clone());
                }
                None => {
                    up.record.insert(key.clone(), recorded_now(*kind));
                    down.forget.push(key.clone());
                }
            }
        }
        for key in forget {
            if let Some(was) = before.get(key) {
                if !record.contains_key(key) {
                    up.forget.push(key.clone());
                    down.record.insert(key.clone(), was.clone());
                }
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
                "INSERT INTO pgview.managed_views (schema_name, view_name, kind, recorded_at) VALUES ",
            );
            for (i, (key, recorded)) in self.record.iter().enumerate() {
                if i > 0 {
                    insert.push_str(", ");
                }
                let at = recorded.recorded_at.as_deref().map_or_else(
                    || "pg_catalog.now()".to_owned(),
                    |at| {
                        format!(
                            "pg_catalog.to_timestamp({})::timestamptz",
                            string_constant(at)
                        )
                    },
                );
                let _ = write!(
                    insert,
                    "({}, {}, {}, {at})",
                    string_constant(&key.0),
                    string_constant(&key.1),
                    string_constant(&recorded.kind.to_string()),
                );
            }
            insert.push_str(
                " ON CONFLICT (schema_name, view_name) DO UPDATE \
                 SET kind = EXCLUDED.kind, recorded_at = EXCLUDED.recorded_at",
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

fn recorded_now(kind: RelationKind) -> Recorded {
    Recorded {
        kind,
        recorded_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str, n: &str) -> Key {
        (s.to_owned(), n.to_owned())
    }

    #[test]
    fn a_change_and_its_undo() {
        let before: Record = [
            (
                key("s", "kept"),
                Recorded {
                    kind: RelationKind::View,
                    recorded_at: Some("1893456000".into()),
                },
            ),
            (
                key("s", "gone"),
                Recorded {
                    kind: RelationKind::MaterializedView,
                    recorded_at: Some("1893542400.25".into()),
                },
            ),
        ]
        .into();
        let record: BTreeMap<Key, RelationKind> = [
            (key("s", "kept"), RelationKind::View),
            (key("s", "it's new"), RelationKind::View),
        ]
        .into();
        let (up, down) = RecordChange::between(&before, &record, &[key("s", "gone")]);
        assert_eq!(
            up.statements()[2..],
            [
                "DELETE FROM pgview.managed_views WHERE (schema_name, view_name) IN (VALUES ('s', 'gone'))",
                "INSERT INTO pgview.managed_views (schema_name, view_name, kind, recorded_at) VALUES \
                 ('s', 'it''s new', 'view', pg_catalog.now()) ON CONFLICT (schema_name, view_name) \
                 DO UPDATE SET kind = EXCLUDED.kind, recorded_at = EXCLUDED.recorded_at"
            ]
        );
        assert_eq!(down.forget, [key("s", "it's new")]);
        assert!(down.statements()[3].contains(
            "('s', 'gone', 'materialized view', pg_catalog.to_timestamp('1893542400.25')::timestamptz)"
        ));
        assert!(RecordChange::between(&before, &BTreeMap::new(), &[])
            .0
            .is_empty());
    }
}
