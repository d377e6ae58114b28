//! Normalisation: the declared views are created by the server itself, inside the comparison's
//! transaction (which is rolled back), so that they can be read back exactly as the server
//! prints and stores them and compared with the live catalog, text against server text.
//!
//! Two `DO` blocks do the work, each one round trip whatever the number of views:
//!
//! 1. [`normalize_block`] drops the views in scope and the declared ones (`CASCADE`, which is
//!    harmless here: everything is rolled back), runs the table SQL of the set, then creates
//!    every declared view, and re-creates from their catalog text the views outside the scope
//!    that the drops took with them. Declared views may read each other in any order: each
//!    creation runs in its own subtransaction, and one that fails because a relation does not
//!    exist yet is tried again in the next round, until a round creates nothing more. Failures
//!    are left in two transaction-local settings that [`FAILURES_SQL`] reads.
//! 2. [`fixpoint_block`], only for views whose two texts differ: one pass of `pg_get_viewdef`
//!    is not always a fixpoint, so each text is created once more (as a temporary view, undone
//!    at once) and the two texts are the same definition when any pair of the four texts is
//!    equal. [`SAME_SQL`] reads the result.

use diesel::sql_types::{Array, Int4, Text};
use diesel::QueryableByName;

use crate::sql_text::{dollar_quote, push_string_constant};

use crate::snapshot::Key;

/// A view to create in the normalisation transaction.
#[derive(Debug, Clone)]
pub(crate) struct Creation {
    pub(crate) key: Key,
    /// Its statements, separated by `;`.
    pub(crate) sql: String,
    /// Whether its failure fails the comparison (a declared view) or only means that the view
    /// cannot be rebuilt on the new definitions (a view outside the scope).
    pub(crate) required: bool,
}

/// `ARRAY['a', 'b']::text[]`.
fn text_array(out: &mut String, items: impl IntoIterator<Item = impl AsRef<str>>) {
    out.push_str("ARRAY[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_string_constant(out, item.as_ref());
    }
    out.push_str("]::text[]");
}

/// The first `DO` block: drops, table SQL, creations in rounds.
pub(crate) fn normalize_block(
    drops: &[String],
    table_sql: Option<&str>,
    creations: &[Creation],
) -> String {
    let mut body = String::from("DECLARE\n  stmts text[] := ");
    text_array(&mut body, creations.iter().map(|c| &c.sql));
    body.push_str(
        ";
  pending int[];
  retry int[] := '{}';
  last_error text[] := '{}';
  failed_at int[] := '{}';
  failed_messages text[] := '{}';
  progress boolean;
  i int;
BEGIN
",
    );
    for statement in drops {
        body.push_str("  EXECUTE ");
        push_string_constant(&mut body, statement);
        body.push_str(";\n");
    }
    if let Some(sql) = table_sql {
        body.push_str("  EXECUTE ");
        push_string_constant(&mut body, sql);
        body.push_str(";\n");
    }
    body.push_str(
        "  pending := ARRAY(SELECT pg_catalog.generate_series(1, pg_catalog.cardinality(stmts)));
  LOOP
    progress := false;
    retry := '{}';
    FOREACH i IN ARRAY pending LOOP
      BEGIN
        EXECUTE stmts[i];
        progress := true;
      EXCEPTION
        WHEN undefined_table THEN
          retry := retry || i;
          last_error[i] := SQLERRM;
        WHEN OTHERS THEN
          failed_at := failed_at || i;
          failed_messages := failed_messages || SQLERRM;
      END;
    END LOOP;
    EXIT WHEN pg_catalog.cardinality(retry) = 0 OR NOT progress;
    pending := retry;
  END LOOP;
  FOREACH i IN ARRAY retry LOOP
    failed_at := failed_at || i;
    failed_messages := failed_messages || last_error[i];
  END LOOP;
  PERFORM pg_catalog.set_config('pgview.failed_at', failed_at::text, true);
  PERFORM pg_catalog.set_config('pgview.failed_messages', failed_messages::text, true);
END",
    );
    format!("DO {}", dollar_quote(&body))
}

