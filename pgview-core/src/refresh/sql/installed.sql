-- The auto-refresh installs: one row per trigger function in pgview's schema ($1) whose comment
-- starts with $2 (the rest of the comment is the materialized view's quoted name), with the
-- tables its triggers are on, in name order.
SELECT p.proname::text AS function,
       d.description AS comment,
       coalesce(array_agg(tn.nspname::text ORDER BY tn.nspname, tc.relname)
                FILTER (WHERE t.oid IS NOT NULL), '{}') AS table_schemas,
       coalesce(array_agg(tc.relname::text ORDER BY tn.nspname, tc.relname)
                FILTER (WHERE t.oid IS NOT NULL), '{}') AS table_names,
       coalesce(array_agg(tc.relkind::text ORDER BY tn.nspname, tc.relname)
                FILTER (WHERE t.oid IS NOT NULL), '{}') AS table_kinds
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
LEFT JOIN pg_catalog.pg_trigger t ON t.tgfoid = p.oid
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = t.tgrelid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE n.nspname = $1 AND pg_catalog.starts_with(d.description, $2)
GROUP BY p.oid, p.proname, d.description
ORDER BY d.description
