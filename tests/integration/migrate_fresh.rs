//! Freshness: a migration refreshes every populated materialized view it keeps whose inputs it
//! changes in place (a view it reads, directly or through plain views, is replaced; a table it
//! reads is changed by the table SQL; a materialized view it reads is refreshed), once, in
//! dependency order, after the last change, in up and in down; concurrently when a unique
//! index it keeps allows it. Each scenario's rows really change, so that a missing refresh
//! shows (the runner compares every populated materialized view with its own query).

use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use pgview::{
    ddl::Index,
    diff::{DiffScope, ViewSet},
    migration::{MigrationPlan, Step, StepKind},
    MaterializedView, View,
};

use crate::migrate_support::{query_text, run, stale_materialized_views, step_lines, Scenario};
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

/// The views declared one a line: `view|schema|name|query`, `matview|…`, `nodata|…` (a
/// materialized view `WITH NO DATA`), `unique <column> <index>|…` or `index <column> <index>|…`
/// (a materialized view with that index).
fn declare(spec: &str) -> ViewSet {
    let lines = spec.lines().map(str::trim).filter(|l| !l.is_empty());
    lines.fold(ViewSet::new(), |set, line| {
        let parts: Vec<&str> = line.splitn(4, '|').collect();
        let [kind, schema, name, sql] = parts[..] else {
            panic!("{line}")
        };
        let kind: Vec<&str> = kind.split(' ').collect();
        match kind[..] {
            ["view"] => set.with_view(view(schema, name, sql)),
            ["matview"] => set.with_materialized(matview(schema, name, sql)),
            ["nodata"] => set.with_materialized(matview(schema, name, sql).with_data(false)),
            [unique @ ("unique" | "index"), column, index_name] => {
                let index = if unique == "unique" {
                    Index::unique([column])
                } else {
                    Index::new([column])
                };
                let index = index.unwrap().named(index_name).unwrap();
                set.with_materialized(matview(schema, name, sql).index(index).unwrap())
            }
            _ => panic!("{line}"),
        }
    })
}

/// Like [`step_lines`], for either direction, telling a concurrent refresh apart.
fn lines(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| {
            let kind = match (s.kind, s.kind.source()) {
                (StepKind::Refresh { concurrently: true }, _) => "refresh concurrently".to_owned(),
                (kind, Some(from)) => format!("{} ({})", kind.name(), from.as_str()),
                (kind, None) => kind.name().to_owned(),
            };
            match &s.view {
                Some(view) => format!("{kind} {view}"),
                None => kind,
            }
        })
        .collect()
}

/// The refresh step of `view` among `steps`.
fn refresh<'a>(steps: &'a [Step], view: &str) -> &'a Step {
    steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::Refresh { .. }) && s.view.as_deref() == Some(view))
        .unwrap_or_else(|| panic!("no refresh of {view} in {:#?}", lines(steps)))
}

/// `name total n` per user of a materialized view of `user_id`, `total`, `n` rows.
fn per_user(conn: &mut PgConnection, relation: &str) -> String {
    query_text(
        conn,
        &format!(
            "SELECT string_agg(u.name || ' ' || t.total || ' ' || t.n, ', ' ORDER BY u.name) \
             FROM {relation} t JOIN users u ON u.id = t.user_id"
        ),
    )
}

