//! `ViewSet::registered`: every `#[derive(PgView)]` of the program (this test binary), and the
//! error when two structs declare one view. A binary of its own: the registry is the whole
//! program's.

use pgview::{diff::ViewSet, PgView};

mod reporting {
    use pgview::PgView;

    /// Declares `reg_twice` like `super::Twice`.
    #[derive(PgView)]
    #[pgview(name = "reg_twice", sql = "SELECT 2 AS x")]
    #[allow(dead_code, reason = "registered only")]
    pub(crate) struct TwiceAgain {
        x: i32,
    }
}

#[derive(PgView)]
#[pgview(name = "reg_twice", sql = "SELECT 1 AS x")]
#[allow(dead_code, reason = "registered only")]
struct Twice {
    x: i32,
}

#[derive(PgView)]
#[pgview(
    name = "reg_counts",
    schema = "reporting",
    materialized,
    sql = "SELECT 1 AS n"
)]
#[allow(dead_code, reason = "registered only")]
struct Counts {
    n: i32,
}

/// A session's view: never migrated, so not registered.
#[derive(PgView)]
#[pgview(name = "reg_scratch", temporary, sql = "SELECT 1 AS x")]
#[allow(dead_code, reason = "registered only")]
struct Scratch {
    x: i32,
}

#[test]
fn one_view_declared_by_two_structs_is_an_error_naming_both() {
    let error = ViewSet::registered().unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("invalid definition of reg_twice: it is declared twice: by struct `"),
        "{message}"
    );
    // Both structs, in an order that does not depend on the linker.
    assert!(message.contains("`registry::Twice`"), "{message}");
    assert!(
        message.contains("`registry::reporting::TwiceAgain`"),
        "{message}"
    );
    assert!(matches!(error, pgview::Error::InvalidDefinition { name, .. } if name == "reg_twice"));
}

#[test]
fn with_records_the_struct_for_the_same_error() {
    let set = ViewSet::new()
        .with::<Counts>()
        .unwrap()
        .with::<Scratch>()
        .unwrap();
    assert_eq!(set.origin(0), Some("struct `registry::Counts`"));
    assert_eq!(set.definitions()[0].fullname(), "reporting.reg_counts");
    assert_eq!(
        Scratch::definition().unwrap().name().to_string(),
        "\"reg_scratch\""
    );
}
