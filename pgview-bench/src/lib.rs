//! Benchmarks of pgview, each a binary printing one JSON object (run them in release mode):
//!
//! - `compile-time`: compile time of a crate with 100 `#[derive(PgView)]` views against the
//!   same crate with 100 `diesel::table!` declarations.
//! - `migrate`: compare 1,000 declared views with a database, plan and write the migration,
//!   apply it and compare again.
//! - `refresh-schedule`: parallel refresh of a DAG of 30 materialized views against its critical
//!   path and the sequential refresh.
//! - `refresh-real-work`: the same DAG over aggregates of a 1-million-row table.
//! - `refresh-auto`: automatic refresh under 500 writes/s with a 200 ms debounce.
//! - `refresh-readers`: reader latency during concurrent and plain refreshes.
//!
//! `cargo run --release -p pgview-bench --bin <name>`; the catalog benchmark is
//! `cargo bench --bench catalog` in the root package.
