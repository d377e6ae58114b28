//! The guard of a migration: the first thing each direction runs. It takes the pgview lock,
//! then checks that every view the migration touches is still as it was when the migration
//! was planned, and fails before changing anything when one is not.
//!
//! A generated migration holds the definitions of the views it rebuilds as they were when it
//! was generated; applied after someone changed one of them (or added a view that reads it),
//! it would silently revert their change. The guard compares, for each view the steps drop,
//! replace, rebuild, alter or move, its fingerprint (kind, definition, columns, options, owner
//! and privileges, comments, indexes, triggers, rules and column defaults; see
//! `snapshot/fingerprint.rs`, the same expressions the comparison read) and the views that
//! read it, and checks that each name the steps create (a view, where a moved view goes, the
//! temporary name of a materialized view built side by side) is free. A migration applied
//! twice therefore fails the same clear way.
//!
//! The definition and the printed extras (indexes, triggers, rules, defaults) are only
//! compared on a server of the major version the plan was made on: the server prints them
//! differently across versions. Of a declared view as the comparison created it, only what
//! its definition makes is known (kind, definition, columns, options): the down guard compares
//! those.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crate::lock::lock_statements;
use crate::snapshot::{
    qualified, read_by, Key, ViewState, DEFINED_COMPONENTS, DEPENDENTS, FINGERPRINT,
};
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
/// of the transition → that place), with their state in `states`; and the names in `free`,
/// which must not exist.
pub(crate) fn expected<'a>(
    touched: &'a BTreeMap<Key, bool>,
    free: &'a BTreeSet<Key>,
    moves: &'a BTreeMap<Key, Key>,
    states: &'a BTreeMap<Key, Arc<ViewState>>,
) -> Vec<Expected<'a>> {
    let absent = free
        .iter()
        .filter(|key| touched.get(*key) != Some(&false) && !moves.values().any(|at| at == *key))
        .map(|key| Expected { key, state: None });
    touched
        .iter()
        .map(|(key, exists)| {
            if *exists {
                let at = moves.get(key).unwrap_or(key);
                Expected {
                    key: at,
                    state: states.get(at).map(|state| &**state),
                }
            } else {
                Expected { key, state: None }
            }
        })
        .chain(absent)
        .collect()
}

/// The guard: a `DO` block taking the pgview lock (waiting at most `lock_wait`) and checking
/// the `expected` views, against `states` (for the views that read them) on a server of major
/// version `server_major`.
pub(crate) fn guard_block(
    expected: &[Expected<'_>],
    states: &BTreeMap<Key, Arc<ViewState>>,
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
    body.push_str(&lock_statements(lock_wait, false));
    if !expected.is_empty() {
        push_checks(&mut body, expected, &read_by, server_major);
    }
    body.push_str("END");
    format!("DO {}", dollar_quote(&body))
}

/// `ARRAY['a', 'b', NULL]::text[]`.
fn text_array<'a>(items: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|item| item.map_or_else(|| "NULL".to_owned(), string_constant))
        .collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

/// The fingerprint the guard expects of `state`: the components a partial state does not
/// know are `NULL`, and not compared.
fn expected_fingerprint(state: &ViewState) -> String {
    text_array(
        state
            .fingerprint
            .iter()
            .enumerate()
            .map(|(i, part)| (!state.partial || i < DEFINED_COMPONENTS).then_some(part.as_str())),
    )
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
           c.relkind::text AS relkind,
           CASE WHEN c.relkind IN ('v', 'm') THEN ",
    );
    body.push_str(&FINGERPRINT);
    body.push_str(" END AS actual,\n           CASE WHEN c.relkind IN ('v', 'm') THEN ");
    body.push_str(DEPENDENTS);
    body.push_str(" END AS actual_dependents\n    FROM (VALUES ");
    push_values(body, expected, read_by);
    let _ = write!(
        body,
        ") AS e (i, schema, name, present, fingerprint, dependents)
    LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = e.schema
    LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = e.name
    ORDER BY e.i
  LOOP
    IF NOT r.present THEN
      IF r.relkind IS NOT NULL THEN
        problems := problems || pg_catalog.format('%s.%s exists already (the migration creates it)', r.schema, r.name);
      END IF;
      CONTINUE;
    END IF;
    IF r.relkind IS NULL THEN
      problems := problems || pg_catalog.format('%s.%s no longer exists', r.schema, r.name);
      CONTINUE;
    END IF;
    IF r.actual IS NULL THEN
      problems := problems || pg_catalog.format('%s.%s is no longer a view', r.schema, r.name);
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
    IF r.expected[5] IS NOT NULL AND r.actual[5] IS DISTINCT FROM r.expected[5] THEN
      found := found || pg_catalog.format('its owner or privileges (planned: %s; now: %s)', r.expected[5], r.actual[5]);
    END IF;
    IF r.expected[6] IS NOT NULL AND r.actual[6] IS DISTINCT FROM r.expected[6]
       AND pg_catalog.current_setting('server_version_num')::int / 10000 = {server_major} THEN
      found := found || 'its comments, indexes, triggers, rules or column defaults'::text;
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

/// The rows of the guard's `VALUES`: one per expected view.
fn push_values(body: &mut String, expected: &[Expected<'_>], read_by: &BTreeMap<&Key, Vec<&Key>>) {
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
                    expected_fingerprint(state),
                    text_array(dependents.iter().map(|d| Some(d.as_str()))),
                );
            }
        }
    }
}
