//! One scenario per [`StepKind`] that drops or creates views: create, drop, drop for rebuild,
//! recreate, rebuild, replace. The steps up and down, their order and the key parts of
//! their SQL.

use super::*;
use crate::definition::Index;
use crate::snapshot::fixtures::IndexState;

#[test]
fn create_a_declared_view_and_drop_it_down() {
    let v = ViewState::view("s.v", "SELECT 1 AS a");
    let plan = Scenario::new()
        .declare(view("s.v", "SELECT 1 AS a"), v)
        .plan();
    assert_eq!(outline(&plan.steps), ["create s.v"]);
    let create = &plan.steps[0];
    assert_eq!(
        create.kind,
        StepKind::Create {
            from: Source::Declared
        }
    );
    assert_eq!(create.view_kind, Some(RelationKind::View));
    assert_eq!(create.reason, "declared");
    assert_eq!(create.sql, [r#"CREATE VIEW "s"."v" AS SELECT 1 AS a"#]);
    assert_eq!(outline(&plan.down_steps), ["drop s.v"]);
    assert_eq!(plan.down_steps[0].reason, "created by the up migration");
    assert_eq!(plan.down_steps[0].sql, [r#"DROP VIEW "s"."v""#]);
    // Declared SQL is resolved with the comparison's search_path.
    assert_eq!(plan.search_path.as_deref(), Some("\"$user\", public"));
}

#[test]
fn create_a_materialized_view_with_its_indexes_and_comment() {
    let m =
        ViewState::materialized("s.m", "SELECT 1 AS a").index(IndexState::unique("m_a", &["a"]));
    let declared = materialized("s.m", "SELECT 1 AS a")
        .index(Index::unique(["a"]).and_then(|i| i.named("m_a")).unwrap())
        .and_then(|m| m.comment("totals"))
        .unwrap();
    let plan = Scenario::new().declare(declared, m).plan();
    assert_eq!(outline(&plan.steps), ["create s.m"]);
    let sql = &plan.steps[0].sql;
    assert_eq!(
        plan.steps[0].view_kind,
        Some(RelationKind::MaterializedView)
    );
    assert_eq!(sql.len(), 3, "{sql:#?}");
    assert_has(
        &sql[0],
        r#"CREATE MATERIALIZED VIEW "s"."m" AS SELECT 1 AS a WITH DATA"#,
    );
    assert_has(&sql[1], r#"CREATE UNIQUE INDEX "m_a" ON "s"."m""#);
    assert_eq!(
        sql[2],
        r#"COMMENT ON MATERIALIZED VIEW "s"."m" IS 'totals'"#
    );
    assert_eq!(
        plan.down_steps[0].sql,
        [r#"DROP MATERIALIZED VIEW "s"."m""#]
    );
}

#[test]
fn drop_an_undeclared_view_and_create_it_from_the_catalog_down() {
    let old = ViewState::view("s.old", "SELECT t.a FROM s.t").reading_tables(&["s.t"]);
    let plan = Scenario::new().live(old).plan();
    assert_eq!(outline(&plan.steps), ["drop s.old"]);
    assert_eq!(plan.steps[0].kind, StepKind::Drop);
    assert_eq!(plan.steps[0].reason, "not declared");
    assert_eq!(plan.steps[0].sql, [r#"DROP VIEW "s"."old""#]);
    // Only the catalog's SQL: no search_path to set.
    assert_eq!(plan.search_path, None);
    assert_eq!(outline(&plan.down_steps), ["create s.old"]);
    let create = &plan.down_steps[0];
    assert_eq!(
        create.kind,
        StepKind::Create {
            from: Source::Catalog
        }
    );
    assert_eq!(create.reason, "dropped by the up migration");
    assert_eq!(
        create.sql,
        [r#"CREATE VIEW "s"."old" ("a") AS SELECT t.a FROM s.t"#]
    );
}

#[test]
fn drop_for_rebuild_a_view_whose_columns_are_reordered() {
    let live = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let new = ViewState::view("s.v", "SELECT 2 AS b, 1 AS a")
        .columns(&[("b", "integer"), ("a", "integer")]);
    let plan = Scenario::new()
        .live(live.clone())
        .declare(view("s.v", "SELECT 2 AS b, 1 AS a"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop for rebuild s.v", "recreate s.v"]
    );
    let dropped = &plan.steps[0];
    assert_eq!(dropped.kind, StepKind::DropForRebuild);
    assert_eq!(dropped.reason, "changed: columns, definition");
    assert_eq!(dropped.sql, [r#"DROP VIEW "s"."v""#]);
    assert_eq!(
        plan.steps[1].sql,
        [r#"CREATE VIEW "s"."v" AS SELECT 2 AS b, 1 AS a"#]
    );
    assert_eq!(
        sources(&plan.down_steps),
        [
            ("drop for rebuild".to_owned(), None),
            ("recreate".to_owned(), Some(Source::Catalog))
        ]
    );
    assert_eq!(
        plan.down_steps[1].sql,
        [r#"CREATE VIEW "s"."v" ("a", "b") AS SELECT 1 AS a, 2 AS b"#]
    );
}

#[test]
fn recreate_a_materialized_view_whose_query_changes() {
    let live = ViewState::materialized("s.m", "SELECT 1 AS a")
        .index(IndexState::unique("m_a", &["a"]))
        .comment("old");
    let new =
        ViewState::materialized("s.m", "SELECT 2 AS a").index(IndexState::unique("m_a", &["a"]));
    let declared = materialized("s.m", "SELECT 2 AS a")
        .index(Index::unique(["a"]).and_then(|i| i.named("m_a")).unwrap())
        .unwrap();
    let plan = Scenario::new()
        .live(live.clone())
        .declare(declared, new.clone())
        .changed(
            "s.m",
            vec![
                definition(&live, &new),
                Change::Comment {
                    column: None,
                    before: Some("old".to_owned()),
                    after: None,
                },
            ],
        )
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop for rebuild s.m", "recreate s.m"]
    );
    assert_eq!(plan.steps[0].sql, [r#"DROP MATERIALIZED VIEW "s"."m""#]);
    let recreate = &plan.steps[1];
    assert_eq!(
        recreate.kind,
        StepKind::Recreate {
            from: Source::Declared
        }
    );
    assert_eq!(recreate.reason, "changed: definition, comment");
    assert_eq!(recreate.sql.len(), 2, "{:#?}", recreate.sql);
    assert_has(&recreate.sql[0], "SELECT 2 AS a WITH DATA");
    assert_has(&recreate.sql[1], r#"CREATE UNIQUE INDEX "m_a" ON "s"."m""#);
    // Down: the catalog's definition, index and comment.
    assert_eq!(
        outline(&plan.down_steps),
        ["drop for rebuild s.m", "recreate s.m"]
    );
    let back = &plan.down_steps[1].sql;
    assert_eq!(back.len(), 3, "{back:#?}");
    assert_has(&back[0], "SELECT 1 AS a WITH DATA");
    assert_eq!(
        back[1],
        r#"CREATE UNIQUE INDEX "m_a" ON "s"."m" USING btree (a)"#
    );
    assert_eq!(back[2], r#"COMMENT ON MATERIALIZED VIEW "s"."m" IS 'old'"#);
}

#[test]
fn rebuild_an_undeclared_dependent_from_the_catalog() {
    let live = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let new = ViewState::view("s.v", "SELECT 2 AS b, 1 AS a")
        .columns(&[("b", "integer"), ("a", "integer")]);
    let w = ViewState::view("s.w", "SELECT v.a FROM s.v")
        .reading(&["s.v"])
        .out_of_scope();
    let plan = Scenario::new()
        .live(live.clone())
        .live(w)
        .declare(view("s.v", "SELECT 2 AS b, 1 AS a"), new.clone())
        .changed("s.v", vec![columns(&live, &new)])
        .plan();
    assert_eq!(
        outline(&plan.steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.w"
        ]
    );
    assert_eq!(plan.steps[0].reason, "reads s.v, which is dropped");
    let rebuild = &plan.steps[3];
    assert_eq!(
        rebuild.kind,
        StepKind::Rebuild {
            from: Source::Catalog
        }
    );
    assert_eq!(
        rebuild.reason,
        "reads s.v, which is rebuilt; not declared, so rebuilt from its catalog definition"
    );
    assert_eq!(
        rebuild.sql,
        [r#"CREATE VIEW "s"."w" ("a") AS SELECT v.a FROM s.v"#]
    );
    assert_eq!(
        outline(&plan.down_steps),
        [
            "drop for rebuild s.w",
            "drop for rebuild s.v",
            "recreate s.v",
            "rebuild s.w"
        ]
    );
    assert_eq!(plan.down_steps[3].reason, "reads s.v, which is rebuilt");
}

#[test]
fn rebuild_a_declared_dependent_from_its_declaration() {
    let live = ViewState::materialized("s.m", "SELECT 1 AS a");
    let new = ViewState::materialized("s.m", "SELECT 2 AS a");
    let w = ViewState::view("s.w", "SELECT m.a FROM s.m").reading(&["s.m"]);
    let plan = Scenario::new()
        .live(live.clone())
        .live(w.clone())
        .declare(materialized("s.m", "SELECT 2 AS a"), new.clone())
        .declare(view("s.w", "SELECT a FROM m"), w)
        .changed("s.m", vec![definition(&live, &new)])
        .plan();
    assert_eq!(
        sources(&plan.steps),
        [
            ("drop for rebuild".to_owned(), None),
            ("drop for rebuild".to_owned(), None),
            ("recreate".to_owned(), Some(Source::Declared)),
            ("rebuild".to_owned(), Some(Source::Declared))
        ]
    );
    assert_eq!(plan.steps[3].view.as_deref(), Some("s.w"));
    assert_eq!(plan.steps[3].reason, "reads s.m, which is rebuilt");
    assert_eq!(
        plan.steps[3].sql,
        [r#"CREATE VIEW "s"."w" AS SELECT a FROM m"#]
    );
}

#[test]
fn replace_a_plain_view_whose_query_changes() {
    let live = ViewState::view("s.v", "SELECT 1 AS a").options(&["security_barrier=true"]);
    let new = ViewState::view("s.v", "SELECT 2 AS a").options(&["security_barrier=true"]);
    let declared = view("s.v", "SELECT 2 AS a").security_barrier(true);
    let plan = Scenario::new()
        .live(live.clone())
        .declare(declared, new.clone())
        .changed("s.v", vec![definition(&live, &new)])
        .plan();
    assert_eq!(outline(&plan.steps), ["replace s.v"]);
    let replace = &plan.steps[0];
    assert_eq!(
        replace.kind,
        StepKind::Replace {
            from: Source::Declared
        }
    );
    assert_eq!(replace.reason, "changed: definition");
    // The options are re-stated: a bare replace would turn them off.
    assert_has(&replace.sql[0], r#"CREATE OR REPLACE VIEW "s"."v""#);
    assert_has(&replace.sql[0], "security_barrier");
    assert_has(&replace.sql[0], "SELECT 2 AS a");
    assert_eq!(outline(&plan.down_steps), ["replace s.v"]);
    assert_has(&plan.down_steps[0].sql[0], "security_barrier");
    assert_has(&plan.down_steps[0].sql[0], "SELECT 1 AS a");
}

#[test]
fn replace_appending_columns_is_undone_by_a_rebuild() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::view("s.v", "SELECT 1 AS a, 2 AS b")
        .columns(&[("a", "integer"), ("b", "integer")]);
    let plan = Scenario::new()
        .live(live.clone())
        .declare(view("s.v", "SELECT 1 AS a, 2 AS b"), new.clone())
        .changed("s.v", vec![columns(&live, &new), definition(&live, &new)])
        .plan();
    assert_eq!(outline(&plan.steps), ["replace s.v"]);
    // A view cannot lose columns in place.
    assert_eq!(
        outline(&plan.down_steps),
        ["drop for rebuild s.v", "recreate s.v"]
    );
}

#[test]
fn recreate_when_the_kind_changes() {
    let live = ViewState::view("s.v", "SELECT 1 AS a");
    let new = ViewState::materialized("s.v", "SELECT 1 AS a");
    let plan = Scenario::new()
        .live(live)
        .declare(materialized("s.v", "SELECT 1 AS a"), new)
        .changed(
            "s.v",
            vec![Change::Kind {
                before: RelationKind::View,
                after: RelationKind::MaterializedView,
            }],
        )
        .plan();
    assert_eq!(
        outline(&plan.steps),
        ["drop for rebuild s.v", "recreate s.v"]
    );
    assert_eq!(plan.steps[0].sql, [r#"DROP VIEW "s"."v""#]);
    assert_eq!(plan.steps[0].view_kind, Some(RelationKind::View));
    assert_eq!(
        plan.steps[1].view_kind,
        Some(RelationKind::MaterializedView)
    );
    assert_has(&plan.steps[1].sql[0], r#"CREATE MATERIALIZED VIEW "s"."v""#);
    assert_eq!(
        plan.down_steps[0].sql,
        [r#"DROP MATERIALIZED VIEW "s"."v""#]
    );
    assert_has(&plan.down_steps[1].sql[0], r#"CREATE VIEW "s"."v""#);
}

#[test]
fn objects_depending_on_a_dropped_view_are_a_warning() {
    let mut live = ViewState::materialized("s.m", "SELECT 1 AS a");
    live.blockers = vec!["function s.f()".to_owned()];
    let new = ViewState::materialized("s.m", "SELECT 2 AS a");
    let plan = Scenario::new()
        .live(live.clone())
        .declare(materialized("s.m", "SELECT 2 AS a"), new.clone())
        .changed("s.m", vec![definition(&live, &new)])
        .plan();
    assert_eq!(
        plan.warnings,
        ["s.m is dropped by the migration, but function s.f() depend(s) on it: the DROP will fail unless the migration drops and re-creates them (use with_table_sql)"]
    );
    assert_has(
        &plan.up_sql(),
        "-- WARNING: s.m is dropped by the migration",
    );
}
