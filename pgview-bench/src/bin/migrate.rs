//! View migrations at scale: 1,000 declared views (125 chains 8 deep, 100 materialized views
//! with a unique index and a comment), 5% of them changed (compatible query changes, appended
//! columns, retyped columns that force rebuilds of the views above them, materialized views).
//!
//! Measures, on a throwaway database: the time to compute the plan (`diff` + `plan`) and write
//! the migration folder; then applies `up.sql` (one transaction, as diesel does), counts the
//! materialized views whose rows differ from their own query (must be 0: the plan refreshes
//! those whose inputs it changes in place), compares again (must report no difference),
//! applies `down.sql`, counts stale materialized views again and compares with the original
//! declared views (must report no difference either). Prints one JSON object, with whether
//! each target was met.
//!
//! Run: `cargo run --release -p pgview-bench --bin migrate [-- --chains 125 --depth 8]`.

use std::fmt::Write as _;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use pgview::{DiffScope, Index, MaterializedView, View, ViewSet};

/// The benchmark's shape.
struct Shape {
    chains: usize,
    depth: usize,
    /// Chains whose level 3 is a materialized view (read by the levels above).
    mid_materialized: usize,
    /// Chains whose top level is a materialized view (nothing reads it).
    top_materialized: usize,
    /// How many declared views differ from the database (spread evenly).
    changed: usize,
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn schema_of(chain: usize) -> &'static str {
    if chain % 2 == 0 {
        "bench_a"
    } else {
        "bench_b"
    }
}

fn name_of(chain: usize, level: usize) -> String {
    format!("c{chain:03}_l{level}")
}

/// How a declared view differs from the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Same,
    /// Another constant: a compatible change (replace; rebuild for a materialized view).
    Query,
    /// A column appended (replace).
    Appended,
    /// `val` retyped: the view and every view above it are rebuilt.
    Retyped,
}

/// The SQL of the view at `chain`, `level`.
fn query(chain: usize, level: usize, variant: Variant) -> String {
    let source = if level == 0 {
        "public.bench_rows".to_owned()
    } else {
        format!("{}.{}", schema_of(chain), name_of(chain, level - 1))
    };
    let bound = if variant == Variant::Query {
        level + 1
    } else {
        level
    };
    let val = if variant == Variant::Retyped {
        "(val + 1)::float8 AS val"
    } else {
        "val + 1 AS val"
    };
    let extra = if variant == Variant::Appended {
        ", 1 AS extra"
    } else {
        ""
    };
    format!("SELECT id, grp, {val}, label{extra} FROM {source} WHERE id > {bound}")
}

fn is_materialized(shape: &Shape, chain: usize, level: usize) -> bool {
    (chain < shape.mid_materialized && level == 3)
        || (chain >= shape.mid_materialized
            && chain < shape.mid_materialized + shape.top_materialized
            && level == shape.depth - 1)
}

/// The changed views: spread over chains and levels, kinds in turn.
fn variant(shape: &Shape, chain: usize, level: usize) -> Variant {
    let total = shape.chains * shape.depth;
    let step = total / shape.changed.max(1);
    let index = chain * shape.depth + level;
    if shape.changed == 0 || index % step != step / 2 || index / step >= shape.changed {
        return Variant::Same;
    }
    match (index / step) % 3 {
        1 if !is_materialized(shape, chain, level) => Variant::Appended,
        0 | 1 => Variant::Query,
        _ => Variant::Retyped,
    }
}

/// The DDL of the database's state (every view unchanged).
fn setup_sql(shape: &Shape) -> String {
    let mut sql = String::from(
        "CREATE SCHEMA bench_a; CREATE SCHEMA bench_b;
         CREATE TABLE public.bench_rows (id int PRIMARY KEY, grp int NOT NULL, val numeric NOT NULL, label text NOT NULL);
         INSERT INTO public.bench_rows SELECT i, i % 10, i * 1.5, 'row ' || i FROM generate_series(1, 2000) i;\n",
    );
    for chain in 0..shape.chains {
        for level in 0..shape.depth {
            let name = format!("{}.{}", schema_of(chain), name_of(chain, level));
            let q = query(chain, level, Variant::Same);
            if is_materialized(shape, chain, level) {
                let idx = format!("{}_id_idx", name_of(chain, level));
                let _ = writeln!(
                    sql,
                    "CREATE MATERIALIZED VIEW {name} AS {q};
                     CREATE UNIQUE INDEX {idx} ON {name} (id);
                     COMMENT ON MATERIALIZED VIEW {name} IS 'chain {chain}';"
                );
            } else {
                let _ = writeln!(sql, "CREATE VIEW {name} AS {q};");
            }
        }
    }
    sql
}

