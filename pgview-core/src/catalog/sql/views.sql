-- After selection.sql: one row per selected relation, with what `ViewInfo` holds (definition
-- only for views and materialized views; tables are returned so that a name given for a table
-- can be reported as such). No binds of its own.
SELECT v.schema,
       v.name,
       v.relkind,
       CASE WHEN v.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(v.oid) END AS definition,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       c.reloptions::text[] AS options,
       d.description AS comment,
       c.relispopulated AS is_populated,
       t.spcname::text AS tablespace,
       a.column_names,
       a.column_types,
       a.column_not_null
FROM selection v
JOIN pg_catalog.pg_class c ON c.oid = v.oid
LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace
-- A join rather than obj_description(), which runs a query per row.
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = v.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(a.attname::text ORDER BY a.attnum), '{}') AS column_names,
           coalesce(array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum),
                    '{}') AS column_types,
           coalesce(array_agg(a.attnotnull ORDER BY a.attnum), '{}') AS column_not_null
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
) a
ORDER BY v.schema, v.name
