//! Helpers of the `migrate_*` tests: a catalog snapshot, applying migration files as diesel
//! does, and the scenario runner (apply up, check, diff again, apply down, compare).

use std::fmt::Write as _;

use diesel::connection::SimpleConnection;
use diesel::sql_types::{Array, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use pgview::{
    diff::{DiffOptions, DiffScope, ViewDiff, ViewSet},
    migration::{MigrationPlan, PlanOptions},
};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// One line per view and materialized view of `schemas`: kind, owner, options, privileges
/// (effective), comment, population, definition, columns with types and comments, indexes,
/// triggers, rules, column defaults. Everything a migration and its down must give back.
pub(crate) fn snapshot(conn: &mut PgConnection, schemas: &[&str]) -> Vec<String> {
    diesel::sql_query(
        "SELECT concat_ws(' | ',
                 n.nspname || '.' || c.relname, c.relkind, pg_get_userbyid(c.relowner),
                 coalesce((SELECT string_agg(o, ',' ORDER BY o) FROM unnest(c.reloptions) o), '-'),
                 (SELECT string_agg(coalesce(pg_get_userbyid(e.grantee), 'PUBLIC') || ':' || e.privilege_type
                                    || CASE WHEN e.is_grantable THEN '*' ELSE '' END, ','
                                    ORDER BY coalesce(pg_get_userbyid(e.grantee), 'PUBLIC'), e.privilege_type)
                  FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) e),
                 coalesce(obj_description(c.oid, 'pg_class'), '-'), c.relispopulated::text,
                 coalesce(t.spcname, '-'),
                 pg_get_viewdef(c.oid),
                 (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                    || ' ' || coalesce(col_description(c.oid, a.attnum), '-')
                                    || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''),
                                    ', ' ORDER BY a.attnum)
                  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                 (SELECT string_agg(pg_get_indexdef(x.indexrelid) || ' ' || coalesce(obj_description(x.indexrelid, 'pg_class'), '-'),
                                    '; ' ORDER BY x.indexrelid::regclass::text)
                  FROM pg_index x WHERE x.indrelid = c.oid),
                 (SELECT string_agg(pg_get_triggerdef(g.oid), '; ' ORDER BY g.tgname)
                  FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal),
                 (SELECT string_agg(pg_get_ruledef(r.oid), '; ' ORDER BY r.rulename)
                  FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN')
             ) AS line
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace
         WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm')
         ORDER BY n.nspname, c.relname",
    )
    .bind::<Array<Text>, _>(schemas)
    .load::<Line>(conn)
    .expect("catalog snapshot")
    .into_iter()
    .map(|l| l.line)
    .collect()
}

/// The populated materialized views of `schemas` whose rows differ from their own query.
pub(crate) use pgview_testkit::stale_materialized_views;

/// The OID of a relation, as text (to check that a view was kept, not re-created).
pub(crate) fn oid(conn: &mut PgConnection, relation: &str) -> String {
    query_text(conn, &format!("SELECT '{relation}'::regclass::oid::text"))
}

/// The first column of a one-row query, as text (`-` for NULL).
pub(crate) fn query_text(conn: &mut PgConnection, sql: &str) -> String {
    diesel::sql_query(format!("SELECT coalesce(({sql})::text, '-') AS line"))
        .get_result::<Line>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .line
}

/// Runs a migration file as diesel runs it: the whole text in one transaction (a savepoint of
/// the test's transaction).
pub(crate) fn apply(conn: &mut PgConnection, sql: &str) -> diesel::QueryResult<()> {
    conn.transaction(|conn| conn.batch_execute(sql))
}

/// A scenario: a starting state, the declared views, and how to compare and plan.
pub(crate) struct Scenario<'a> {
    /// SQL making the starting state (run first, in the test's transaction).
    pub(crate) setup: &'a str,
    /// The schemas whose views are snapshotted.
    pub(crate) schemas: &'a [&'a str],
    pub(crate) declared: ViewSet,
    /// The declared views once the migration is applied, when not the same set (without
    /// table SQL, which only belongs to the first comparison).
    pub(crate) declared_after: Option<ViewSet>,
    pub(crate) scope: DiffScope,
    pub(crate) options: PlanOptions,
    /// Whether the comparison is also made in batches of 1 and 7 views and in one batch, which
    /// must give the same report and the same migration.
    pub(crate) check_batches: bool,
}

