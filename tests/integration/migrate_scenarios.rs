//! The scenario suite: each case applies the generated `up.sql`, checks the catalog, compares
//! again (no difference), applies `down.sql` and checks that the original state is back
//! (definitions, columns, options, comments, indexes, privileges, triggers).

use diesel::connection::SimpleConnection;
use pgview::{
    ddl::{CheckOption, Index},
    diff::{DiffStatus, ViewSet},
    migration::{PlanOptions, StepKind},
    MaterializedView, View,
};

use crate::migrate_support::{oid, query_text, run, step_lines, Scenario};
use crate::support::{conn, has_security_invoker};

fn view(schema: &str, name: &str, sql: &str) -> View {
    View::from_sql(name, sql).unwrap().schema(schema).unwrap()
}

fn matview(schema: &str, name: &str, sql: &str) -> MaterializedView {
    MaterializedView::from_sql(name, sql)
        .unwrap()
        .schema(schema)
        .unwrap()
}

/// Scenario 1: A new view is created; down drops it.
#[test]
fn s01_view_created() {
    let conn = &mut conn();
    let set = ViewSet::new().with_view(view(
        "sc01",
        "active",
        "SELECT id, name FROM users WHERE id > 0",
    ));
    run(
        conn,
        &Scenario::new("CREATE SCHEMA sc01", &["sc01"], set),
        |conn, out| {
            assert_eq!(step_lines(&out.plan), ["create (declared) sc01.active"]);
            assert_eq!(query_text(conn, "SELECT count(*) FROM sc01.active"), "3");
        },
    );
}

/// Scenario 2: A view the application no longer declares is dropped; down re-creates it with its
/// comment, options and privileges.
#[test]
fn s02_view_removed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc02;
        CREATE VIEW sc02.kept AS SELECT 1 AS x;
        CREATE VIEW sc02.gone WITH (security_barrier) AS SELECT id, name FROM users;
        COMMENT ON VIEW sc02.gone IS 'bye'; COMMENT ON COLUMN sc02.gone.name IS 'the name';
        GRANT SELECT ON sc02.gone TO PUBLIC;";
    let set = ViewSet::new().with_view(view("sc02", "kept", "SELECT 1 AS x"));
    run(conn, &Scenario::new(setup, &["sc02"], set), |conn, out| {
        assert_eq!(step_lines(&out.plan), ["drop sc02.gone"]);
        assert_eq!(out.plan.up_sql().matches("CASCADE").count(), 0);
        assert_eq!(query_text(conn, "to_regclass('sc02.gone')"), "-");
    });
}

/// Scenario 3: A removed materialized view is dropped with `DROP MATERIALIZED VIEW`; down re-creates
/// it with its data, indexes and comment.
#[test]
fn s03_materialized_view_removed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc03;
        CREATE MATERIALIZED VIEW sc03.totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
        CREATE UNIQUE INDEX totals_user ON sc03.totals (user_id);
        CREATE INDEX totals_big ON sc03.totals (total) WHERE total > 100;
        COMMENT ON MATERIALIZED VIEW sc03.totals IS 'sums';";
    run(
        conn,
        &Scenario::new(setup, &["sc03"], ViewSet::new()),
        |_, out| {
            assert_eq!(
                out.plan.steps[0].sql,
                [r#"DROP MATERIALIZED VIEW "sc03"."totals""#]
            );
            let down = out.plan.down_sql();
            assert!(
                down.contains(
                    r#"CREATE UNIQUE INDEX "totals_user" ON "sc03"."totals" USING btree (user_id)"#
                ),
                "{down}"
            );
            assert!(down.contains("WHERE (total > (100)::numeric)"), "{down}");
        },
    );
}

/// Scenario 4: A compatible change (same columns) is a `CREATE OR REPLACE`: the view keeps its OID, its
/// dependents are not touched.
#[test]
fn s04_replaced_in_place() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc04;
        CREATE VIEW sc04.base AS SELECT id, name FROM users WHERE id > 1;
        CREATE VIEW sc04.reader AS SELECT id FROM sc04.base;";
    let set = ViewSet::new()
        .with_view(view(
            "sc04",
            "base",
            "SELECT id, name FROM users WHERE id > 2",
        ))
        .with_view(view("sc04", "reader", "SELECT id FROM sc04.base"));
    let mut base_oid = String::new();
    run(conn, &Scenario::new(setup, &["sc04"], set), |conn, out| {
        assert_eq!(step_lines(&out.plan), ["replace (declared) sc04.base"]);
        base_oid = oid(conn, "sc04.base");
    });
    assert_eq!(
        oid(conn, "sc04.base"),
        base_oid,
        "down replaced in place too"
    );
}

/// Scenario 5: A column added at the end: replace (dependents kept); down must rebuild (a view cannot
/// lose a column in place), with its dependents.
#[test]
fn s05_column_added() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc05;
        CREATE VIEW sc05.base AS SELECT id, name FROM users;
        CREATE VIEW sc05.reader AS SELECT name FROM sc05.base;
        COMMENT ON VIEW sc05.reader IS 'reads base';";
    let set = ViewSet::new()
        .with_view(view("sc05", "base", "SELECT id, name, email FROM users"))
        .with_view(
            view("sc05", "reader", "SELECT name FROM sc05.base")
                .comment("reads base")
                .unwrap(),
        );
    run(conn, &Scenario::new(setup, &["sc05"], set), |_, out| {
        assert_eq!(step_lines(&out.plan), ["replace (declared) sc05.base"]);
        let down: Vec<_> = out.plan.down_steps.iter().map(|s| s.kind).collect();
        assert_eq!(
            down,
            [
                StepKind::DropForRebuild,
                StepKind::DropForRebuild,
                StepKind::Recreate {
                    from: pgview::migration::Source::Catalog
                },
                StepKind::Rebuild {
                    from: pgview::migration::Source::Catalog
                },
            ]
        );
    });
}

