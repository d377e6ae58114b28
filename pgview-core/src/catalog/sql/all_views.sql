-- Views and materialized views of user schemas.
-- $1 schema (NULL: all), $2 include materialized views, $3 LIKE pattern on the name (NULL: all)
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind = 'm' AS is_materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS definition
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND (c.relkind = 'v' OR $2)
  AND ($1::text IS NULL OR n.nspname = $1::text)
  AND ($3::text IS NULL OR c.relname LIKE $3::text)
  AND (n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp\_%'
       OR n.oid = pg_catalog.pg_my_temp_schema())
ORDER BY 1, 2
