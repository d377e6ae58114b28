//! Normalisation: the declared views are created by the server itself, inside the comparison's
//! transaction (which is rolled back), so that they can be read back exactly as the server
//! prints and stores them and compared with the live catalog, text against server text.
//!
//! Two `DO` blocks do the work, each one round trip whatever the number of views:
//!
//! 1. [`normalize_block`] drops the views in scope and the declared ones (`CASCADE`, which is
//!    harmless here: everything is rolled back), runs the table SQL of the set (noting which
//!    tables its `up` changes, and which its `down` changes when run after it in a
//!    subtransaction that is undone: their materialized views must be refreshed), then creates
//!    every declared view, and re-creates from their catalog text the views outside the scope
//!    that the drops took with them. Declared views may read each other in any order: each
//!    creation runs in its own subtransaction, and one that fails because a relation does not
//!    exist yet is tried again in the next round, until a round creates nothing more. Failures
//!    are left in two transaction-local settings that [`FAILURES_SQL`] reads.
//! 2. [`fixpoint_block`], only for views whose two texts differ: one pass of `pg_get_viewdef`
//!    is not always a fixpoint, so each text is created once more (as a temporary view, undone
//!    at once) and the two texts are the same definition when any pair of the four texts is
//!    equal. [`SAME_SQL`] reads the result.

use diesel::sql_types::{Array, Bool, Int4, Text};
use diesel::QueryableByName;

use std::fmt::Write as _;

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

/// What a table of a user schema (ordinary, partitioned or foreign) is at one moment of the
/// transaction, as `oid:…`: its storage (a rewrite or `TRUNCATE` changes `relfilenode`), its
/// columns, and the rows the transaction inserted, updated and deleted in it so far
/// (`pg_stat_get_xact_*`, which count the current transaction's work). A table whose
/// fingerprint changes across the table SQL was changed by it.
const TABLE_FINGERPRINTS: &str = "SELECT coalesce(pg_catalog.array_agg(c.oid::text || ':' || c.relfilenode::text || ':' \
     || pg_catalog.pg_stat_get_xact_tuples_inserted(c.oid)::text || ':' \
     || pg_catalog.pg_stat_get_xact_tuples_updated(c.oid)::text || ':' \
     || pg_catalog.pg_stat_get_xact_tuples_deleted(c.oid)::text || ':' \
     || coalesce((SELECT pg_catalog.md5(pg_catalog.string_agg(a.attnum::text || ' ' || a.attname::text \
                  || ' ' || a.atttypid::text || ' ' || a.atttypmod::text || ' ' || a.attcollation::text \
                  || ' ' || a.attisdropped::text, ',' ORDER BY a.attnum)) \
                  FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0), '')), '{}') \
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
       AND n.nspname NOT LIKE 'pg\\_toast%'";

/// The tables whose fingerprint differs between `$before` and `$after` (two arrays of
/// [`TABLE_FINGERPRINTS`]), with their ancestors (a change to a partition or child table is a
/// change of what its parent returns), as an `oid[]`.
fn changed_tables(before: &str, after: &str) -> String {
    format!(
        "WITH RECURSIVE changed (oid) AS ( \
           SELECT pg_catalog.split_part(f, ':', 1)::oid FROM ( \
             SELECT f FROM pg_catalog.unnest({before}) AS f \
             EXCEPT SELECT f FROM pg_catalog.unnest({after}) AS f) AS d \
           UNION SELECT i.inhparent FROM changed ch \
             JOIN pg_catalog.pg_inherits i ON i.inhrelid = ch.oid) \
         SELECT coalesce(pg_catalog.array_agg(oid), '{{}}') FROM changed"
    )
}

/// The table SQL of a comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableSqlPair<'a> {
    pub(crate) up: &'a str,
    pub(crate) down: &'a str,
}

/// When a creation of [`plain_block`] runs, and what the block learns from it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Guard {
    /// The creations (0-based positions) of which one must change its columns for this one to
    /// be created; empty: it is always created. One that is not created is listed in the
    /// transaction-local setting `pgview.kept` ([`KEPT_SQL`]) and does not change its columns.
    pub(crate) when_changed: Vec<usize>,
    /// The statements that rename its live version away, run just before it is created (an
    /// unconditional creation's renames are in the prelude).
    pub(crate) renames: Vec<String>,
    /// Its name and that of its live version renamed away (both qualified and quoted), when
    /// the block must know whether its columns changed (a later creation depends on it).
    pub(crate) probe: Option<(String, String)>,
    /// With `probe`: whether the block must also know which columns were appended, when the
    /// change is only that (a later creation depends on it and names the columns it uses).
    pub(crate) probe_appended: bool,
    /// With `when_changed`: when the view names every column it uses (see
    /// `explicit_identifiers`), the names its text mentions. A view it depends on that only
    /// appends columns none of which it names changes nothing for it.
    pub(crate) names: Option<Vec<String>>,
}

