//! Compile time of 100 derived views against 100 hand-written `table!` declarations.
//!
//! Generates two crates under `target/pgview-bench/compile-time/` that differ only in how the
//! 100 views are declared: `#[derive(PgView)]` on the row structs, or a `diesel::table!` per
//! view (today's way, with a fake primary key). Both have the same row structs
//! (`#[derive(Queryable)]`) and the same 100 query functions. Dependencies are built once
//! (warm-up); then the two crates are rebuilt from clean (`cargo clean -p <crate>`) in turn,
//! derive then `table!`, `--runs` times (A B A B …), in dev profile as during development.
//! Each pair gives a ratio; the result is the median of these paired ratios (target ≤ 1.2), so
//! that a change of the machine's load during the run weighs on both builds of a pair alike.
//!
//! Run: `cargo run --release -p pgview-bench --bin compile-time [-- --views 100 --runs 5]`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use pgview_bench::{all_met, arg, median, round, target};

const TABLES: &str = r"
diesel::table! { users (id) { id -> Integer, name -> Text, email -> Nullable<Text> } }
diesel::table! { orders (id) { id -> Integer, user_id -> Integer, total -> Numeric } }
diesel::joinable!(orders -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, orders);
";

/// One view: the query function and the row struct, shared by both crates.
fn common(i: usize) -> String {
    format!(
        r"
fn query_{i}() -> diesel::dsl::Filter<
    diesel::dsl::Select<users::table, (users::id, users::name, users::email)>,
    diesel::dsl::Gt<users::id, i32>,
> {{
    users::table.select((users::id, users::name, users::email)).filter(users::id.gt({i}))
}}
"
    )
}

fn derive_view(i: usize) -> String {
    format!(
        r#"{}
#[derive(PgView, Queryable, Debug)]
#[pgview(name = "view_{i}", query = query_{i})]
pub struct Row{i} {{
    pub id: i32,
    pub name: String,
    pub email: Option<String>,
}}
"#,
        common(i)
    )
}

fn table_view(i: usize) -> String {
    format!(
        r"{}
diesel::table! {{ view_{i} (id) {{ id -> Integer, name -> Text, email -> Nullable<Text> }} }}

#[derive(Queryable, Debug)]
pub struct Row{i} {{
    pub id: i32,
    pub name: String,
    pub email: Option<String>,
}}
",
        common(i)
    )
}

fn write_crate(dir: &Path, name: &str, workspace: &Path, body: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let manifest = format!(
        r#"[package]
name = "{name}"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
pgview = {{ path = "{}" }}
diesel = {{ version = "~2.3", default-features = false, features = ["postgres", "numeric"] }}
"#,
        workspace.display()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src/lib.rs"), body)
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> f64 {
    let start = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("cannot run cargo");
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        dir.display()
    );
    start.elapsed().as_secs_f64()
}

fn main() -> std::io::Result<()> {
    let views = arg("--views", 100);
    let runs = arg("--runs", 5).max(1);
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is in the workspace")
        .to_path_buf();
    let root = workspace.join("target/pgview-bench/compile-time");
    let target_dir = root.join("target");

    let mut derive_body =
        String::from("#![allow(dead_code)]\nuse diesel::prelude::*;\nuse pgview::PgView;\n");
    let mut table_body = String::from("#![allow(dead_code)]\nuse diesel::prelude::*;\n");
    derive_body.push_str(TABLES);
    table_body.push_str(TABLES);
    for i in 0..views {
        derive_body.push_str(&derive_view(i));
        table_body.push_str(&table_view(i));
    }
    let crates = [
        ("bench_derive", root.join("derive"), derive_body),
        ("bench_table", root.join("table"), table_body),
    ];
    for (name, dir, body) in &crates {
        write_crate(dir, name, &workspace, body)?;
        // Warm-up: dependencies are built once and not measured.
        cargo(dir, &target_dir, &["build", "--quiet"]);
    }
    // Alternated (A B A B …) so that a slower period of the machine weighs on both builds of
    // a pair alike; each pair gives one ratio, and the median ratio is the result.
    let mut derive_runs = Vec::with_capacity(runs);
    let mut table_runs = Vec::with_capacity(runs);
    let mut ratios = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut pair = [0.0; 2];
        for (k, (name, dir, _)) in crates.iter().enumerate() {
            cargo(dir, &target_dir, &["clean", "--quiet", "-p", name]);
            pair[k] = cargo(dir, &target_dir, &["build", "--quiet"]);
        }
        derive_runs.push(round(pair[0], 3));
        table_runs.push(round(pair[1], 3));
        ratios.push(round(pair[0] / pair[1], 3));
    }
    let ratio = median(ratios.clone());
    let targets = [target(
        "median paired ratio derive / table! <= 1.2",
        ratio,
        ratio <= 1.2,
    )];
    let report = serde_json::json!({
        "benchmark": "compile-time",
        "views": views,
        "runs": runs,
        "note": format!("dev profile, {runs} pairs of clean builds of the crate alone, alternated (derive, table!, derive, …)"),
        "derive_median_seconds": median(derive_runs.clone()),
        "table_macro_median_seconds": median(table_runs.clone()),
        "ratio": ratio,
        "paired_ratios": ratios,
        "derive_runs": derive_runs,
        "table_macro_runs": table_runs,
        "targets": targets,
        "all_met": all_met(&targets),
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    Ok(())
}
