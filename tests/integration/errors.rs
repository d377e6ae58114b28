//! Bad input: each gets a clear pgview error, and nothing wrong reaches the server.

use diesel::data_types::PgMoney;
use diesel::dsl;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Money};
use pgview::{
    catalog::RelationKind,
    ddl::{DropMaterializedView, DropView, Index, QualifiedName, RefreshMaterializedView},
    refresh::ConcurrentRefreshPrecondition,
    Error, MaterializedView, View,
};

use crate::support::{conn, relkind, sql, users};

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
fn unsupported_value_types_are_named_with_the_view_and_the_value() {
    let err = View::new(
        "money_view",
        diesel::select(PgMoney(100).into_sql::<Money>()),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedLiteralType { value, type_name }
            if type_name == "money" && value.view == "money_view" && value.number == 1
                && value.select_item == Some(1) && value.column.is_none()),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the value $1 in the query of view money_view (select item 1, after `SELECT `): pgview \
         cannot write a value of SQL type `money` as a literal, and a view's query takes no \
         parameters"
    );
    // A value outside the select list: its number and the text before it place it.
    let err = MaterializedView::new(
        "money_filter",
        users::table
            .filter(users::id.gt(1))
            .filter(
                dsl::sql::<Bool>("1 = 1 AND ")
                    .bind::<Money, _>(PgMoney(5))
                    .sql(" > '0'"),
            )
            .select(users::id),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the value $2 in the query of materialized view money_filter (after `…((\"users\".\"id\" > $1) AND 1 = 1 AND `): \
         pgview cannot write a value of SQL type `money` as a literal, and a view's query takes \
         no parameters"
    );
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
    let err = pgview::catalog::get_view_definition(conn, "no_such_view").unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { name, .. } if name == "no_such_view"),
        "{err}"
    );
}

/// Statements creating the schema `schema` with a view `v` and a materialized view `m`, each
/// read by a view (`<target>_reader`) and a materialized view (`"<target> copy"`) and whose
/// row type a function takes (`<target>_id`).
fn dependents_setup(schema: &str) -> Vec<String> {
    let mut statements = vec![
        format!("CREATE SCHEMA {schema}"),
        format!("CREATE VIEW {schema}.v AS SELECT 1 AS id"),
        format!("CREATE MATERIALIZED VIEW {schema}.m AS SELECT 1 AS id"),
    ];
    for target in ["v", "m"] {
        statements.extend([
            format!("CREATE VIEW {schema}.{target}_reader AS SELECT id FROM {schema}.{target}"),
            format!(
                "CREATE MATERIALIZED VIEW {schema}.\"{target} copy\" AS SELECT id FROM {schema}.{target}"
            ),
            format!(
                "CREATE FUNCTION {schema}.{target}_id(r {schema}.{target}) RETURNS integer \
                 LANGUAGE sql AS 'SELECT ($1).id'"
            ),
        ]);
    }
    statements
}

/// Asserts that `err` is the refusal to drop `<schema>.<target>` listing exactly the
/// dependents [`dependents_setup`] made, as the server names them.
fn assert_dependents(err: &Error, schema: &str, target: &str, expected_kind: RelationKind) {
    let Error::DependentObjects {
        name,
        kind,
        dependents,
        more,
    } = err
    else {
        panic!("not DependentObjects: {err:?}");
    };
    assert_eq!(name, &format!("{schema}.{target}"));
    assert_eq!(*kind, expected_kind);
    assert_eq!(*more, None);
    let mut expected = vec![
        ("view".to_owned(), format!("{schema}.{target}_reader")),
        (
            "materialized view".to_owned(),
            format!("{schema}.\"{target} copy\""),
        ),
        (
            "function".to_owned(),
            format!("{schema}.{target}_id({schema}.{target})"),
        ),
    ];
    let mut actual = dependents.clone();
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot drop {expected_kind} {schema}.{target}: other objects depend on it: "
        )),
        "{message}"
    );
    for (kind, name) in &expected {
        assert!(message.contains(&format!("{kind} {name}")), "{message}");
    }
    assert!(
        message.ends_with(" (drop them first; pgview never adds CASCADE by itself)"),
        "{message}"
    );
}

