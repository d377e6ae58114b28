//! `pgview::diff::diff`: normalisation through the server, what is compared, errors, async form.

use std::fmt::Write as _;

use diesel::connection::SimpleConnection;
use pgview::{
    catalog::RelationKind,
    ddl::{CheckOption, Index},
    diff::{Change, DiffScope, DiffStatus, ViewSet},
    MaterializedView, View,
};

use crate::migrate_support::snapshot;
use crate::support::conn;

/// Complex views, declared with the same SQL that made them, give no difference.
#[test]
fn unchanged_complex_views_give_no_difference() {
    let conn = &mut conn();
    let views = [
        ("in_list", "SELECT id, name FROM public.users WHERE id IN (1, 2, 3) AND name NOT IN ('x', 'y')"),
        ("star", "SELECT * FROM users"),
        ("casts", "SELECT id::bigint AS big, total::int AS whole, created_at::date AS day, status::varchar(10) AS st FROM orders"),
        ("joined", "SELECT u.name, count(o.id) AS n, sum(o.total) FILTER (WHERE o.status = 'paid') AS paid FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.name HAVING count(*) > 0 ORDER BY 2 DESC"),
        ("windowed", "SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at) AS rn FROM orders"),
        ("subq", "SELECT id FROM users WHERE EXISTS (SELECT 1 FROM orders WHERE orders.user_id = users.id) AND id = ANY (SELECT user_id FROM orders)"),
        ("mood_lit", "SELECT 'happy'::mood AS m, ARRAY[1, 2]::int[] AS arr, E'a\\\\b' AS backslash, 'it''s' AS quote"),
        ("on_view", "SELECT s.id FROM mg_unch.star s WHERE s.name LIKE 'A%'"),
    ];
    let mut setup = String::from("CREATE SCHEMA mg_unch; CREATE SCHEMA mg_unch_other;");
    let mut set = ViewSet::new();
    for (name, sql) in views {
        write!(setup, "CREATE VIEW mg_unch.{name} AS {sql};").unwrap();
        set.add(
            View::from_sql(name, sql)
                .unwrap()
                .schema("mg_unch")
                .unwrap(),
        );
    }
    setup.push_str(
        "CREATE RECURSIVE VIEW mg_unch.counting (n) AS SELECT 1 UNION ALL SELECT n + 1 FROM counting WHERE n < 5;
         CREATE VIEW mg_unch_other.opts WITH (security_barrier = true, check_option = local) AS SELECT id, name FROM users WHERE id > 0;
         COMMENT ON VIEW mg_unch_other.opts IS 'options'; COMMENT ON COLUMN mg_unch_other.opts.name IS 'the name';
         CREATE MATERIALIZED VIEW mg_unch_other.totals WITH (fillfactor = 70) AS SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id;
         CREATE UNIQUE INDEX totals_user_id_idx ON mg_unch_other.totals (user_id);",
    );
    conn.batch_execute(&setup).unwrap();
    let set = set
        .with_view(
            View::from_sql(
                "counting",
                "SELECT 1 UNION ALL SELECT n + 1 FROM counting WHERE n < 5",
            )
            .unwrap()
            .schema("mg_unch")
            .unwrap()
            .columns(["n"])
            .unwrap()
            .recursive()
            .unwrap(),
        )
        .with_view(
            View::from_sql("opts", "SELECT id, name FROM users WHERE id > 0")
                .unwrap()
                .schema("mg_unch_other")
                .unwrap()
                .security_barrier(true)
                .check_option(CheckOption::Local)
                .comment("options")
                .unwrap()
                .column_comment("name", "the name")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql(
                "totals",
                "SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id",
            )
            .unwrap()
            .schema("mg_unch_other")
            .unwrap()
            .storage_parameter("fillfactor", "70")
            .unwrap()
            .index(Index::unique(["user_id"]).unwrap())
            .unwrap(),
        );
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    assert!(diff.is_empty(), "{diff}");
    assert_eq!(diff.entries().len(), 11);
    assert!(diff.plan().unwrap().steps.is_empty());
    assert_eq!(diff.to_string(), "11 unchanged\n");
}

