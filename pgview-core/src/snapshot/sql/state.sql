-- The state of views: one row per view or materialized view, with everything a migration
-- needs to compare, drop and re-create it. Run with `search_path` empty, so that every name in
-- the definitions, types, index and trigger texts is schema-qualified.
-- `{column_type}`, `{columns_aggregate}` and `{fingerprint}` are replaced by the expressions of
-- `fingerprint.rs`
-- (shared with the drift guard of generated migrations).
-- Binds: the views, by OID with whether each is in scope ($1 int8[], $2 bool[], parallel), and
-- by name ($3 schemas, $4 names: text[], $5 whole: bool[], parallel; not in scope). A view
-- read by name and not whole is one the comparison created: only what its definition makes is
-- read (its fingerprint's defined components, no triggers, rules or defaults, no blockers),
-- which is most of the work of a state and not needed of it. Read by OID: whole.
-- A view read by name may be a *proxy* (`blueprint.rs`): a declared materialized view the
-- comparison created as a plain view, with its indexes on a temporary table ($6: that table,
-- as `pg_temp.pgview_proxy_T_N`, or NULL; $7: the declared names of its indexes, in order, as
-- the text of a `text[]`: its i-th index is `pgview_proxy_T_N_i`). It is read as the
-- materialized view it stands for: of that kind, not populated (created `WITH NO DATA`), the
-- indexes of the table under their declared names, defined on the view.
-- Printing a definition (`pg_get_viewdef`) locks the view until the transaction ends: callers
-- read a bounded number of views per (sub)transaction (see `query.rs`).
WITH
user_schemas AS (
    SELECT n.oid, n.nspname::text AS nspname
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%'
      AND n.nspname NOT LIKE 'pg\_temp\_%'
),
selected (oid, in_scope, whole, holder, holder_indexes) AS (
    SELECT o.oid::oid, o.in_scope, true, NULL::oid, NULL::text[]
    FROM unnest($1::int8[], $2::bool[]) AS o (oid, in_scope)
    UNION
    SELECT c.oid, false, w.whole, pg_catalog.to_regclass(w.holder)::oid,
           w.holder_indexes::text[]
    FROM unnest($3::text[], $4::text[], $5::bool[], $6::text[], $7::text[])
         AS w (schema, name, whole, holder, holder_indexes)
    JOIN user_schemas s ON s.nspname = w.schema
    JOIN pg_catalog.pg_class c ON c.relnamespace = s.oid AND c.relname = w.name::name
    WHERE c.relkind IN ('v', 'm')
)
SELECT s.nspname AS schema,
       c.relname::text AS name,
       c.oid::int8 AS oid,
       c.relkind = 'm' OR sel.holder IS NOT NULL AS materialized,
       sel.in_scope,
       vd.definition,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner,
       coalesce(c.reloptions::text[], '{}') AS options,
       d.description AS comment,
       c.relispopulated AND sel.holder IS NULL AS populated,
       {fingerprint} AS fingerprint,
       t.spcname::text AS tablespace,
       a.column_names,
       a.column_types,
       a.comment_columns,
       a.comment_texts,
       x.index_names,
       x.index_unique,
       x.index_concurrent,
       x.index_definitions,
       x.index_tails,
       c.relacl IS NOT NULL AS has_acl,
       g.grantees,
       g.privileges,
       g.grantable,
       -- (Without an ACL, nothing: the default privileges are not expanded for nothing.)
       CASE WHEN c.relacl IS NULL THEN '{}'::text[] ELSE ARRAY(
           SELECT p.privilege_type
           FROM pg_catalog.aclexplode(pg_catalog.acldefault('r', c.relowner)) p
           WHERE NOT EXISTS (
                 SELECT 1 FROM pg_catalog.aclexplode(c.relacl) q
                 WHERE q.grantee = c.relowner AND q.privilege_type = p.privilege_type)
           ORDER BY 1
       ) END AS owner_revoked,
       CASE WHEN NOT sel.whole THEN '{}'::text[] ELSE ARRAY(
           SELECT pg_catalog.pg_get_triggerdef(tg.oid)
           FROM pg_catalog.pg_trigger tg
           WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal
           ORDER BY tg.tgname
       ) || ARRAY(
           SELECT pg_catalog.rtrim(pg_catalog.pg_get_ruledef(rw.oid), ';')
           FROM pg_catalog.pg_rewrite rw
           WHERE rw.ev_class = c.oid AND rw.rulename <> '_RETURN'
           ORDER BY rw.rulename
       ) || ARRAY(
           SELECT pg_catalog.format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s',
                                    c.oid::regclass, at.attname,
                                    pg_catalog.pg_get_expr(ad.adbin, ad.adrelid))
           FROM pg_catalog.pg_attrdef ad
           JOIN pg_catalog.pg_attribute at ON at.attrelid = ad.adrelid AND at.attnum = ad.adnum
           WHERE ad.adrelid = c.oid
           ORDER BY ad.adnum
       ) END AS extras,
       r.read_schemas,
       r.read_names,
       r.read_kinds,
       CASE WHEN NOT sel.whole THEN '{}'::text[] ELSE ARRAY(
           SELECT DISTINCT pg_catalog.pg_describe_object(dep.classid, dep.objid, dep.objsubid)
           FROM pg_catalog.pg_depend dep
           WHERE dep.deptype = 'n'
             AND (dep.refclassid = 'pg_catalog.pg_class'::regclass AND dep.refobjid = c.oid
                  OR dep.refclassid = 'pg_catalog.pg_type'::regclass AND dep.refobjid = c.reltype)
             AND NOT EXISTS (
                 SELECT 1 FROM pg_catalog.pg_rewrite rr
                 WHERE dep.classid = 'pg_catalog.pg_rewrite'::regclass AND rr.oid = dep.objid
                   AND rr.rulename = '_RETURN')
           ORDER BY 1
       ) END AS blockers,
       -- Whether its stored query refers to no whole row (a `Var` of column 0) and to no
       -- type (casts to a row type, `ROW(…)::t`: built-in types are pinned, never recorded):
       -- then only the columns it names, or expands, of what it reads matter to it (see
       -- `batches.rs`). Read of live views only.
       sel.whole AND NOT EXISTS (
           SELECT 1 FROM pg_catalog.pg_rewrite rw
           WHERE rw.ev_class = c.oid AND rw.rulename = '_RETURN'
             AND (pg_catalog.strpos(rw.ev_action::text, ':varattno 0 ') > 0
                  OR EXISTS (
                      SELECT 1 FROM pg_catalog.pg_depend td
                      WHERE td.classid = 'pg_catalog.pg_rewrite'::regclass AND td.objid = rw.oid
                        AND td.refclassid = 'pg_catalog.pg_type'::regclass))
       ) AS explicit_columns
