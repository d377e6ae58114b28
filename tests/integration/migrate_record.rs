//! The ownership record lets a comparison skip what nothing changed: a declared view whose
//! definition is the one pgview applied (same hash) and whose catalog rows are the ones that
//! migration left (same stamp) is unchanged without being created again; a change by hand,
//! a changed declaration, or a change of a view it reads is compared in full; `full(true)`
//! compares everything. The result is always the full comparison's.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use pgview::{
    ddl::Index,
    diff::{DiffOptions, DiffScope, DiffStatus, ViewSet},
    MaterializedView, View,
};

use crate::migrate_support::apply;

fn declared(extra_filter: &str) -> ViewSet {
    with_base(&format!(
        "SELECT id, name FROM users WHERE id > 0{extra_filter}"
    ))
}

fn with_base(base: &str) -> ViewSet {
    ViewSet::new()
        .with_view(
            View::from_sql("base", base)
                .unwrap()
                .schema("rec \"1\"")
                .unwrap(),
        )
        .with_view(
            View::from_sql("reader", "SELECT id FROM \"rec \"\"1\"\"\".base")
                .unwrap()
                .schema("rec \"1\"")
                .unwrap(),
        )
        .with_view(
            View::from_sql("alone", "SELECT 1 AS one")
                .unwrap()
                .schema("rec \"1\"")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql(
                "totals",
                "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id",
            )
            .unwrap()
            .schema("rec \"1\"")
            .unwrap()
            .index(Index::unique(["user_id"]).unwrap())
            .unwrap(),
        )
}

/// Compares with the record and in full, checks that both say the same, and returns the
/// comparison with the record.
fn compare(conn: &mut PgConnection, set: &ViewSet) -> pgview::diff::ViewDiff {
    let scope = DiffScope::managed();
    let with_record =
        pgview::diff::diff_with(conn, set, &DiffOptions::new().scope(scope.clone())).unwrap();
    let full =
        pgview::diff::diff_with(conn, set, &DiffOptions::new().scope(scope).full(true)).unwrap();
    assert_eq!(full.proven_unchanged(), 0);
    assert_eq!(with_record.to_string(), full.to_string());
    let (a, b) = (with_record.plan().unwrap(), full.plan().unwrap());
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.down_steps, b.down_steps);
    with_record
}

/// Compares `set` with the record in batches of 1, 2, 7 and unlimited views: each gives
/// `expected` (the same result, plan and number of views proven unchanged).
fn same_in_every_batch(conn: &mut PgConnection, set: &ViewSet, expected: &pgview::diff::ViewDiff) {
    for size in [1, 2, 7, usize::MAX] {
        let options = DiffOptions::new()
            .scope(DiffScope::managed())
            .batch_size(size);
        let other = pgview::diff::diff_with(conn, set, &options).unwrap();
        assert_eq!(other.to_string(), expected.to_string(), "batches of {size}");
        assert_eq!(
            other.proven_unchanged(),
            expected.proven_unchanged(),
            "batches of {size}"
        );
        assert_eq!(
            other.plan().unwrap().steps,
            expected.plan().unwrap().steps,
            "batches of {size}"
        );
    }
}