/// Each aspect is compared and reported separately.
#[test]
fn reports_each_aspect() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA mg_asp;
         CREATE VIEW mg_asp.cols AS SELECT id, name FROM users;
         CREATE VIEW mg_asp.def AS SELECT id FROM users WHERE id > 1;
         CREATE VIEW mg_asp.opts AS SELECT id FROM users;
         CREATE VIEW mg_asp.comm AS SELECT id FROM users;
         CREATE MATERIALIZED VIEW mg_asp.idx AS SELECT id FROM users;
         CREATE MATERIALIZED VIEW mg_asp.kind AS SELECT id FROM users;
         CREATE VIEW mg_asp.gone AS SELECT id FROM users;",
    )
    .unwrap();
    let in_schema = |v: View| v.schema("mg_asp").unwrap();
    let set = ViewSet::new()
        .with_view(in_schema(
            View::from_sql("cols", "SELECT id, name, email FROM users").unwrap(),
        ))
        .with_view(in_schema(
            View::from_sql("def", "SELECT id FROM users WHERE id > 2").unwrap(),
        ))
        .with_view(
            in_schema(View::from_sql("opts", "SELECT id FROM users").unwrap())
                .security_barrier(true),
        )
        .with_view(
            in_schema(View::from_sql("comm", "SELECT id FROM users").unwrap())
                .comment("c")
                .unwrap(),
        )
        .with_materialized(
            MaterializedView::from_sql("idx", "SELECT id FROM users")
                .unwrap()
                .schema("mg_asp")
                .unwrap()
                .index(Index::unique(["id"]).unwrap())
                .unwrap(),
        )
        .with_view(in_schema(
            View::from_sql("kind", "SELECT id FROM users").unwrap(),
        ))
        .with_view(in_schema(
            View::from_sql("new", "SELECT id FROM users").unwrap(),
        ));
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    let aspects = |name: &str| match &diff.get("mg_asp", name).unwrap().status {
        DiffStatus::Changed(changes) => changes.iter().map(Change::aspect).collect::<Vec<_>>(),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(aspects("cols"), ["columns", "definition"]);
    assert_eq!(aspects("def"), ["definition"]);
    assert_eq!(aspects("opts"), ["options"]);
    assert_eq!(aspects("comm"), ["comment"]);
    assert_eq!(aspects("idx"), ["indexes"]);
    assert_eq!(aspects("kind"), ["kind"]);
    assert_eq!(
        diff.get("mg_asp", "new").unwrap().status,
        DiffStatus::Created
    );
    let gone = diff.get("mg_asp", "gone").unwrap();
    assert_eq!(gone.status, DiffStatus::Dropped);
    assert_eq!(gone.kind, RelationKind::View);
    let report = diff.stat().to_string();
    assert!(report.contains("~ view mg_asp.cols: changed\n    columns: (id integer, name character varying(100)) -> (id integer, name character varying(100), email text)\n    definition"), "{report}");
    assert!(report.contains("+ view mg_asp.new: created"), "{report}");
    assert!(report.contains("- view mg_asp.gone: dropped"), "{report}");
    assert!(report.ends_with("0 unchanged\n"), "{report}");
}

/// Declared views may read each other in any order; they are created by rounds.
#[test]
fn declared_views_reading_each_other_in_any_order() {
    let conn = &mut conn();
    conn.batch_execute("CREATE SCHEMA mg_order").unwrap();
    let mut set = ViewSet::new();
    // c reads b reads a, declared last-first; none exists yet.
    for (name, sql) in [
        ("c", "SELECT id FROM mg_order.b"),
        ("b", "SELECT id FROM mg_order.a"),
        ("a", "SELECT id FROM users"),
    ] {
        set.add(
            View::from_sql(name, sql)
                .unwrap()
                .schema("mg_order")
                .unwrap(),
        );
    }
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    assert_eq!(diff.changes().count(), 3);
    let plan = diff.plan().unwrap();
    let created: Vec<_> = plan.steps.iter().map(|s| s.view.clone().unwrap()).collect();
    assert_eq!(created, ["mg_order.a", "mg_order.b", "mg_order.c"]);
}