/// The columns of the relation whose qualified, quoted name is the value of the expression
/// `name`: number, name, type, typmod, collation.
fn column_rows(name: &str) -> String {
    format!(
        "SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attcollation \
         FROM pg_catalog.pg_attribute a WHERE a.attrelid = {name}::pg_catalog.regclass \
         AND a.attnum > 0 AND NOT a.attisdropped"
    )
}

/// Whether the columns of the relation `new` differ from those of `old` (names, types,
/// typmods, collations, in order): what makes a view change for the views reading it. `new`
/// and `old` are expressions giving qualified, quoted names.
fn columns_differ(new: &str, old: &str) -> String {
    format!(
        "EXISTS (SELECT FROM ({}) n FULL JOIN ({}) o \
         ON n.attnum = o.attnum AND n.attname = o.attname AND n.atttypid = o.atttypid \
         AND n.atttypmod = o.atttypmod AND n.attcollation = o.attcollation \
         WHERE n.attnum IS NULL OR o.attnum IS NULL)",
        column_rows(new),
        column_rows(old)
    )
}

/// The names of the columns appended to the relation `old` to make `new`, as the text of a
/// `text[]`, when `new` has every column of `old` (names, types, typmods, collations) at the
/// same position; `NULL` otherwise. `new` and `old` as for [`columns_differ`].
fn appended_columns(new: &str, old: &str) -> String {
    let (new, old) = (column_rows(new), column_rows(old));
    format!(
        "CASE WHEN NOT EXISTS (SELECT FROM ({old}) o LEFT JOIN ({new}) n \
         ON n.attnum = o.attnum AND n.attname = o.attname AND n.atttypid = o.atttypid \
         AND n.atttypmod = o.atttypmod AND n.attcollation = o.attcollation \
         WHERE n.attnum IS NULL) \
         THEN ARRAY(SELECT n.attname::text FROM ({new}) n \
         WHERE n.attnum > (SELECT coalesce(max(o.attnum), 0) FROM ({old}) o) \
         ORDER BY n.attnum)::text END"
    )
}

/// `ARRAY[…]::text[]` of texts and `NULL`s.
fn nullable_text_array<'t>(out: &mut String, items: impl IntoIterator<Item = Option<&'t str>>) {
    out.push_str("ARRAY[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match item {
            Some(text) => push_string_constant(out, text),
            None => out.push_str("NULL"),
        }
    }
    out.push_str("]::text[]");
}

/// The per-creation arrays of a guarded [`plain_block`]: the statements renaming each live
/// version away, the positions (1-based) of which one must change for it to be created (the
/// text of an `int4[]`), the names it mentions (the text of a `text[]`, which the server
/// writes), its name and that of its live version when it is probed, and whether the probe
/// lists appended columns.
fn push_guard_arrays(body: &mut String, guards: &[Guard]) {
    let renames: Vec<Option<String>> = guards
        .iter()
        .map(|g| (!g.renames.is_empty()).then(|| g.renames.join(";\n")))
        .collect();
    let whens: Vec<Option<String>> = guards
        .iter()
        .map(|g| {
            (!g.when_changed.is_empty()).then(|| {
                let list: Vec<String> =
                    g.when_changed.iter().map(|p| (p + 1).to_string()).collect();
                format!("{{{}}}", list.join(","))
            })
        })
        .collect();
    body.push_str("  renames text[] := ");
    nullable_text_array(body, renames.iter().map(Option::as_deref));
    body.push_str(";\n  whens text[] := ");
    nullable_text_array(body, whens.iter().map(Option::as_deref));
    body.push_str(";\n  names text[] := ARRAY[");
    for (i, g) in guards.iter().enumerate() {
        if i > 0 {
            body.push_str(", ");
        }
        match &g.names {
            Some(names) => {
                text_array(body, names);
                body.push_str("::text");
            }
            None => body.push_str("NULL"),
        }
    }
    body.push_str("]::text[];\n  news text[] := ");
    let probe_of = || guards.iter().map(|g| g.probe.as_ref());
    nullable_text_array(body, probe_of().map(|p| p.map(|(new, _)| new.as_str())));
    body.push_str(";\n  olds text[] := ");
    nullable_text_array(body, probe_of().map(|p| p.map(|(_, old)| old.as_str())));
    body.push_str(";\n  appends boolean[] := ARRAY[");
    for (i, g) in guards.iter().enumerate() {
        if i > 0 {
            body.push_str(", ");
        }
        body.push_str(if g.probe_appended { "true" } else { "false" });
    }
    body.push_str("]::boolean[];\n");
}