/// Scenario 6: A column removed: rebuild of the view and of its dependents.
#[test]
fn s06_column_removed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc06;
        CREATE VIEW sc06.base AS SELECT id, name, email FROM users;
        CREATE VIEW sc06.reader AS SELECT id, name FROM sc06.base;";
    let set = ViewSet::new()
        .with_view(view("sc06", "base", "SELECT id, name FROM users"))
        .with_view(view("sc06", "reader", "SELECT id, name FROM sc06.base"));
    run(conn, &Scenario::new(setup, &["sc06"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc06.reader",
                "drop for rebuild sc06.base",
                "recreate (declared) sc06.base",
                "rebuild (declared) sc06.reader",
            ]
        );
    });
}

/// Scenario 7: A column renamed: rebuild.
#[test]
fn s07_column_renamed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc07; CREATE VIEW sc07.v AS SELECT id, name FROM users;";
    let set = ViewSet::new().with_view(
        view("sc07", "v", "SELECT id, name FROM users")
            .columns(["id", "full_name"])
            .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc07"], set), |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            ["drop for rebuild sc07.v", "recreate (declared) sc07.v"]
        );
        assert_eq!(
            query_text(conn, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'sc07.v'::regclass"),
            "id,full_name"
        );
    });
}

/// Scenario 8: A column retyped: rebuild, dependents included.
#[test]
fn s08_column_retyped() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc08;
        CREATE VIEW sc08.v AS SELECT id, total FROM orders;
        CREATE MATERIALIZED VIEW sc08.m AS SELECT id FROM sc08.v;
        CREATE UNIQUE INDEX m_id ON sc08.m (id);";
    let set = ViewSet::new()
        .with_view(view(
            "sc08",
            "v",
            "SELECT id, total::float8 AS total FROM orders",
        ))
        .with_materialized(
            matview("sc08", "m", "SELECT id FROM sc08.v")
                .index(Index::unique(["id"]).unwrap().named("m_id").unwrap())
                .unwrap(),
        );
    run(conn, &Scenario::new(setup, &["sc08"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc08.m",
                "drop for rebuild sc08.v",
                "recreate (declared) sc08.v",
                "rebuild (declared) sc08.m",
            ]
        );
    });
}

/// Scenario 9: Options only: `ALTER VIEW … SET/RESET`, the view is kept.
#[test]
fn s09_options_only() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc09;
        CREATE VIEW sc09.v WITH (security_barrier = true) AS SELECT id, name FROM users WHERE id > 0;";
    let set = ViewSet::new().with_view(
        view("sc09", "v", "SELECT id, name FROM users WHERE id > 0")
            .check_option(CheckOption::Local),
    );
    let mut kept = String::new();
    run(conn, &Scenario::new(setup, &["sc09"], set), |conn, out| {
        assert_eq!(step_lines(&out.plan), ["alter options sc09.v"]);
        assert_eq!(
            out.plan.steps[0].sql,
            [
                r#"ALTER VIEW "sc09"."v" SET ("check_option" = 'local')"#,
                r#"ALTER VIEW "sc09"."v" RESET ("security_barrier")"#,
            ]
        );
        kept = oid(conn, "sc09.v");
    });
    assert_eq!(oid(conn, "sc09.v"), kept);
}

/// Scenario 10: Comment only.
#[test]
fn s10_comment_only() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc10; CREATE VIEW sc10.v AS SELECT id, name FROM users;
        COMMENT ON VIEW sc10.v IS 'old'; COMMENT ON COLUMN sc10.v.id IS 'key';";
    let set = ViewSet::new().with_view(
        view("sc10", "v", "SELECT id, name FROM users")
            .comment("new")
            .unwrap()
            .column_comment("name", "who")
            .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc10"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            ["comment sc10.v", "comment sc10.v", "comment sc10.v"]
        );
    });
}

/// Scenario 11: Indexes only on a materialized view.
#[test]
fn s11_indexes_only() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc11;
        CREATE MATERIALIZED VIEW sc11.m AS SELECT id, name FROM users;
        CREATE INDEX m_name_idx ON sc11.m (name);
        CREATE INDEX m_old ON sc11.m (id);";
    let set = ViewSet::new().with_materialized(
        matview("sc11", "m", "SELECT id, name FROM users")
            .index(Index::unique(["id"]).unwrap())
            .unwrap()
            .index(Index::new(["name"]).unwrap())
            .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc11"], set), |_, out| {
        assert_eq!(step_lines(&out.plan), ["indexes sc11.m"]);
        assert_eq!(
            out.plan.steps[0].sql,
            [
                r#"DROP INDEX "sc11"."m_old""#,
                r#"CREATE UNIQUE INDEX "m_id_idx" ON "sc11"."m" ("id")"#,
            ]
        );
    });
}

/// Scenario 12: A view becomes a materialized view.
#[test]
fn s12_view_to_materialized() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc12;
        CREATE VIEW sc12.v AS SELECT id, name FROM users;
        CREATE VIEW sc12.reader AS SELECT id FROM sc12.v;
        GRANT SELECT ON sc12.v TO PUBLIC;";
    let set = ViewSet::new()
        .with_materialized(matview("sc12", "v", "SELECT id, name FROM users"))
        .with_view(view("sc12", "reader", "SELECT id FROM sc12.v"));
    run(conn, &Scenario::new(setup, &["sc12"], set), |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc12.reader",
                "drop for rebuild sc12.v",
                "recreate (declared) sc12.v",
                "rebuild (declared) sc12.reader",
            ]
        );
        assert_eq!(out.plan.steps[1].sql, [r#"DROP VIEW "sc12"."v""#]);
        assert_eq!(
            query_text(
                conn,
                "SELECT relkind FROM pg_class WHERE oid = 'sc12.v'::regclass"
            ),
            "m"
        );
        // Privileges survive the rebuild.
        assert_eq!(
            query_text(conn, "has_table_privilege('public', 'sc12.v', 'SELECT')"),
            "true"
        );
    });
}