/// The declared views: the database's, or with the changes.
fn declared(shape: &Shape, changed: bool) -> pgview::Result<ViewSet> {
    let mut set = ViewSet::new();
    for chain in 0..shape.chains {
        for level in 0..shape.depth {
            let v = if changed {
                variant(shape, chain, level)
            } else {
                Variant::Same
            };
            let name = name_of(chain, level);
            let sql = query(chain, level, v);
            if is_materialized(shape, chain, level) {
                set.add(
                    MaterializedView::from_sql(&name, &sql)?
                        .schema(schema_of(chain))?
                        .index(Index::unique(["id"])?)?
                        .comment(&format!("chain {chain}"))?,
                );
            } else {
                set.add(View::from_sql(&name, &sql)?.schema(schema_of(chain))?);
            }
        }
    }
    Ok(set)
}

fn ms(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shape = Shape {
        chains: arg("--chains", 125),
        depth: arg("--depth", 8),
        mid_materialized: 50,
        top_materialized: 50,
        changed: arg("--changed", 50),
    };
    let db = pgview_testkit::fresh_database();
    let conn = &mut PgConnection::establish(db.url())?;
    conn.batch_execute(&setup_sql(&shape))?;
    conn.batch_execute("ANALYZE")?;
    let scope = DiffScope::schemas(["bench_a", "bench_b"])?;
    let original = declared(&shape, false)?;
    let target = declared(&shape, true)?;
    let changed_declared = (0..shape.chains)
        .flat_map(|chain| (0..shape.depth).map(move |level| (chain, level)))
        .filter(|&(chain, level)| variant(&shape, chain, level) != Variant::Same)
        .count();

    // Warm the server's catalog caches and the connection as an application would be.
    let warm = pgview::diff(conn, &original, &scope)?;
    assert!(
        warm.is_empty(),
        "the database must match the original set:\n{warm}"
    );

    let start = Instant::now();
    let diff = pgview::diff(conn, &target, &scope)?;
    let diff_ms = ms(start);
    let planned = Instant::now();
    let plan = diff.plan().expect("plan");
    let plan_ms = ms(planned);
    let dir = std::env::temp_dir().join(format!("pgview-bench-migrate-{}", std::process::id()));
    let written = Instant::now();
    let folder = pgview::write_migration(&dir, "bench_views", &plan)?;
    let write_ms = ms(written);
    let total_ms = ms(start);

    let up = std::fs::read_to_string(folder.join("up.sql"))?;
    let down = std::fs::read_to_string(folder.join("down.sql"))?;
    let applied = Instant::now();
    conn.transaction(|conn| conn.batch_execute(&up))?;
    let apply_up_ms = ms(applied);
    let schemas = ["bench_a", "bench_b"];
    let stale_after_up = pgview_testkit::stale_materialized_views(conn, &schemas);
    let again = Instant::now();
    let second = pgview::diff(conn, &target, &scope)?;
    let second_diff_ms = ms(again);
    let reverted = Instant::now();
    conn.transaction(|conn| conn.batch_execute(&down))?;
    let apply_down_ms = ms(reverted);
    let stale_after_down = pgview_testkit::stale_materialized_views(conn, &schemas);
    let restored = pgview::diff(conn, &original, &scope)?;
    let _ = std::fs::remove_dir_all(&dir);

    let count = |kind: &str| plan.steps.iter().filter(|s| s.kind.name() == kind).count();
    let report = serde_json::json!({
        "benchmark": "migrate",
        "declared_views": shape.chains * shape.depth,
        "materialized_views": shape.mid_materialized + shape.top_materialized,
        "max_depth": shape.depth,
        "changed_declared_views": changed_declared,
        "differing_views": diff.changes().count(),
        "plan": {
            "up_steps": plan.steps.len(),
            "down_steps": plan.down_steps.len(),
            "replace": count("replace"),
            "recreate": count("recreate"),
            "rebuild": count("rebuild"),
            "refresh": count("refresh"),
            "up_sql_bytes": up.len(),
        },
        "diff_ms": diff_ms,
        "plan_ms": plan_ms,
        "write_ms": write_ms,
        "plan_and_write_ms": total_ms,
        "apply_up_ms": apply_up_ms,
        "stale_materialized_views_after_up": stale_after_up.len(),
        "second_diff_ms": second_diff_ms,
        "second_diff_empty": second.is_empty(),
        "apply_down_ms": apply_down_ms,
        "stale_materialized_views_after_down": stale_after_down.len(),
        "restored_diff_empty": restored.is_empty(),
        "targets": [
            {"target": "plan_and_write_ms < 5000", "value": total_ms, "met": total_ms < 5000.0},
            {"target": "stale materialized views after up == 0", "value": stale_after_up.len(), "met": stale_after_up.is_empty()},
            {"target": "stale materialized views after down == 0", "value": stale_after_down.len(), "met": stale_after_down.is_empty()},
            {"target": "no difference after up", "value": second.is_empty(), "met": second.is_empty()},
            {"target": "no difference after down", "value": restored.is_empty(), "met": restored.is_empty()},
        ],
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !second.is_empty()
        || !restored.is_empty()
        || !stale_after_up.is_empty()
        || !stale_after_down.is_empty()
    {
        eprintln!(
            "second diff:\n{second}\nafter down:\n{restored}\nstale after up: {stale_after_up:?}\nstale after down: {stale_after_down:?}"
        );
        std::process::exit(1);
    }
    Ok(())
}
