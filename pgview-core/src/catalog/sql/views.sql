-- After selection.sql: one row per selected relation, with what `ViewInfo` holds but the
-- definition (tables are returned so that a name given for a table can be reported as such).
-- No binds of its own.
-- It reads catalog tables only: no relation is opened and none is locked (format_type,
-- pg_get_indexdef and pg_get_userbyid open no relation), whatever the number of views. The
-- definitions, whose printing locks each view, are read apart in bounded chunks
-- (definitions.sql, catalog/views.rs).
-- The indexes of a materialized view are parallel arrays in index name order (aggregated per
-- view apart, then joined: faster than a subquery per row); index_keys holds the key columns of
-- every index one after the other, index_key_counts[i] of them for index i (a column name, or
-- the expression's text).
-- reads: the relations the view's query names (its rule's pg_depend rows), which printing its
-- definition locks along with the view (ruleutils.c takes AcquireRewriteLocks on the rule's
-- query); lock_share: the server's max_locks_per_transaction, the number of locks each
-- transaction is sized for. Together they size the chunks of definitions.
SELECT v.oid,
       v.schema,
       v.name,
       v.relkind,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       c.reloptions::text[] AS options,
       d.description AS comment,
       c.relispopulated AS is_populated,
       t.spcname::text AS tablespace,
       a.column_names,
       a.column_types,
       a.column_not_null,
       coalesce(x.index_names, '{}') AS index_names,
       coalesce(x.index_unique, '{}') AS index_unique,
       coalesce(x.index_partial, '{}') AS index_partial,
       coalesce(x.index_definitions, '{}') AS index_definitions,
       coalesce(x.index_key_counts, '{}') AS index_key_counts,
       coalesce(k.index_keys, '{}') AS index_keys,
       ARRAY(SELECT DISTINCT d.refobjid
             FROM pg_catalog.pg_rewrite r
             JOIN pg_catalog.pg_depend d
               ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
              AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
             WHERE r.ev_class = v.oid AND r.rulename = '_RETURN') AS reads,
       pg_catalog.current_setting('max_locks_per_transaction')::int4 AS lock_share
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
LEFT JOIN (
    SELECT x.indrelid,
           array_agg(i.relname::text ORDER BY i.relname) AS index_names,
           array_agg(x.indisunique ORDER BY i.relname) AS index_unique,
           array_agg(x.indpred IS NOT NULL ORDER BY i.relname) AS index_partial,
           array_agg(pg_catalog.pg_get_indexdef(x.indexrelid) ORDER BY i.relname)
               AS index_definitions,
           array_agg(x.indnkeyatts::int4 ORDER BY i.relname) AS index_key_counts
    FROM selection m
    JOIN pg_catalog.pg_index x ON x.indrelid = m.oid
    JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
    WHERE m.relkind = 'm'
    GROUP BY x.indrelid
) x ON x.indrelid = v.oid
LEFT JOIN (
    SELECT x.indrelid,
           array_agg(coalesce(a.attname::text, pg_catalog.pg_get_indexdef(x.indexrelid, k.n, true))
                     ORDER BY i.relname, k.n) AS index_keys
    FROM selection m
    JOIN pg_catalog.pg_index x ON x.indrelid = m.oid
    JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
    CROSS JOIN LATERAL generate_series(1, x.indnkeyatts) AS k (n)
    LEFT JOIN pg_catalog.pg_attribute a
           ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k.n - 1] AND a.attnum <> 0
    WHERE m.relkind = 'm'
    GROUP BY x.indrelid
) k ON k.indrelid = v.oid
ORDER BY v.schema, v.name
