-- The start of every catalog query: `WITH RECURSIVE` + this file + one of views.sql,
-- indexes.sql, walk.sql (composed with `concat!` in catalog/views.rs and catalog/walk.rs).
-- It defines `user_schemas` (every schema but pg_catalog, information_schema, pg_toast* and
-- other sessions' temporary schemas) and `selection`, the relations asked for:
--   without names ($5 NULL): the views and materialized views of the filter;
--   with names: the relations of any kind named so (a table too, so that pgview can say that
--   it is one), still narrowed by the filter.
-- Binds (ViewFilter::bind_selection):
--   $1 schema (NULL: every user schema)      $2 include materialized views
--   $3 LIKE pattern on the name (NULL: any)
--   $4 schemas of the names (text[], a NULL element: any user schema)   $5 the names (text[])
user_schemas AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%'
          AND n.nspname NOT LIKE 'pg\_temp\_%'
       OR n.oid = pg_catalog.pg_my_temp_schema()
),
selection AS (
    SELECT c.oid, s.nspname AS schema, c.relname::text AS name, c.relkind::text AS relkind
    FROM pg_catalog.pg_class c
    JOIN user_schemas s ON s.oid = c.relnamespace
    WHERE $5::text[] IS NULL
      AND c.relkind IN ('v', 'm')
      AND (c.relkind <> 'm' OR $2::bool)
      AND ($1::text IS NULL OR s.nspname = $1::text)
      AND ($3::text IS NULL OR c.relname LIKE $3::text)
    UNION
    -- A join (not EXISTS) so that the planner expects as many rows as names.
    SELECT c.oid, s.nspname, c.relname::text, c.relkind::text
    FROM unnest($4::text[], $5::text[]) AS w (schema, name)
    JOIN pg_catalog.pg_class c ON c.relname = w.name::name
    JOIN user_schemas s ON s.oid = c.relnamespace AND (w.schema IS NULL OR w.schema = s.nspname)
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND (c.relkind <> 'm' OR $2::bool)
      AND ($1::text IS NULL OR s.nspname = $1::text)
      AND ($3::text IS NULL OR c.relname LIKE $3::text)
)
