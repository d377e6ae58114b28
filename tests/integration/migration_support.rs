//! Helpers of the migration tests: a snapshot of what the catalog says about a schema.

use diesel::sql_types::Text;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// One line per relation of `schema` (views, materialized views, their indexes, tables): OID,
/// kind, owner, options, grants, comment, population, definition, columns with their types and
/// comments, indexes, triggers. With `with_oids` false, OIDs are left out (for comparing a
/// state with the same state rebuilt).
pub(crate) fn snapshot(conn: &mut PgConnection, schema: &str, with_oids: bool) -> Vec<String> {
    diesel::sql_query(
        "SELECT concat_ws(' | ',
                 CASE WHEN $2 THEN c.oid::text END,
                 c.relname, c.relkind, pg_get_userbyid(c.relowner),
                 coalesce(c.reloptions::text, '-'), coalesce(c.relacl::text, '-'),
                 coalesce(obj_description(c.oid, 'pg_class'), '-'), c.relispopulated::text,
                 CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                 (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                    || ' ' || coalesce(col_description(c.oid, a.attnum), '-'),
                                    ', ' ORDER BY a.attnum)
                  FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                 (SELECT string_agg(pg_get_indexdef(x.indexrelid), '; ' ORDER BY x.indexrelid::regclass::text)
                  FROM pg_index x WHERE x.indrelid = c.oid),
                 (SELECT string_agg(pg_get_triggerdef(t.oid), '; ' ORDER BY t.tgname)
                  FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
             ) AS line
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'i')
         ORDER BY c.relname",
    )
    .bind::<Text, _>(schema)
    .bind::<diesel::sql_types::Bool, _>(with_oids)
    .load::<Line>(conn)
    .expect("catalog snapshot")
    .into_iter()
    .map(|l| l.line)
    .collect()
}

/// The versions recorded in `__diesel_schema_migrations`.
pub(crate) fn applied_versions(conn: &mut PgConnection) -> Vec<String> {
    diesel::sql_query("SELECT version::text AS line FROM __diesel_schema_migrations ORDER BY 1")
        .load::<Line>(conn)
        .expect("applied migrations")
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// The first text column of a one-row query.
pub(crate) fn text(conn: &mut PgConnection, sql: &str) -> String {
    diesel::sql_query(format!("SELECT ({sql})::text AS line"))
        .get_result::<Line>(conn)
        .expect(sql)
        .line
}