/// Scenario 13: A materialized view becomes a plain view.
#[test]
fn s13_materialized_to_view() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc13;
        CREATE MATERIALIZED VIEW sc13.m AS SELECT id FROM users;
        CREATE UNIQUE INDEX m_id ON sc13.m (id);";
    let set = ViewSet::new().with_view(view("sc13", "m", "SELECT id FROM users"));
    run(conn, &Scenario::new(setup, &["sc13"], set), |_, out| {
        assert_eq!(
            out.plan.steps[0].sql,
            [r#"DROP MATERIALIZED VIEW "sc13"."m""#]
        );
        assert_eq!(
            out.diff.get("sc13", "m").unwrap().kind,
            pgview::catalog::RelationKind::View
        );
    });
}

/// Scenario 14: a view moved to another schema, its declared dependent following it: the
/// view is moved (`ALTER VIEW … SET SCHEMA`, it keeps its identity), the dependent replaced with
/// its declared text.
#[test]
fn s14_schema_moved() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc14a; CREATE SCHEMA sc14b;
        CREATE VIEW sc14a.v AS SELECT id FROM users;
        CREATE VIEW sc14a.reader AS SELECT id FROM sc14a.v;";
    let set = ViewSet::new()
        .with_view(view("sc14b", "v", "SELECT id FROM users"))
        .with_view(view("sc14a", "reader", "SELECT id FROM sc14b.v"));
    let mut moved = String::new();
    run(
        conn,
        &Scenario::new(setup, &["sc14a", "sc14b"], set),
        |conn, out| {
            assert_eq!(
                step_lines(&out.plan),
                ["move sc14b.v", "replace (declared) sc14a.reader"]
            );
            assert_eq!(
                out.plan.steps[0].sql,
                [r#"ALTER VIEW "sc14a"."v" SET SCHEMA "sc14b""#]
            );
            assert!(out
                .diff
                .to_string()
                .contains("> view sc14b.v: moved from sc14a"));
            moved = oid(conn, "sc14b.v");
        },
    );
    assert_eq!(oid(conn, "sc14a.v"), moved, "moved back by down.sql");
}

/// Scenario 15: A view on a table created in the same migration.
#[test]
fn s15_view_on_a_new_table() {
    let conn = &mut conn();
    let set = ViewSet::new()
        .with_view(view("sc15", "open_tickets", "SELECT id, title FROM sc15.tickets WHERE NOT closed"))
        .with_table_sql(
            "CREATE TABLE sc15.tickets (id serial PRIMARY KEY, title text NOT NULL, closed boolean NOT NULL DEFAULT false);",
            "DROP TABLE sc15.tickets;",
        );
    let after = ViewSet::new().with_view(view(
        "sc15",
        "open_tickets",
        "SELECT id, title FROM sc15.tickets WHERE NOT closed",
    ));
    let mut scenario = Scenario::new("CREATE SCHEMA sc15", &["sc15"], set);
    scenario.declared_after = Some(after);
    run(conn, &scenario, |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            ["table sql", "create (declared) sc15.open_tickets"]
        );
        let down: Vec<_> = out.plan.down_steps.iter().map(|s| s.kind).collect();
        assert_eq!(down, [StepKind::Drop, StepKind::TableSql]);
        assert_eq!(
            query_text(conn, "to_regclass('sc15.tickets')::text"),
            "sc15.tickets"
        );
    });
    assert_eq!(query_text(conn, "to_regclass('sc15.tickets')::text"), "-");
}

/// Scenario 16: A recursive view changes.
#[test]
fn s16_recursive_view() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc16;
        CREATE RECURSIVE VIEW sc16.numbers (n) AS SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 5;";
    let set = ViewSet::new().with_view(
        view(
            "sc16",
            "numbers",
            "SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < 10",
        )
        .columns(["n"])
        .unwrap()
        .recursive()
        .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc16"], set), |conn, out| {
        assert_eq!(step_lines(&out.plan), ["replace (declared) sc16.numbers"]);
        assert_eq!(query_text(conn, "SELECT max(n) FROM sc16.numbers"), "10");
    });
    assert_eq!(query_text(conn, "SELECT max(n) FROM sc16.numbers"), "5");
}

