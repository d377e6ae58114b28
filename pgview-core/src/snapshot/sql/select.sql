-- Which views a comparison looks at: one row per view or materialized view, with only what
-- costs no lock (catalog rows, no `pg_get_viewdef`): whether it is in scope, its stamp (see
-- `fingerprint.rs`) and the views it reads. The state of the views that need it is read
-- afterwards, a bounded number at a time (`state.sql`).
-- Binds:
--   $1 text[]  schemas in scope (NULL: every user schema; '{}': none)
--   $2 text[]  schemas of named views    $3 text[]  their names (declared views, …)
--   $4 bool    also every view that reads a selected one, transitively
-- A view that belongs to an extension is never in scope.
WITH RECURSIVE
user_schemas AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND n.nspname NOT LIKE 'pg\_temp\_%'
),
scoped AS (
    SELECT c.oid
    FROM pg_catalog.pg_class c
    JOIN user_schemas s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('v', 'm')
      AND ($1::text[] IS NULL OR s.nspname = ANY ($1::text[]))
      -- (Members of extensions found from the extensions' side: `pg_depend` indexes
      -- `refclassid` first, so this reads a few rows instead of every dependency of every
      -- relation, which took 0.7 s on 100,000 views even when only a few are selected.)
      AND c.oid NOT IN (
          SELECT e.objid FROM pg_catalog.pg_depend e
          WHERE e.refclassid = 'pg_catalog.pg_extension'::regclass AND e.deptype = 'e'
            AND e.classid = 'pg_catalog.pg_class'::regclass)
),
named AS (
    SELECT c.oid
    FROM unnest($2::text[], $3::text[]) AS w (schema, name)
    JOIN user_schemas s ON s.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = s.oid AND c.relname = w.name::name
    WHERE c.relkind IN ('v', 'm')
),
selected (oid) AS (
    SELECT oid FROM (SELECT oid FROM scoped UNION SELECT oid FROM named) AS roots
    UNION
    SELECT r.ev_class
    FROM selected p
    JOIN pg_catalog.pg_depend d
      ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = p.oid
     AND d.classid = 'pg_catalog.pg_rewrite'::regclass
    JOIN pg_catalog.pg_rewrite r
      ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> p.oid
    WHERE $4::bool
),
-- The stamp and the views read, computed for every selected view at once (grouped, then
-- joined), not by a subquery per view: 100,000 views are a few scans of each catalog instead
-- of a million index probes. The stamp's parts grouped (`stamp_0` …) come from
-- `fingerprint.rs`, where the same parts make the per-view `STAMP` of the record.
sel_class AS MATERIALIZED (
    SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, c.reloptions, c.reltablespace,
           c.relnamespace
    FROM selected sel
    JOIN pg_catalog.pg_class c ON c.oid = sel.oid
),
{stamp_parts},
reads_of AS (
    SELECT refs.ev_class,
           array_agg(rn.nspname::text ORDER BY rn.nspname, rc.relname) AS read_schemas,
           array_agg(rc.relname::text ORDER BY rn.nspname, rc.relname) AS read_names
    FROM (
        SELECT DISTINCT rw.ev_class, dd.refobjid
        FROM pg_catalog.pg_rewrite rw
        JOIN sel_class sc ON sc.oid = rw.ev_class
        JOIN pg_catalog.pg_depend dd
          ON dd.classid = 'pg_catalog.pg_rewrite'::regclass AND dd.objid = rw.oid
         AND dd.refclassid = 'pg_catalog.pg_class'::regclass AND dd.refobjid <> rw.ev_class
        WHERE rw.rulename = '_RETURN'
    ) refs
    JOIN pg_catalog.pg_class rc ON rc.oid = refs.refobjid AND rc.relkind IN ('v', 'm')
    JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
    GROUP BY refs.ev_class
)
SELECT c.oid::int8 AS oid,
       s.nspname AS schema,
       c.relname::text AS name,
       c.relkind = 'm' AS materialized,
       c.oid IN (SELECT oid FROM scoped) AS in_scope,
       {stamp} AS stamp,
       coalesce(r.read_schemas, '{}') AS read_schemas,
       coalesce(r.read_names, '{}') AS read_names
FROM sel_class c
JOIN user_schemas s ON s.oid = c.relnamespace
{stamp_joins}
LEFT JOIN reads_of r ON r.ev_class = c.oid
-- (No ORDER BY: the comparison keys the rows by name; sorting 100,000 rows with their arrays
-- spills to disk with the default `work_mem`.)