/// Reads the failures [`normalize_block`] left.
pub(crate) const FAILURES_SQL: &str = "SELECT \
    coalesce(nullif(pg_catalog.current_setting('pgview.failed_at', true), ''), '{}')::int4[] AS failed_at, \
    coalesce(nullif(pg_catalog.current_setting('pgview.failed_messages', true), ''), '{}')::text[] AS failed_messages";

/// The row of [`FAILURES_SQL`]: 1-based positions in the creations, and the server's messages.
#[derive(Debug, QueryableByName)]
pub(crate) struct FailuresRow {
    #[diesel(sql_type = Array<Int4>)]
    pub(crate) failed_at: Vec<i32>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) failed_messages: Vec<String>,
}

/// The second `DO` block: for each pair `(declared, live)` of texts that differ, whether they
/// are one definition after one more round trip each. Runs with an empty `search_path` (the
/// texts name everything qualified).
pub(crate) fn fixpoint_block(pairs: &[(&str, &str)]) -> String {
    let mut body = String::from("DECLARE\n  a text[] := ");
    text_array(&mut body, pairs.iter().map(|p| p.0));
    body.push_str(";\n  b text[] := ");
    text_array(&mut body, pairs.iter().map(|p| p.1));
    body.push_str(
        ";
  same int[] := '{}';
  a2 text;
  b2 text;
BEGIN
  FOR i IN 1 .. pg_catalog.cardinality(a) LOOP
    a2 := NULL;
    b2 := NULL;
    BEGIN
      EXECUTE 'CREATE VIEW pg_temp.pgview_fixpoint AS ' || a[i];
      a2 := pg_catalog.pg_get_viewdef('pg_temp.pgview_fixpoint'::regclass);
      RAISE EXCEPTION 'pgview: undone';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    BEGIN
      EXECUTE 'CREATE VIEW pg_temp.pgview_fixpoint AS ' || b[i];
      b2 := pg_catalog.pg_get_viewdef('pg_temp.pgview_fixpoint'::regclass);
      RAISE EXCEPTION 'pgview: undone';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    IF a2 = b[i] OR b2 = a[i] OR a2 = b2 THEN
      same := same || i;
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('pgview.same', same::text, true);
END",
    );
    format!("DO {}", dollar_quote(&body))
}

/// Reads the result of [`fixpoint_block`].
pub(crate) const SAME_SQL: &str = "SELECT \
    coalesce(nullif(pg_catalog.current_setting('pgview.same', true), ''), '{}')::int4[] AS same";

/// The row of [`SAME_SQL`]: 1-based positions of the pairs that are one definition.
#[derive(Debug, QueryableByName)]
pub(crate) struct SameRow {
    #[diesel(sql_type = Array<Int4>)]
    pub(crate) same: Vec<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_quote_every_text() {
        let block = normalize_block(
            &[r#"DROP VIEW IF EXISTS "s"."v" CASCADE"#.to_owned()],
            Some("CREATE TABLE t (a text DEFAULT 'x')"),
            &[Creation {
                key: ("s".into(), "v".into()),
                sql: "CREATE VIEW \"s\".\"v\" AS SELECT 'it''s' AS a, $$x$$ AS b".into(),
                required: true,
            }],
        );
        assert!(block.starts_with("DO $pgview$DECLARE"), "{block}");
        assert!(block.contains("'CREATE VIEW \"s\".\"v\" AS SELECT ''it''''s'' AS a, $$x$$ AS b'"));
        assert!(block.contains("EXECUTE 'CREATE TABLE t (a text DEFAULT ''x'')';"));
        let fix = fixpoint_block(&[("SELECT 1", "SELECT 2")]);
        assert!(
            fix.contains("a text[] := ARRAY['SELECT 1']::text[]"),
            "{fix}"
        );
    }
}