/// Scenario 17: A view with 10 transitive dependents (materialized views with indexes and comments
/// among them, one outside the scope, with privileges and a trigger) changes incompatibly:
/// every dependent is dropped in reverse order and re-created in order, explicitly, with what
/// it had; the one the application does not declare is rebuilt from its catalog definition.
#[test]
fn s17_ten_transitive_dependents() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc17; CREATE SCHEMA sc17_ext;
        CREATE VIEW sc17.root AS SELECT id, name, email FROM users;
        CREATE VIEW sc17.d1 AS SELECT id, name FROM sc17.root;
        CREATE MATERIALIZED VIEW sc17.d2 AS SELECT id, name FROM sc17.d1;
        CREATE UNIQUE INDEX d2_id ON sc17.d2 (id);
        COMMENT ON MATERIALIZED VIEW sc17.d2 IS 'second';
        CREATE VIEW sc17.d3 AS SELECT id FROM sc17.d2;
        CREATE VIEW sc17.d4 AS SELECT d3.id, d1.name FROM sc17.d3 JOIN sc17.d1 ON d1.id = d3.id;
        CREATE MATERIALIZED VIEW sc17.d5 AS SELECT id, name FROM sc17.d4;
        CREATE INDEX d5_name ON sc17.d5 (name);
        COMMENT ON COLUMN sc17.d5.name IS 'the name';
        CREATE VIEW sc17.d6 WITH (security_barrier) AS SELECT id FROM sc17.d5;
        CREATE VIEW sc17.d7 AS SELECT id FROM sc17.d6 UNION ALL SELECT id FROM sc17.d3;
        CREATE MATERIALIZED VIEW sc17.d8 AS SELECT count(*) AS n FROM sc17.d7;
        CREATE VIEW sc17.d9 AS SELECT n FROM sc17.d8;
        CREATE VIEW sc17_ext.d10 AS SELECT n * 2 AS twice FROM sc17.d9;
        COMMENT ON VIEW sc17_ext.d10 IS 'not declared';
        GRANT SELECT ON sc17_ext.d10 TO PUBLIC;
        GRANT SELECT ON sc17.d5 TO PUBLIC;
        CREATE FUNCTION sc17_ext.no_write() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
        CREATE TRIGGER d10_no_write INSTEAD OF INSERT ON sc17_ext.d10 FOR EACH ROW EXECUTE FUNCTION sc17_ext.no_write();";
    let set = s17_declared();
    let schemas = ["sc17", "sc17_ext"];
    let mut scenario = Scenario::new(setup, &schemas, set);
    scenario.scope = pgview::diff::DiffScope::schemas(["sc17"]).unwrap();
    run(conn, &scenario, |conn, out| {
        let lines = step_lines(&out.plan);
        assert_eq!(
            lines,
            [
                "drop for rebuild sc17_ext.d10",
                "drop for rebuild sc17.d9",
                "drop for rebuild sc17.d8",
                "drop for rebuild sc17.d7",
                "drop for rebuild sc17.d6",
                "drop for rebuild sc17.d5",
                "drop for rebuild sc17.d4",
                "drop for rebuild sc17.d3",
                "drop for rebuild sc17.d2",
                "drop for rebuild sc17.d1",
                "drop for rebuild sc17.root",
                "recreate (declared) sc17.root",
                "rebuild (declared) sc17.d1",
                "rebuild (declared) sc17.d2",
                "rebuild (declared) sc17.d3",
                "rebuild (declared) sc17.d4",
                "rebuild (declared) sc17.d5",
                "rebuild (declared) sc17.d6",
                "rebuild (declared) sc17.d7",
                "rebuild (declared) sc17.d8",
                "rebuild (declared) sc17.d9",
                "rebuild (catalog) sc17_ext.d10",
            ]
        );
        let up = out.plan.up_sql();
        assert!(!up.contains("CASCADE"), "{up}");
        assert!(
            up.contains("not declared, so rebuilt from its catalog definition"),
            "{up}"
        );
        assert!(
            up.contains(r#"GRANT SELECT ON TABLE "sc17_ext"."d10" TO PUBLIC"#),
            "{up}"
        );
        assert!(
            up.contains("CREATE TRIGGER d10_no_write INSTEAD OF INSERT ON sc17_ext.d10"),
            "{up}"
        );
        assert_eq!(query_text(conn, "SELECT count(*) FROM sc17_ext.d10"), "1");
        assert_eq!(
            query_text(conn, "obj_description('sc17_ext.d10'::regclass)"),
            "not declared"
        );
        assert_eq!(
            query_text(
                conn,
                "SELECT relispopulated FROM pg_class WHERE oid = 'sc17.d8'::regclass"
            ),
            "true"
        );
    });
}

/// Scenario 18: Unchanged views in scope but several changes elsewhere: only what differs is touched.
#[test]
fn s18_only_differences_are_touched() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc18;
        CREATE VIEW sc18.same AS SELECT id FROM users WHERE id IN (1, 2);
        CREATE VIEW sc18.changed AS SELECT id FROM users;";
    let set = ViewSet::new()
        .with_view(view(
            "sc18",
            "same",
            "SELECT id FROM users WHERE id IN (1, 2)",
        ))
        .with_view(view("sc18", "changed", "SELECT id FROM users WHERE id > 0"));
    run(conn, &Scenario::new(setup, &["sc18"], set), |_, out| {
        assert_eq!(
            out.diff.get("sc18", "same").unwrap().status,
            DiffStatus::Unchanged
        );
        assert_eq!(step_lines(&out.plan), ["replace (declared) sc18.changed"]);
    });
}

/// Scenario 19: A materialized view replaced side by side: built under a temporary name with its
/// indexes, swapped in by renaming.
#[test]
fn s19_materialized_side_by_side() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc19;
        CREATE MATERIALIZED VIEW sc19.totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
        CREATE UNIQUE INDEX totals_user_id_idx ON sc19.totals (user_id);
        COMMENT ON MATERIALIZED VIEW sc19.totals IS 'sums';
        GRANT SELECT ON sc19.totals TO PUBLIC;";
    let set = ViewSet::new().with_materialized(
        matview(
            "sc19",
            "totals",
            "SELECT user_id, sum(total) AS total, count(*) AS n FROM orders GROUP BY user_id",
        )
        .index(Index::unique(["user_id"]).unwrap())
        .unwrap()
        .comment("sums")
        .unwrap(),
    );
    let mut scenario = Scenario::new(setup, &["sc19"], set);
    scenario.options = PlanOptions::new().side_by_side_materialized(true);
    run(conn, &scenario, |_, out| {
        assert_eq!(step_lines(&out.plan), ["swap (declared) sc19.totals"]);
        assert_eq!(
            out.plan.steps[0].sql[..6],
            [
                r#"CREATE MATERIALIZED VIEW "sc19"."totals__pgview_new" AS SELECT user_id, sum(total) AS total, count(*) AS n FROM orders GROUP BY user_id WITH DATA"#,
                r#"CREATE UNIQUE INDEX "totals_user_id_idx__pgview_new" ON "sc19"."totals__pgview_new" ("user_id")"#,
                r#"ALTER MATERIALIZED VIEW "sc19"."totals" RENAME TO "totals__pgview_old""#,
                r#"ALTER MATERIALIZED VIEW "sc19"."totals__pgview_new" RENAME TO "totals""#,
                r#"DROP MATERIALIZED VIEW "sc19"."totals__pgview_old""#,
                r#"ALTER INDEX "sc19"."totals_user_id_idx__pgview_new" RENAME TO "totals_user_id_idx""#,
            ]
        );
        assert_eq!(
            out.plan
                .down_steps
                .iter()
                .map(|s| s.kind.name())
                .collect::<Vec<_>>(),
            ["swap"]
        );
    });
}

