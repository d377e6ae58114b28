-- After selection.sql and a comma: the output columns of the selected views and materialized
-- views, with what the nullability inference needs (catalog/nullability). No binds of its own.
-- It reads catalog tables only (pg_rewrite.ev_action is read as text, nothing is planned or
-- opened): no view is locked.
-- Rows: one per relation of `closure`: the selected relations (is_selected; a table too, so
-- that a name given for a table can be reported as such), and every relation their queries
-- read, transitively through views and materialized views (their rules' pg_depend rows).
--   rule: the stored query tree (`_RETURN` rule) of a view or materialized view;
--   not_null: the columns of an ordinary or partitioned table that hold no NULL: attnotnull,
--     and (PostgreSQL 18, where not-null constraints may be NOT VALID) no unvalidated not-null
--     constraint; foreign tables are left out (their constraints are not enforced);
--   col_*: the columns of a selected view (empty otherwise), in order.
closure (oid) AS (
    SELECT oid FROM selection
    UNION
    SELECT d.refobjid
    FROM closure c
    JOIN pg_catalog.pg_rewrite r ON r.ev_class = c.oid AND r.rulename = '_RETURN'
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.ev_class
)
SELECT c.oid,
       n.nspname::text AS schema,
       c.relname::text AS name,
       c.relkind::text AS relkind,
       EXISTS (SELECT 1 FROM selection s WHERE s.oid = c.oid) AS is_selected,
       (SELECT r.ev_action::text FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class = c.oid AND r.rulename = '_RETURN') AS rule,
       ARRAY(SELECT a.attnum::int4 FROM pg_catalog.pg_attribute a
             WHERE c.relkind IN ('r', 'p') AND a.attrelid = c.oid AND a.attnum > 0
               AND a.attnotnull AND NOT a.attisdropped
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                               WHERE k.conrelid = c.oid AND k.contype = 'n'
                                 AND k.conkey[1] = a.attnum AND NOT k.convalidated)
             ORDER BY a.attnum) AS not_null,
       coalesce(v.col_names, '{}') AS col_names,
       coalesce(v.col_types, '{}') AS col_types,
       coalesce(v.col_type_names, '{}') AS col_type_names,
       coalesce(v.col_type_schemas, '{}') AS col_type_schemas,
       coalesce(v.col_formatted, '{}') AS col_formatted,
       coalesce(v.col_typtypes, '{}') AS col_typtypes,
       coalesce(v.col_base_types, '{}') AS col_base_types,
       coalesce(v.col_elems, '{}') AS col_elems,
       coalesce(v.col_elem_names, '{}') AS col_elem_names,
       coalesce(v.col_elem_schemas, '{}') AS col_elem_schemas,
       coalesce(v.col_elem_typtypes, '{}') AS col_elem_typtypes,
       coalesce(v.col_typmods, '{}') AS col_typmods,
       coalesce(v.col_visible, '{}') AS col_visible,
       coalesce(v.col_comments, '{}') AS col_comments
FROM closure x
JOIN pg_catalog.pg_class c ON c.oid = x.oid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT array_agg(a.attname::text ORDER BY a.attnum) AS col_names,
           array_agg(a.atttypid ORDER BY a.attnum) AS col_types,
           array_agg(t.typname::text ORDER BY a.attnum) AS col_type_names,
           array_agg(tn.nspname::text ORDER BY a.attnum) AS col_type_schemas,
           array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
               AS col_formatted,
           array_agg(t.typtype::text ORDER BY a.attnum) AS col_typtypes,
           array_agg(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE 0::oid END
                     ORDER BY a.attnum) AS col_base_types,
           array_agg(coalesce(e.oid, 0::oid) ORDER BY a.attnum) AS col_elems,
           array_agg(coalesce(e.typname::text, '') ORDER BY a.attnum) AS col_elem_names,
           array_agg(coalesce(en.nspname::text, '') ORDER BY a.attnum) AS col_elem_schemas,
           array_agg(coalesce(e.typtype::text, '') ORDER BY a.attnum) AS col_elem_typtypes,
           array_agg(a.atttypmod ORDER BY a.attnum) AS col_typmods,
           array_agg(pg_catalog.pg_type_is_visible(t.oid) ORDER BY a.attnum) AS col_visible,
           array_agg(coalesce(d.description, '') ORDER BY a.attnum) AS col_comments
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
    -- An array type: its element type names it back as its array type.
    LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid
    LEFT JOIN pg_catalog.pg_namespace en ON en.oid = e.typnamespace
    LEFT JOIN pg_catalog.pg_description d
           ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
          AND d.objsubid = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relkind IN ('v', 'm') AND EXISTS (SELECT 1 FROM selection s WHERE s.oid = c.oid)
) v ON true
ORDER BY n.nspname, c.relname
