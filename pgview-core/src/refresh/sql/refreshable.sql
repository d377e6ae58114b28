-- What a refresh needs to know about the selected materialized views, read from catalog tables
-- only: no function that opens the relation (as pg_get_viewdef does), so planning never waits
-- behind the ACCESS EXCLUSIVE lock of a refresh that is running.
-- is_populated: pg_class.relispopulated.
-- has_unique_index: an index that REFRESH … CONCURRENTLY accepts, by the server's own rule
-- (matview.c, is_usable_unique_index): unique, valid, immediate, btree, no WHERE clause, and
-- every key a plain column of the view (no expression, no system column).
-- Binds: $1 the schemas (text[]), $2 the names (text[]), in pairs.
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       c.relispopulated AS is_populated,
       EXISTS (
           SELECT 1
           FROM pg_catalog.pg_index x
           JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
           JOIN pg_catalog.pg_am a ON a.oid = i.relam AND a.amname = 'btree'
           WHERE x.indrelid = c.oid
             AND x.indisunique AND x.indisvalid AND x.indimmediate
             AND x.indpred IS NULL
             AND x.indnkeyatts > 0
             AND NOT EXISTS (
                 SELECT 1 FROM generate_series(0, x.indnkeyatts - 1) AS k WHERE x.indkey[k] <= 0
             )
       ) AS has_unique_index
FROM unnest($1::text[], $2::text[]) AS w (schema, name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind = 'm'
