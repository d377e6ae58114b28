//! Indexes of materialized views as PostgreSQL has them (expressions, `WHERE`, methods,
//! `INCLUDE`, per-part options, names): created from the builder, compared with live indexes
//! through the server, re-created by a migration when they differ.
//!
//! No deparsed text is asserted: what the builder makes is compared with what the same server
//! prints for an index written by hand.

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use pgview::{
    catalog::RelationKind,
    ddl::{Index, IndexPart},
    diff::{Change, DiffScope, DiffStatus, ViewSet},
    MaterializedView,
};

use crate::migrate_support::{run, step_lines, Scenario};
use crate::support::conn;

/// A `rental_category`-like query: one row per user with data for every index kind.
const QUERY: &str = "SELECT u.id AS user_id, u.name, u.email, u.created_at, \
    count(o.id) AS orders, array_agg(o.status) AS statuses \
    FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id";

/// Hand-written `CREATE INDEX` statements (as a user, Pagila or a Rails app writes them) and
/// the same indexes declared with the builder, spelled differently where the server makes
/// the same index of both.
fn indexes(schema: &str, view: &str) -> (String, Vec<Index>) {
    let on = format!("{schema}.{view}");
    let sql = format!(
        "CREATE UNIQUE INDEX {view}_pk ON {on} (user_id);
         CREATE INDEX index_users_on_lower_email ON {on} (lower(email));
         CREATE INDEX {view}_named_partial ON {on} (name) WHERE orders > 0;
         CREATE INDEX {view}_statuses ON {on} USING gin (statuses);
         CREATE INDEX {view}_created ON {on} USING brin (created_at);
         CREATE INDEX {view}_hash ON {on} USING hash (email);
         CREATE INDEX {view}_spgist ON {on} USING spgist (email);
         CREATE INDEX {view}_range ON {on} USING gist (tstzrange(created_at, created_at, '[]'));
         CREATE UNIQUE INDEX {view}_cover ON {on} (user_id) INCLUDE (name, email);
         CREATE INDEX {view}_sorted ON {on} (name COLLATE \"C\" varchar_pattern_ops DESC NULLS LAST, created_at NULLS FIRST);"
    );
    let named = |index: Index, name: &str| index.named(name).unwrap();
    let declared = vec![
        named(Index::unique(["user_id"]).unwrap(), &format!("{view}_pk")),
        named(
            Index::expression("lower( email ) -- as Rails writes it").unwrap(),
            "index_users_on_lower_email",
        ),
        named(
            Index::new(["name"]).unwrap().where_sql("orders>0").unwrap(),
            &format!("{view}_named_partial"),
        ),
        named(
            Index::new(["statuses"]).unwrap().using("gin").unwrap(),
            &format!("{view}_statuses"),
        ),
        named(
            Index::new(["created_at"]).unwrap().using("brin").unwrap(),
            &format!("{view}_created"),
        ),
        named(
            Index::new(["email"]).unwrap().using("hash").unwrap(),
            &format!("{view}_hash"),
        ),
        named(
            Index::new(["email"]).unwrap().using("spgist").unwrap(),
            &format!("{view}_spgist"),
        ),
        named(
            Index::expression("tstzrange(created_at, created_at, '[]')")
                .unwrap()
                .using("gist")
                .unwrap(),
            &format!("{view}_range"),
        ),
        named(
            Index::unique(["user_id"])
                .unwrap()
                .include(["name", "email"])
                .unwrap(),
            &format!("{view}_cover"),
        ),
        named(
            Index::on([
                IndexPart::column("name")
                    .unwrap()
                    .collate("C")
                    .unwrap()
                    .opclass("varchar_pattern_ops")
                    .unwrap()
                    .desc()
                    .nulls_last(),
                IndexPart::column("created_at").unwrap().nulls_first(),
            ])
            .unwrap(),
            &format!("{view}_sorted"),
        ),
    ];
    (sql, declared)
}

fn declared_view(schema: &str, view: &str, indexes: Vec<Index>) -> MaterializedView {
    let mut mv = MaterializedView::from_sql(view, QUERY)
        .unwrap()
        .schema(schema)
        .unwrap();
    for index in indexes {
        mv = mv.index(index).unwrap();
    }
    mv
}

#[derive(QueryableByName)]
struct Def {
    #[diesel(sql_type = Text)]
    def: String,
}

/// The index definitions of `relation`, each after its `ON relation` (so two relations'
/// indexes compare), ordered by index name.
fn index_tails(conn: &mut PgConnection, relation: &str) -> Vec<String> {
    diesel::sql_query(format!(
        "SELECT i.relname || ' ' || split_part(pg_get_indexdef(x.indexrelid), ' ON ' || '{relation}', 2) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = '{relation}'::regclass ORDER BY i.relname"
    ))
    .load::<Def>(conn)
    .unwrap()
    .into_iter()
    .map(|d| d.def)
    .collect()
}

/// The builder's statements make, on the server, the indexes written by hand.
#[test]
fn every_kind_is_created_as_the_same_index_as_written_by_hand() {
    let conn = &mut conn();
    conn.batch_execute(&format!(
        "CREATE SCHEMA ix_ddl_hand; CREATE SCHEMA ix_ddl_made;
         CREATE MATERIALIZED VIEW ix_ddl_hand.rc AS {QUERY};"
    ))
    .unwrap();
    let (hand, declared) = indexes("ix_ddl_hand", "rc");
    conn.batch_execute(&hand).unwrap();
    let made = declared_view("ix_ddl_made", "rc", declared);
    made.create().execute(conn).unwrap();
    let hand = index_tails(conn, "ix_ddl_hand.rc");
    assert_eq!(hand.len(), 10);
    assert_eq!(index_tails(conn, "ix_ddl_made.rc"), hand);
}

/// A Pagila-like `rental_category` with a unique index and named expression, partial,
/// method, covering and sorted indexes, declared as they are: no difference.
#[test]
fn live_indexes_declared_the_same_give_no_difference() {
    let conn = &mut conn();
    conn.batch_execute(&format!(
        "CREATE SCHEMA ix_same; CREATE MATERIALIZED VIEW ix_same.rental_category AS {QUERY};"
    ))
    .unwrap();
    let (hand, declared) = indexes("ix_same", "rental_category");
    conn.batch_execute(&hand).unwrap();
    let set =
        ViewSet::new().with_materialized(declared_view("ix_same", "rental_category", declared));
    let diff = pgview::diff::diff(conn, &set, &DiffScope::declared_schemas()).unwrap();
    assert!(diff.is_empty(), "{diff}");
    assert!(diff.plan().unwrap().steps.is_empty());
}

/// A changed `WHERE`, method, expression or `INCLUDE` list is a difference; the migration
/// drops and re-creates those indexes under their declared names, leaves the others, and its
/// down gives back the original ones.
#[test]
fn a_changed_where_method_or_expression_recreates_the_index() {
    let conn = &mut conn();
    let setup = format!(
        "CREATE SCHEMA ix_chg; CREATE MATERIALIZED VIEW ix_chg.m AS {QUERY};
         CREATE UNIQUE INDEX m_pk ON ix_chg.m (user_id);
         CREATE INDEX m_partial ON ix_chg.m (name) WHERE orders > 0;
         CREATE INDEX m_method ON ix_chg.m USING hash (email);
         CREATE INDEX m_expr ON ix_chg.m (lower(email));
         CREATE INDEX m_cover ON ix_chg.m (user_id) INCLUDE (name);"
    );
    let declared = declared_view(
        "ix_chg",
        "m",
        vec![
            Index::unique(["user_id"]).unwrap().named("m_pk").unwrap(),
            Index::new(["name"])
                .unwrap()
                .where_sql("orders > 1")
                .unwrap()
                .named("m_partial")
                .unwrap(),
            Index::new(["email"])
                .unwrap()
                .using("btree")
                .unwrap()
                .named("m_method")
                .unwrap(),
            Index::expression("upper(email)")
                .unwrap()
                .named("m_expr")
                .unwrap(),
            Index::new(["user_id"])
                .unwrap()
                .include(["name", "email"])
                .unwrap()
                .named("m_cover")
                .unwrap(),
        ],
    );
    let scenario = Scenario::new(
        &setup,
        &["ix_chg"],
        ViewSet::new().with_materialized(declared),
    );
    run(conn, &scenario, |conn, outcome| {
        let entry = outcome.diff.get("ix_chg", "m").unwrap();
        assert_eq!(entry.kind, RelationKind::MaterializedView);
        let DiffStatus::Changed(changes) = &entry.status else {
            panic!("{:?}", entry.status)
        };
        assert_eq!(
            changes,
            &[Change::Indexes {
                added: vec![],
                removed: vec![],
                changed: ["m_cover", "m_expr", "m_method", "m_partial"]
                    .map(String::from)
                    .to_vec(),
            }]
        );
        assert_eq!(step_lines(&outcome.plan), ["indexes ix_chg.m"]);
        let up = outcome.plan.up_sql();
        for name in ["m_cover", "m_expr", "m_method", "m_partial"] {
            assert!(
                up.contains(&format!("DROP INDEX \"ix_chg\".\"{name}\"")),
                "{up}"
            );
            assert!(up.contains(&format!("INDEX \"{name}\" ON")), "{up}");
        }
        assert!(!up.contains("m_pk"), "{up}");
        // The indexes are those a hand-written statement makes.
        if let Err(e) = conn.batch_execute(&format!(
            "CREATE SCHEMA ix_chg_ref; CREATE MATERIALIZED VIEW ix_chg_ref.m AS {QUERY};
             CREATE UNIQUE INDEX m_pk ON ix_chg_ref.m (user_id);
             CREATE INDEX m_partial ON ix_chg_ref.m (name) WHERE orders > 1;
             CREATE INDEX m_method ON ix_chg_ref.m USING btree (email);
             CREATE INDEX m_expr ON ix_chg_ref.m (upper(email));
             CREATE INDEX m_cover ON ix_chg_ref.m (user_id) INCLUDE (name, email);"
        )) {
            panic!("{e}");
        }
        let reference: Vec<String> = index_tails(conn, "ix_chg_ref.m");
        conn.batch_execute("DROP SCHEMA ix_chg_ref CASCADE")
            .unwrap();
        assert_eq!(index_tails(conn, "ix_chg.m"), reference);
    });
}

/// A unique index on an expression or with a `WHERE` clause is not what
/// `REFRESH … CONCURRENTLY` needs: the definition says so, as the server does.
#[test]
fn only_a_plain_full_unique_index_allows_a_concurrent_refresh() {
    let conn = &mut conn();
    conn.batch_execute("CREATE SCHEMA ix_conc").unwrap();
    let cases = [
        (Index::unique(["user_id"]).unwrap(), true),
        (
            Index::unique(["user_id"])
                .unwrap()
                .include(["name"])
                .unwrap(),
            true,
        ),
        (
            Index::unique_on([IndexPart::expression("user_id + 0").unwrap()]).unwrap(),
            false,
        ),
        (
            Index::unique(["user_id"])
                .unwrap()
                .where_sql("orders > 0")
                .unwrap(),
            false,
        ),
        (Index::new(["user_id"]).unwrap(), false),
    ];
    for (i, (index, usable)) in cases.into_iter().enumerate() {
        let name = format!("m{i}");
        let mv = declared_view("ix_conc", &name, vec![index]);
        assert_eq!(mv.can_refresh_concurrently(), usable, "{name}");
        mv.create().execute(conn).unwrap();
        let refreshed = conn
            .batch_execute(&format!(
                "SAVEPOINT s; REFRESH MATERIALIZED VIEW CONCURRENTLY ix_conc.{name}; RELEASE s;"
            ))
            .is_ok();
        if !refreshed {
            conn.batch_execute("ROLLBACK TO s; RELEASE s").unwrap();
        }
        assert_eq!(refreshed, usable, "{name}: the server agrees");
    }
}

/// Text that is not one expression is refused before any SQL is written.
#[test]
fn expressions_and_predicates_are_one_expression() {
    for bad in [
        "lower(email)); DROP TABLE users; --",
        "a) OR (b",
        "a, b",
        "$1",
        "",
    ] {
        let error = Index::expression(bad).unwrap_err().to_string();
        assert!(error.contains("not one expression"), "{bad:?}: {error}");
        let error = Index::new(["a"]).unwrap().where_sql(bad).unwrap_err();
        assert!(error.to_string().contains("WHERE"), "{bad:?}: {error}");
    }
    let error = Index::unique(["a"]).unwrap().using("gin").unwrap_err();
    assert!(error.to_string().contains("btree"), "{error}");
    // An extension's method is an identifier, quoted: an unknown one is the server's error.
    let conn = &mut conn();
    conn.batch_execute(&format!(
        "CREATE SCHEMA ix_method; CREATE MATERIALIZED VIEW ix_method.m AS {QUERY}"
    ))
    .unwrap();
    let mv = MaterializedView::from_sql("m", QUERY)
        .unwrap()
        .schema("ix_method")
        .unwrap()
        .index(
            Index::new(["email"])
                .unwrap()
                .using("no_such_method")
                .unwrap(),
        )
        .unwrap();
    let error = mv.create_indexes()[0]
        .execute(conn)
        .unwrap_err()
        .to_string();
    assert!(error.contains("no_such_method"), "{error}");
}