/// The declared views of scenario 17.
fn s17_declared() -> ViewSet {
    ViewSet::new()
        .with_view(view("sc17", "root", "SELECT id, name FROM users"))
        .with_view(view("sc17", "d1", "SELECT id, name FROM sc17.root"))
        .with_materialized(
            matview("sc17", "d2", "SELECT id, name FROM sc17.d1")
                .index(Index::unique(["id"]).unwrap().named("d2_id").unwrap())
                .unwrap()
                .comment("second")
                .unwrap(),
        )
        .with_view(view("sc17", "d3", "SELECT id FROM sc17.d2"))
        .with_view(view(
            "sc17",
            "d4",
            "SELECT d3.id, d1.name FROM sc17.d3 JOIN sc17.d1 ON d1.id = d3.id",
        ))
        .with_materialized(
            matview("sc17", "d5", "SELECT id, name FROM sc17.d4")
                .index(Index::new(["name"]).unwrap().named("d5_name").unwrap())
                .unwrap()
                .column_comment("name", "the name")
                .unwrap(),
        )
        .with_view(view("sc17", "d6", "SELECT id FROM sc17.d5").security_barrier(true))
        .with_view(view(
            "sc17",
            "d7",
            "SELECT id FROM sc17.d6 UNION ALL SELECT id FROM sc17.d3",
        ))
        .with_materialized(matview("sc17", "d8", "SELECT count(*) AS n FROM sc17.d7"))
        .with_view(view("sc17", "d9", "SELECT n FROM sc17.d8"))
}

/// Scenario 20: a materialized view's query changes: dropped and created again (data, indexes,
/// comments, storage parameters and privileges come back), its data computed by the new query.
#[test]
fn s20_materialized_view_changed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc20;
        CREATE MATERIALIZED VIEW sc20.m WITH (fillfactor = 80) AS SELECT id, name FROM users;
        CREATE UNIQUE INDEX m_id_idx ON sc20.m (id);
        COMMENT ON MATERIALIZED VIEW sc20.m IS 'users';
        COMMENT ON COLUMN sc20.m.name IS 'their name';
        GRANT SELECT ON sc20.m TO PUBLIC;
        INSERT INTO users (name) VALUES ('sc20 a'), ('sc20 b');
        REFRESH MATERIALIZED VIEW sc20.m;";
    let set = ViewSet::new().with_materialized(
        matview(
            "sc20",
            "m",
            "SELECT id, name FROM users WHERE name LIKE 'sc20%b'",
        )
        .storage_parameter("fillfactor", "80")
        .unwrap()
        .index(Index::unique(["id"]).unwrap())
        .unwrap()
        .comment("users")
        .unwrap()
        .column_comment("name", "their name")
        .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc20"], set), |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            ["drop for rebuild sc20.m", "recreate (declared) sc20.m"]
        );
        assert_eq!(
            query_text(conn, "SELECT string_agg(name, ',') FROM sc20.m"),
            "sc20 b"
        );
        assert_eq!(
            query_text(conn, "has_table_privilege('public', 'sc20.m', 'SELECT')"),
            "true"
        );
    });
    assert_eq!(
        query_text(
            conn,
            "SELECT string_agg(name, ',' ORDER BY name) FROM sc20.m WHERE name LIKE 'sc20%'"
        ),
        "sc20 a,sc20 b"
    );
}

/// Scenario 21: storage parameters only: `ALTER MATERIALIZED VIEW … SET/RESET`.
#[test]
fn s21_storage_parameters_only() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc21;
        CREATE MATERIALIZED VIEW sc21.m WITH (fillfactor = 70, autovacuum_enabled = false) AS SELECT id FROM users;";
    let set = ViewSet::new().with_materialized(
        matview("sc21", "m", "SELECT id FROM users")
            .storage_parameter("fillfactor", "90")
            .unwrap(),
    );
    run(conn, &Scenario::new(setup, &["sc21"], set), |_, out| {
        assert_eq!(step_lines(&out.plan), ["alter options sc21.m"]);
        assert_eq!(
            out.plan.steps[0].sql,
            [
                r#"ALTER MATERIALIZED VIEW "sc21"."m" SET ("fillfactor" = '90')"#,
                r#"ALTER MATERIALIZED VIEW "sc21"."m" RESET ("autovacuum_enabled")"#,
            ]
        );
    });
}

