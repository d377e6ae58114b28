//! One scenario per [`StepKind`] that changes a view in place or around the creations:
//! options, comments, indexes, tablespace, swap, table SQL, move, refresh. The steps up and
//! down, their order and the key parts of their SQL.

use super::*;
use crate::definition::Index;
use crate::snapshot::fixtures::IndexState;

#[test]
fn alter_options_sets_and_resets() {
    let live = ViewState::view("s.v", "SELECT 1 AS a").options(&["check_option=local"]);
    let new = ViewState::view("s.v", "SELECT 1 AS a").options(&["security_barrier=true"]);
    let declared = view("s.v", "SELECT 1 AS a").security_barrier(true);
    let plan = Scenario::new()
        .live(live.clone())
        .declare(declared, new.clone())
        .changed("s.v", vec![options(&live, &new)])
        .plan();
    assert_eq!(outline(&plan.steps), ["alter options s.v"]);
    let alter = &plan.steps[0];
    assert_eq!(alter.kind, StepKind::AlterOptions);
    assert_eq!(alter.sql.len(), 2, "{:#?}", alter.sql);
    assert_has(
        &alter.sql[0],
        r#"ALTER VIEW "s"."v" SET ("security_barrier""#,
    );
    assert_has(
        &alter.sql[1],
        r#"ALTER VIEW "s"."v" RESET ("check_option")"#,
    );
    assert_eq!(outline(&plan.down_steps), ["alter options s.v"]);
    let back = &plan.down_steps[0].sql;
    assert_has(&back[0], r#"ALTER VIEW "s"."v" SET ("check_option""#);
    assert_has(&back[1], r#"ALTER VIEW "s"."v" RESET ("security_barrier")"#);
}

#[test]
fn comment_on_a_view_and_a_column() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 1 AS a").comment("it's new");
    let declared = view("s.v", "SELECT 1 AS a")
        .comment("it's new")
        .and_then(|v| v.column_comment("a", "the a"))
        .unwrap();
    let mut new = new;
    new.column_comments
        .insert("a".to_owned(), "the a".to_owned());
    let plan = Scenario::new()
        .live(live)
        .declare(declared, new)
        .changed(
            "s.v",
            vec![
                Change::Comment {
                    column: None,
                    before: None,
                    after: Some("it's new".to_owned()),
                },
                Change::Comment {
                    column: Some("a".to_owned()),
                    before: None,
                    after: Some("the a".to_owned()),
                },
            ],
        )
        .plan();
    assert_eq!(outline(&plan.steps), ["comment s.v", "comment s.v"]);
    assert_eq!(plan.steps[0].kind, StepKind::Comment);
    assert_eq!(
        plan.steps[0].sql,
        [r#"COMMENT ON VIEW "s"."v" IS 'it''s new'"#]
    );
    assert_eq!(
        plan.steps[1].sql,
        [r#"COMMENT ON COLUMN "s"."v"."a" IS 'the a'"#]
    );
    assert_eq!(outline(&plan.down_steps), ["comment s.v", "comment s.v"]);
    assert_eq!(
        plan.down_steps[0].sql,
        [r#"COMMENT ON VIEW "s"."v" IS NULL"#]
    );
    assert_eq!(
        plan.down_steps[1].sql,
        [r#"COMMENT ON COLUMN "s"."v"."a" IS NULL"#]
    );
}

#[test]
fn indexes_dropped_and_created() {
    let live = ViewState::materialized("s.m", "SELECT 1 AS a")
        .index(IndexState::plain("m_a", &["a"]))
        .index(IndexState::plain("m_old", &["a"]));
    let new = ViewState::materialized("s.m", "SELECT 1 AS a")
        .index(IndexState::unique("m_a", &["a"]))
        .index(IndexState::plain("m_new", &["a"]));
    let declared = materialized("s.m", "SELECT 1 AS a")
        .index(Index::unique(["a"]).and_then(|i| i.named("m_a")).unwrap())
        .and_then(|m| m.index(Index::new(["a"]).and_then(|i| i.named("m_new")).unwrap()))
        .unwrap();
    let change = Change::Indexes {
        added: vec!["m_new".to_owned()],
        removed: vec!["m_old".to_owned()],
        changed: vec!["m_a".to_owned()],
    };
    let plan = Scenario::new()
        .live(live)
        .declare(declared, new)
        .changed("s.m", vec![change])
        .plan();
    assert_eq!(outline(&plan.steps), ["indexes s.m"]);
    let sql = &plan.steps[0].sql;
    assert_eq!(sql.len(), 4, "{sql:#?}");
    assert_eq!(sql[0], r#"DROP INDEX "s"."m_a""#);
    assert_eq!(sql[1], r#"DROP INDEX "s"."m_old""#);
    assert_has(&sql[2], r#"CREATE UNIQUE INDEX "m_a" ON "s"."m""#);
    assert_has(&sql[3], r#"CREATE INDEX "m_new" ON "s"."m""#);
    assert_eq!(outline(&plan.down_steps), ["indexes s.m"]);
    assert_eq!(
        plan.down_steps[0].sql,
        [
            r#"DROP INDEX "s"."m_a""#,
            r#"DROP INDEX "s"."m_new""#,
            r#"CREATE INDEX "m_a" ON "s"."m" USING btree (a)"#,
            r#"CREATE INDEX "m_old" ON "s"."m" USING btree (a)"#,
        ]
    );
}

#[test]
fn tablespace_set_and_set_back() {
    let live = ViewState::materialized("s.m", "SELECT 1 AS a");
    let new = ViewState::materialized("s.m", "SELECT 1 AS a").tablespace("fast");
    let declared = materialized("s.m", "SELECT 1 AS a")
        .tablespace("fast")
        .unwrap();
    let plan = Scenario::new()
        .live(live)
        .declare(declared, new)
        .changed(
            "s.m",
            vec![Change::Tablespace {
                before: None,
                after: Some("fast".to_owned()),
            }],
        )
        .plan();
    assert_eq!(outline(&plan.steps), ["tablespace s.m"]);
    assert_eq!(
        plan.steps[0].sql,
        [r#"ALTER MATERIALIZED VIEW "s"."m" SET TABLESPACE "fast""#]
    );
    assert_eq!(
        plan.down_steps[0].sql,
        [r#"ALTER MATERIALIZED VIEW "s"."m" SET TABLESPACE "pg_default""#]
    );
}

#[test]
fn swap_a_materialized_view_side_by_side() {
    let live =
        ViewState::materialized("s.m", "SELECT 1 AS a").index(IndexState::unique("m_a", &["a"]));
    let new =
        ViewState::materialized("s.m", "SELECT 2 AS a").index(IndexState::unique("m_a", &["a"]));
    let declared = materialized("s.m", "SELECT 2 AS a")
        .index(Index::unique(["a"]).and_then(|i| i.named("m_a")).unwrap())
        .unwrap();
    let scenario = Scenario::new()
        .live(live.clone())
        .declare(declared, new.clone())
        .changed("s.m", vec![definition(&live, &new)]);
    let plan = scenario.plan_with(&PlanOptions::new().side_by_side_materialized(true));
    assert_eq!(outline(&plan.steps), ["swap s.m"]);
    assert_eq!(
        plan.steps[0].kind,
        StepKind::SwapMaterialized {
            from: Source::Declared
        }
    );
    let sql = &plan.steps[0].sql;
    assert_eq!(sql.len(), 6, "{sql:#?}");
    assert_has(
        &sql[0],
        r#"CREATE MATERIALIZED VIEW "s"."m__pgview_new" AS SELECT 2 AS a WITH DATA"#,
    );
    assert_has(
        &sql[1],
        r#"CREATE UNIQUE INDEX "m_a__pgview_new" ON "s"."m__pgview_new""#,
    );
    assert_eq!(
        sql[2],
        r#"ALTER MATERIALIZED VIEW "s"."m" RENAME TO "m__pgview_old""#
    );
    assert_eq!(
        sql[3],
        r#"ALTER MATERIALIZED VIEW "s"."m__pgview_new" RENAME TO "m""#
    );
    assert_eq!(sql[4], r#"DROP MATERIALIZED VIEW "s"."m__pgview_old""#);
    assert_eq!(
        sql[5],
        r#"ALTER INDEX "s"."m_a__pgview_new" RENAME TO "m_a""#
    );
    assert_eq!(
        sources(&plan.down_steps),
        [("swap".to_owned(), Some(Source::Catalog))]
    );
    assert_has(&plan.down_steps[0].sql[0], "SELECT 1 AS a WITH DATA");
    // Without the option, the same change is a drop and a create.
    assert_eq!(
        outline(&scenario.plan().steps),
        ["drop for rebuild s.m", "recreate s.m"]
    );
}

#[test]
fn no_swap_for_a_materialized_view_that_a_view_reads() {
    let live = ViewState::materialized("s.m", "SELECT 1 AS a");
    let new = ViewState::materialized("s.m", "SELECT 2 AS a");
    let w = ViewState::view("s.w", "SELECT m.a FROM s.m")
        .reading(&["s.m"])
        .out_of_scope();
    let plan = Scenario::new()
        .live(live.clone())
        .live(w)
        .declare(materialized("s.m", "SELECT 2 AS a"), new.clone())
        .changed("s.m", vec![definition(&live, &new)])
        .plan_with(&PlanOptions::new().side_by_side_materialized(true));
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.m",
            "recreate s.m",
            "rebuild s.w"
        ]
    );
}

#[test]
fn table_sql_between_the_drops_and_the_creations() {
    let live = ViewState::view("s.v", "SELECT t.a, t.b FROM s.t")
        .columns(&[("a", "integer"), ("b", "integer")])
        .reading_tables(&["s.t"]);
    let new = ViewState::view("s.v", "SELECT t.b FROM s.t")
        .columns(&[("b", "bigint")])
        .reading_tables(&["s.t"]);
    let plan = Scenario::new()
        .live(live.clone())
        .declare(view("s.v", "SELECT b FROM s.t"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .table_sql(
            "ALTER TABLE s.t ALTER b TYPE bigint",
            "ALTER TABLE s.t ALTER b TYPE integer",
        )
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop for rebuild s.v", "table sql", "recreate s.v"]
    );
    let table = &plan.steps[1];
    assert_eq!(table.kind, StepKind::TableSql);
    assert_eq!((table.view.as_ref(), table.view_kind), (None, None));
    assert_eq!(table.sql, ["ALTER TABLE s.t ALTER b TYPE bigint"]);
    assert_eq!(
        outline(&plan.down_steps),
        ["drop for rebuild s.v", "table sql", "recreate s.v"]
    );
    assert_eq!(
        plan.down_steps[1].sql,
        ["ALTER TABLE s.t ALTER b TYPE integer"]
    );
}

#[test]
fn table_sql_alone_sets_the_search_path() {
    let plan = Scenario::new()
        .table_sql("CREATE TABLE s.t2 (a int)", "DROP TABLE s.t2")
        .plan();
    assert_eq!(outline(&plan.steps), ["table sql"]);
    assert_eq!(outline(&plan.down_steps), ["table sql"]);
    assert!(plan.search_path.is_some());
    let up = plan.up_sql();
    assert_has(&up, "CREATE TABLE s.t2 (a int);\n");
}

#[test]
fn move_to_another_schema() {
    let old = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("t.v", "SELECT 1 AS a").comment("moved");
    let reader = ViewState::view("s.w", "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .out_of_scope();
    let declared = view("t.v", "SELECT 1 AS a").comment("moved").unwrap();
    let plan = Scenario::new()
        .live(old)
        .live(reader)
        .declare(declared, new)
        .moved("t.v", "s.v")
        .changed(
            "t.v",
            vec![Change::Comment {
                column: None,
                before: None,
                after: Some("moved".to_owned()),
            }],
        )
        .plan();
    // Moved, then changed at its new place; the view reading it is not rebuilt.
    assert_eq!(outline(&plan.steps), ["move t.v", "comment t.v"]);
    let moved = &plan.steps[0];
    assert_eq!(moved.kind, StepKind::Move);
    assert_eq!(moved.reason, "moved from s");
    assert_eq!(moved.sql, [r#"ALTER VIEW "s"."v" SET SCHEMA "t""#]);
    assert_eq!(plan.steps[1].sql, [r#"COMMENT ON VIEW "t"."v" IS 'moved'"#]);
    assert_eq!(outline(&plan.down_steps), ["move s.v", "comment s.v"]);
    assert_eq!(plan.down_steps[0].reason, "moved from t");
    assert_eq!(
        plan.down_steps[0].sql,
        [r#"ALTER VIEW "t"."v" SET SCHEMA "s""#]
    );
    assert_eq!(
        plan.down_steps[1].sql,
        [r#"COMMENT ON VIEW "s"."v" IS NULL"#]
    );
}

#[test]
fn refresh_a_materialized_view_reading_a_replaced_view() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 2 AS a");
    let m = ViewState::materialized("s.m", "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .out_of_scope();
    let plan = Scenario::new()
        .live(live.clone())
        .live(m)
        .declare(view("s.v", "SELECT 2 AS a"), new.clone())
        .changed("s.v", vec![definition(&live, &new)])
        .plan();
    assert_eq!(outline(&plan.steps), ["replace s.v", "refresh s.m"]);
    let refresh = &plan.steps[1];
    assert_eq!(
        refresh.kind,
        StepKind::Refresh {
            concurrently: false
        }
    );
    assert_eq!(refresh.view_kind, Some(RelationKind::MaterializedView));
    assert_eq!(refresh.sql, [r#"REFRESH MATERIALIZED VIEW "s"."m""#]);
    assert_eq!(outline(&plan.down_steps), ["replace s.v", "refresh s.m"]);
}
