//! The statements added for migrations, run on the server: rename, set and reset options,
//! grant, owner.

use diesel::{Connection, RunQueryDsl};
use pgview::{
    ddl::{
        CheckOption, Grant, Grantee, Ident, Privilege, QualifiedName, RenameMaterializedView,
        RenameView, ResetMaterializedViewOptions, ResetViewOptions, SetMaterializedViewOptions,
        SetMaterializedViewOwner, SetViewOptions, SetViewOwner,
    },
    MaterializedView, View,
};

use crate::migration_support::text;
use crate::support::{conn, has_security_invoker, relkind};

fn name(schema: &str, name: &str) -> QualifiedName {
    QualifiedName::new(Some(schema), name).unwrap()
}

#[test]
fn rename_keeps_the_relation_and_its_kind() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA \"mig ddl\"")
        .execute(conn)
        .unwrap();
    View::from_sql("v one", "SELECT 1 AS id")
        .unwrap()
        .schema("mig ddl")
        .unwrap()
        .create()
        .execute(conn)
        .unwrap();
    let mv = MaterializedView::from_sql("m\"one", "SELECT 1 AS id")
        .unwrap()
        .schema("mig ddl")
        .unwrap();
    mv.create().execute(conn).unwrap();
    let oid = text(conn, "'\"mig ddl\".\"v one\"'::regclass::oid");

    RenameView::new(name("mig ddl", "v one"), Ident::new("v two").unwrap())
        .execute(conn)
        .unwrap();
    RenameMaterializedView::new(name("mig ddl", "m\"one"), Ident::new("m two").unwrap())
        .execute(conn)
        .unwrap();
    assert_eq!(relkind(conn, "mig ddl", "v two").as_deref(), Some("v"));
    assert_eq!(relkind(conn, "mig ddl", "m two").as_deref(), Some("m"));
    assert_eq!(text(conn, "'\"mig ddl\".\"v two\"'::regclass::oid"), oid);

    // IF EXISTS: nothing to rename is no error; the wrong kind is.
    RenameView::new(name("mig ddl", "nothing"), Ident::new("x").unwrap())
        .if_exists()
        .execute(conn)
        .unwrap();
    let err = RenameView::new(name("mig ddl", "m two"), Ident::new("x").unwrap())
        .execute(conn)
        .map_err(pgview::Error::from)
        .unwrap_err();
    assert!(err.to_string().contains("m two"), "{err}");
}

#[test]
fn options_are_set_and_reset() {
    let conn = &mut conn();
    View::from_sql("mig_opts_v", "SELECT id, name FROM users WHERE id > 0")
        .unwrap()
        .create()
        .execute(conn)
        .unwrap();
    let options = |conn: &mut _, rel: &str| {
        text(
            conn,
            &format!(
                "SELECT coalesce(reloptions::text, '-') FROM pg_class WHERE relname = '{rel}'"
            ),
        )
    };
    let set = SetViewOptions::new(name("public", "mig_opts_v"))
        .check_option(CheckOption::Local)
        .security_barrier(true);
    let reset = ResetViewOptions::new(name("public", "mig_opts_v"))
        .option("check_option")
        .unwrap();
    if has_security_invoker() {
        set.security_invoker(true).execute(conn).unwrap();
        assert_eq!(
            options(conn, "mig_opts_v"),
            "{check_option=local,security_barrier=true,security_invoker=true}"
        );
        reset
            .option("security_invoker")
            .unwrap()
            .execute(conn)
            .unwrap();
    } else {
        // Before PostgreSQL 15 the server refuses the option (in a savepoint: the test goes on).
        let refused = conn
            .transaction(|conn| set.clone().security_invoker(true).execute(conn))
            .unwrap_err();
        let refused = pgview::Error::from(refused);
        assert!(
            matches!(
                refused,
                pgview::Error::UnsupportedByServer { since: 15, .. }
            ),
            "{refused:?}"
        );
        set.execute(conn).unwrap();
        assert_eq!(
            options(conn, "mig_opts_v"),
            "{check_option=local,security_barrier=true}"
        );
        reset.execute(conn).unwrap();
    }
    assert_eq!(options(conn, "mig_opts_v"), "{security_barrier=true}");

    MaterializedView::from_sql("mig_opts_m", "SELECT 1 AS id")
        .unwrap()
        .create()
        .execute(conn)
        .unwrap();
    SetMaterializedViewOptions::new(name("public", "mig_opts_m"))
        .option("fillfactor", "70")
        .unwrap()
        .option("autovacuum_enabled", "false")
        .unwrap()
        .execute(conn)
        .unwrap();
    assert_eq!(
        options(conn, "mig_opts_m"),
        "{fillfactor=70,autovacuum_enabled=false}"
    );
    ResetMaterializedViewOptions::new(name("public", "mig_opts_m"))
        .option("fillfactor")
        .unwrap()
        .execute(conn)
        .unwrap();
    assert_eq!(options(conn, "mig_opts_m"), "{autovacuum_enabled=false}");
}

#[test]
fn empty_option_lists_are_refused_before_sending() {
    let conn = &mut conn();
    let err = SetViewOptions::new(name("public", "nothing"))
        .execute(conn)
        .map_err(pgview::Error::from)
        .unwrap_err();
    assert!(
        matches!(err, pgview::Error::InvalidDefinition { .. }),
        "{err:?}"
    );
    let err = ResetMaterializedViewOptions::new(name("public", "nothing"))
        .execute(conn)
        .map_err(pgview::Error::from)
        .unwrap_err();
    assert!(
        matches!(err, pgview::Error::InvalidDefinition { .. }),
        "{err:?}"
    );
    let err = Grant::new(name("public", "nothing"), Grantee::Public)
        .execute(conn)
        .map_err(pgview::Error::from)
        .unwrap_err();
    assert!(
        matches!(err, pgview::Error::InvalidDefinition { .. }),
        "{err:?}"
    );
}

#[test]
fn grants_and_owner() {
    let conn = &mut conn();
    let me = text(conn, "current_user");
    View::from_sql("mig_grant_v", "SELECT id FROM users")
        .unwrap()
        .create()
        .execute(conn)
        .unwrap();
    Grant::new(name("public", "mig_grant_v"), Grantee::Public)
        .privilege(Privilege::Select)
        .execute(conn)
        .unwrap();
    Grant::new(
        name("public", "mig_grant_v"),
        Grantee::Role(Ident::new(&me).unwrap()),
    )
    .privilege(Privilege::Insert)
    .with_grant_option()
    .execute(conn)
    .unwrap();
    let acl = text(
        conn,
        "SELECT relacl::text FROM pg_class WHERE relname = 'mig_grant_v'",
    );
    assert!(acl.contains("=r/"), "{acl}");

    SetViewOwner::new(name("public", "mig_grant_v"), Ident::new(&me).unwrap())
        .execute(conn)
        .unwrap();
    MaterializedView::from_sql("mig_owner_m", "SELECT 1 AS id")
        .unwrap()
        .create()
        .execute(conn)
        .unwrap();
    SetMaterializedViewOwner::new(name("public", "mig_owner_m"), Ident::new(&me).unwrap())
        .execute(conn)
        .unwrap();
    assert_eq!(
        text(
            conn,
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'mig_owner_m'"
        ),
        me
    );
}