/// A `DO` block that runs the `prelude`, then each creation in order, without catching
/// anything: the first failure fails the block. Each creation of [`normalize_block`] runs in a
/// subtransaction of its own, whose end costs work that grows with the relations the session
/// has cached; a batch is therefore tried this way first, and in rounds only when it fails.
///
/// `guards` (one per creation, or none) make creations conditional: a view that reads a view
/// created before it in the same block is only created when that view's columns changed
/// (else it would be the view it is: see `batches.rs`), which the block tests itself.
///
/// The statements, conditions and probes are data (arrays) that one loop runs: each query of
/// the loop (a condition, a probe of the columns) is therefore parsed and planned once per
/// block, not once per creation, which was about a third of a batch's time when it was
/// written out for each creation (a probe's plan costs a few tenths of a millisecond).
pub(crate) fn plain_block(prelude: &[String], creations: &[Creation], guards: &[Guard]) -> String {
    let guards: Vec<Guard> = (0..creations.len())
        .map(|i| guards.get(i).cloned().unwrap_or_default())
        .collect();
    let guarded = guards.iter().any(|g| !g.when_changed.is_empty());
    let probed = guards.iter().any(|g| g.probe.is_some());
    let mut body = String::from("DECLARE\n  prelude text[] := ");
    text_array(&mut body, prelude);
    body.push_str(";\n  stmts text[] := ");
    text_array(&mut body, creations.iter().map(|c| &c.sql));
    body.push_str(";\n");
    if !(guarded || probed) {
        body.push_str(
            "  s text;
BEGIN
  FOREACH s IN ARRAY prelude || stmts LOOP
    EXECUTE s;
  END LOOP;
END",
        );
        return format!("DO {}", dollar_quote(&body));
    }
    push_guard_arrays(&mut body, &guards);
    body.push_str(
        "  changed boolean[] := '{}';
  appended text[] := '{}';
  kept int[] := '{}';
  s text;
  i int;
BEGIN
  FOREACH s IN ARRAY prelude LOOP
    EXECUTE s;
  END LOOP;
",
    );
    let _ = write!(
        body,
        "  FOR i IN 1 .. pg_catalog.cardinality(stmts) LOOP
    IF whens[i] IS NULL OR EXISTS (SELECT FROM pg_catalog.unnest(whens[i]::int4[]) AS w (p)
        WHERE coalesce(changed[w.p], true) AND (names[i] IS NULL OR appended[w.p] IS NULL
          OR appended[w.p]::text[] OPERATOR(pg_catalog.&&) names[i]::text[])) THEN
      IF renames[i] IS NOT NULL THEN
        EXECUTE renames[i];
      END IF;
      EXECUTE stmts[i];
      IF news[i] IS NOT NULL THEN
        changed[i] := {};
        IF appends[i] THEN
          appended[i] := {};
        END IF;
      END IF;
    ELSE
      kept := kept || i;
      changed[i] := false;
    END IF;
  END LOOP;
",
        columns_differ("news[i]", "olds[i]"),
        appended_columns("news[i]", "olds[i]"),
    );
    if guarded {
        body.push_str("  PERFORM pg_catalog.set_config('pgview.kept', kept::text, true);\n");
    }
    body.push_str("END");
    format!("DO {}", dollar_quote(&body))
}

/// The query reading the 1-based positions a block left in the transaction-local setting
/// `$setting` (an `int4[]` as text; none: empty), as the `same` of a [`SameRow`].
macro_rules! positions_sql {
    ($setting:literal) => {
        concat!(
            "SELECT coalesce(nullif(pg_catalog.current_setting('",
            $setting,
            "', true), ''), '{}')::int4[] AS same"
        )
    };
}