/// 1: replaced views read directly by materialized views: each reader is refreshed once
/// (also one reading two replaced views, and one outside the scope), after the replaces, in
/// up and in down; a materialized view reading nothing that changes is left alone.
#[test]
fn f01_replaced_view_refreshes_its_readers() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr01; CREATE SCHEMA fr01_ext;
        CREATE VIEW fr01.big AS SELECT id, user_id, total FROM orders WHERE total > 5;
        CREATE VIEW fr01.named AS SELECT id, name FROM users WHERE name <> 'Bob';
        CREATE MATERIALIZED VIEW fr01.totals AS
            SELECT user_id, sum(total) AS total, count(*) AS n FROM fr01.big GROUP BY user_id;
        CREATE MATERIALIZED VIEW fr01.pairs AS
            SELECT n.name, b.total FROM fr01.big b JOIN fr01.named n ON n.id = b.user_id;
        CREATE MATERIALIZED VIEW fr01.untouched AS SELECT id, name FROM users;
        CREATE MATERIALIZED VIEW fr01_ext.outside AS SELECT count(*) AS n FROM fr01.big;";
    let set = declare(
        "view|fr01|big|SELECT id, user_id, total FROM orders WHERE total > 15
         view|fr01|named|SELECT id, name FROM users WHERE name <> 'Carol'
         matview|fr01|totals|SELECT user_id, sum(total) AS total, count(*) AS n FROM fr01.big GROUP BY user_id
         matview|fr01|pairs|SELECT n.name, b.total FROM fr01.big b JOIN fr01.named n ON n.id = b.user_id
         matview|fr01|untouched|SELECT id, name FROM users",
    );
    let mut scenario = Scenario::new(setup, &["fr01", "fr01_ext"], set);
    scenario.scope = DiffScope::schemas(["fr01"]).unwrap();
    let out = run(conn, &scenario, |conn, out| {
        assert_eq!(
            step_lines(&out.plan),
            [
                "replace (declared) fr01.big",
                "replace (declared) fr01.named",
                "refresh fr01.pairs",
                "refresh fr01.totals",
                "refresh fr01_ext.outside",
            ]
        );
        let totals = refresh(&out.plan.steps, "fr01.totals");
        assert_eq!(totals.reason, "reads fr01.big, which is replaced");
        assert_eq!(totals.sql, [r#"REFRESH MATERIALIZED VIEW "fr01"."totals""#]);
        assert_eq!(
            refresh(&out.plan.steps, "fr01_ext.outside").sql,
            [r#"REFRESH MATERIALIZED VIEW "fr01_ext"."outside""#]
        );
        let up = out.plan.up_sql();
        assert!(up.contains("reads fr01.big, which is replaced"), "{up}");
        assert_eq!(per_user(conn, "fr01.totals"), "Alice 20.00 1");
        assert_eq!(query_text(conn, "SELECT n FROM fr01_ext.outside"), "1");
        assert_eq!(
            query_text(
                conn,
                "SELECT string_agg(name || ' ' || total, ',') FROM fr01.pairs"
            ),
            "Alice 20.00"
        );
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        [
            "replace (catalog) fr01.big",
            "replace (catalog) fr01.named",
            "refresh fr01.pairs",
            "refresh fr01.totals",
            "refresh fr01_ext.outside",
        ]
    );
    assert_eq!(per_user(conn, "fr01.totals"), "Alice 30.00 2, Bob 5.50 1");
    assert_eq!(query_text(conn, "SELECT n FROM fr01_ext.outside"), "3");
}

/// 2: table → view → view → materialized view → view → materialized view, across two schemas
/// with names that need quoting; the bottom view changes: both materialized views are
/// refreshed, the upper one after the lower one, in up and in down.
#[test]
fn f02_chain_across_schemas_with_hostile_names() {
    let conn = &mut conn();
    let setup = r#"CREATE SCHEMA "Sales ""2024"""; CREATE SCHEMA "Rep ""Q"" 'x'";
        CREATE VIEW "Sales ""2024"""."base v" AS SELECT id, user_id, total FROM public.orders WHERE total > 5;
        CREATE VIEW "Sales ""2024"""."mid ""v""" AS SELECT user_id, total FROM "Sales ""2024"""."base v";
        CREATE MATERIALIZED VIEW "Rep ""Q"" 'x'"."Low M" AS
            SELECT user_id, sum(total) AS total FROM "Sales ""2024"""."mid ""v""" GROUP BY user_id;
        CREATE VIEW "Rep ""Q"" 'x'"."over 'low'" AS SELECT user_id, total * 2 AS doubled FROM "Rep ""Q"" 'x'"."Low M";
        CREATE MATERIALIZED VIEW "Sales ""2024"""."Top M" AS
            SELECT count(*) AS n, sum(doubled) AS s FROM "Rep ""Q"" 'x'"."over 'low'";"#;
    let (sales, rep) = ("Sales \"2024\"", "Rep \"Q\" 'x'");
    let set = declare(
        r#"view|Sales "2024"|base v|SELECT id, user_id, total FROM public.orders WHERE total > 15
           view|Sales "2024"|mid "v"|SELECT user_id, total FROM "Sales ""2024"""."base v"
           matview|Rep "Q" 'x'|Low M|SELECT user_id, sum(total) AS total FROM "Sales ""2024"""."mid ""v""" GROUP BY user_id
           view|Rep "Q" 'x'|over 'low'|SELECT user_id, total * 2 AS doubled FROM "Rep ""Q"" 'x'"."Low M"
           matview|Sales "2024"|Top M|SELECT count(*) AS n, sum(doubled) AS s FROM "Rep ""Q"" 'x'"."over 'low'""#,
    );
    let expected = |replace: &str| {
        vec![
            format!("replace ({replace}) Sales \"2024\".base v"),
            "refresh Rep \"Q\" 'x'.Low M".to_owned(),
            "refresh Sales \"2024\".Top M".to_owned(),
        ]
    };
    let top = "SELECT n || ' ' || s FROM \"Sales \"\"2024\"\"\".\"Top M\"";
    let out = run(
        conn,
        &Scenario::new(setup, &[sales, rep], set),
        |conn, out| {
            assert_eq!(lines(&out.plan.steps), expected("declared"));
            let low = refresh(&out.plan.steps, "Rep \"Q\" 'x'.Low M");
            assert_eq!(
                low.reason,
                "reads Sales \"2024\".mid \"v\", which depends on Sales \"2024\".base v, which is replaced"
            );
            assert_eq!(
                low.sql,
                [r#"REFRESH MATERIALIZED VIEW "Rep ""Q"" 'x'"."Low M""#]
            );
            let upper = refresh(&out.plan.steps, "Sales \"2024\".Top M");
            assert_eq!(
                upper.reason,
                "reads Rep \"Q\" 'x'.over 'low', which depends on Rep \"Q\" 'x'.Low M, which is refreshed"
            );
            assert_eq!(
                upper.sql,
                [r#"REFRESH MATERIALIZED VIEW "Sales ""2024"""."Top M""#]
            );
            assert_eq!(query_text(conn, top), "1 40.00");
        },
    );
    assert_eq!(lines(&out.plan.down_steps), expected("catalog"));
    assert_eq!(query_text(conn, top), "2 71.00");
}

/// 3: a materialized view with a unique index on plain columns that the migration keeps is
/// refreshed `CONCURRENTLY`; one with a plain index, or whose unique index the migration only
/// adds (after the refresh) or removes, is refreshed plainly.
#[test]
fn f03_concurrently_when_a_kept_unique_index_allows() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr03; CREATE SCHEMA fr03_ext;
        CREATE VIEW fr03.paid AS SELECT id, user_id, total FROM orders WHERE total > 5;
        CREATE MATERIALIZED VIEW fr03.by_id AS SELECT id, total FROM fr03.paid;
        CREATE UNIQUE INDEX by_id_id ON fr03.by_id (id);
        CREATE MATERIALIZED VIEW fr03.by_user AS SELECT user_id, count(*) AS n FROM fr03.paid GROUP BY user_id;
        CREATE INDEX by_user_user ON fr03.by_user (user_id);
        CREATE MATERIALIZED VIEW fr03.gains AS SELECT id FROM fr03.paid;
        CREATE MATERIALIZED VIEW fr03_ext.partial AS SELECT id FROM fr03.paid;
        CREATE UNIQUE INDEX partial_id ON fr03_ext.partial (id) WHERE id > 0;
        CREATE MATERIALIZED VIEW fr03_ext.expr AS SELECT id FROM fr03.paid;
        CREATE UNIQUE INDEX expr_id ON fr03_ext.expr ((id + 0));
        CREATE MATERIALIZED VIEW fr03_ext.keyed AS SELECT id FROM fr03.paid;
        CREATE UNIQUE INDEX keyed_id ON fr03_ext.keyed (id);";
    let set = declare(
        "view|fr03|paid|SELECT id, user_id, total FROM orders WHERE total > 15
         unique id by_id_id|fr03|by_id|SELECT id, total FROM fr03.paid
         index user_id by_user_user|fr03|by_user|SELECT user_id, count(*) AS n FROM fr03.paid GROUP BY user_id
         unique id gains_id|fr03|gains|SELECT id FROM fr03.paid",
    );
    let expected = |replace: &str| {
        vec![
            format!("replace ({replace}) fr03.paid"),
            "refresh concurrently fr03.by_id".to_owned(),
            "refresh fr03.by_user".to_owned(),
            "refresh fr03.gains".to_owned(),
            // Not declared, out of the scope: the catalog's unique indexes tell.
            "refresh fr03_ext.expr".to_owned(),
            "refresh concurrently fr03_ext.keyed".to_owned(),
            "refresh fr03_ext.partial".to_owned(),
        ]
    };
    // The index step of `gains` (its unique index added or removed) may come before or after
    // its refresh: neither changes what the other does.
    let without_index = |steps: &[Step]| {
        let mut lines = lines(steps);
        let at = lines.iter().position(|l| l == "indexes fr03.gains");
        lines.remove(at.expect("an index step for fr03.gains"));
        lines
    };
    let mut scenario = Scenario::new(setup, &["fr03", "fr03_ext"], set);
    scenario.scope = DiffScope::schemas(["fr03"]).unwrap();
    let out = run(conn, &scenario, |conn, out| {
        assert_eq!(without_index(&out.plan.steps), expected("declared"));
        assert_eq!(
            refresh(&out.plan.steps, "fr03.by_id").sql,
            [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "fr03"."by_id""#]
        );
        assert_eq!(
            refresh(&out.plan.steps, "fr03.by_user").sql,
            [r#"REFRESH MATERIALIZED VIEW "fr03"."by_user""#]
        );
        assert_eq!(query_text(conn, "SELECT count(*) FROM fr03.by_id"), "1");
        assert_eq!(query_text(conn, "SELECT sum(n) FROM fr03.by_user"), "1");
    });
    assert_eq!(without_index(&out.plan.down_steps), expected("catalog"));
    assert!(out
        .plan
        .down_sql()
        .contains(r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "fr03"."by_id""#));
    assert_eq!(query_text(conn, "SELECT count(*) FROM fr03.by_id"), "3");
}

/// 4: a materialized view kept `WITH NO DATA` that reads a replaced view (directly, or through
/// another unpopulated one) is not refreshed and stays unpopulated after up and after down; a
/// populated one beside it is refreshed.
#[test]
fn f04_with_no_data_stays_unpopulated() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr04;
        CREATE VIEW fr04.v AS SELECT id, total FROM orders WHERE total > 5;
        CREATE MATERIALIZED VIEW fr04.later AS SELECT id, total FROM fr04.v WITH NO DATA;
        CREATE MATERIALIZED VIEW fr04.later_too AS SELECT count(*) AS n FROM fr04.later WITH NO DATA;
        CREATE MATERIALIZED VIEW fr04.now AS SELECT count(*) AS n FROM fr04.v;";
    let set = declare(
        "view|fr04|v|SELECT id, total FROM orders WHERE total > 15
         nodata|fr04|later|SELECT id, total FROM fr04.v
         nodata|fr04|later_too|SELECT count(*) AS n FROM fr04.later
         matview|fr04|now|SELECT count(*) AS n FROM fr04.v",
    );
    let populated = "SELECT string_agg(relname || '=' || relispopulated, ',' ORDER BY relname) \
                     FROM pg_class WHERE relnamespace = 'fr04'::regnamespace AND relkind = 'm'";
    let expected = "later=false,later_too=false,now=true";
    let out = run(conn, &Scenario::new(setup, &["fr04"], set), |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            ["replace (declared) fr04.v", "refresh fr04.now"]
        );
        assert_eq!(query_text(conn, populated), expected);
        assert_eq!(query_text(conn, "SELECT n FROM fr04.now"), "1");
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        ["replace (catalog) fr04.v", "refresh fr04.now"]
    );
    for sql in [out.plan.up_sql(), out.plan.down_sql()] {
        assert!(
            !sql.contains(r#"REFRESH MATERIALIZED VIEW "fr04"."later"#),
            "{sql}"
        );
    }
    assert_eq!(query_text(conn, populated), expected);
}

/// 5: the table SQL changes rows and columns of a table that materialized views read
/// (directly, and through an unchanged view), and a partition of a partitioned table that one
/// reads through its parent; the view definitions stay the same: those are refreshed after the
/// table SQL, in up and in down; one reading an unrelated table is not.
#[test]
fn f05_table_sql_refreshes_readers_of_changed_tables() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr05;
        CREATE TABLE fr05.prices (id int PRIMARY KEY, amount numeric(10,2) NOT NULL);
        INSERT INTO fr05.prices VALUES (1, 4), (2, 8), (3, 30);
        CREATE TABLE fr05.events (id int, kind text, at date) PARTITION BY RANGE (at);
        CREATE TABLE fr05.events_2023 PARTITION OF fr05.events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
        CREATE TABLE fr05.events_2024 PARTITION OF fr05.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        INSERT INTO fr05.events VALUES (1, 'click', '2023-05-01'), (2, 'view', '2024-02-01');
        CREATE VIEW fr05.cheap AS SELECT id, amount FROM fr05.prices WHERE amount < 10;
        CREATE MATERIALIZED VIEW fr05.direct AS SELECT count(*) AS n, sum(amount) AS total FROM fr05.prices;
        CREATE MATERIALIZED VIEW fr05.via AS SELECT count(*) AS n, sum(amount) AS total FROM fr05.cheap;
        CREATE MATERIALIZED VIEW fr05.kinds AS SELECT kind, count(*) AS n FROM fr05.events GROUP BY kind;
        CREATE UNIQUE INDEX kinds_kind ON fr05.kinds (kind);
        CREATE MATERIALIZED VIEW fr05.unrelated AS SELECT count(*) AS n FROM users;";
    // `marker`: something to create, so that the comparison finds a difference.
    let views = || {
        declare(
            "view|fr05|cheap|SELECT id, amount FROM fr05.prices WHERE amount < 10
             view|fr05|marker|SELECT 1 AS x
             matview|fr05|direct|SELECT count(*) AS n, sum(amount) AS total FROM fr05.prices
             matview|fr05|via|SELECT count(*) AS n, sum(amount) AS total FROM fr05.cheap
             unique kind kinds_kind|fr05|kinds|SELECT kind, count(*) AS n FROM fr05.events GROUP BY kind
             matview|fr05|unrelated|SELECT count(*) AS n FROM users",
        )
    };
    let set = views().with_table_sql(
        "UPDATE fr05.prices SET amount = amount * 2;
         ALTER TABLE fr05.prices ADD COLUMN note text;
         INSERT INTO fr05.prices (id, amount) VALUES (4, 1);
         INSERT INTO fr05.events_2024 VALUES (3, 'buy', '2024-03-01');",
        "DELETE FROM fr05.events_2024 WHERE id = 3;
         DELETE FROM fr05.prices WHERE id = 4;
         ALTER TABLE fr05.prices DROP COLUMN note;
         UPDATE fr05.prices SET amount = amount / 2;",
    );
    let mut scenario = Scenario::new(setup, &["fr05"], set);
    scenario.declared_after = Some(views());
    let state = "SELECT (SELECT n || ' ' || total FROM fr05.direct) || ' / ' \
                 || (SELECT n || ' ' || total FROM fr05.via) || ' / ' \
                 || (SELECT string_agg(kind || ' ' || n, ',' ORDER BY kind) FROM fr05.kinds)";
    let out = run(conn, &scenario, |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            [
                "table sql",
                "refresh fr05.direct",
                "refresh concurrently fr05.kinds",
                "create (declared) fr05.marker",
                "refresh fr05.via",
            ]
        );
        assert_eq!(
            refresh(&out.plan.steps, "fr05.direct").reason,
            "reads table fr05.prices, which is changed by the table SQL"
        );
        assert_eq!(
            refresh(&out.plan.steps, "fr05.via").reason,
            "reads fr05.cheap, which depends on table fr05.prices, which is changed by the table SQL"
        );
        assert_eq!(
            refresh(&out.plan.steps, "fr05.kinds").reason,
            "reads table fr05.events, which is changed by the table SQL"
        );
        assert_eq!(
            query_text(conn, state),
            "4 85.00 / 2 9.00 / buy 1,click 1,view 1"
        );
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        [
            "drop fr05.marker",
            "table sql",
            "refresh fr05.direct",
            "refresh concurrently fr05.kinds",
            "refresh fr05.via",
        ]
    );
    for sql in [out.plan.up_sql(), out.plan.down_sql()] {
        assert!(!sql.contains(r#"VIEW "fr05"."unrelated""#), "{sql}");
    }
    assert_eq!(
        query_text(conn, state),
        "3 42.00 / 2 12.00 / click 1,view 1"
    );
}

/// 5b: a declared materialized view reads a table that the table SQL changes through a view
/// that is neither declared nor in the scope: it must be refreshed too.
#[test]
fn f05b_table_change_through_a_view_outside_the_scope() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr05b; CREATE SCHEMA fr05b_ext;
        CREATE TABLE fr05b.stock (id int, qty int);
        INSERT INTO fr05b.stock VALUES (1, 5), (2, 50);
        CREATE VIEW fr05b_ext.low AS SELECT id, qty FROM fr05b.stock WHERE qty < 10;
        CREATE MATERIALIZED VIEW fr05b.low_count AS SELECT count(*) AS n FROM fr05b_ext.low;";
    let views = || {
        declare(
            "view|fr05b|marker|SELECT 1 AS x
             matview|fr05b|low_count|SELECT count(*) AS n FROM fr05b_ext.low",
        )
    };
    let set = views().with_table_sql(
        "UPDATE fr05b.stock SET qty = 1",
        "UPDATE fr05b.stock SET qty = CASE id WHEN 1 THEN 5 ELSE 50 END",
    );
    let mut scenario = Scenario::new(setup, &["fr05b", "fr05b_ext"], set);
    scenario.scope = DiffScope::schemas(["fr05b"]).unwrap();
    scenario.declared_after = Some(views());
    run(conn, &scenario, |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            [
                "table sql",
                "refresh fr05b.low_count",
                "create (declared) fr05b.marker"
            ]
        );
        assert_eq!(query_text(conn, "SELECT n FROM fr05b.low_count"), "2");
    });
}

/// 6: the down migration replaces the view back and refreshes its reader (concurrently, read
/// through a plain view); a materialized view the up migration creates is fresh (no refresh),
/// and down drops it.
#[test]
fn f06_down_replaces_back_and_refreshes() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr06;
        CREATE VIEW fr06.v AS SELECT id, user_id, total FROM orders WHERE total > 5;
        CREATE VIEW fr06.w AS SELECT user_id, total FROM fr06.v;
        CREATE MATERIALIZED VIEW fr06.m AS SELECT user_id, sum(total) AS total, count(*) AS n FROM fr06.w GROUP BY user_id;
        CREATE UNIQUE INDEX m_user ON fr06.m (user_id);";
    let set = declare(
        "view|fr06|v|SELECT id, user_id, total FROM orders WHERE total > 15
         view|fr06|w|SELECT user_id, total FROM fr06.v
         unique user_id m_user|fr06|m|SELECT user_id, sum(total) AS total, count(*) AS n FROM fr06.w GROUP BY user_id
         matview|fr06|created|SELECT count(*) AS n FROM fr06.v",
    );
    let out = run(conn, &Scenario::new(setup, &["fr06"], set), |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            [
                "replace (declared) fr06.v",
                "create (declared) fr06.created",
                "refresh concurrently fr06.m",
            ]
        );
        assert_eq!(per_user(conn, "fr06.m"), "Alice 20.00 1");
        assert_eq!(query_text(conn, "SELECT n FROM fr06.created"), "1");
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        [
            "drop fr06.created",
            "replace (catalog) fr06.v",
            "refresh concurrently fr06.m",
        ]
    );
    let back = refresh(&out.plan.down_steps, "fr06.m");
    assert_eq!(
        back.reason,
        "reads fr06.w, which depends on fr06.v, which is replaced"
    );
    assert_eq!(
        back.sql,
        [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "fr06"."m""#]
    );
    assert_eq!(per_user(conn, "fr06.m"), "Alice 30.00 2, Bob 5.50 1");
}

/// 6b: the up migration appends a column (a replace, and a refresh); down cannot remove it in
/// place, so it rebuilds the view and the materialized view reading it: fresh, no refresh.
#[test]
fn f06b_down_rebuild_needs_no_refresh() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr06b;
        CREATE VIEW fr06b.a AS SELECT id, total FROM orders WHERE total > 5;
        CREATE MATERIALIZED VIEW fr06b.am AS SELECT count(*) AS n, sum(total) AS total FROM fr06b.a;";
    let set = declare(
        "view|fr06b|a|SELECT id, total, user_id FROM orders WHERE total > 15
         matview|fr06b|am|SELECT count(*) AS n, sum(total) AS total FROM fr06b.a",
    );
    let sums = "SELECT n || ' ' || total FROM fr06b.am";
    let out = run(conn, &Scenario::new(setup, &["fr06b"], set), |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            ["replace (declared) fr06b.a", "refresh fr06b.am"]
        );
        assert_eq!(query_text(conn, sums), "1 20.00");
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        [
            "drop for rebuild fr06b.am",
            "drop for rebuild fr06b.a",
            "recreate (catalog) fr06b.a",
            "rebuild (catalog) fr06b.am",
        ]
    );
    assert_eq!(query_text(conn, sums), "3 35.50");
}

/// 8: a view's `security_invoker` changes (row security makes it return other rows): the
/// materialized view reading it must be refreshed after the `ALTER VIEW … SET` (and, in down,
/// the `RESET`), not before.
#[test]
fn f08_refresh_after_a_security_invoker_change() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr08; CREATE ROLE fr08_viewer;
        CREATE TABLE fr08.t (x int); INSERT INTO fr08.t VALUES (1), (2), (3);
        ALTER TABLE fr08.t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY viewer_sees_big ON fr08.t FOR SELECT TO fr08_viewer USING (x > 1);
        GRANT USAGE ON SCHEMA fr08 TO fr08_viewer; GRANT SELECT ON fr08.t TO fr08_viewer;
        CREATE VIEW fr08.v AS SELECT x FROM fr08.t;
        ALTER VIEW fr08.v OWNER TO fr08_viewer;
        CREATE MATERIALIZED VIEW fr08.m AS SELECT count(*) AS n FROM fr08.v;";
    let set = declare("matview|fr08|m|SELECT count(*) AS n FROM fr08.v")
        .with_view(view("fr08", "v", "SELECT x FROM fr08.t").security_invoker(true));
    if !has_security_invoker() {
        // Before PostgreSQL 15 the comparison refuses the option, naming the server's version,
        // before it sends anything.
        conn.batch_execute(setup).unwrap();
        let scope = DiffScope::schemas(["fr08"]).unwrap();
        let err = pgview::diff::diff(conn, &set, &scope).unwrap_err();
        let pgview::Error::DeclaredViewsRejected { views } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(views.len(), 1, "{views:?}");
        assert_eq!(views[0].0, "fr08.v");
        assert!(
            views[0]
                .1
                .starts_with("the option security_invoker needs PostgreSQL 15 or later; the server is PostgreSQL 1"),
            "{}",
            views[0].1
        );
        return;
    }
    let out = run(conn, &Scenario::new(setup, &["fr08"], set), |conn, out| {
        assert_eq!(
            lines(&out.plan.steps),
            ["alter options fr08.v", "refresh fr08.m"]
        );
        assert_eq!(query_text(conn, "SELECT n FROM fr08.m"), "3");
    });
    assert_eq!(
        lines(&out.plan.down_steps),
        ["alter options fr08.v", "refresh fr08.m"]
    );
    assert_eq!(query_text(conn, "SELECT n FROM fr08.m"), "2");
}

