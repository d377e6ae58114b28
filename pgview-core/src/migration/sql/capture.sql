-- What a rebuild of views must restore and the catalog functions do not report, one row per
-- view: the raw reloptions (an option set to its default is kept as set), column comments, the
-- grants to roles other than the owner (in ACL order), triggers and rules (their definitions),
-- and the columns that have a default (which pgview does not restore). Also the current role,
-- which owns what is created.
-- Run with search_path pinned to '' so that definitions are schema-qualified.
-- Binds: $1 schemas (text[]), $2 names (text[]), parallel arrays.
SELECT n.nspname::text AS schema,
       c.relname::text AS name,
       current_user::text AS current_role,
       coalesce(c.reloptions::text[], '{}') AS options,
       ARRAY(
           SELECT a.attname::text
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_description d
             ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
            AND d.objsubid = a.attnum
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attnum
       ) AS comment_columns,
       ARRAY(
           SELECT d.description
           FROM pg_catalog.pg_attribute a
           JOIN pg_catalog.pg_description d
             ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
            AND d.objsubid = a.attnum
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attnum
       ) AS comment_texts,
       ARRAY(
           SELECT CASE WHEN g.grantee = 0 THEN NULL
                       ELSE pg_catalog.pg_get_userbyid(g.grantee)::text END
           FROM pg_catalog.aclexplode(c.relacl) WITH ORDINALITY AS g
           WHERE g.grantee <> c.relowner
           ORDER BY g.ordinality
       ) AS grantees,
       ARRAY(
           SELECT g.privilege_type
           FROM pg_catalog.aclexplode(c.relacl) WITH ORDINALITY AS g
           WHERE g.grantee <> c.relowner
           ORDER BY g.ordinality
       ) AS privileges,
       ARRAY(
           SELECT g.is_grantable
           FROM pg_catalog.aclexplode(c.relacl) WITH ORDINALITY AS g
           WHERE g.grantee <> c.relowner
           ORDER BY g.ordinality
       ) AS grantable,
       ARRAY(
           SELECT pg_catalog.pg_get_triggerdef(t.oid)
           FROM pg_catalog.pg_trigger t
           WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
           ORDER BY t.tgname
       ) AS triggers,
       ARRAY(
           SELECT pg_catalog.pg_get_ruledef(r.oid)
           FROM pg_catalog.pg_rewrite r
           WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'
           ORDER BY r.rulename
       ) AS rules,
       ARRAY(
           SELECT a.attname::text
           FROM pg_catalog.pg_attrdef ad
           JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
           WHERE ad.adrelid = c.oid
           ORDER BY a.attnum
       ) AS default_columns
FROM unnest($1::text[], $2::text[]) AS w (schema, name)
JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name::name
WHERE c.relkind IN ('v', 'm')
