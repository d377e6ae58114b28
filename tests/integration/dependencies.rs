//! Dependencies, reverse dependencies, creation order and dependency graphs. Every scenario
//! runs twice: on a sync `PgConnection` (`pgview::…`) and on an `AsyncPgConnection`
//! (`pgview::aio::…`), each in its own rolled-back transaction and schemas.

use diesel::connection::SimpleConnection;
use diesel::PgConnection;
#[cfg(feature = "async")]
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use pgview::{
    catalog::{
        DependencyGraph, DependencyOrder, GraphScope, RelationKind, ReverseDependency,
        ViewDependency, ViewFilter,
    },
    ddl::{QualifiedName, RelationName},
    Error, MaterializedView, View,
};

#[cfg(feature = "async")]
use crate::support::async_conn;
use crate::support::conn;

/// A test connection, sync or async, with the catalog functions of either API.
enum Catalog {
    Sync(PgConnection),
    #[cfg(feature = "async")]
    Async(Box<AsyncPgConnection>, tokio::runtime::Runtime),
}

impl Catalog {
    fn sync() -> Self {
        Self::Sync(conn())
    }

    #[cfg(feature = "async")]
    fn asynchronous() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = runtime.block_on(async_conn());
        Self::Async(Box::new(conn), runtime)
    }

    fn execute(&mut self, sql: &str) {
        match self {
            Self::Sync(conn) => conn.batch_execute(sql).unwrap(),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => rt.block_on(conn.batch_execute(sql)).unwrap(),
        }
    }

    fn dependencies<N: RelationName + ?Sized>(
        &mut self,
        name: &N,
    ) -> pgview::Result<Vec<ViewDependency>> {
        match self {
            Self::Sync(conn) => pgview::catalog::get_view_dependencies(conn, name),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => {
                rt.block_on(pgview::aio::get_view_dependencies(&mut **conn, name))
            }
        }
    }

    fn transitive<N: RelationName + ?Sized>(
        &mut self,
        name: &N,
    ) -> pgview::Result<Vec<ViewDependency>> {
        match self {
            Self::Sync(conn) => pgview::catalog::get_view_dependencies_transitive(conn, name),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => rt.block_on(pgview::aio::get_view_dependencies_transitive(
                &mut **conn,
                name,
            )),
        }
    }

    fn reverse<N: RelationName + ?Sized>(
        &mut self,
        name: &N,
    ) -> pgview::Result<Vec<ReverseDependency>> {
        match self {
            Self::Sync(conn) => pgview::catalog::get_reverse_dependencies(conn, name),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => {
                rt.block_on(pgview::aio::get_reverse_dependencies(&mut **conn, name))
            }
        }
    }

    fn order(&mut self, filter: &ViewFilter) -> pgview::Result<DependencyOrder> {
        match self {
            Self::Sync(conn) => pgview::catalog::get_dependency_order(conn, filter),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => {
                rt.block_on(pgview::aio::get_dependency_order(&mut **conn, filter))
            }
        }
    }

    fn graph(&mut self, scope: &GraphScope) -> pgview::Result<DependencyGraph> {
        match self {
            Self::Sync(conn) => pgview::catalog::get_dependency_graph(conn, scope),
            #[cfg(feature = "async")]
            Self::Async(conn, rt) => {
                rt.block_on(pgview::aio::get_dependency_graph(&mut **conn, scope))
            }
        }
    }
}

/// `(dependent, referenced, referenced kind, depth)` of each dependency.
fn edges(found: &[ViewDependency]) -> Vec<(String, String, RelationKind, u32)> {
    found
        .iter()
        .map(|d| {
            (
                d.dependent_fullname(),
                d.referenced_fullname(),
                d.referenced.kind,
                d.depth,
            )
        })
        .collect()
}

/// `(fullname, kind, depth)` of each dependent.
fn dependents(found: &[ReverseDependency]) -> Vec<(String, RelationKind, u32)> {
    found
        .iter()
        .map(|d| (d.fullname(), d.view.kind, d.depth))
        .collect()
}

fn fullnames<'a>(
    relations: impl IntoIterator<Item = &'a pgview::catalog::Relation>,
) -> Vec<String> {
    relations
        .into_iter()
        .map(pgview::catalog::Relation::fullname)
        .collect()
}

fn s(text: &str) -> String {
    text.to_owned()
}

use RelationKind::{MaterializedView as Mv, Table, View as V};