// ---------------------------------------------------------------------------------------------
// 7: the same plan run through diesel's harness from files, as a `ViewMigration` (sync and
// async), on a database of its own (the harness commits).

const FR07_SETUP: &str = "CREATE SCHEMA fr07;
    CREATE VIEW fr07.v AS SELECT id, user_id, total FROM orders WHERE total > 5;
    CREATE VIEW fr07.w AS SELECT user_id, total FROM fr07.v;
    CREATE MATERIALIZED VIEW fr07.m AS SELECT user_id, sum(total) AS total, count(*) AS n FROM fr07.w GROUP BY user_id;
    CREATE UNIQUE INDEX m_user ON fr07.m (user_id);
    CREATE MATERIALIZED VIEW fr07.top AS SELECT count(*) AS n, max(total) AS best FROM fr07.m;";

fn fr07_declared() -> ViewSet {
    declare(
        "view|fr07|v|SELECT id, user_id, total FROM orders WHERE total > 15
         view|fr07|w|SELECT user_id, total FROM fr07.v
         unique user_id m_user|fr07|m|SELECT user_id, sum(total) AS total, count(*) AS n FROM fr07.w GROUP BY user_id
         matview|fr07|top|SELECT count(*) AS n, max(total) AS best FROM fr07.m",
    )
}

