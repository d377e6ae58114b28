//! Benchmarks of pgview, each a binary printing one JSON object:
//!
//! - `cargo run --release -p pgview-bench --bin compile-time`: compile time of a crate with
//!   100 `#[derive(PgView)]` views against the same crate with 100 `diesel::table!`
//!   declarations.