/// The creations (1-based positions) a guarded [`plain_block`] did not make: `same` of a
/// [`SameRow`].
pub(crate) const KEPT_SQL: &str = positions_sql!("pgview.kept");

/// The first `DO` block: the `prelude` (drops, or the renames of a batch), table SQL,
/// creations in rounds.
pub(crate) fn normalize_block(
    prelude: &[String],
    table_sql: Option<TableSqlPair<'_>>,
    creations: &[Creation],
) -> String {
    let mut body = String::from("DECLARE\n  stmts text[] := ");
    text_array(&mut body, creations.iter().map(|c| &c.sql));
    body.push_str(
        ";
  fp0 text[];
  fp1 text[];
  fp2 text[];
  changed_up oid[] := '{}';
  changed_down oid[] := '{}';
  down_known boolean := true;
  pending int[];
  retry int[] := '{}';
  last_error text[] := '{}';
  failed_at int[] := '{}';
  failed_messages text[] := '{}';
  retry_at int[] := '{}';
  progress boolean;
  i int;
BEGIN
",
    );
    for statement in prelude {
        body.push_str("  EXECUTE ");
        push_string_constant(&mut body, statement);
        body.push_str(";\n");
    }
    if let Some(sql) = table_sql {
        push_table_sql(&mut body, sql);
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
    retry_at := retry_at || i;
    failed_messages := failed_messages || last_error[i];
  END LOOP;
  PERFORM pg_catalog.set_config('pgview.retry_at', retry_at::text, true);
  PERFORM pg_catalog.set_config('pgview.failed_at', failed_at::text, true);
  PERFORM pg_catalog.set_config('pgview.failed_messages', failed_messages::text, true);
  PERFORM pg_catalog.set_config('pgview.changed_up', changed_up::text, true);
  PERFORM pg_catalog.set_config('pgview.changed_down', changed_down::text, true);
  PERFORM pg_catalog.set_config('pgview.down_known', down_known::text, true);
END",
    );
    format!("DO {}", dollar_quote(&body))
}

/// The table SQL in the block: `up` between two table fingerprints, then `down` in a
/// subtransaction that is undone, between two more.
fn push_table_sql(body: &mut String, sql: TableSqlPair<'_>) {
    body.push_str("  ");
    body.push_str(TABLE_FINGERPRINTS);
    body.push_str(" INTO fp0;\n");
    if !sql.up.is_empty() {
        body.push_str("  EXECUTE ");
        push_string_constant(body, sql.up);
        body.push_str(";\n");
    }
    body.push_str("  ");
    body.push_str(TABLE_FINGERPRINTS);
    body.push_str(" INTO fp1;\n  ");
    body.push_str(&changed_tables("fp0", "fp1"));
    body.push_str(" INTO changed_up;\n");
    if !sql.down.is_empty() {
        body.push_str("  BEGIN\n    EXECUTE ");
        push_string_constant(body, sql.down);
        body.push_str(";\n    ");
        body.push_str(TABLE_FINGERPRINTS);
        body.push_str(" INTO fp2;\n    ");
        body.push_str(&changed_tables("fp1", "fp2"));
        body.push_str(
            " INTO changed_down;
    RAISE EXCEPTION 'pgview: undone';
  EXCEPTION WHEN OTHERS THEN
    IF SQLERRM <> 'pgview: undone' THEN
      down_known := false;
    END IF;
  END;
",
        );
    }
}