/// Every materialized view of `fr07` fresh, and their rows: after up (`true`) or as at the
/// start.
fn fr07_fresh(conn: &mut PgConnection, migrated: bool, how: &str) {
    assert_eq!(
        stale_materialized_views(conn, &["fr07"]),
        Vec::<String>::new(),
        "{how}"
    );
    let (m, top) = if migrated {
        ("Alice 20.00 1", "1 20.00")
    } else {
        ("Alice 30.00 2, Bob 5.50 1", "2 30.00")
    };
    assert_eq!(per_user(conn, "fr07.m"), m, "{how}");
    assert_eq!(
        query_text(conn, "SELECT n || ' ' || best FROM fr07.top"),
        top,
        "{how}"
    );
}

fn fr07_plan_steps(plan: &MigrationPlan) {
    let expected = |replace: &str| {
        [
            format!("replace ({replace}) fr07.v"),
            "refresh concurrently fr07.m".to_owned(),
            "refresh fr07.top".to_owned(),
        ]
    };
    assert_eq!(lines(&plan.steps), expected("declared"));
    assert_eq!(lines(&plan.down_steps), expected("catalog"));
}

#[test]
fn f07_plan_run_from_files_and_as_view_migration_sync_and_async() {
    use diesel::Connection;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(crate::support::SEED).unwrap();
    conn.batch_execute(FR07_SETUP).unwrap();
    fr07_fresh(conn, false, "start");
    let declared = fr07_declared();
    let scope = DiffScope::schemas(["fr07"]).unwrap();
    let plan = pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .plan()
        .unwrap();
    fr07_plan_steps(&plan);

    // Files, through diesel's harness.
    let dir = std::env::temp_dir().join(format!("pgview-fresh-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    pgview::migration::write_migration(&dir, "refresh_readers", &plan).unwrap();
    let files = FileBasedMigrations::from_path(&dir).unwrap();
    assert_eq!(conn.run_pending_migrations(files.clone()).unwrap().len(), 1);
    fr07_fresh(conn, true, "files: up");
    assert!(pgview::diff::diff(conn, &declared, &scope)
        .unwrap()
        .is_empty());
    conn.revert_last_migration(files).unwrap();
    fr07_fresh(conn, false, "files: down");
    std::fs::remove_dir_all(&dir).unwrap();

    // A view migration, sync.
    let migration =
        pgview::migration::ViewMigration::from_plan("2030-05-01-000000_fresh", &plan).unwrap();
    migration.up(conn).unwrap();
    fr07_fresh(conn, true, "sync: up");
    migration.down(conn).unwrap();
    fr07_fresh(conn, false, "sync: down");

    // Async: compared and run on an `AsyncPgConnection`, checked from the sync one.
    #[cfg(feature = "async")]
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use diesel_async::{AsyncConnection, AsyncPgConnection};

            let aconn = &mut AsyncPgConnection::establish(db.url()).await.unwrap();
            let async_plan = pgview::aio::diff(aconn, &declared, &scope)
                .await
                .unwrap()
                .plan()
                .unwrap();
            fr07_plan_steps(&async_plan);
            assert_eq!(async_plan.up_sql(), plan.up_sql());
            let migration =
                pgview::migration::ViewMigration::from_plan("2030-05-02-000000_fresh", &async_plan)
                    .unwrap();
            migration.up_async(aconn).await.unwrap();
            fr07_fresh(conn, true, "async: up");
            migration.down_async(aconn).await.unwrap();
            fr07_fresh(conn, false, "async: down");
        });
}

