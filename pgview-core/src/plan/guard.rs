//! The guard of a migration: the first thing each direction runs. It takes the pgview lock,
//! then checks that every view the migration touches is still as it was when the migration
//! was planned, and fails before changing anything when one is not.
//!
//! A generated migration holds the definitions of the views it rebuilds as they were when it
//! was generated; applied after someone changed one of them (or added a view that reads it),
//! it would silently revert their change. The guard compares, for each view the steps drop,
//! replace, rebuild, alter or move, its fingerprint (kind, definition, columns, options; see
//! `snapshot/fingerprint.rs`, the same expressions the comparison read) and the views that
//! read it, and checks that each view the steps create does not exist yet. A migration
//! applied twice therefore fails the same clear way.
//!
//! The definition is only compared on a server of the major version the plan was made on:
//! `pg_get_viewdef` prints the same query differently across versions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::lock::lock_statements;
use crate::snapshot::{qualified, read_by, Key, ViewState, DEPENDENTS, FINGERPRINT};
use crate::sql_text::{dollar_quote, string_constant};

/// What the error of a failed guard starts with (recognised by `server_error.rs`).
pub(crate) const DRIFT_MESSAGE: &str =
    "pgview: the database is no longer as this migration was planned against; nothing was changed";

/// One view the guard checks.
#[derive(Debug, Clone)]
pub(crate) struct Expected<'a> {
    /// Where it is when the migration starts.
    pub(crate) key: &'a Key,
    /// Its state, or `None` when it must not exist (the migration creates it).
    pub(crate) state: Option<&'a ViewState>,
}

/// The views the guard checks: `touched` (keys of the transition, see `transition.rs`: `true`
/// when the view exists before) found at their place when the migration starts (`moves`: key
/// of the transition → that place), with their state in `states`.
pub(crate) fn expected<'a>(
    touched: &'a BTreeMap<Key, bool>,
    moves: &'a BTreeMap<Key, Key>,
    states: &'a BTreeMap<Key, ViewState>,
) -> Vec<Expected<'a>> {
    touched
        .iter()
        .map(|(key, exists)| {
            if *exists {
                let at = moves.get(key).unwrap_or(key);
                Expected {
                    key: at,
                    state: states.get(at),
                }
            } else {
                Expected { key, state: None }
            }
        })
        .collect()
}

/// The guard: a `DO` block taking the pgview lock (waiting at most `lock_wait`) and checking
/// the `expected` views, against `states` (for the views that read them) on a server of major
/// version `server_major`.
pub(crate) fn guard_block(
    expected: &[Expected<'_>],
    states: &BTreeMap<Key, ViewState>,
    server_major: i32,
    lock_wait: Duration,
) -> String {
    let read_by = read_by(states);
    let mut body = String::from(
        "DECLARE
  saved_timeout text;
  saved_path text := pg_catalog.current_setting('search_path');
  problems text[] := '{}';
  found text[];
  r record;
BEGIN
",
    );
    body.push_str(&lock_statements(lock_wait));
    if !expected.is_empty() {
        push_checks(&mut body, expected, &read_by, server_major);
    }
    body.push_str("END");
    format!("DO {}", dollar_quote(&body))
}

/// `ARRAY['a', 'b']::text[]`.
fn text_array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(string_constant).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

fn push_checks(
    body: &mut String,
    expected: &[Expected<'_>],
    read_by: &BTreeMap<&Key, Vec<&Key>>,
    server_major: i32,
) {
    body.push_str(
        "  PERFORM pg_catalog.set_config('search_path', '', true);
  FOR r IN
    SELECT e.schema, e.name, e.present, e.fingerprint AS expected, e.dependents AS expected_dependents,
           CASE WHEN c.oid IS NOT NULL THEN ",
    );
    body.push_str(&FINGERPRINT);
    body.push_str(" END AS actual,\n           CASE WHEN c.oid IS NOT NULL THEN ");
    body.push_str(DEPENDENTS);
    body.push_str(" END AS actual_dependents\n    FROM (VALUES ");
    for (i, item) in expected.iter().enumerate() {
        if i > 0 {
            body.push_str(",\n      ");
        }
        let (schema, name) = (string_constant(&item.key.0), string_constant(&item.key.1));
        match item.state {
            None => {
                let _ = write!(
                    body,
                    "({i}, {schema}, {name}, false, NULL::text[], NULL::text[])"
                );
            }
            Some(state) => {
                let mut dependents: Vec<String> = read_by
                    .get(item.key)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter(|d| **d != item.key)
                    .filter_map(|d| qualified(&d.0, &d.1).ok().map(|n| n.to_string()))
                    .collect();
                dependents.sort();
                dependents.dedup();
                let _ = write!(
                    body,
                    "({i}, {schema}, {name}, true, {}, {})",
                    text_array(state.fingerprint.iter().map(String::as_str)),
                    text_array(dependents.iter().map(String::as_str)),
                );
            }
        }
    }
    let _ = write!(
        body,
        ") AS e (i, schema, name, present, fingerprint, dependents)
    LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = e.schema
    LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = e.name
      AND c.relkind IN ('v', 'm')
    ORDER BY e.i
  LOOP
    IF NOT r.present THEN
      IF r.actual IS NOT NULL THEN
        problems := problems || pg_catalog.format('%s.%s exists already (the migration creates it)', r.schema, r.name);
      END IF;
      CONTINUE;
    END IF;
    IF r.actual IS NULL THEN
      problems := problems || pg_catalog.format('%s.%s no longer exists', r.schema, r.name);
      CONTINUE;
    END IF;
    found := '{{}}';
    IF r.actual[1] IS DISTINCT FROM r.expected[1] THEN
      found := found || 'its kind'::text;
    END IF;
    IF r.actual[2] IS DISTINCT FROM r.expected[2]
       AND pg_catalog.current_setting('server_version_num')::int / 10000 = {server_major} THEN
      found := found || 'its definition'::text;
    END IF;
    IF r.actual[3] IS DISTINCT FROM r.expected[3] THEN
      found := found || pg_catalog.format('its columns (planned: %s; now: %s)', r.expected[3], r.actual[3]);
    END IF;
    IF r.actual[4] IS DISTINCT FROM r.expected[4] THEN
      found := found || pg_catalog.format('its options (planned: %s; now: %s)',
        coalesce(nullif(r.expected[4], ''), 'none'), coalesce(nullif(r.actual[4], ''), 'none'));
    END IF;
    IF NOT (r.actual_dependents @> r.expected_dependents AND r.expected_dependents @> r.actual_dependents) THEN
      found := found || pg_catalog.format('the views that read it (planned: %s; now: %s)',
        coalesce(nullif(pg_catalog.array_to_string(r.expected_dependents, ', '), ''), 'none'),
        coalesce(nullif(pg_catalog.array_to_string(r.actual_dependents, ', '), ''), 'none'));
    END IF;
    IF pg_catalog.cardinality(found) > 0 THEN
      problems := problems || pg_catalog.format('%s.%s changed: %s', r.schema, r.name,
        pg_catalog.array_to_string(found, ', '));
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('search_path', saved_path, true);
  IF pg_catalog.cardinality(problems) > 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
      MESSAGE = {message} || ': ' || pg_catalog.array_to_string(problems, '; '),
      HINT = 'Generate the migration again against the database as it is now, or undo the change made since.';
  END IF;
",
        message = string_constant(DRIFT_MESSAGE),
    );
}
