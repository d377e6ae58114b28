-- The definitions of one chunk of the views and materialized views views.sql found ($1: their
-- oids), as the server prints them. A relation that is no longer a view (dropped since) has no
-- row.
-- pg_get_viewdef opens each view and locks it (AccessShareLock) until the end of the
-- transaction, and every relation its query names too: the chunks are sized by those locks
-- (catalog/views.rs), and each chunk's locks are released before the next one runs
-- (catalog/plan.rs).
SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) AS definition
FROM pg_catalog.pg_class c
WHERE c.oid = ANY ($1::oid[]) AND c.relkind IN ('v', 'm')