/// Reads the failures [`normalize_block`] left, the tables the table SQL changes (schema and
/// name, in parallel arrays), and every view or materialized view that reads one of them,
/// directly or through other views (which the comparison must know, wherever they are, to
/// refresh what they make stale).
pub(crate) const FAILURES_SQL: &str = "WITH RECURSIVE t (direction, oids) AS (VALUES \
    ('up', coalesce(nullif(pg_catalog.current_setting('pgview.changed_up', true), ''), '{}')::oid[]), \
    ('down', coalesce(nullif(pg_catalog.current_setting('pgview.changed_down', true), ''), '{}')::oid[])), \
  named AS (SELECT t.direction, n.nspname::text AS schema, c.relname::text AS name \
    FROM t CROSS JOIN LATERAL pg_catalog.unnest(t.oids) AS o (oid) \
    JOIN pg_catalog.pg_class c ON c.oid = o.oid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace), \
  affected (oid) AS ( \
    SELECT r.ev_class FROM t CROSS JOIN LATERAL pg_catalog.unnest(t.oids) AS o (oid) \
    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
     AND d.refobjid = o.oid AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> o.oid \
    UNION \
    SELECT r.ev_class FROM affected a \
    JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
     AND d.refobjid = a.oid AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> a.oid), \
  affected_named AS (SELECT n.nspname::text AS schema, c.relname::text AS name \
    FROM affected a JOIN pg_catalog.pg_class c ON c.oid = a.oid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace) \
  SELECT \
    coalesce(nullif(pg_catalog.current_setting('pgview.failed_at', true), ''), '{}')::int4[] AS failed_at, \
    coalesce(nullif(pg_catalog.current_setting('pgview.failed_messages', true), ''), '{}')::text[] AS failed_messages, \
    coalesce(nullif(pg_catalog.current_setting('pgview.retry_at', true), ''), '{}')::int4[] AS retry_at, \
    ARRAY(SELECT schema FROM named WHERE direction = 'up' ORDER BY schema, name) AS up_schemas, \
    ARRAY(SELECT name FROM named WHERE direction = 'up' ORDER BY schema, name) AS up_names, \
    ARRAY(SELECT schema FROM named WHERE direction = 'down' ORDER BY schema, name) AS down_schemas, \
    ARRAY(SELECT name FROM named WHERE direction = 'down' ORDER BY schema, name) AS down_names, \
    ARRAY(SELECT schema FROM affected_named ORDER BY schema, name) AS affected_schemas, \
    ARRAY(SELECT name FROM affected_named ORDER BY schema, name) AS affected_names, \
    coalesce(nullif(pg_catalog.current_setting('pgview.down_known', true), ''), 'true')::bool AS down_known";

/// The row of [`FAILURES_SQL`]: 1-based positions in the creations, and the server's messages;
/// the tables changed by the table SQL's `up` and `down` (`down_known` false when `down` failed
/// in the comparison).
#[derive(Debug, QueryableByName)]
pub(crate) struct FailuresRow {
    #[diesel(sql_type = Array<Int4>)]
    pub(crate) failed_at: Vec<i32>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) failed_messages: Vec<String>,
    /// Those of `failed_at` that failed because a relation did not exist (yet).
    #[diesel(sql_type = Array<Int4>)]
    pub(crate) retry_at: Vec<i32>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) up_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) up_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) down_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) down_names: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) affected_schemas: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    pub(crate) affected_names: Vec<String>,
    #[diesel(sql_type = Bool)]
    pub(crate) down_known: bool,
}

impl FailuresRow {
    /// No failure, no table changed (a batch whose failures were not read).
    pub(crate) fn empty() -> Self {
        Self {
            failed_at: Vec::new(),
            failed_messages: Vec::new(),
            retry_at: Vec::new(),
            up_schemas: Vec::new(),
            up_names: Vec::new(),
            down_schemas: Vec::new(),
            down_names: Vec::new(),
            affected_schemas: Vec::new(),
            affected_names: Vec::new(),
            down_known: true,
        }
    }
}

/// The query tree of the view `v` (a `regclass` variable of the block) as the server stores it
/// (`pg_rewrite`), without
/// what does not change what the query means: the names of table aliases (`FROM users u` and
/// `FROM users` are one query: columns are referenced by position, not by alias) and the
/// positions of tokens in the text; the view's own OID (its `old`/`new` entries before
/// PostgreSQL 16) is written `self`, each text being created as a new view. Column aliases
/// are kept (the effective column names,
/// `eref`'s `colnames`, name the fields of a whole-row reference), and so is everything else.
const TREE_SQL: &str = concat!(
    "pg_catalog.regexp_replace(pg_catalog.regexp_replace(pg_catalog.regexp_replace(",
    "(SELECT pg_catalog.replace(r.ev_action::text, ':relid ' || r.ev_class::text || ' ', ",
    "':relid self ') FROM pg_catalog.pg_rewrite r ",
    "WHERE r.ev_class = v AND r.rulename = '_RETURN'), ",
    r"E':alias \\{ALIAS :aliasname (\\\\.|[^ \\\\])+ :colnames (<>|\\((\\\\.|[^\\\\)])*\\))\\}', ",
    "':alias <>', 'g'), ",
    r"E':aliasname (\\\\.|[^ \\\\])+', ':aliasname', 'g'), ",
    r"E':(location|stmt_location|stmt_len) -?[0-9]+', '', 'g')",
);