/// Scenario 22: a view outside the scope reads a view that is dropped: it cannot be rebuilt
/// on the new definitions, so planning refuses, naming it and why; allowed by name, the plan
/// drops it explicitly and says so; down brings it back.
#[test]
fn s22_dependent_that_cannot_be_rebuilt() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc22; CREATE SCHEMA sc22_ext;
        CREATE VIEW sc22.old AS SELECT id FROM users;
        CREATE VIEW sc22_ext.reads_old AS SELECT id FROM sc22.old;
        CREATE VIEW sc22_ext.reads_reader AS SELECT id FROM sc22_ext.reads_old;";
    let set = ViewSet::new().with_view(view("sc22", "new", "SELECT id FROM users"));
    let mut scenario = Scenario::new(setup, &["sc22", "sc22_ext"], set);
    scenario.scope = pgview::diff::DiffScope::schemas(["sc22"]).unwrap();
    scenario.options = PlanOptions::new()
        .allow_drop(["sc22_ext.reads_old", "sc22_ext.reads_reader"])
        .unwrap();
    run(conn, &scenario, |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop sc22_ext.reads_reader",
                "drop sc22_ext.reads_old",
                "drop sc22.old",
                "create (declared) sc22.new"
            ]
        );
        assert_eq!(out.plan.warnings.len(), 2, "{:?}", out.plan.warnings);
        assert!(
            out.plan.warnings[0]
                .starts_with("sc22_ext.reads_old is not declared and is dropped, as allowed"),
            "{:?}",
            out.plan.warnings
        );
        assert!(out
            .plan
            .up_sql()
            .contains("-- WARNING: sc22_ext.reads_old is not declared"));
    });
}

/// Scenario 22b: without permission, planning refuses to drop undeclared views, naming each
/// of them and why; a permission for some only still refuses, naming the others; the general
/// permission plans the drops.
#[test]
fn s22b_undeclared_dependents_are_refused() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA sc22b; CREATE SCHEMA \"sc22b ext\";
        CREATE VIEW sc22b.old AS SELECT id FROM users;
        CREATE VIEW \"sc22b ext\".\"reads 'old'\" AS SELECT id FROM sc22b.old;
        CREATE MATERIALIZED VIEW \"sc22b ext\".m AS SELECT id FROM \"sc22b ext\".\"reads 'old'\";",
    )
    .unwrap();
    let set = ViewSet::new().with_view(view("sc22b", "new", "SELECT id FROM users"));
    let scope = pgview::diff::DiffScope::schemas(["sc22b"]).unwrap();
    let diff = pgview::diff::diff(conn, &set, &scope).unwrap();
    let refused = |options: &PlanOptions| match diff.plan_with(options) {
        Err(pgview::Error::UndeclaredViewsWouldBeDropped { views }) => views,
        other => panic!("{other:?}"),
    };
    let views = refused(&PlanOptions::new());
    let names: Vec<&str> = views.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sc22b ext.m", "sc22b ext.reads 'old'"]);
    assert!(
        views[1]
            .1
            .contains("reads sc22b.old, which the migration drops"),
        "{views:?}"
    );
    let message = diff.plan().unwrap_err().to_string();
    assert!(message.contains("sc22b ext.reads 'old'"), "{message}");
    let some = PlanOptions::new()
        .allow_drop(["\"sc22b ext\".\"reads 'old'\""])
        .unwrap();
    let views = refused(&some);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].0, "sc22b ext.m");
    let plan = diff
        .plan_with(&PlanOptions::new().allow_drop_any())
        .unwrap();
    assert_eq!(
        step_lines(&plan),
        [
            "drop sc22b ext.m",
            "drop sc22b ext.reads 'old'",
            "drop sc22b.old",
            "create (declared) sc22b.new"
        ]
    );
}

/// Scenario 23: owner and privileges (grant options, an owner that gave up some of its own)
/// survive a rebuild.
#[test]
fn s23_owner_and_privileges() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc23;
        CREATE ROLE mig_sc23_owner; CREATE ROLE mig_sc23_reader;
        GRANT CREATE, USAGE ON SCHEMA sc23 TO mig_sc23_owner;
        GRANT SELECT ON users TO mig_sc23_owner WITH GRANT OPTION;
        CREATE VIEW sc23.v AS SELECT id, name FROM users;
        ALTER VIEW sc23.v OWNER TO mig_sc23_owner;
        GRANT SELECT ON sc23.v TO mig_sc23_reader WITH GRANT OPTION;
        REVOKE TRUNCATE ON sc23.v FROM mig_sc23_owner;";
    let set = ViewSet::new().with_view(view("sc23", "v", "SELECT id FROM users"));
    run(conn, &Scenario::new(setup, &["sc23"], set), |conn, out| {
        let up = out.plan.up_sql();
        assert!(
            up.contains(r#"ALTER VIEW "sc23"."v" OWNER TO "mig_sc23_owner""#),
            "{up}"
        );
        assert!(
            up.contains(r#"REVOKE TRUNCATE ON TABLE "sc23"."v" FROM "mig_sc23_owner""#),
            "{up}"
        );
        assert!(
            up.contains(
                r#"GRANT SELECT ON TABLE "sc23"."v" TO "mig_sc23_reader" WITH GRANT OPTION"#
            ),
            "{up}"
        );
        assert_eq!(
            query_text(
                conn,
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'sc23.v'::regclass"
            ),
            "mig_sc23_owner"
        );
    });
}

/// Scenario 24: triggers, rules and column defaults of a rebuilt view come back.
#[test]
fn s24_triggers_rules_defaults() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc24;
        CREATE TABLE sc24.log (note text);
        CREATE VIEW sc24.v AS SELECT id, name FROM users;
        CREATE VIEW sc24.reader AS SELECT id FROM sc24.v;
        ALTER VIEW sc24.reader ALTER COLUMN id SET DEFAULT 42;
        CREATE FUNCTION sc24.on_insert() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO sc24.log VALUES ('insert'); RETURN NEW; END$$;
        CREATE TRIGGER reader_insert INSTEAD OF INSERT ON sc24.reader FOR EACH ROW EXECUTE FUNCTION sc24.on_insert();
        CREATE RULE reader_delete AS ON DELETE TO sc24.reader DO INSTEAD INSERT INTO sc24.log VALUES ('delete');";
    let set = ViewSet::new()
        .with_view(view("sc24", "v", "SELECT id FROM users"))
        .with_view(view("sc24", "reader", "SELECT id FROM sc24.v"));
    run(conn, &Scenario::new(setup, &["sc24"], set), |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc24.reader",
                "drop for rebuild sc24.v",
                "recreate (declared) sc24.v",
                "rebuild (declared) sc24.reader",
            ]
        );
        crate::migrate_support::apply(
            conn,
            "INSERT INTO sc24.reader DEFAULT VALUES; DELETE FROM sc24.reader;",
        )
        .unwrap();
        assert_eq!(
            query_text(
                conn,
                "SELECT string_agg(note, ',' ORDER BY note) FROM sc24.log"
            ),
            "delete,insert"
        );
    });
}

