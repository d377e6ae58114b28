//! Hostile names: a view is created under exactly the name given, and nothing else runs.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use pgview::{ddl::Index, MaterializedView, View};
use proptest::prelude::*;

use crate::support::{conn, relkind};

const HOSTILE: &[&str] = &[
    "x\"; DROP TABLE users; --",
    "it's",
    "semi;colon",
    "with space",
    "MixedCase",
    "ünïcödé ✓ 視圖",
    "a\"b\"\"c",
    "back\\slash",
    "$1",
    "--",
    "/* x */",
];

fn users_count(conn: &mut PgConnection) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>("(SELECT count(*) FROM users)"))
        .get_result(conn)
        .unwrap()
}

#[test]
fn hostile_names_are_created_exactly() {
    let conn = &mut conn();
    diesel::sql_query("CREATE SCHEMA \"sch; DROP TABLE orders; --\"")
        .execute(conn)
        .unwrap();
    let before = users_count(conn);
    for name in HOSTILE {
        let view = View::from_sql(name, "SELECT 1 AS one")
            .unwrap()
            .schema("sch; DROP TABLE orders; --")
            .unwrap()
            .columns([*name])
            .unwrap()
            .comment(name)
            .unwrap();
        view.create().execute(conn).unwrap();
        assert_eq!(
            relkind(conn, "sch; DROP TABLE orders; --", name).as_deref(),
            Some("v"),
            "{name}"
        );
        let column = view.as_table().column::<Integer, _>(*name);
        assert_eq!(
            view.as_table().select(column).load::<i32>(conn).unwrap(),
            vec![1]
        );

        let mv = MaterializedView::from_sql(&format!("m{name}"), "SELECT 1 AS id")
            .unwrap()
            .index(
                Index::unique(["id"])
                    .unwrap()
                    .named(&format!("i{name}"))
                    .unwrap(),
            )
            .unwrap()
            .comment(name)
            .unwrap();
        mv.create().execute(conn).unwrap();
        mv.refresh().concurrently().execute(conn).unwrap();
        assert_eq!(
            relkind(conn, "public", &format!("m{name}")).as_deref(),
            Some("m")
        );
        mv.drop().execute(conn).unwrap();
        view.drop().execute(conn).unwrap();
    }
    assert_eq!(users_count(conn), before);
    assert_eq!(relkind(conn, "public", "orders").as_deref(), Some("r"));
}

/// Any identifier of 1..=63 bytes without NUL.
fn identifier() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[^\\x00]{1,40}")
        .unwrap()
        .prop_map(|mut s| {
            while s.len() > 63 {
                s.pop();
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_identifier_round_trips(name in identifier(), column in identifier()) {
        let conn = &mut conn();
        let view = View::from_sql(&name, "SELECT 'v'::text AS x").unwrap().columns([&column]).unwrap();
        view.create().execute(conn).unwrap();
        let kind = relkind(conn, "public", &name);
        prop_assert_eq!(kind.as_deref(), Some("v"));
        let col = view.as_table().column::<Text, _>(column.clone());
        let values: Vec<String> = view.as_table().select(col).load(conn).unwrap();
        prop_assert_eq!(values, vec!["v".to_string()]);
        let definition = pgview::catalog::get_view_definition(conn, view.name()).unwrap();
        prop_assert!(definition.contains("'v'::text"));
    }
}