#[test]
fn only_changed_views_are_compared_again() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE SCHEMA \"rec \"\"1\"\"\"")
        .unwrap();

    // Nothing recorded yet: everything is compared.
    let first = compare(conn, &declared(""));
    assert_eq!(first.proven_unchanged(), 0);
    apply(conn, &first.plan().unwrap().up_sql()).unwrap();

    // Applied by pgview and untouched since: proven unchanged, no view created again.
    let again = compare(conn, &declared(""));
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.proven_unchanged(), 4);

    // A refresh changes nothing pgview records.
    conn.batch_execute("REFRESH MATERIALIZED VIEW \"rec \"\"1\"\"\".totals")
        .unwrap();
    assert_eq!(compare(conn, &declared("")).proven_unchanged(), 4);

    // A comment made by hand on `alone`: compared in full (and found changed); the others are
    // still proven.
    conn.batch_execute("COMMENT ON VIEW \"rec \"\"1\"\"\".alone IS 'by hand'")
        .unwrap();
    let commented = compare(conn, &declared(""));
    assert_eq!(commented.proven_unchanged(), 3);
    assert!(matches!(
        commented.get("rec \"1\"", "alone").unwrap().status,
        DiffStatus::Changed(_)
    ));
    conn.batch_execute("COMMENT ON VIEW \"rec \"\"1\"\"\".alone IS NULL")
        .unwrap();
    // Undone by hand: the catalog is again what the migration left (no comment row).
    let undone = compare(conn, &declared(""));
    assert!(undone.is_empty(), "{undone}");
    assert_eq!(undone.proven_unchanged(), 4);

    // A definition replaced by hand with the same text: its rule is written again, so it is
    // compared (and unchanged); the view reading it is proven too (what it reads keeps its
    // columns).
    conn.batch_execute(
        "CREATE OR REPLACE VIEW \"rec \"\"1\"\"\".base AS SELECT id, name FROM users WHERE id > 0",
    )
    .unwrap();
    let replaced = compare(conn, &declared(""));
    assert!(replaced.is_empty(), "{replaced}");
    assert_eq!(replaced.proven_unchanged(), 3, "reader, alone and totals");

    // A changed declaration: that view and what reads it are compared; the plan is the full
    // comparison's.
    let changed = compare(conn, &declared(" AND id < 1000"));
    assert!(matches!(
        changed.get("rec \"1\"", "base").unwrap().status,
        DiffStatus::Changed(_)
    ));
    assert_eq!(
        changed.proven_unchanged(),
        3,
        "the reader: base keeps its columns"
    );
    apply(conn, &changed.plan().unwrap().up_sql()).unwrap();
    // The migration recorded what it changed, and the views found out of date: all proven.
    let after = compare(conn, &declared(" AND id < 1000"));
    assert!(after.is_empty(), "{after}");
    assert_eq!(after.proven_unchanged(), 4);

    // A declaration that changes a column's type: the view reading it is compared, and found
    // changed (its column follows).
    let retyped = with_base("SELECT id::bigint AS id, name FROM users WHERE id > 0 AND id < 1000");
    let retyped = compare(conn, &retyped);
    assert_eq!(retyped.proven_unchanged(), 2, "alone and totals");
    assert!(matches!(
        retyped.get("rec \"1\"", "reader").unwrap().status,
        DiffStatus::Changed(_)
    ));
}

/// Chains of views applied by pgview, then a changed declaration at the bottom of each: one
/// that keeps its columns (the views above stay as they are, proven unchanged without being
/// created) and one that retypes a column (the views above are created again, in the same
/// batch as the view they read, and change). Every batch size gives the full comparison's
/// result.
#[test]
fn chains_over_a_changed_view_give_the_same_result_in_every_batch() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let chains = |keep: &str, retype: &str| {
        let mut set = ViewSet::new();
        for (chain, bottom) in [("k", keep), ("r", retype)] {
            set = set.with_view(View::from_sql(&format!("{chain}0"), bottom).unwrap());
            for level in 1..5 {
                let sql = format!(
                    "SELECT id, name FROM {chain}{} WHERE id > {level}",
                    level - 1
                );
                set = set.with_view(View::from_sql(&format!("{chain}{level}"), &sql).unwrap());
            }
        }
        set
    };
    let first = compare(
        conn,
        &chains("SELECT id, name FROM users", "SELECT id, name FROM users"),
    );
    apply(conn, &first.plan().unwrap().up_sql()).unwrap();
    let changed = chains(
        "SELECT id, name FROM users WHERE id > 0",
        "SELECT id::bigint AS id, name FROM users",
    );
    let expected = compare(conn, &changed);
    assert_eq!(expected.proven_unchanged(), 4, "k1 to k4:\n{expected}");
    for level in 1..5 {
        assert!(matches!(
            expected.get("public", &format!("r{level}")).unwrap().status,
            DiffStatus::Changed(_)
        ));
    }
    same_in_every_batch(conn, &changed, &expected);
}