/// Declared views the server refuses are all reported, with its messages; nothing is left.
#[test]
fn refused_declared_views_are_reported() {
    let conn = &mut conn();
    conn.batch_execute("CREATE SCHEMA mg_bad").unwrap();
    let before = snapshot(conn, &["mg_bad"]);
    let set = ViewSet::new()
        .with_view(
            View::from_sql("typo", "SELECT idd FROM users")
                .unwrap()
                .schema("mg_bad")
                .unwrap(),
        )
        .with_view(
            View::from_sql("missing", "SELECT * FROM mg_bad.nothing")
                .unwrap()
                .schema("mg_bad")
                .unwrap(),
        )
        .with_view(
            View::from_sql("fine", "SELECT id FROM users")
                .unwrap()
                .schema("mg_bad")
                .unwrap(),
        );
    match pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()) {
        Err(pgview::Error::DeclaredViewsRejected { views }) => {
            assert_eq!(views.len(), 2, "{views:?}");
            assert_eq!(views[0].0, "mg_bad.missing");
            assert!(views[0].1.contains("does not exist"), "{views:?}");
            assert_eq!(views[1].0, "mg_bad.typo");
            assert!(views[1].1.contains("idd"), "{views:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(snapshot(conn, &["mg_bad"]), before);
    // The connection is still usable, its search_path untouched.
    assert_eq!(
        crate::migrate_support::query_text(conn, "current_setting('search_path')"),
        "\"$user\", public"
    );
}

/// Table aliases do not make a difference (the server's query trees are compared without
/// them, as a Diesel query never has them and a hand-written view often does); a column alias
/// that a whole-row reference shows does.
#[test]
fn table_aliases_are_not_a_difference() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA mg_alias;
         CREATE VIEW mg_alias.joined AS SELECT u.id AS user_id, count(o.id) AS n
           FROM users u LEFT JOIN orders AS o ON o.user_id = u.id GROUP BY u.id;
         CREATE VIEW mg_alias.rows AS SELECT to_json(s) AS j FROM (SELECT 1 AS a) s(b);",
    )
    .unwrap();
    let set = ViewSet::new()
        .with_view(
            View::from_sql(
                "joined",
                "SELECT users.id AS user_id, count(orders.id) AS n \
                 FROM users LEFT JOIN orders ON orders.user_id = users.id GROUP BY users.id",
            )
            .unwrap()
            .schema("mg_alias")
            .unwrap(),
        )
        .with_view(
            View::from_sql("rows", "SELECT to_json(s) AS j FROM (SELECT 1 AS a) s")
                .unwrap()
                .schema("mg_alias")
                .unwrap(),
        );
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_only()).unwrap();
    assert_eq!(
        diff.get("mg_alias", "joined").unwrap().status,
        DiffStatus::Unchanged,
        "{diff}"
    );
    assert!(
        matches!(
            diff.get("mg_alias", "rows").unwrap().status,
            DiffStatus::Changed(_)
        ),
        "{diff}"
    );
}

/// A name declared twice is an error, naming both declarations when they are known.
#[test]
fn declared_twice_names_both_declarations() {
    let conn = &mut conn();
    let mut set = ViewSet::new();
    set.declare(
        View::from_sql("twice_origin", "SELECT 1 AS x").unwrap(),
        "struct `app::A`",
    )
    .unwrap();
    set.declare(
        View::from_sql("twice_origin", "SELECT 1 AS x")
            .unwrap()
            .schema("public")
            .unwrap(),
        "file views/public.twice_origin.sql",
    )
    .unwrap();
    let error = pgview::diff::diff(conn, &set, &DiffScope::declared_only()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid definition of public.twice_origin: it is declared twice: by struct `app::A` \
         and by file views/public.twice_origin.sql"
    );
}

