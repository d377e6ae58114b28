//! An application's view migrations: the `pgview` command line on the views it declares with
//! `#[derive(PgView)]` (`cargo run --bin views -- diff`, `-- generate`, `-- graph`, …).
//!
//! The three lines of `main` are all an application writes; the views are in `views.rs`.

mod views;

fn main() {
    pgview::cli::main(pgview::diff::ViewSet::registered())
}