/// The second `DO` block: for each pair `(declared, live)` of texts that differ, whether they
/// are one definition: the same text after one more round trip each, or the same query tree
/// but for table alias names ([`TREE_SQL`]: a view written by hand with aliases and the same
/// view from a Diesel query are one definition). Runs with an empty `search_path` (the texts
/// name everything qualified).
pub(crate) fn fixpoint_block(pairs: &[(&str, &str)], careful: bool) -> String {
    let mut body = String::from("DECLARE\n  a text[] := ");
    text_array(&mut body, pairs.iter().map(|p| p.0));
    body.push_str(";\n  b text[] := ");
    text_array(&mut body, pairs.iter().map(|p| p.1));
    body.push_str(
        ";
  same int[] := '{}';
  a2 text;
  b2 text;
  ta text;
  tb text;
  v regclass;
  va regclass;
  vb regclass;
BEGIN
  FOR i IN 1 .. pg_catalog.cardinality(a) LOOP
    a2 := NULL;
    b2 := NULL;
    ta := NULL;
    tb := NULL;
",
    );
    if careful {
        // Each text created in a subtransaction that is undone, a failure meaning "not the
        // same" (subtransactions cost work that grows with the relations the session has
        // cached: this block runs only when the fast one fails).
        for (text, printed, tree) in [("a", "a2", "ta"), ("b", "b2", "tb")] {
            let _ = write!(
                body,
                "    BEGIN
      EXECUTE 'CREATE VIEW pg_temp.pgview_fixpoint AS ' || {text}[i];
      v := 'pg_temp.pgview_fixpoint'::regclass;
      {printed} := pg_catalog.pg_get_viewdef(v);
      {tree} := {TREE_SQL};
      RAISE EXCEPTION 'pgview: undone';
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
"
            );
        }
        body.push_str("    IF a2 = b[i] OR b2 = a[i] OR a2 = b2 OR ta = tb THEN\n");
    } else {
        // Each text created under a name of its own and left (the block runs in a savepoint
        // that is rolled back: dropping each view cost as much as creating it), the first
        // failure failing the block; the trees only compared when no two texts are equal.
        body.push_str(
            "    EXECUTE 'CREATE VIEW pg_temp.pgview_fixpoint_' || i || '_a AS ' || a[i];
    va := ('pg_temp.pgview_fixpoint_' || i || '_a')::regclass;
    a2 := pg_catalog.pg_get_viewdef(va);
    EXECUTE 'CREATE VIEW pg_temp.pgview_fixpoint_' || i || '_b AS ' || b[i];
    vb := ('pg_temp.pgview_fixpoint_' || i || '_b')::regclass;
    b2 := pg_catalog.pg_get_viewdef(vb);
    IF NOT (a2 = b[i] OR b2 = a[i] OR a2 = b2) THEN
      v := va;
",
        );
        let _ = write!(
            body,
            "      ta := {TREE_SQL};
      v := vb;
      tb := {TREE_SQL};
    END IF;
    IF a2 = b[i] OR b2 = a[i] OR a2 = b2 OR ta = tb THEN
"
        );
    }
    body.push_str(
        "      same := same || i;
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('pgview.same', same::text, true);
END",
    );
    format!("DO {}", dollar_quote(&body))
}