/// A name declared twice is an error, as is a temporary view.
#[test]
fn declared_twice_is_an_error() {
    let conn = &mut conn();
    let set = ViewSet::new()
        .with_view(View::from_sql("twice", "SELECT 1 AS x").unwrap())
        .with_view(
            View::from_sql("twice", "SELECT 1 AS x")
                .unwrap()
                .schema("public")
                .unwrap(),
        );
    assert!(matches!(
        pgview::diff::diff(conn, &set, &DiffScope::declared_only()),
        Err(pgview::Error::InvalidDefinition { name, .. }) if name == "public.twice"
    ));
}

/// Views of extensions and excluded views are never dropped; `declared_only` drops nothing.
#[test]
fn scopes() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA mg_scope_a; CREATE SCHEMA mg_scope_b;
         CREATE VIEW mg_scope_a.kept AS SELECT 1 AS x;
         CREATE VIEW mg_scope_a.legacy AS SELECT 1 AS x;
         CREATE VIEW mg_scope_a.old AS SELECT 1 AS x;
         CREATE VIEW mg_scope_b.other AS SELECT 1 AS x;",
    )
    .unwrap();
    let set = ViewSet::new().with_view(
        View::from_sql("kept", "SELECT 1 AS x")
            .unwrap()
            .schema("mg_scope_a")
            .unwrap(),
    );
    let dropped = |scope: &DiffScope, conn: &mut diesel::PgConnection| {
        let diff = pgview::diff::diff(conn, &set, scope).unwrap();
        diff.changes()
            .filter(|e| e.status == DiffStatus::Dropped)
            .map(pgview::diff::DiffEntry::fullname)
            .filter(|n| n.starts_with("mg_scope"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        dropped(&DiffScope::declared_schemas(), conn),
        ["mg_scope_a.legacy", "mg_scope_a.old"]
    );
    assert_eq!(
        dropped(
            &DiffScope::declared_schemas()
                .exclude(["mg_scope_a.legacy"])
                .unwrap(),
            conn
        ),
        ["mg_scope_a.old"]
    );
    assert_eq!(
        dropped(
            &DiffScope::schemas(["mg_scope_a", "mg_scope_b"]).unwrap(),
            conn
        ),
        ["mg_scope_a.legacy", "mg_scope_a.old", "mg_scope_b.other"]
    );
    assert!(dropped(&DiffScope::declared_only(), conn).is_empty());
    let all = dropped(&DiffScope::all_schemas(), conn);
    assert!(all.contains(&"mg_scope_b.other".to_owned()), "{all:?}");
}

/// A view that belongs to an extension is never in scope, whatever the scope: not dropped, not
/// reported (here a view made a member of `plpgsql`, which needs a role that owns it; the
/// test says so and stops when the role may not).
#[test]
fn extension_views_are_never_in_scope() {
    use diesel::Connection as _;

    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA mg_ext; CREATE VIEW mg_ext.member AS SELECT 1 AS x;
         CREATE VIEW mg_ext.plain AS SELECT 1 AS x;",
    )
    .unwrap();
    let added =
        conn.transaction(|c| c.batch_execute("ALTER EXTENSION plpgsql ADD VIEW mg_ext.member"));
    if let Err(e) = added {
        eprintln!("skipped: the role may not add a view to plpgsql ({e})");
        return;
    }
    for scope in [
        DiffScope::schemas(["mg_ext"]).unwrap(),
        DiffScope::all_schemas(),
        DiffScope::declared_schemas(),
    ] {
        let declared = ViewSet::new().with_view(
            View::from_sql("plain", "SELECT 1 AS x")
                .unwrap()
                .schema("mg_ext")
                .unwrap(),
        );
        let diff = pgview::diff::diff(conn, &declared, &scope).unwrap();
        let named: Vec<String> = diff
            .entries()
            .iter()
            .map(pgview::diff::DiffEntry::fullname)
            .filter(|n| n.starts_with("mg_ext."))
            .collect();
        assert_eq!(named, ["mg_ext.plain"], "{scope:?}: {diff}");
    }
}

