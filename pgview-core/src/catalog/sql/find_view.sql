-- Views and materialized views named $2, in schema $1 (NULL: any user schema).
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind = 'm' AS is_materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS definition
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND c.relname = $2::text
  AND ($1::text IS NULL OR n.nspname = $1::text)
  AND ($1::text IS NOT NULL
       OR n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%'
          AND n.nspname NOT LIKE 'pg\_temp\_%'
       OR n.oid = pg_catalog.pg_my_temp_schema())
ORDER BY 1, 2