FROM selected sel
JOIN pg_catalog.pg_class c ON c.oid = sel.oid
JOIN user_schemas s ON s.oid = c.relnamespace
-- The definition printed once (OFFSET 0 keeps the subquery from being pulled up and its
-- expression copied into each use: the fingerprint uses it too).
CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_viewdef(c.oid) AS definition OFFSET 0) vd
LEFT JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(at.attname::text ORDER BY at.attnum), '{}') AS column_names,
           coalesce(array_agg({column_type} ORDER BY at.attnum), '{}') AS column_types,
           -- (The fingerprint's columns, from the same rows.)
           {columns_aggregate} AS fingerprint_columns,
           coalesce(array_agg(at.attname::text ORDER BY at.attnum)
                    FILTER (WHERE cd.description IS NOT NULL), '{}') AS comment_columns,
           coalesce(array_agg(cd.description ORDER BY at.attnum)
                    FILTER (WHERE cd.description IS NOT NULL), '{}') AS comment_texts
    FROM pg_catalog.pg_attribute at
    LEFT JOIN pg_catalog.pg_description cd
           ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::regclass
          AND cd.objsubid = at.attnum
    WHERE at.attrelid = c.oid AND at.attnum > 0 AND NOT at.attisdropped
) a
CROSS JOIN LATERAL (
    -- `tail`: the index definition after `CREATE [UNIQUE] INDEX name ON table`, so that the
    -- same index can be created under another name on another relation (NULL when the text
    -- does not start as expected).
    SELECT coalesce(array_agg(nm.name ORDER BY nm.name), '{}') AS index_names,
           coalesce(array_agg(ix.indisunique ORDER BY nm.name), '{}') AS index_unique,
           -- Whether REFRESH … CONCURRENTLY can use it (the server's rule, as in
           -- refresh/sql/refreshable.sql): unique, btree, on plain columns, no WHERE.
           coalesce(array_agg(ix.indisunique AND ix.indimmediate AND ix.indisvalid
                              AND ix.indpred IS NULL AND ix.indexprs IS NULL
                              AND i.relam = (SELECT am.oid FROM pg_catalog.pg_am am
                                             WHERE am.amname = 'btree')
                              ORDER BY nm.name), '{}') AS index_concurrent,
           coalesce(array_agg(
               CASE WHEN sel.holder IS NULL OR tl.tail IS NULL THEN ix.def
                    ELSE 'CREATE ' || CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END
                         || 'INDEX ' || pg_catalog.quote_ident(nm.name) || ' ON '
                         || c.oid::regclass::text || tl.tail
               END ORDER BY nm.name), '{}') AS index_definitions,
           coalesce(array_agg(tl.tail ORDER BY nm.name), '{}') AS index_tails
    -- Each index definition printed once (OFFSET 0, as for the definition).
    FROM (SELECT ix.indexrelid, ix.indisunique, ix.indimmediate, ix.indisvalid, ix.indpred,
                 ix.indexprs, pg_catalog.pg_get_indexdef(ix.indexrelid) AS def
          FROM pg_catalog.pg_index ix WHERE ix.indrelid = coalesce(sel.holder, c.oid) OFFSET 0) ix
    JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
    -- A proxy's index under its declared name (`pgview_proxy_T_N_i` is the i-th).
    CROSS JOIN LATERAL (
        SELECT CASE WHEN sel.holder IS NULL THEN i.relname::text
                    ELSE sel.holder_indexes[
                        pg_catalog.substring(i.relname::text, '_([0-9]+)$')::int4 + 1]
               END AS name
    ) nm
    CROSS JOIN LATERAL (
        SELECT 'CREATE ' || CASE WHEN ix.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
               || pg_catalog.quote_ident(i.relname) || ' ON ' || c.oid::regclass::text AS prefix
    ) p
    -- (A proxy's: from ` USING `, the first one: what comes before it is the index's and the
    -- table's names, `pgview_proxy_…` in the temporary schema, however the server prints it.)
    CROSS JOIN LATERAL (
        SELECT CASE WHEN sel.holder IS NOT NULL
                    THEN CASE WHEN pg_catalog.strpos(ix.def, ' USING ') > 0
                              THEN pg_catalog.substr(ix.def, pg_catalog.strpos(ix.def, ' USING '))
                         END
                    WHEN pg_catalog.starts_with(ix.def, p.prefix)
                    THEN pg_catalog.substr(ix.def, pg_catalog.length(p.prefix) + 1)
               END AS tail
    ) tl

) x
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(CASE WHEN e.grantee = 0 THEN NULL
                                   ELSE pg_catalog.pg_get_userbyid(e.grantee)::text END
                              ORDER BY e.grantee, e.privilege_type), '{}') AS grantees,
           coalesce(array_agg(e.privilege_type ORDER BY e.grantee, e.privilege_type), '{}')
               AS privileges,
           coalesce(array_agg(e.is_grantable ORDER BY e.grantee, e.privilege_type), '{}')
               AS grantable
    FROM pg_catalog.aclexplode(c.relacl) e
    WHERE e.grantee <> c.relowner
) g
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(rn.nspname::text ORDER BY rn.nspname, rc.relname), '{}')
               AS read_schemas,
           coalesce(array_agg(rc.relname::text ORDER BY rn.nspname, rc.relname), '{}')
               AS read_names,
           coalesce(array_agg(rc.relkind::text ORDER BY rn.nspname, rc.relname), '{}')
               AS read_kinds
    FROM (
        SELECT DISTINCT dd.refobjid
        FROM pg_catalog.pg_rewrite rw
        JOIN pg_catalog.pg_depend dd
          ON dd.classid = 'pg_catalog.pg_rewrite'::regclass AND dd.objid = rw.oid
         AND dd.refclassid = 'pg_catalog.pg_class'::regclass AND dd.refobjid <> c.oid
        WHERE rw.ev_class = c.oid AND rw.rulename = '_RETURN'
    ) refs
    -- Views and materialized views, and the tables (ordinary, partitioned, foreign) whose
    -- changes make a materialized view stale.
    JOIN pg_catalog.pg_class rc ON rc.oid = refs.refobjid AND rc.relkind IN ('v', 'm', 'r', 'p', 'f')
    JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
) r
ORDER BY s.nspname, c.relname