/// A chain that goes through plain views between materialized views:
/// base → m1 (MV) → v2 → v3 (reads v2 twice, several columns) → m4 (MV); `side` reads base.
fn chain(db: &mut Catalog, sc: &str) {
    db.execute(&format!(
        "CREATE SCHEMA {sc};
         CREATE TABLE {sc}.base (id int PRIMARY KEY, grp int, amount numeric);
         CREATE MATERIALIZED VIEW {sc}.m1 AS
             SELECT grp, sum(amount) AS total, count(id) AS n FROM {sc}.base GROUP BY grp;
         CREATE VIEW {sc}.v2 AS SELECT grp, total, n FROM {sc}.m1 WHERE total > 0;
         CREATE VIEW {sc}.v3 AS
             SELECT a.grp, a.total, b.n FROM {sc}.v2 a JOIN {sc}.v2 b ON b.grp = a.grp;
         CREATE MATERIALIZED VIEW {sc}.m4 AS SELECT grp, total FROM {sc}.v3 WITH NO DATA;
         CREATE VIEW {sc}.side AS SELECT id, amount FROM {sc}.base;"
    ));
    let f = |name: &str| format!("{sc}.{name}");

    let direct = db.dependencies(&f("m4")).unwrap();
    assert_eq!(edges(&direct), [(f("m4"), f("v3"), V, 1)]);

    // One edge per pair of relations, whatever the number of columns or references.
    let all = db.transitive(&f("m4")).unwrap();
    assert_eq!(
        edges(&all),
        [
            (f("m4"), f("v3"), V, 1),
            (f("v3"), f("v2"), V, 2),
            (f("v2"), f("m1"), Mv, 3),
            (f("m1"), f("base"), Table, 4),
        ]
    );
    let v3 = db.dependencies(&f("v3")).unwrap();
    assert_eq!(edges(&v3), [(f("v3"), f("v2"), V, 1)]);

    let reverse = db.reverse(&f("base")).unwrap();
    assert_eq!(
        dependents(&reverse),
        [
            (f("m1"), Mv, 1),
            (f("side"), V, 1),
            (f("v2"), V, 2),
            (f("v3"), V, 3),
            (f("m4"), Mv, 4),
        ]
    );
    assert_eq!(
        dependents(&db.reverse(&f("v2")).unwrap()),
        [(f("v3"), V, 1), (f("m4"), Mv, 2)]
    );

    let order = db.order(&ViewFilter::new().schema(sc)).unwrap();
    let created = fullnames(order.creation_order());
    assert_eq!(created.len(), 5, "{created:?}");
    let at = |name: &str| created.iter().position(|c| *c == f(name)).unwrap();
    assert!(at("m1") < at("v2") && at("v2") < at("v3") && at("v3") < at("m4"));
    assert!(order.cycles().is_empty());
    let dropped = fullnames(order.drop_order());
    assert_eq!(dropped, created.iter().rev().cloned().collect::<Vec<_>>());

    // A given set keeps the order that the views between them impose.
    let set = ViewFilter::new().names([f("m4"), f("m1")]).unwrap();
    let order = db.order(&set).unwrap();
    assert_eq!(fullnames(order.creation_order()), [f("m1"), f("m4")]);

    let around = db.graph(&GraphScope::around(&f("v2")).unwrap()).unwrap();
    assert_eq!(
        fullnames(around.relations()),
        [f("base"), f("m1"), f("m4"), f("v2"), f("v3")]
    );
    assert_eq!(around.dependencies().len(), 4);

    let graph = db.graph(&GraphScope::schema(sc)).unwrap();
    assert_eq!(
        graph.to_mermaid(),
        format!(
            "flowchart LR
    n0[\"{sc}.base\"]
    n1[(\"{sc}.m1\")]
    n2[(\"{sc}.m4\")]
    n3(\"{sc}.side\")
    n4(\"{sc}.v2\")
    n5(\"{sc}.v3\")
    n0 --> n1
    n0 --> n3
    n1 --> n4
    n4 --> n5
    n5 --> n2
"
        )
    );
    assert_eq!(
        graph.dependency_order(),
        db.order(&ViewFilter::new().schema(sc)).unwrap()
    );
    let dot = graph.to_dot();
    assert!(
        dot.contains(&format!("0 [ label = \"{sc}.base\" shape=\"box\"]")),
        "{dot}"
    );
    assert!(
        dot.contains(&format!("2 [ label = \"{sc}.m4\" shape=\"cylinder\"]")),
        "{dot}"
    );
    assert!(dot.contains("5 -> 2 [ ]"), "{dot}");
}

#[test]
fn chains_through_plain_and_materialized_views() {
    chain(&mut Catalog::sync(), "dep_chain");
}

#[cfg(feature = "async")]
#[test]
fn chains_through_plain_and_materialized_views_async() {
    chain(&mut Catalog::asynchronous(), "dep_chain_async");
}

/// A view in one schema reads a table of another schema and a table of `public`.
fn cross_schema(db: &mut Catalog, sc: &str) {
    db.execute(&format!(
        "CREATE SCHEMA {sc}_a;
         CREATE SCHEMA {sc}_b;
         CREATE TABLE {sc}_b.facts (id int, value int);
         CREATE VIEW {sc}_a.report AS
             SELECT f.id, f.value, u.name FROM {sc}_b.facts f JOIN public.users u ON u.id = f.id;"
    ));
    let report = format!("{sc}_a.report");
    let facts = format!("{sc}_b.facts");
    assert_eq!(
        edges(&db.dependencies(&report).unwrap()),
        [
            (report.clone(), facts.clone(), Table, 1),
            (report.clone(), s("public.users"), Table, 1),
        ]
    );
    assert_eq!(
        dependents(&db.reverse(&facts).unwrap()),
        [(report.clone(), V, 1)]
    );
    let graph = db.graph(&GraphScope::schema(&format!("{sc}_a"))).unwrap();
    let relations = graph.relations();
    assert_eq!(
        fullnames(relations.iter().copied()),
        [report, facts.clone(), s("public.users")]
    );
    assert_eq!(
        fullnames(graph.reads(relations[0])),
        [facts, s("public.users")]
    );
    assert_eq!(
        fullnames(graph.read_by(relations[2])),
        [format!("{sc}_a.report")]
    );
}

#[test]
fn cross_schema_dependencies() {
    cross_schema(&mut Catalog::sync(), "dep_cross");
}

#[cfg(feature = "async")]
#[test]
fn cross_schema_dependencies_async() {
    cross_schema(&mut Catalog::asynchronous(), "dep_cross_async");
}

/// The same view name in two schemas.
fn same_name(db: &mut Catalog, sc: &str) {
    db.execute(&format!(
        "CREATE SCHEMA {sc}_x;
         CREATE SCHEMA {sc}_y;
         CREATE VIEW {sc}_x.{sc}_twin AS SELECT id FROM users;
         CREATE VIEW {sc}_y.{sc}_twin AS SELECT id FROM orders;"
    ));
    let twin = format!("{sc}_twin");
    let candidates = vec![format!("{sc}_x.{twin}"), format!("{sc}_y.{twin}")];
    let check = |result: Result<(), Error>| match result {
        Err(Error::Ambiguous {
            name,
            candidates: found,
        }) => {
            assert_eq!(name, twin);
            assert_eq!(found, candidates);
        }
        other => panic!("expected an ambiguity, got {other:?}"),
    };
    check(db.dependencies(&twin).map(drop));
    check(db.transitive(&twin).map(drop));
    check(db.reverse(&twin).map(drop));
    check(db.graph(&GraphScope::around(&twin).unwrap()).map(drop));
    check(
        db.order(&ViewFilter::new().names([&twin]).unwrap())
            .map(drop),
    );

    let x = db.dependencies(&format!("{sc}_x.{twin}")).unwrap();
    assert_eq!(
        edges(&x),
        [(candidates[0].clone(), s("public.users"), Table, 1)]
    );
    let y = db.dependencies(&format!("{sc}_y.{twin}")).unwrap();
    assert_eq!(
        edges(&y),
        [(candidates[1].clone(), s("public.orders"), Table, 1)]
    );
}

#[test]
fn the_same_name_in_two_schemas() {
    same_name(&mut Catalog::sync(), "dep_same");
}

#[cfg(feature = "async")]
#[test]
fn the_same_name_in_two_schemas_async() {
    same_name(&mut Catalog::asynchronous(), "dep_same_async");
}

/// Unknown names, tables where a view is expected, tables without views.
fn unknown_and_lonely(db: &mut Catalog, sc: &str) {
    db.execute(&format!(
        "CREATE SCHEMA {sc}; CREATE TABLE {sc}.lonely (id int); CREATE VIEW {sc}.constant AS SELECT 1 AS one;"
    ));
    let missing = format!("{sc}.missing");
    let not_found = |result: Result<(), Error>, kind: RelationKind| match result {
        Err(Error::NotFound { kind: k, name }) => {
            assert_eq!((k, name.as_str()), (kind, missing.as_str()));
        }
        other => panic!("expected not found, got {other:?}"),
    };
    not_found(db.dependencies(&missing).map(drop), V);
    not_found(db.transitive(&missing).map(drop), V);
    not_found(db.reverse(&missing).map(drop), RelationKind::Other);
    not_found(
        db.graph(&GraphScope::around(&missing).unwrap()).map(drop),
        RelationKind::Other,
    );
    not_found(
        db.order(&ViewFilter::new().names([&missing]).unwrap())
            .map(drop),
        V,
    );
    let err = db.reverse(&missing).unwrap_err();
    assert_eq!(err.to_string(), format!("relation {missing} not found"));

    let lonely = format!("{sc}.lonely");
    assert!(db.reverse(&lonely).unwrap().is_empty());
    let around = db.graph(&GraphScope::around(&lonely).unwrap()).unwrap();
    assert_eq!(fullnames(around.relations()), [lonely.as_str()]);
    assert!(around.dependencies().is_empty());
    for result in [
        db.dependencies(&lonely).map(drop),
        db.order(&ViewFilter::new().names([&lonely]).unwrap())
            .map(drop),
    ] {
        assert!(
            matches!(&result, Err(Error::WrongKind { actual: Table, name, .. }) if *name == lonely),
            "{result:?}"
        );
    }

    // A view that reads no relation has no dependencies, and still has its place.
    let constant = format!("{sc}.constant");
    assert!(db.transitive(&constant).unwrap().is_empty());
    let order = db.order(&ViewFilter::new().schema(sc)).unwrap();
    assert_eq!(fullnames(order.creation_order()), [constant.as_str()]);
    let graph = db.graph(&GraphScope::schema(sc)).unwrap();
    assert_eq!(
        graph.to_mermaid(),
        format!("flowchart LR\n    n0(\"{constant}\")\n")
    );
}

#[test]
fn unknown_names_and_tables_without_views() {
    unknown_and_lonely(&mut Catalog::sync(), "dep_lonely");
}

#[cfg(feature = "async")]
#[test]
fn unknown_names_and_tables_without_views_async() {
    unknown_and_lonely(&mut Catalog::asynchronous(), "dep_lonely_async");
}

/// Names that break naive quoting, in SQL and in the pictures.
fn hostile(db: &mut Catalog, suffix: &str) {
    let schema = format!("dep \"h.st\" {suffix}");
    let view = View::from_sql("x\"; DROP TABLE users; --", "SELECT id FROM public.users")
        .unwrap()
        .schema(&schema)
        .unwrap();
    let mv = MaterializedView::from_sql(
        "m) --> n0[\"é\"]\n%% `#35;`",
        &format!("SELECT id FROM {}", view.name()),
    )
    .unwrap()
    .schema(&schema)
    .unwrap();
    let mut ddl = String::new();
    for statement in [
        format!(
            "CREATE SCHEMA {}",
            pgview::ddl::Ident::new(&schema).unwrap()
        ),
        diesel::debug_query::<diesel::pg::Pg, _>(&view.create()).to_string(),
        diesel::debug_query::<diesel::pg::Pg, _>(&mv.create()).to_string(),
    ] {
        let sql = statement.trim_end_matches(" -- binds: []");
        ddl.push_str(sql);
        ddl.push_str(";\n");
    }
    db.execute(&ddl);

    let qualified = mv.name().clone();
    let quoted = QualifiedName::parse(&qualified.to_string()).unwrap();
    assert_eq!(quoted, qualified);
    let found = db.transitive(&quoted).unwrap();
    assert_eq!(
        edges(&found),
        [
            (qualified.fullname(), view.name().fullname(), V, 1),
            (view.name().fullname(), s("public.users"), Table, 2),
        ]
    );
    assert_eq!(found, db.transitive(&mv).unwrap());
    let reverse = db.reverse(&view).unwrap();
    assert_eq!(dependents(&reverse), [(qualified.fullname(), Mv, 1)]);

    let graph = db.graph(&GraphScope::schema(&schema)).unwrap();
    let mermaid = graph.to_mermaid();
    assert_eq!(mermaid.lines().count(), 6, "{mermaid}");
    assert!(mermaid.contains("n0[(\"dep #34;h.st#34; "), "{mermaid}");
    assert!(mermaid.contains("m#41; --#62; n0#91;#34;é#34;#93;#10;#37;#37; #96;#35;35#59;#96;\")]"));
    let dot = graph.to_dot();
    assert!(dot.contains("label = \"dep \\\"h.st\\\" "), "{dot}");
    assert!(
        dot.contains("\\\"; DROP TABLE users; --\" shape=\"ellipse\"]"),
        "{dot}"
    );
    assert_eq!(dot.lines().count(), 8, "{dot}");
}

#[test]
fn hostile_names() {
    hostile(&mut Catalog::sync(), "sync");
}

#[cfg(feature = "async")]
#[test]
fn hostile_names_async() {
    hostile(&mut Catalog::asynchronous(), "async");
}

/// Views that read each other (CREATE OR REPLACE VIEW can make that): every function ends.
fn cycle(db: &mut Catalog, sc: &str) {
    db.execute(&format!(
        "CREATE SCHEMA {sc};
         CREATE VIEW {sc}.a AS SELECT 1 AS x;
         CREATE VIEW {sc}.b AS SELECT x FROM {sc}.a;
         CREATE VIEW {sc}.c AS SELECT x FROM {sc}.b;
         CREATE OR REPLACE VIEW {sc}.a AS SELECT x FROM {sc}.c;
         CREATE MATERIALIZED VIEW {sc}.d AS SELECT x FROM {sc}.b WITH NO DATA;"
    ));
    let f = |name: &str| format!("{sc}.{name}");
    let order = db.order(&ViewFilter::new().schema(sc)).unwrap();
    assert_eq!(
        fullnames(order.creation_order()),
        [f("a"), f("b"), f("c"), f("d")]
    );
    let cycles: Vec<Vec<String>> = order.cycles().iter().map(fullnames).collect();
    assert_eq!(cycles, [vec![f("a"), f("b"), f("c")]]);

    assert_eq!(
        edges(&db.transitive(&f("d")).unwrap()),
        [
            (f("d"), f("b"), V, 1),
            (f("b"), f("a"), V, 2),
            (f("a"), f("c"), V, 3),
            (f("c"), f("b"), V, 4),
        ]
    );
    assert_eq!(
        dependents(&db.reverse(&f("a")).unwrap()),
        [(f("b"), V, 1), (f("c"), V, 2), (f("d"), Mv, 2)]
    );
    let around = db.graph(&GraphScope::around(&f("c")).unwrap()).unwrap();
    assert_eq!(around.len(), 4);
}

#[test]
fn cycles_in_the_catalog_end() {
    cycle(&mut Catalog::sync(), "dep_cycle");
}

#[cfg(feature = "async")]
#[test]
fn cycles_in_the_catalog_end_async() {
    cycle(&mut Catalog::asynchronous(), "dep_cycle_async");
}

/// The quickstart's schema: `users`, `orders`, the view `user_summary` and the materialized
/// view `revenue_summary`, as the quickstart defines them.
fn quickstart_views(db: &mut Catalog) {
    db.execute(
        "CREATE VIEW user_summary (id, name, order_count) AS
             SELECT users.id, users.name, count(orders.id)
             FROM users LEFT JOIN orders ON orders.user_id = users.id
             GROUP BY users.id, users.name;
         CREATE MATERIALIZED VIEW revenue_summary (total_revenue) AS
             SELECT sum(orders.total) FROM orders;",
    );
}

/// The picture in README.md, section "Dependencies", is what `to_mermaid` draws for the
/// quickstart's schema.
#[test]
fn the_readme_picture_is_current() {
    let db = &mut Catalog::sync();
    quickstart_views(db);
    let scope = GraphScope::views(
        ViewFilter::new()
            .names(["public.user_summary", "public.revenue_summary"])
            .unwrap(),
    );
    let mermaid = db.graph(&scope).unwrap().to_mermaid();
    let readme = include_str!("../../README.md");
    let section = &readme[readme
        .find("## Dependencies")
        .expect("a Dependencies section")..];
    let block = section
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a mermaid block in the Dependencies section");
    assert_eq!(block, mermaid, "update README.md with:\n{mermaid}");
}

/// The async catalog functions return `Send` futures, so they run inside `tokio::spawn`.
#[allow(dead_code)]
#[cfg(feature = "async")]
fn async_catalog_futures_are_send(conn: &mut AsyncPgConnection) {
    fn send<T: Send>(_: T) {}
    let filter = ViewFilter::new();
    send(pgview::aio::get_all_views(conn, &filter));
    send(pgview::aio::get_view(conn, "v"));
    send(pgview::aio::get_view_definition(conn, "v"));
    send(pgview::aio::get_view_dependencies(conn, "v"));
    send(pgview::aio::get_view_dependencies_transitive(conn, "v"));
    send(pgview::aio::get_reverse_dependencies(conn, "t"));
    send(pgview::aio::get_dependency_order(conn, &filter));
    send(pgview::aio::get_dependency_graph(
        conn,
        &GraphScope::database(),
    ));
}