#[cfg(feature = "async")]
fn is_send<T: Send>(future: T) -> T {
    future
}

/// The async form gives the same result, and its future is `Send`.
#[cfg(feature = "async")]
#[tokio::test]
async fn async_diff_is_the_same() {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = crate::support::async_conn().await;
    conn.batch_execute(
        "CREATE SCHEMA mg_async; CREATE VIEW mg_async.v AS SELECT id FROM users WHERE id IN (1, 2);",
    )
    .await
    .unwrap();
    let set = ViewSet::new()
        .with_view(
            View::from_sql("v", "SELECT id FROM users WHERE id IN (1, 2)")
                .unwrap()
                .schema("mg_async")
                .unwrap(),
        )
        .with_view(
            View::from_sql("w", "SELECT id FROM mg_async.v")
                .unwrap()
                .schema("mg_async")
                .unwrap(),
        );
    let scope = DiffScope::declared_schemas();
    let diff = is_send(pgview::aio::diff(&mut conn, &set, &scope))
        .await
        .unwrap();
    assert_eq!(
        diff.get("mg_async", "v").unwrap().status,
        DiffStatus::Unchanged
    );
    assert_eq!(
        diff.get("mg_async", "w").unwrap().status,
        DiffStatus::Created
    );
}

/// Objects that are not views and depend on a view the plan drops are named in a warning (the
/// `DROP` would fail); the plan still never uses `CASCADE`.
#[test]
fn warns_about_objects_that_block_a_drop() {
    let conn = &mut conn();
    conn.batch_execute(
        "CREATE SCHEMA mg_block;
         CREATE VIEW mg_block.v AS SELECT id, name FROM users;
         CREATE FUNCTION mg_block.rows() RETURNS SETOF mg_block.v LANGUAGE sql AS 'SELECT * FROM mg_block.v';",
    )
    .unwrap();
    let set = ViewSet::new().with_view(
        View::from_sql("v", "SELECT id FROM users")
            .unwrap()
            .schema("mg_block")
            .unwrap(),
    );
    let plan = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas())
        .unwrap()
        .plan()
        .unwrap();
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    assert!(
        plan.warnings[0].contains(
            "mg_block.v is dropped by the migration, but function mg_block.rows() depend(s) on it"
        ),
        "{:?}",
        plan.warnings
    );
    assert!(!plan.up_sql().contains("CASCADE"));
    assert!(crate::migrate_support::apply(conn, &plan.up_sql()).is_err());
}

/// A comparison holds the locks of its rolled-back transaction only while it runs, also inside
/// an enclosing transaction (its savepoint is rolled back): another session can read the views
/// right after. The session's own settings are untouched.
#[test]
fn leaves_no_lock_and_no_setting_behind() {
    use diesel::Connection;
    let db = pgview_testkit::fresh_database();
    let conn = &mut diesel::PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE SCHEMA mg_locks; CREATE VIEW mg_locks.v AS SELECT 1 AS x;")
        .unwrap();
    conn.begin_test_transaction().unwrap();
    let set = ViewSet::new().with_view(
        View::from_sql("v", "SELECT 2 AS x")
            .unwrap()
            .schema("mg_locks")
            .unwrap(),
    );
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    assert_eq!(diff.changes().count(), 1);
    assert_eq!(
        crate::migrate_support::query_text(
            conn,
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'mg_locks.v'::regclass"
        ),
        "0"
    );
    let other = &mut diesel::PgConnection::establish(db.url()).unwrap();
    assert_eq!(
        crate::migrate_support::query_text(other, "SELECT x FROM mg_locks.v"),
        "1"
    );
    assert_eq!(
        crate::migrate_support::query_text(conn, "current_setting('jit')"),
        crate::migrate_support::query_text(
            conn,
            "SELECT reset_val FROM pg_settings WHERE name = 'jit'"
        )
    );
}