/// Reads the result of [`fixpoint_block`].
pub(crate) const SAME_SQL: &str = positions_sql!("pgview.same");

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
            Some(TableSqlPair {
                up: "CREATE TABLE t (a text DEFAULT 'x')",
                down: "DROP TABLE t",
            }),
            &[Creation {
                key: ("s".into(), "v".into()),
                sql: "CREATE VIEW \"s\".\"v\" AS SELECT 'it''s' AS a, $$x$$ AS b".into(),
                required: true,
            }],
        );
        assert!(block.starts_with("DO $pgview$DECLARE"), "{block}");
        assert!(block.contains("'CREATE VIEW \"s\".\"v\" AS SELECT ''it''''s'' AS a, $$x$$ AS b'"));
        assert!(block.contains("EXECUTE 'CREATE TABLE t (a text DEFAULT ''x'')';"));
        let fix = fixpoint_block(&[("SELECT 1", "SELECT 2")], true);
        assert!(
            fix.contains("a text[] := ARRAY['SELECT 1']::text[]"),
            "{fix}"
        );
        assert!(fix.contains("tb := pg_catalog.regexp_replace("), "{fix}");
        assert!(fix.contains("OR ta = tb THEN"), "{fix}");
    }

    #[test]
    fn a_guarded_creation_is_made_only_when_what_it_reads_changed() {
        let creation = |name: &str, sql: &str| Creation {
            key: ("s".into(), name.into()),
            sql: sql.into(),
            required: true,
        };
        // `a`, then `b` reading it, created only when `a` changes (`guard` of each).
        let a_then_b = |guard_a: Guard, guard_b: Guard| {
            plain_block(
                &["ALTER VIEW \"s\".\"a\" RENAME TO \"pgview_cmp_1\"".to_owned()],
                &[
                    creation("a", "CREATE VIEW \"s\".\"a\" AS SELECT 1 AS x"),
                    creation("b", "CREATE VIEW \"s\".\"b\" AS SELECT x FROM s.a"),
                ],
                &[
                    Guard {
                        probe: Some(("\"s\".\"a\"".into(), "\"s\".\"pgview_cmp_1\"".into())),
                        ..guard_a
                    },
                    Guard {
                        when_changed: vec![0],
                        ..guard_b
                    },
                ],
            )
        };
        let block = a_then_b(
            Guard::default(),
            Guard {
                renames: vec!["ALTER VIEW \"s\".\"b\" RENAME TO \"pgview_cmp_2\"".into()],
                ..Guard::default()
            },
        );
        let at = |text: &str| {
            block
                .find(text)
                .unwrap_or_else(|| panic!("{text} in {block}"))
        };
        // The data, in creation order, then the one loop running it.
        assert!(block.contains(
            "stmts text[] := ARRAY['CREATE VIEW \"s\".\"a\" AS SELECT 1 AS x', \
             'CREATE VIEW \"s\".\"b\" AS SELECT x FROM s.a']::text[];"
        ));
        assert!(block.contains("renames text[] := ARRAY[NULL, 'ALTER VIEW \"s\".\"b\" RENAME TO \"pgview_cmp_2\"']::text[];"));
        assert!(block.contains("whens text[] := ARRAY[NULL, '{1}']::text[];"));
        assert!(block.contains("names text[] := ARRAY[NULL, NULL]::text[];"));
        assert!(block.contains("news text[] := ARRAY['\"s\".\"a\"', NULL]::text[];"));
        assert!(block.contains("olds text[] := ARRAY['\"s\".\"pgview_cmp_1\"', NULL]::text[];"));
        assert!(block.contains("appends boolean[] := ARRAY[false, false]::boolean[];"));
        assert!(
            at("FOREACH s IN ARRAY prelude LOOP")
                < at("FOR i IN 1 .. pg_catalog.cardinality(stmts) LOOP")
        );
        assert!(at("IF whens[i] IS NULL OR EXISTS") < at("EXECUTE renames[i];"));
        assert!(at("EXECUTE renames[i];") < at("EXECUTE stmts[i];"));
        assert!(at("EXECUTE stmts[i];") < at("changed[i] := EXISTS ("));
        assert!(block.contains("a.attrelid = news[i]::pg_catalog.regclass"));
        assert!(at("kept := kept || i;") < at("set_config('pgview.kept', kept::text, true)"));
        // A reader naming its columns: created when what it reads appends a column it names,
        // or changes otherwise (no list of appended columns).
        let named = a_then_b(
            Guard {
                probe_appended: true,
                ..Guard::default()
            },
            Guard {
                names: Some(vec!["x".into(), "a".into()]),
                ..Guard::default()
            },
        );
        assert!(
            named.contains("names text[] := ARRAY[NULL, ARRAY['x', 'a']::text[]::text]::text[];"),
            "{named}"
        );
        assert!(
            named.contains("appends boolean[] := ARRAY[true, false]::boolean[];"),
            "{named}"
        );
        assert!(
            named.contains("appended[i] := CASE WHEN NOT EXISTS ("),
            "{named}"
        );
        // Without guards or probes, one loop over the statements, no setting.
        let plain = plain_block(&[], &[creation("a", "CREATE VIEW a AS SELECT 1")], &[]);
        assert!(
            plain.contains("FOREACH s IN ARRAY prelude || stmts LOOP"),
            "{plain}"
        );
        assert!(!plain.contains("pgview.kept"));
    }
}
