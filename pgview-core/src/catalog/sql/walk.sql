-- After selection.sql and a comma: the dependency edges around the selected relations (the roots).
-- A view or materialized view is a `_RETURN` rule in pg_rewrite (ev_class = the view); its
-- pg_depend rows (classid pg_rewrite, objid the rule) reference the relations it reads
-- (refclassid pg_class, refobjid the relation, one row per column used: UNION keeps one edge
-- per pair of relations). The rule's reference to its own view is skipped.
-- Binds: $6 follow what the roots read, $7 follow what reads the roots, $8 transitively
-- (otherwise only the roots' own edges).
-- The walks are recursive CTEs over edge pairs with UNION, so they end on any catalog data
-- (a cycle only repeats pairs already found), and each step is an index lookup
-- (pg_rewrite_rel_rulename_index, pg_depend_depender_index, pg_depend_reference_index,
-- pg_rewrite_oid_index).
-- Rows: one per root (is_root, ref_* NULL), then one per edge between relations of user schemas
-- (tables, views, materialized views, foreign tables; sequences and types are left out).
reads (dependent, referenced) AS (
    SELECT r.ev_class, d.refobjid
    FROM selection s
    JOIN pg_catalog.pg_rewrite r ON r.ev_class = s.oid AND r.rulename = '_RETURN'
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
    WHERE $6::bool
    UNION
    SELECT r.ev_class, d.refobjid
    FROM reads p
    JOIN pg_catalog.pg_rewrite r ON r.ev_class = p.referenced AND r.rulename = '_RETURN'
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
    WHERE $8::bool
),
read_by (dependent, referenced) AS (
    SELECT r.ev_class, d.refobjid
    FROM selection s
    JOIN pg_catalog.pg_depend d
      ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = s.oid
     AND d.classid = 'pg_catalog.pg_rewrite'::regclass
    JOIN pg_catalog.pg_rewrite r
      ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> d.refobjid
    WHERE $7::bool
    UNION
    SELECT r.ev_class, d.refobjid
    FROM read_by p
    JOIN pg_catalog.pg_depend d
      ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = p.dependent
     AND d.classid = 'pg_catalog.pg_rewrite'::regclass
    JOIN pg_catalog.pg_rewrite r
      ON r.oid = d.objid AND r.rulename = '_RETURN' AND r.ev_class <> d.refobjid
    WHERE $8::bool
),
walked AS (
    SELECT dependent, referenced FROM reads
    UNION
    SELECT dependent, referenced FROM read_by
)
SELECT true AS is_root,
       s.schema,
       s.name,
       s.relkind,
       NULL::text AS ref_schema,
       NULL::text AS ref_name,
       NULL::text AS ref_relkind
FROM selection s
UNION ALL
SELECT false, ds.nspname, dc.relname::text, dc.relkind::text,
       rs.nspname, rc.relname::text, rc.relkind::text
FROM walked w
JOIN pg_catalog.pg_class dc ON dc.oid = w.dependent
JOIN user_schemas ds ON ds.oid = dc.relnamespace
JOIN pg_catalog.pg_class rc ON rc.oid = w.referenced AND rc.relkind IN ('r', 'p', 'v', 'm', 'f')
JOIN user_schemas rs ON rs.oid = rc.relnamespace
