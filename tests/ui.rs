//! Compile-fail tests of `#[derive(PgView)]` and of the types that refuse misuse (a
//! `StructOperation` in a `ViewMigration`): each diagnostic, with its `.stderr`.

#[test]
fn derive_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui-pass/*.rs");
}
