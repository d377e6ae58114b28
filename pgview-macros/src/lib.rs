//! Derive macro of [`pgview`](https://docs.rs/pgview) (implementation detail of `pgview`).
//!
//! `#[derive(PgView)]` arrives with the derive issue; this crate is its home.
