//! A program whose derived struct does not match its view: an `i64` field over the `integer`
//! column its SQL returns. `diff` reports it (`PgView::verify`) once the view is in the database.

use pgview::PgView;

/// `n` is `integer` in the view, `BigInt` in the struct.
#[derive(PgView)]
#[pgview(name = "mismatched_counts", sql = "SELECT 1::integer AS n")]
#[allow(dead_code, reason = "only its view is used")]
struct MismatchedCounts {
    n: i64,
}

fn main() {
    pgview::cli::main(pgview::diff::ViewSet::registered())
}