/// 9: a materialized view moved to another schema whose input is replaced: refreshed where it
/// is after the move (and, in down, after the move back).
#[test]
fn f09_moved_materialized_view_refreshed_where_it_goes() {
    let conn = &mut conn();
    let setup = "CREATE SCHEMA fr09a; CREATE SCHEMA fr09b;
        CREATE VIEW fr09a.v AS SELECT id, total FROM orders WHERE total > 5;
        CREATE MATERIALIZED VIEW fr09a.m AS SELECT count(*) AS n FROM fr09a.v;";
    let set = declare(
        "view|fr09a|v|SELECT id, total FROM orders WHERE total > 15
         matview|fr09b|m|SELECT count(*) AS n FROM fr09a.v",
    );
    let out = run(
        conn,
        &Scenario::new(setup, &["fr09a", "fr09b"], set),
        |conn, out| {
            assert_eq!(
                lines(&out.plan.steps),
                [
                    "move fr09b.m",
                    "replace (declared) fr09a.v",
                    "refresh fr09b.m"
                ]
            );
            assert_eq!(query_text(conn, "SELECT n FROM fr09b.m"), "1");
        },
    );
    assert_eq!(
        lines(&out.plan.down_steps),
        [
            "move fr09a.m",
            "replace (catalog) fr09a.v",
            "refresh fr09a.m"
        ]
    );
    assert_eq!(query_text(conn, "SELECT n FROM fr09a.m"), "3");
}
