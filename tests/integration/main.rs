//! Integration tests of pgview against a real PostgreSQL (`DATABASE_URL`, or a private
//! throwaway cluster started by `pgview-testkit`).

mod support;

#[cfg(feature = "async")]
mod async_connections;
mod catalog;
mod ddl;
mod dependencies;
mod derive;
mod errors;
mod hostile_sql;
mod identifiers;
mod introspect;
mod lexer;
mod literals;
mod migrate_diff;
mod migrate_drift;
mod migrate_fresh;
mod migrate_indexes;
mod migrate_owned;
mod migrate_proxy;
mod migrate_random;
mod migrate_record;
mod migrate_scenarios;
mod migrate_support;
mod migrate_write;
mod migration_atomic;
mod migration_ddl;
mod migration_dependents;
mod migration_frozen;
mod migration_operations;
mod migration_support;
#[cfg(feature = "async")]
mod pool;
mod querying;
mod refresh;
mod refresh_auto;
mod scale_locks;
