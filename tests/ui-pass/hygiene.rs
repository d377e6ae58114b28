//! Generated code compiles without warnings next to hostile names, and through a re-export.
#![deny(warnings, missing_docs)]

/// A crate that re-exports pgview.
mod reexport {
    pub use pgview;
}

/// Names the generated code must not pick up.
mod hostile {
    #![allow(dead_code, non_camel_case_types)]
    /// Not diesel.
    pub struct diesel;
    /// Not Result.
    pub struct Result;
    /// Not Option.
    pub struct Option;
    /// Not core.
    pub mod core {}
}

#[allow(unused_imports)]
use hostile::*;

use reexport::pgview::PgView;

/// A view whose fields use raw identifiers and an override crate path.
#[derive(PgView)]
#[pgview(name = "typed", crate = "reexport::pgview", materialized, sql = "SELECT 1 AS type, 'x'::text AS \"match\"")]
#[pgview(unique_index(r#type, name = "typed_pk"), storage(fillfactor = 70), comment = "hygiene")]
pub struct Typed {
    /// A keyword field.
    pub r#type: i32,
    /// A keyword column.
    #[pgview(column = "match")]
    pub r#match: ::std::option::Option<String>,
}

fn main() {
    let definition = <Typed as PgView>::definition().unwrap();
    assert_eq!(definition.fullname(), "typed");
    let _ = typed::table;
    let _ = typed::r#type;
}