impl<'a> Scenario<'a> {
    pub(crate) fn new(setup: &'a str, schemas: &'a [&'a str], declared: ViewSet) -> Self {
        let scope = DiffScope::schemas(schemas).unwrap();
        Self {
            setup,
            schemas,
            declared,
            declared_after: None,
            scope,
            options: PlanOptions::default(),
            check_batches: true,
        }
    }
}

/// What a scenario hands to its checks.
pub(crate) struct Outcome {
    pub(crate) diff: ViewDiff,
    pub(crate) plan: MigrationPlan,
    /// The snapshot before the migration.
    pub(crate) before: Vec<String>,
}

/// Runs a scenario: seed rows; setup; snapshot; diff (must differ); plan; apply up.sql; every
/// materialized view fresh; `check` (the catalog after up); diff again (must be empty); apply
/// down.sql; every materialized view fresh; snapshot again (must equal the first one).
/// Returns what it saw.
pub(crate) fn run(
    conn: &mut PgConnection,
    scenario: &Scenario<'_>,
    check: impl FnOnce(&mut PgConnection, &Outcome),
) -> Outcome {
    // Rows in the tables (in the test's transaction), so that a stale materialized view shows.
    crate::support::seed(conn);
    conn.batch_execute(scenario.setup).expect("scenario setup");
    let before = snapshot(conn, scenario.schemas);
    let diff = pgview::diff::diff(conn, &scenario.declared, &scenario.scope).expect("diff");
    assert!(
        !diff.is_empty(),
        "the scenario must start with a difference"
    );
    assert_eq!(
        snapshot(conn, scenario.schemas),
        before,
        "diff must leave nothing behind"
    );
    let plan = diff.plan_with(&scenario.options).expect("plan");
    let up = plan.up_sql();
    let down = plan.down_sql();
    if scenario.check_batches {
        for size in [1, 7, usize::MAX] {
            let options = DiffOptions::new()
                .scope(scenario.scope.clone())
                .batch_size(size);
            let other = pgview::diff::diff_with(conn, &scenario.declared, &options).expect("diff");
            assert_eq!(other.to_string(), diff.to_string(), "batches of {size}");
            let other = other.plan_with(&scenario.options).expect("plan");
            assert_eq!(other.up_sql(), up, "batches of {size}");
            assert_eq!(other.down_sql(), down, "batches of {size}");
        }
    }
    apply(conn, &up).unwrap_or_else(|e| panic!("up.sql failed: {e}\n{up}"));
    assert_eq!(
        stale_materialized_views(conn, scenario.schemas),
        Vec::<String>::new(),
        "after up.sql every populated materialized view returns what its query returns\n{up}"
    );
    let outcome = Outcome { diff, plan, before };
    check(conn, &outcome);
    let after = scenario
        .declared_after
        .as_ref()
        .unwrap_or(&scenario.declared);
    let again = pgview::diff::diff(conn, after, &scenario.scope).expect("second diff");
    assert!(
        again.is_empty(),
        "after up.sql the diff must be empty, got:\n{again}\n--- up.sql:\n{up}"
    );
    apply(conn, &down).unwrap_or_else(|e| panic!("down.sql failed: {e}\n{down}"));
    assert_eq!(
        stale_materialized_views(conn, scenario.schemas),
        Vec::<String>::new(),
        "after down.sql every populated materialized view returns what its query returns\n{down}"
    );
    let restored = snapshot(conn, scenario.schemas);
    assert_eq!(
        restored, outcome.before,
        "down.sql must restore the original state\n--- up.sql:\n{up}\n--- down.sql:\n{down}"
    );
    outcome
}

/// The kinds of the up steps, by view: `"drop for rebuild public.v"`, …
pub(crate) fn step_lines(plan: &MigrationPlan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let mut line = s.kind.name().to_owned();
            if let Some(source) = s.kind.source() {
                let _ = write!(line, " ({})", source.as_str());
            }
            if let Some(view) = &s.view {
                line.push(' ');
                line.push_str(view);
            }
            line
        })
        .collect()
}