#[test]
fn drop_of_a_view_others_depend_on_lists_them() {
    let conn = &mut conn();
    let schema = "err_dependents_sync";
    sql(conn, &dependents_setup(schema).join(";\n"));
    for (target, kind) in [
        ("v", RelationKind::View),
        ("m", RelationKind::MaterializedView),
    ] {
        let name = QualifiedName::new(Some(schema), target).unwrap();
        diesel::sql_query("SAVEPOINT s").execute(conn).unwrap();
        let result = if kind == RelationKind::View {
            DropView::new(name).execute(conn)
        } else {
            DropMaterializedView::new(name).execute(conn)
        };
        let err = Error::from(result.unwrap_err());
        diesel::sql_query("ROLLBACK TO SAVEPOINT s")
            .execute(conn)
            .unwrap();
        assert_dependents(&err, schema, target, kind);
    }
    // Nothing was dropped.
    for (name, kind) in [("v", "v"), ("m", "m"), ("v_reader", "v"), ("m copy", "m")] {
        assert_eq!(relkind(conn, schema, name).as_deref(), Some(kind), "{name}");
    }
}

#[test]
fn drop_of_a_view_with_over_100_dependents_counts_those_not_listed() {
    let conn = &mut conn();
    let schema = "err_dependents_many";
    sql(
        conn,
        &format!(
            "CREATE SCHEMA {schema};\n\
             CREATE VIEW {schema}.v AS SELECT 1 AS id;\n\
             DO $$ BEGIN FOR i IN 1..103 LOOP \
             EXECUTE format('CREATE VIEW {schema}.r%s AS SELECT id FROM {schema}.v', i); \
             END LOOP; END $$"
        ),
    );
    let err = Error::from(
        DropView::new(QualifiedName::new(Some(schema), "v").unwrap())
            .execute(conn)
            .unwrap_err(),
    );
    let Error::DependentObjects {
        dependents, more, ..
    } = &err
    else {
        panic!("not DependentObjects: {err:?}");
    };
    // The server lists 100 and counts the others.
    assert_eq!(dependents.len(), 100, "{err}");
    assert_eq!(*more, Some(3), "{err}");
    for (kind, name) in dependents {
        assert_eq!(kind, "view");
        let number: u32 = name
            .strip_prefix(&format!("{schema}.r"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}"));
        assert!((1..=103).contains(&number), "{name}");
    }
    assert!(
        err.to_string()
            .contains(" and 3 other objects the server does not list"),
        "{err}"
    );
}

/// On an async connection (a module of its own: `diesel_async::RunQueryDsl` is imported).
#[cfg(feature = "async")]
mod on_async {
    use diesel_async::RunQueryDsl;
    use pgview::{
        catalog::RelationKind,
        ddl::{DropMaterializedView, DropView, QualifiedName},
        Error,
    };

    use super::{assert_dependents, dependents_setup};
    use crate::support::async_conn;

    #[tokio::test]
    async fn drop_of_a_view_others_depend_on_lists_them() {
        let conn = &mut async_conn().await;
        let schema = "err_dependents_async";
        for statement in dependents_setup(schema) {
            diesel::sql_query(statement).execute(conn).await.unwrap();
        }
        for (target, kind) in [
            ("v", RelationKind::View),
            ("m", RelationKind::MaterializedView),
        ] {
            let name = QualifiedName::new(Some(schema), target).unwrap();
            diesel::sql_query("SAVEPOINT s")
                .execute(conn)
                .await
                .unwrap();
            let result = if kind == RelationKind::View {
                DropView::new(name).execute(conn).await
            } else {
                DropMaterializedView::new(name).execute(conn).await
            };
            let err = Error::from(result.unwrap_err());
            diesel::sql_query("ROLLBACK TO SAVEPOINT s")
                .execute(conn)
                .await
                .unwrap();
            assert_dependents(&err, schema, target, kind);
        }
    }
}

/// A derived view whose query holds a value pgview cannot write: the error names the view and
/// the column, and what needs only the name works.
mod derived_view_values {
    use diesel::data_types::PgMoney;
    use diesel::dsl;
    use diesel::prelude::*;
    use diesel::sql_types::{Integer, Money, Nullable, Text};
    use pgview::refresh::ConcurrentRefreshPrecondition;
    use pgview::{Error, PgView};

    use crate::support::{conn, relkind, seed, sql, users};

    /// Users with a price: the price is a `money` value, which pgview does not write.
    fn priced_users() -> users::BoxedQuery<'static, diesel::pg::Pg, (Integer, Money)> {
        users::table
            .select((users::id, PgMoney(1250).into_sql::<Money>()))
            .into_boxed()
    }

    #[derive(PgView, Queryable, Debug, PartialEq)]
    #[pgview(name = "errors_prices", schema = "reporting", materialized, query = priced_users)]
    #[pgview(unique_index(user_id), comment = "what each user pays")]
    struct Price {
        user_id: i32,
        #[pgview(sql_type = Money, comment = "in dollars")]
        price: PgMoney,
    }

    #[derive(PgView, Queryable, Debug, PartialEq)]
    #[pgview(name = "errors_prices_unindexed", materialized, query = priced_users)]
    struct UnindexedPrice {
        user_id: i32,
        #[pgview(sql_type = Money)]
        price: PgMoney,
    }

    const MESSAGE: &str = "the value $1 in the query of materialized view reporting.errors_prices \
        (column \"price\", after `SELECT \"users\".\"id\", `): pgview cannot write a value of SQL \
        type `money` as a literal, and a view's query takes no parameters";

    #[test]
    fn the_error_names_the_view_and_the_column() {
        let err = Price::create().unwrap_err();
        assert_eq!(err.to_string(), MESSAGE);
        let Error::UnsupportedLiteralType { value, type_name } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(type_name, "money");
        assert_eq!(value.view, "reporting.errors_prices");
        assert_eq!(value.column.as_deref(), Some("price"));
        assert_eq!((value.number, value.select_item), (1, Some(2)));
        // Every use that needs the definition says the same.
        assert_eq!(Price::definition().unwrap_err().to_string(), MESSAGE);
    }

    #[test]
    fn what_needs_only_the_name_works() {
        let conn = &mut conn();
        seed(conn);
        // The view as another tool made it.
        sql(
            conn,
            "CREATE MATERIALIZED VIEW reporting.errors_prices (user_id, price) AS \
               SELECT id, 12.50::money FROM users",
        );
        sql(
            conn,
            "CREATE UNIQUE INDEX ON reporting.errors_prices (user_id)",
        );
        assert_eq!(
            Price::qualified_name().unwrap().fullname(),
            "reporting.errors_prices"
        );
        Price::refresh().unwrap().execute(conn).unwrap();
        Price::refresh()
            .unwrap()
            .concurrently()
            .execute(conn)
            .unwrap();
        Price::verify(conn).unwrap();
        for comment in Price::comment_statements().unwrap() {
            comment.execute(conn).unwrap();
        }
        let comments: (Option<String>, Option<String>) = diesel::select((
            dsl::sql::<Nullable<Text>>("obj_description('reporting.errors_prices'::regclass)"),
            dsl::sql::<Nullable<Text>>("col_description('reporting.errors_prices'::regclass, 2)"),
        ))
        .get_result(conn)
        .unwrap();
        assert_eq!(
            comments,
            (
                Some("what each user pays".into()),
                Some("in dollars".into())
            )
        );
        let prices: Vec<Price> = errors_prices::table
            .order(errors_prices::user_id)
            .load(conn)
            .unwrap();
        assert!(!prices.is_empty());
        assert!(prices.iter().all(|p| p.price == PgMoney(1250)));
        Price::drop().unwrap().execute(conn).unwrap();
        assert_eq!(relkind(conn, "reporting", "errors_prices"), None);
    }

    #[test]
    fn a_concurrent_refresh_without_a_declared_unique_index_is_refused_before_sending() {
        let conn = &mut conn();
        sql(
            conn,
            "CREATE MATERIALIZED VIEW errors_prices_unindexed (user_id, price) AS \
               SELECT id, 12.50::money FROM users",
        );
        let err = Error::from(
            UnindexedPrice::refresh()
                .unwrap()
                .concurrently()
                .execute(conn)
                .unwrap_err(),
        );
        assert!(
            matches!(
                &err,
                Error::ConcurrentRefresh {
                    name: Some(name),
                    precondition: ConcurrentRefreshPrecondition::MissingUniqueIndex
                } if name == "errors_prices_unindexed"
            ),
            "{err}"
        );
        // Nothing was sent: the transaction is still usable.
        UnindexedPrice::refresh().unwrap().execute(conn).unwrap();
        UnindexedPrice::drop().unwrap().execute(conn).unwrap();
    }
}
