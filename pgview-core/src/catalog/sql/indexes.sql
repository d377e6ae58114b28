-- After selection.sql: the indexes of the selected materialized views, one row each, with
-- their key columns (a column name, or the expression's text). No binds of its own.
SELECT v.schema,
       v.name AS relation,
       i.relname::text AS name,
       x.indisunique AS is_unique,
       x.indpred IS NOT NULL AS is_partial,
       pg_catalog.pg_get_indexdef(x.indexrelid) AS definition,
       ARRAY(
           SELECT coalesce(a.attname::text, pg_catalog.pg_get_indexdef(x.indexrelid, k, true))
           FROM generate_series(1, x.indnkeyatts) AS k
           LEFT JOIN pg_catalog.pg_attribute a
                  ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1] AND a.attnum <> 0
           ORDER BY k
       ) AS columns
FROM selection v
JOIN pg_catalog.pg_index x ON x.indrelid = v.oid
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
WHERE v.relkind = 'm'
ORDER BY v.schema, v.name, i.relname