/// Scenario 25: names that need quoting everywhere.
#[test]
fn s25_names_that_need_quoting() {
    let conn = &mut conn();
    let setup = r#"CREATE SCHEMA "Sc 25";
        CREATE VIEW "Sc 25"."Order Stats" AS SELECT user_id AS "User Id", count(*) AS "N""" FROM orders GROUP BY user_id;
        CREATE MATERIALIZED VIEW "Sc 25"."Top ""Users""" AS SELECT "User Id" FROM "Sc 25"."Order Stats";
        CREATE UNIQUE INDEX "Top idx" ON "Sc 25"."Top ""Users""" ("User Id");"#;
    let set = ViewSet::new()
        .with_view(
            View::from_sql(
                "Order Stats",
                r#"SELECT user_id AS "User Id", count(*)::int AS "N""" FROM orders GROUP BY user_id"#,
            )
            .unwrap()
            .schema("Sc 25")
            .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql("Top \"Users\"", r#"SELECT "User Id" FROM "Sc 25"."Order Stats""#)
                .unwrap()
                .schema("Sc 25")
                .unwrap()
                .index(Index::unique(["User Id"]).unwrap().named("Top idx").unwrap())
                .unwrap(),
        );
    run(conn, &Scenario::new(setup, &["Sc 25"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild Sc 25.Top \"Users\"",
                "drop for rebuild Sc 25.Order Stats",
                "recreate (declared) Sc 25.Order Stats",
                "rebuild (declared) Sc 25.Top \"Users\"",
            ]
        );
        assert!(out
            .plan
            .up_sql()
            .contains(r#"DROP MATERIALIZED VIEW "Sc 25"."Top ""Users""""#));
    });
}

/// The query of [`Sc26Orders`].
#[diesel::dsl::auto_type]
fn sc26_query() -> _ {
    use diesel::prelude::*;
    crate::support::orders::table
        .filter(crate::support::orders::status.eq("paid"))
        .select((crate::support::orders::id, crate::support::orders::user_id))
}

#[derive(pgview::PgView, diesel::Queryable, Debug)]
#[pgview(name = "paid_orders", schema = "sc26", materialized, query = sc26_query)]
#[pgview(unique_index(id), comment = "paid orders")]
#[allow(dead_code)]
struct Sc26Orders {
    id: i32,
    user_id: i32,
}

/// Scenario 26: a derived struct (`#[derive(PgView)]`) in the set; the database has an older
/// definition.
#[test]
fn s26_derived_struct() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc26;
        CREATE MATERIALIZED VIEW sc26.paid_orders AS SELECT id, user_id FROM orders WHERE status = 'new';
        CREATE UNIQUE INDEX paid_orders_id_idx ON sc26.paid_orders (id);
        COMMENT ON MATERIALIZED VIEW sc26.paid_orders IS 'paid orders';";
    let set = ViewSet::new().with::<Sc26Orders>().unwrap();
    run(conn, &Scenario::new(setup, &["sc26"], set), |_, out| {
        let changes: Vec<_> = out
            .diff
            .changes()
            .map(pgview::diff::DiffEntry::fullname)
            .collect();
        assert_eq!(changes, ["sc26.paid_orders"]);
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc26.paid_orders",
                "recreate (declared) sc26.paid_orders"
            ]
        );
    });
}

/// Scenario 27: side by side is asked for, but the materialized view is read by another view:
/// it is rebuilt with its dependent instead.
#[test]
fn s27_side_by_side_falls_back_to_rebuild() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc27;
        CREATE MATERIALIZED VIEW sc27.m AS SELECT id FROM users;
        CREATE VIEW sc27.reader AS SELECT id FROM sc27.m;";
    let set = ViewSet::new()
        .with_materialized(matview("sc27", "m", "SELECT id FROM users WHERE id > 0"))
        .with_view(view("sc27", "reader", "SELECT id FROM sc27.m"));
    let mut scenario = Scenario::new(setup, &["sc27"], set);
    scenario.options = PlanOptions::new().side_by_side_materialized(true);
    run(conn, &scenario, |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc27.reader",
                "drop for rebuild sc27.m",
                "recreate (declared) sc27.m",
                "rebuild (declared) sc27.reader",
            ]
        );
    });
}

/// Scenario 28: names declared without a schema are where `CREATE VIEW` would put them (the
/// connection's current schema); the migration pins the comparison's `search_path` for the
/// declared SQL and gives the runner's back at the end.
#[test]
fn s28_unqualified_names() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc28; SET LOCAL search_path = sc28, public;
        CREATE TABLE sc28.items (id int, label text);";
    let set = ViewSet::new()
        .with_view(View::from_sql("labels", "SELECT label FROM items").unwrap())
        .with_view(View::from_sql("counted", "SELECT count(*) AS n FROM labels").unwrap());
    run(conn, &Scenario::new(setup, &["sc28"], set), |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "create (declared) sc28.labels",
                "create (declared) sc28.counted"
            ]
        );
        assert_eq!(out.plan.search_path.as_deref(), Some("sc28, public"));
        assert!(out
            .plan
            .up_sql()
            .contains("set_config('search_path', 'sc28, public', true)"));
        assert!(out
            .plan
            .up_sql()
            .contains(r#"CREATE VIEW "sc28"."labels" AS SELECT label FROM items"#));
        assert_eq!(
            query_text(conn, "current_setting('search_path')"),
            "sc28, public"
        );
    });
}

