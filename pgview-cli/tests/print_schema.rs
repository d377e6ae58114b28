//! `pgview print-schema` on a varied schema: the output compiles, its structs declare views
//! that `pgview::diff::diff` finds identical to the database, and each struct passes `verify`.

use std::fmt::Write as _;

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The schema of the introspection tests (hostile names, an enum, arrays, a materialized view
/// with indexes and comments, views over views, outer joins, aggregates, literals).
const SCHEMA: &str = include_str!("../../tests/fixtures/introspect_schema.sql");

fn print_schema(url: &str, args: &[&str]) -> (bool, String, String) {
    let args: Vec<&str> = std::iter::once("print-schema")
        .chain(args.iter().copied())
        .collect();
    let (code, out, err) =
        pgview_testkit::run_program(env!("CARGO_BIN_EXE_pgview"), Some(url), &args);
    (code == 0, out, err)
}

fn setup() -> pgview_testkit::TestDatabase {
    let db = pgview_testkit::fresh_database();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    for statement in SCHEMA.split(";\n") {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    db
}

/// The names of the structs printed.
fn structs(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("pub struct "))
        .map(|l| l.trim_end_matches(" {").to_owned())
        .collect()
}

#[test]
fn printed_structs_compile_match_the_database_and_verify() {
    let db = setup();
    let (ok, out, err) = print_schema(db.url(), &["--schema", "intro Spect"]);
    assert!(ok, "{err}");
    // Hostile names, keywords, enums, nullability.
    for expected in [
        "#[pgview(name = \"owners \\\"and\\\" pets\", schema = \"intro Spect\", module = owners_and_pets)]",
        "#[pgview(column = \"Full Name\")]\n    pub full_name: String,",
        "    pub nick: Option<String>,",
        "#[pgview(sql_type = sql_types::Feeling)]\n    pub r#type: String,",
        "#[pgview(column = \"say \\\"hi\\\"\")]\n    pub say_hi: Option<chrono::NaiveDate>,",
        "    pub tags: Vec<Option<String>>,",
        "#[pgview(sql_type = diesel::sql_types::Json)]\n    pub raw: serde_json::Value,",
        "#[pgview(name = \"Busy Owners\", schema = \"intro Spect\", module = busy_owners, materialized)]",
        "#[pgview(unique_index(owner_id, name = \"busy_owners_id\"))]",
        "#[pgview(index(pets, zip_code, name = \"busy pets\"))]",
        "    /// how many\n    #[pgview(comment = \"how many\")]\n    pub pets: i64,",
        "#[pgview(comment = \"it's over a matview\")]",
        "#[diesel(postgres_type(name = \"Feeling\", schema = \"intro Spect\"))]",
        "// TODO: SQL type \"pg_catalog\".\"point\" has no Rust mapping",
        "pub total_weight: Option<f64>,",
    ] {
        assert!(out.contains(expected), "{expected}\n---\n{out}");
    }
    assert!(
        err.contains("warning: \"intro Spect\".\"exprs\": column \"spot\" has SQL type \"pg_catalog\".\"point\" without a Rust mapping"),
        "{err}"
    );
    let names = structs(&out);
    assert_eq!(names.len(), 12, "{out}");

    // The output compiled and run: declaring its structs gives no difference, and each one
    // passes `verify`.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("print_schema");
    std::fs::create_dir_all(&dir).unwrap();
    let mut with = String::new();
    let mut verify = String::new();
    for n in &names {
        let _ = write!(with, ".with::<{n}>().unwrap()");
        let _ = writeln!(verify, "    {n}::verify(conn).unwrap();");
    }
    let program = format!(
        "{out}\nfn main() {{\n    use diesel::Connection;\n    \
         let url = std::env::var(\"PGVIEW_PRINTED_URL\").unwrap();\n    \
         let conn = &mut diesel::PgConnection::establish(&url).unwrap();\n    \
         let declared = pgview::diff::ViewSet::new(){with};\n    \
         let scope = pgview::diff::DiffScope::schemas([\"intro Spect\"]).unwrap();\n    \
         let diff = pgview::diff::diff(conn, &declared, &scope).unwrap();\n    \
         assert!(diff.is_empty(), \"{{diff}}\");\n{verify}}}\n"
    );
    let path = dir.join("printed.rs");
    std::fs::write(&path, program).unwrap();
    std::env::set_var("PGVIEW_PRINTED_URL", db.url());
    trybuild::TestCases::new().pass(&path);
}

#[test]
fn filters_select_views_like_diesel() {
    let db = setup();
    let (ok, out, err) = print_schema(db.url(), &["-s", "intro Spect", "-o", "^pet", "^Type$"]);
    assert!(ok, "{err}");
    assert_eq!(structs(&out), ["Type", "PetCounts"]);
    let (ok, out, err) = print_schema(
        db.url(),
        &["-s", "intro Spect", "-e", "s$", "--no-materialized"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        structs(&out),
        [
            "Type",
            "Cte",
            "FromMatview",
            "FullJoin",
            "RightJoin",
            "Rolled",
            "Unioned"
        ]
    );
    let (ok, _, err) = print_schema(db.url(), &["-o", "("]);
    assert!(!ok);
    assert!(err.contains("invalid regular expression"), "{err}");
}
