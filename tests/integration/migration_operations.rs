//! View operations in migrations: each operation and its reverse on the server, the migration
//! sources with diesel's harness, errors, async.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use pgview::{
    ddl::{CheckOption, CommentTarget, Index, QualifiedName},
    migration::{MigrationChain, Operation, OptionChange, ViewMigration, ViewMigrations},
    Error, MaterializedView, View,
};

use crate::migration_support::{applied_versions, snapshot, text};
use crate::support::{conn, has_security_invoker, relkind};

/// The table migrations, as an application embeds them.
const TABLES: EmbeddedMigrations = embed_migrations!("migrations");

fn name(schema: &str, name: &str) -> QualifiedName {
    QualifiedName::new(Some(schema), name).unwrap()
}

fn base_view() -> View {
    View::from_sql("base", "SELECT id, name FROM public.users WHERE id > 0")
        .unwrap()
        .schema("mig_ops")
        .unwrap()
        .comment("the base")
        .unwrap()
        .column_comment("name", "a name")
        .unwrap()
}

fn totals() -> MaterializedView {
    MaterializedView::from_sql(
        "totals",
        "SELECT id, count(*) AS n FROM mig_ops.base GROUP BY id",
    )
    .unwrap()
    .schema("mig_ops")
    .unwrap()
    .index(Index::unique(["id"]).unwrap())
    .unwrap()
    .comment("totals per user")
    .unwrap()
}

/// `base` with another condition and options.
fn replaced_base() -> View {
    // Same columns (a replacement that appends columns cannot be reverted by a replacement:
    // the server cannot drop view columns).
    View::from_sql("base", "SELECT id, name FROM public.users WHERE id > 1")
        .unwrap()
        .schema("mig_ops")
        .unwrap()
        .check_option(CheckOption::Cascaded)
        .security_barrier(true)
}

/// `totals` with another query and a storage parameter.
fn totals_v2() -> MaterializedView {
    MaterializedView::from_sql(
        "totals",
        "SELECT id, count(*) AS n, 2 AS version FROM mig_ops.base GROUP BY id",
    )
    .unwrap()
    .schema("mig_ops")
    .unwrap()
    .index(Index::unique(["id"]).unwrap())
    .unwrap()
    .storage_parameter("fillfactor", "80")
    .unwrap()
}

#[test]
fn every_operation_runs_and_reverts() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA mig_ops")
        .execute(conn)
        .unwrap();
    let empty = snapshot(conn, "mig_ops", false);

    let base = base_view();
    let replaced = replaced_base();
    let totals = totals();
    let totals_v2 = totals_v2();
    // `security_invoker` where the server has it (PostgreSQL 15 and later).
    let invoker = has_security_invoker();
    let mut option_changes = vec![OptionChange::reset("check_option").previous("cascaded")];
    if invoker {
        option_changes.insert(0, OptionChange::set("security_invoker", "true"));
    }
    let migration = ViewMigration::new("2030-01-01-000000_every_operation")
        .unwrap()
        .operation(Operation::create_view(&base).unwrap())
        .operation(Operation::create_materialized_view(&totals).unwrap())
        .operation(Operation::refresh_materialized_view_concurrently(&totals).unwrap())
        .operation(Operation::replace_materialized_view(&totals, &totals_v2).unwrap())
        .operation(Operation::refresh_materialized_view("mig_ops.totals").unwrap())
        .operation(Operation::drop_materialized_view(&totals_v2).unwrap())
        .operation(Operation::replace_view(&base, &replaced).unwrap())
        .operation(Operation::set_view_options("mig_ops.base", option_changes.clone()).unwrap())
        .operation(
            Operation::comment(
                &CommentTarget::View(name("mig_ops", "base")),
                Some("replaced"),
                None,
            )
            .unwrap(),
        )
        .operation(Operation::create_materialized_view(&totals).unwrap())
        .operation(
            Operation::set_materialized_view_options(
                "mig_ops.totals",
                [OptionChange::set("fillfactor", "60")],
            )
            .unwrap(),
        )
        .operation(Operation::rename_view("mig_ops.base", "base renamed").unwrap())
        .operation(Operation::rename_materialized_view("mig_ops.totals", "totals2").unwrap())
        .operation(
            Operation::sql("CREATE TABLE mig_ops.t (x int)", "DROP TABLE mig_ops.t").unwrap(),
        );

    migration.up(conn).unwrap();
    assert_eq!(
        relkind(conn, "mig_ops", "base renamed").as_deref(),
        Some("v")
    );
    assert_eq!(relkind(conn, "mig_ops", "totals2").as_deref(), Some("m"));
    assert_eq!(relkind(conn, "mig_ops", "t").as_deref(), Some("r"));
    let state = snapshot(conn, "mig_ops", false);
    let base_line = state
        .iter()
        .find(|l| l.starts_with("base renamed"))
        .unwrap();
    // Replaced with its options re-stated, then security_invoker set and check_option reset;
    // the column comment of the previous definition is gone, the new comment is set.
    let options = if invoker {
        "{security_barrier=true,security_invoker=true}"
    } else {
        "{security_barrier=true}"
    };
    assert!(base_line.contains(options), "{base_line}");
    assert!(base_line.contains("| replaced |"), "{base_line}");
    assert!(
        base_line.contains("name character varying(100) -"),
        "{base_line}"
    );
    // The replaced query, as this server prints the same query (the qualifiers it writes
    // differ between major versions).
    conn.batch_execute(
        "CREATE SCHEMA mig_ops_reference; \
         CREATE VIEW mig_ops_reference.base AS SELECT id, name FROM public.users WHERE id > 1",
    )
    .unwrap();
    let replaced_query = text(conn, "pg_get_viewdef('mig_ops_reference.base'::regclass)");
    conn.batch_execute("DROP SCHEMA mig_ops_reference CASCADE")
        .unwrap();
    assert!(
        base_line.contains(&format!("| {replaced_query} |")),
        "{base_line}\n{replaced_query}"
    );
    let totals_line = state.iter().find(|l| l.starts_with("totals2 |")).unwrap();
    assert!(totals_line.contains("{fillfactor=60}"), "{totals_line}");
    assert!(totals_line.contains("totals per user"), "{totals_line}");

    migration.down(conn).unwrap();
    assert_eq!(snapshot(conn, "mig_ops", false), empty);

    // Up, then down of a prefix: each reverse restores exactly the state before its operation.
    let created = ViewMigration::new("2030-01-01-000001_create")
        .unwrap()
        .operation(Operation::create_view(&base).unwrap())
        .operation(Operation::create_materialized_view(&totals).unwrap());
    created.up(conn).unwrap();
    let before = snapshot(conn, "mig_ops", false);
    let changes = ViewMigration::new("2030-01-01-000002_change")
        .unwrap()
        .operation(Operation::replace_view(&base, &replaced).unwrap())
        .operation(Operation::replace_materialized_view(&totals, &totals_v2).unwrap());
    changes.up(conn).unwrap();
    assert_ne!(snapshot(conn, "mig_ops", false), before);
    changes.down(conn).unwrap();
    assert_eq!(snapshot(conn, "mig_ops", false), before);
}