/// Scenario 29: a declared view stops reading a view that is no longer declared: it is
/// dropped before that view and created again after.
#[test]
fn s29_dependency_removed() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc29;
        CREATE VIEW sc29.helper AS SELECT id FROM users;
        CREATE VIEW sc29.main AS SELECT id FROM sc29.helper;";
    let set = ViewSet::new().with_view(view("sc29", "main", "SELECT id FROM users"));
    run(conn, &Scenario::new(setup, &["sc29"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "drop for rebuild sc29.main",
                "drop sc29.helper",
                "recreate (declared) sc29.main"
            ]
        );
    });
}

/// Scenario 30: a view gets a new column (replaced in place) that a new view reads: the new
/// view is created after the replacement.
#[test]
fn s30_new_view_reads_an_appended_column() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc30; CREATE VIEW sc30.base AS SELECT id FROM users;";
    let set = ViewSet::new()
        .with_view(view("sc30", "base", "SELECT id, name FROM users"))
        .with_view(view("sc30", "names", "SELECT name FROM sc30.base"));
    run(conn, &Scenario::new(setup, &["sc30"], set), |_, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "replace (declared) sc30.base",
                "create (declared) sc30.names"
            ]
        );
        assert_eq!(
            out.plan
                .down_steps
                .iter()
                .map(|s| s.kind.name())
                .collect::<Vec<_>>(),
            ["drop", "drop for rebuild", "recreate"]
        );
    });
}

/// Scenario 31: options and query change together: `CREATE OR REPLACE` re-states the whole
/// option list (a bare replace would silently turn `security_barrier` off); down restores the
/// old options.
#[test]
fn s31_options_restated_on_replace() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc31;
        CREATE VIEW sc31.v WITH (security_barrier, check_option = cascaded) AS SELECT id, name FROM users WHERE id > 0;";
    // `security_invoker` where the server has it (PostgreSQL 15 and later).
    let invoker = has_security_invoker();
    let declared =
        view("sc31", "v", "SELECT id, name FROM users WHERE id > 1").security_barrier(true);
    let (declared, options, reloptions) = if invoker {
        (
            declared.security_invoker(true),
            "security_barrier = true, security_invoker = true",
            "security_barrier=true,security_invoker=true",
        )
    } else {
        (declared, "security_barrier = true", "security_barrier=true")
    };
    let set = ViewSet::new().with_view(declared);
    run(conn, &Scenario::new(setup, &["sc31"], set), |conn, out| {
        assert_eq!(
            out.plan.steps[0].sql,
            [format!(
                r#"CREATE OR REPLACE VIEW "sc31"."v" WITH ({options}) AS SELECT id, name FROM users WHERE id > 1"#
            )]
        );
        assert_eq!(
                query_text(conn, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'sc31.v'::regclass"),
                reloptions
            );
    });
}

/// Scenario 32: a materialized view moved to another schema, read by a view outside the scope
/// that the application does not declare, with privileges, an index and data: moved, so the
/// reader survives untouched (no warning, no rebuild); a changed comment is applied after.
#[test]
fn s32_materialized_view_moved_with_outside_reader() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA sc32a; CREATE SCHEMA sc32b; CREATE SCHEMA sc32_ext;
        CREATE MATERIALIZED VIEW sc32a.totals AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
        CREATE UNIQUE INDEX totals_user_id_idx ON sc32a.totals (user_id);
        COMMENT ON MATERIALIZED VIEW sc32a.totals IS 'old comment';
        GRANT SELECT ON sc32a.totals TO PUBLIC;
        CREATE VIEW sc32_ext.big AS SELECT user_id FROM sc32a.totals WHERE total > 10;";
    let set = ViewSet::new().with_materialized(
        matview(
            "sc32b",
            "totals",
            "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id",
        )
        .index(Index::unique(["user_id"]).unwrap())
        .unwrap()
        .comment("new comment")
        .unwrap(),
    );
    let mut scenario = Scenario::new(setup, &["sc32a", "sc32b", "sc32_ext"], set);
    scenario.scope = pgview::diff::DiffScope::schemas(["sc32a", "sc32b"]).unwrap();
    let mut reader = String::new();
    run(conn, &scenario, |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            ["move sc32b.totals", "comment sc32b.totals"]
        );
        assert!(out.plan.warnings.is_empty(), "{:?}", out.plan.warnings);
        // It reads the moved view: its query prints as the same query written against the
        // new place does (on this server: the qualifiers printed differ between versions).
        conn.batch_execute(
            "CREATE SCHEMA sc32_reference; \
             CREATE VIEW sc32_reference.big AS SELECT user_id FROM sc32b.totals WHERE total > 10",
        )
        .unwrap();
        let reference = query_text(conn, "pg_get_viewdef('sc32_reference.big'::regclass)");
        conn.batch_execute("DROP SCHEMA sc32_reference CASCADE")
            .unwrap();
        assert_eq!(
            query_text(conn, "pg_get_viewdef('sc32_ext.big'::regclass)"),
            reference
        );
        reader = oid(conn, "sc32_ext.big");
    });
    assert_eq!(
        oid(conn, "sc32_ext.big"),
        reader,
        "the reader was never re-created"
    );
}
