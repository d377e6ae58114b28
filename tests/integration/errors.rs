//! Bad input: each gets a clear pgview error, and nothing wrong reaches the server.

use diesel::data_types::PgMoney;
use diesel::prelude::*;
use diesel::sql_types::Money;
use pgview::{
    ConcurrentRefreshPrecondition, DropMaterializedView, DropView, Error, Index, MaterializedView,
    QualifiedName, RefreshMaterializedView, RelationKind, View,
};

use crate::support::{conn, relkind};

#[test]
fn invalid_identifiers_are_refused_before_any_sql() {
    for name in ["", "a\0b", &"x".repeat(64), &"é".repeat(32)] {
        let err = View::from_sql(name, "SELECT 1").unwrap_err();
        assert!(
            matches!(err, Error::InvalidIdentifier { .. }),
            "{name:?}: {err}"
        );
        let err = MaterializedView::from_sql("ok", "SELECT 1")
            .unwrap()
            .schema(name)
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidIdentifier { .. }),
            "{name:?}: {err}"
        );
        assert!(Index::new([name]).is_err());
    }
    let err = View::from_sql(&"x".repeat(64), "SELECT 1").unwrap_err();
    assert!(err.to_string().contains("longer than 63 bytes"), "{err}");
}

#[test]
fn unsupported_value_types_are_named() {
    let err = View::new(
        "money_view",
        diesel::select(PgMoney(100).into_sql::<Money>()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedLiteralType { type_name } if type_name == "money"),
        "{err}"
    );
    assert!(err.to_string().contains("`money`"), "{err}");
}

#[test]
fn placeholders_in_sql_text_are_refused() {
    let err = View::from_sql("p", "SELECT * FROM users WHERE id = $1").unwrap_err();
    assert!(
        matches!(err, Error::ParameterInSql { ref placeholder, .. } if placeholder == "$1"),
        "{err}"
    );
    // Inside a string constant it is just text.
    assert!(View::from_sql("p", "SELECT '$1' AS x").is_ok());
}

#[test]
fn option_combinations_are_checked() {
    let err = View::from_sql("r", "SELECT 1")
        .unwrap()
        .recursive()
        .unwrap_err();
    assert!(err.to_string().contains("column list"), "{err}");
    let err = View::from_sql("t", "SELECT 1")
        .unwrap()
        .schema("s")
        .unwrap()
        .temporary()
        .unwrap_err();
    assert!(err.to_string().contains("temporary"), "{err}");
    let err = View::from_sql("c", "SELECT 1")
        .unwrap()
        .columns(["a", "a"])
        .unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
    let err = MaterializedView::from_sql(&"m".repeat(60), "SELECT 1 AS id")
        .unwrap()
        .index(Index::unique(["id"]).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("Index::named"), "{err}");
}

#[test]
fn concurrent_refresh_without_unique_index_is_refused_before_sending() {
    let conn = &mut conn();
    let mv = MaterializedView::from_sql("err_no_index", "SELECT 1 AS id").unwrap();
    mv.create().execute(conn).unwrap();
    let err = Error::from(mv.refresh().concurrently().execute(conn).unwrap_err());
    assert!(
        matches!(
            &err,
            Error::ConcurrentRefresh { name: Some(name), precondition: ConcurrentRefreshPrecondition::MissingUniqueIndex }
                if name == "err_no_index"
        ),
        "{err}"
    );
    // Nothing was sent: the transaction is still usable.
    mv.refresh().execute(conn).unwrap();

    // By name, the definition is unknown: the server refuses and the error is mapped.
    let by_name = RefreshMaterializedView::named(QualifiedName::new(None, "err_no_index").unwrap());
    let err = Error::from(by_name.concurrently().execute(conn).unwrap_err());
    assert!(
        matches!(
            &err,
            Error::ConcurrentRefresh { precondition: ConcurrentRefreshPrecondition::MissingUniqueIndex, name: Some(name) }
                if name.ends_with("err_no_index")
        ),
        "{err}"
    );
}

#[test]
fn concurrent_refresh_of_an_unpopulated_view_is_mapped() {
    let conn = &mut conn();
    let mv = MaterializedView::from_sql("err_unpopulated", "SELECT 1 AS id")
        .unwrap()
        .with_data(false)
        .index(Index::unique(["id"]).unwrap())
        .unwrap();
    mv.create().execute(conn).unwrap();
    let err = Error::from(mv.refresh().concurrently().execute(conn).unwrap_err());
    assert!(
        matches!(
            err,
            Error::ConcurrentRefresh {
                precondition: ConcurrentRefreshPrecondition::NotPopulated,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("not populated"), "{err}");
}

#[test]
fn drop_of_the_wrong_kind_names_the_actual_kind() {
    let conn = &mut conn();
    let mv = MaterializedView::from_sql("err_kind_mv", "SELECT 1 AS id").unwrap();
    let view = View::from_sql("err_kind_v", "SELECT 1 AS id").unwrap();
    mv.create().execute(conn).unwrap();
    view.create().execute(conn).unwrap();

    diesel::sql_query("SAVEPOINT s").execute(conn).unwrap();
    let err = Error::from(
        DropView::new(mv.name().clone())
            .if_exists()
            .execute(conn)
            .unwrap_err(),
    );
    diesel::sql_query("ROLLBACK TO SAVEPOINT s")
        .execute(conn)
        .unwrap();
    assert!(
        matches!(
            &err,
            Error::WrongKind { name, expected: RelationKind::View, actual: RelationKind::MaterializedView }
                if name == "err_kind_mv"
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "err_kind_mv is a materialized view, not a view"
    );

    let err = Error::from(
        DropMaterializedView::new(view.name().clone())
            .execute(conn)
            .unwrap_err(),
    );
    diesel::sql_query("ROLLBACK TO SAVEPOINT s")
        .execute(conn)
        .unwrap();
    assert!(
        matches!(
            &err,
            Error::WrongKind {
                expected: RelationKind::MaterializedView,
                actual: RelationKind::View,
                ..
            }
        ),
        "{err}"
    );
    // Both still exist.
    assert_eq!(relkind(conn, "public", "err_kind_mv").as_deref(), Some("m"));
    assert_eq!(relkind(conn, "public", "err_kind_v").as_deref(), Some("v"));
}

#[test]
fn unknown_views_are_not_found() {
    let conn = &mut conn();
    let err = pgview::get_view_definition(conn, "no_such_view").unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { name, .. } if name == "no_such_view"),
        "{err}"
    );
}