#[test]
fn a_failing_step_is_named_and_leaves_nothing() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA mig_fail")
        .execute(conn)
        .unwrap();
    let reader = View::from_sql("reader", "SELECT id FROM mig_fail.base")
        .unwrap()
        .schema("mig_fail")
        .unwrap();
    let base = View::from_sql("base", "SELECT id FROM public.users")
        .unwrap()
        .schema("mig_fail")
        .unwrap();
    ViewMigration::new("2030-03-01-000000_setup")
        .unwrap()
        .operation(Operation::create_view(&base).unwrap())
        .operation(Operation::create_view(&reader).unwrap())
        .up(conn)
        .unwrap();
    let before = snapshot(conn, "mig_fail", true);

    // Dropping a view that another reads is refused (no CASCADE): the first step ran, and is
    // rolled back with the rest.
    let migration = ViewMigration::new("2030-03-01-000001_drop_base")
        .unwrap()
        .operation(Operation::rename_view("mig_fail.reader", "reader2").unwrap())
        .operation(Operation::drop_view(&base).unwrap());
    let err = migration.up(conn).unwrap_err();
    match &err {
        Error::MigrationStep {
            migration, step, ..
        } => {
            assert_eq!(migration, "migration 2030-03-01-000001_drop_base");
            assert_eq!(step, "step 2 of 2 (drop view mig_fail.base)");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("depend"), "{err}");
    assert_eq!(snapshot(conn, "mig_fail", true), before);
}

#[test]
fn bad_input_is_refused_clearly() {
    let v = View::from_sql("v", "SELECT 1 AS id").unwrap();
    let w = View::from_sql("w", "SELECT 1 AS id").unwrap();
    assert!(matches!(
        Operation::replace_view(&v, &w),
        Err(Error::InvalidMigration { .. })
    ));
    assert!(matches!(
        Operation::set_view_options("v", Vec::<OptionChange>::new()),
        Err(Error::InvalidMigration { .. })
    ));
    assert!(matches!(
        Operation::set_view_options("v", [OptionChange::set("a", "1"), OptionChange::reset("a")]),
        Err(Error::InvalidMigration { .. })
    ));
    assert!(matches!(
        Operation::set_view_options("v", [OptionChange::set("a.b.c", "1")]),
        Err(Error::InvalidDefinition { .. })
    ));
    assert!(matches!(
        Operation::rename_view("v", &"x".repeat(64)),
        Err(Error::InvalidIdentifier { .. })
    ));
    assert!(matches!(
        Operation::sql("SELECT '\0'", ""),
        Err(Error::InvalidMigration { .. })
    ));
    assert!(matches!(
        ViewMigration::new("create_views"),
        Err(Error::InvalidMigration { .. })
    ));
    let one = ViewMigration::new("2030-01-01-000000_a").unwrap();
    let same_version = ViewMigration::new("2030-01-01-000000_b").unwrap();
    let err = ViewMigrations::new()
        .migration(one)
        .unwrap()
        .migration(same_version)
        .unwrap_err();
    assert!(err.to_string().contains("2030-01-01-000000_a"), "{err}");
}