/// A view that appends a column changes nothing for a view reading it that names every
/// column it uses and not the new one: that reader is proven unchanged without being created
/// again. Readers the new column may change are compared in full, with the full comparison's
/// result, in batches of every size: `*` expands to it, `NATURAL` joins on it (`users` has an
/// `email` too), an unqualified `email` that named the outer query's column now names it, and
/// references to the whole row or the row type (which the text does not show; found
/// changed or not by the server).
#[test]
fn readers_that_name_their_columns_ignore_appended_columns() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let set = |base: &str| {
        let mut set = ViewSet::new().with_view(View::from_sql("b", base).unwrap());
        for (name, sql) in [
            ("named", "SELECT id, name FROM b WHERE id > 1"),
            ("named_above", "SELECT id FROM named"),
            ("counted", "SELECT count(*) AS n FROM b"),
            ("star", "SELECT * FROM b"),
            ("star_above", "SELECT id FROM star"),
            ("natural", "SELECT id FROM b NATURAL JOIN users"),
            (
                "shadowed",
                "SELECT u.id FROM users u WHERE EXISTS \
                 (SELECT 1 FROM b WHERE b.id = u.id AND email IS NOT NULL)",
            ),
            ("whole_row", "SELECT b.id, b AS r FROM b"),
            ("row_type", "SELECT id, NULL::b AS r FROM b"),
        ] {
            set = set.with_view(View::from_sql(name, sql).unwrap());
        }
        set
    };
    let first = compare(conn, &set("SELECT id, name FROM users"));
    apply(conn, &first.plan().unwrap().up_sql()).unwrap();
    let appended = set("SELECT id, name, email FROM users");
    let expected = compare(conn, &appended);
    for changed in ["b", "star", "natural", "shadowed"] {
        assert!(
            matches!(
                expected.get("public", changed).unwrap().status,
                DiffStatus::Changed(_)
            ),
            "{changed}:\n{expected}"
        );
    }
    // `named`, `named_above`, `counted`, and `star_above` (`star` appends `email` too).
    assert_eq!(expected.proven_unchanged(), 4, "{expected}");
    same_in_every_batch(conn, &appended, &expected);
    // Applied: the readers kept are what the full comparison finds.
    apply(conn, &expected.plan().unwrap().up_sql()).unwrap();
    let after = compare(conn, &appended);
    assert!(after.is_empty(), "{after}");
}

/// The stamp a migration records (a subquery per view) and the one the comparison's selection
/// computes (each part grouped for every view at once) are the same text for every part of
/// it: a view with a comment, a column comment, a trigger, a rule and a column default, and a
/// materialized view with indexes, applied by pgview, are proven unchanged afterwards.
#[test]
fn the_selection_stamp_is_the_recorded_stamp() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA stamp;
         CREATE TABLE stamp.log (note text);
         CREATE VIEW stamp.v AS SELECT id, name FROM users;
         COMMENT ON VIEW stamp.v IS 'the view';
         COMMENT ON COLUMN stamp.v.name IS 'a name';
         ALTER VIEW stamp.v ALTER COLUMN id SET DEFAULT 42;
         CREATE FUNCTION stamp.on_insert() RETURNS trigger LANGUAGE plpgsql
           AS $$BEGIN INSERT INTO stamp.log VALUES ('insert'); RETURN NEW; END$$;
         CREATE TRIGGER v_insert INSTEAD OF INSERT ON stamp.v
           FOR EACH ROW EXECUTE FUNCTION stamp.on_insert();
         CREATE RULE v_delete AS ON DELETE TO stamp.v DO INSTEAD INSERT INTO stamp.log VALUES ('delete');
         CREATE MATERIALIZED VIEW stamp.m AS SELECT id, name FROM stamp.v;
         CREATE UNIQUE INDEX m_id ON stamp.m (id);
         CREATE INDEX m_name ON stamp.m (name);",
    )
    .unwrap();
    let set = ViewSet::new()
        .with_view(
            View::from_sql("v", "SELECT id, name FROM users")
                .unwrap()
                .schema("stamp")
                .unwrap()
                .comment("the view")
                .unwrap()
                .column_comment("name", "a name")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql("m", "SELECT id, name FROM stamp.v")
                .unwrap()
                .schema("stamp")
                .unwrap()
                .index(Index::unique(["id"]).unwrap().named("m_id").unwrap())
                .unwrap()
                .index(Index::new(["name"]).unwrap().named("m_name").unwrap())
                .unwrap(),
        );
    let first = compare(conn, &set);
    assert_eq!(first.proven_unchanged(), 0);
    apply(conn, &first.plan().unwrap().up_sql()).unwrap();
    let again = compare(conn, &set);
    assert!(again.is_empty(), "{again}");
    assert_eq!(again.proven_unchanged(), 2, "{again}");
}