#[test]
fn chained_sources_are_ordered_by_version_and_refuse_duplicates() {
    let views = ViewMigrations::new()
        .migration(ViewMigration::new("2024-01-01-000000_first_view").unwrap())
        .unwrap()
        .migration(ViewMigration::new("2024-01-01-000003_later_view").unwrap())
        .unwrap();
    let chain = MigrationChain::new(TABLES, &views);
    let names: Vec<String> = MigrationSource::<Pg>::migrations(&chain)
        .unwrap()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "2024-01-01-000000_first_view",
            "2024-01-01-000001_create_users_orders",
            "2024-01-01-000002_create_mood_enum",
            "2024-01-01-000003_later_view",
        ]
    );
    let clash = ViewMigrations::new()
        .migration(ViewMigration::new("2024-01-01-000001_clash").unwrap())
        .unwrap();
    let err = MigrationSource::<Pg>::migrations(&clash.chain(TABLES))
        .err()
        .unwrap();
    assert!(err.to_string().contains("same version"), "{err}");
}

#[test]
fn the_harness_runs_and_reverts_view_migrations_with_the_table_migrations() {
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let before = applied_versions(conn);
    let active = View::from_sql("mig_active", "SELECT id, name FROM users")
        .unwrap()
        .security_barrier(true);
    let counts =
        MaterializedView::from_sql("mig_counts", "SELECT count(*) AS n FROM mig_active").unwrap();
    let views = ViewMigrations::new()
        .migration(
            ViewMigration::new("2030-04-01-000000_active")
                .unwrap()
                .operation(Operation::create_view(&active).unwrap()),
        )
        .unwrap()
        .migration(
            ViewMigration::new("2030-04-02-000000_counts")
                .unwrap()
                .operation(Operation::create_materialized_view(&counts).unwrap()),
        )
        .unwrap();

    let ran = conn.run_pending_migrations(views.chain(TABLES)).unwrap();
    let ran: Vec<String> = ran.iter().map(ToString::to_string).collect();
    assert_eq!(ran, ["20300401000000", "20300402000000"]);
    assert_eq!(relkind(conn, "public", "mig_counts").as_deref(), Some("m"));
    assert_eq!(applied_versions(conn).len(), before.len() + 2);
    assert!(!conn.has_pending_migration(views.chain(TABLES)).unwrap());

    conn.revert_last_migration(views.chain(TABLES)).unwrap();
    assert_eq!(relkind(conn, "public", "mig_counts"), None);
    assert_eq!(relkind(conn, "public", "mig_active").as_deref(), Some("v"));
    conn.revert_last_migration(views.chain(TABLES)).unwrap();
    assert_eq!(relkind(conn, "public", "mig_active"), None);
    assert_eq!(applied_versions(conn), before);
}

/// On an async connection (a module of its own: `diesel_async::RunQueryDsl` is imported).
#[cfg(feature = "async")]
mod on_async {
    use diesel::QueryableByName;
    use diesel_async::{AsyncPgConnection, RunQueryDsl};
    use pgview::{
        migration::{Operation, ViewMigration},
        View,
    };

    use crate::support::async_conn;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    async fn count(conn: &mut AsyncPgConnection, name: &str) -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM pg_class WHERE relname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result::<N>(conn)
            .await
            .unwrap()
            .n
    }

    #[tokio::test]
    async fn async_up_and_down() {
        let conn = &mut async_conn().await;
        let view = View::from_sql("mig_async_v", "SELECT id FROM users")
            .unwrap()
            .comment("async")
            .unwrap();
        let migration = ViewMigration::new("2030-05-01-000000_async")
            .unwrap()
            .operation(Operation::create_view(&view).unwrap())
            .operation(Operation::rename_view("mig_async_v", "mig_async_w").unwrap());
        migration.up_async(conn).await.unwrap();
        assert_eq!(count(conn, "mig_async_w").await, 1);
        migration.down_async(conn).await.unwrap();
        assert_eq!(count(conn, "mig_async_v").await, 0);
        assert_eq!(count(conn, "mig_async_w").await, 0);

        // A failing step rolls back what ran before it.
        let failing = ViewMigration::new("2030-05-01-000001_failing")
            .unwrap()
            .operation(Operation::create_view(&view).unwrap())
            .operation(Operation::sql("SELECT 1/0", "").unwrap());
        let err = failing.up_async(conn).await.unwrap_err();
        assert!(err.to_string().contains("division by zero"), "{err}");
        assert_eq!(count(conn, "mig_async_v").await, 0);
    }
}
