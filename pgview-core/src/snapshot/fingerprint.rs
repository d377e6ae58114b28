//! The SQL expressions that say what a view is, shared by the state query (`sql/state.sql`)
//! and the drift guard of generated migrations, so that a state read when a migration is
//! generated and the state found when it is applied are computed by the same text.
//!
//! Every expression is evaluated with an empty `search_path` (names in the output are
//! schema-qualified) and orders with the `C` collation, so that the text does not depend on
//! the session or the database's collation.

use std::sync::LazyLock;

/// The type of a column `at` (`pg_attribute`), as `format_type` prints it, with `COLLATE`
/// when the column's collation is not its type's (the type looked up by OID for it: a join
/// with `pg_type` was planned as a merge join scanning the whole catalog for each view).
const COLUMN_TYPE: &str = "(pg_catalog.format_type(at.atttypid, at.atttypmod) \
     || CASE WHEN at.attcollation <> (SELECT ty.typcollation FROM pg_catalog.pg_type ty \
                                      WHERE ty.oid = at.atttypid) \
        THEN ' COLLATE ' || at.attcollation::pg_catalog.regcollation::text ELSE '' END)";

/// A view's columns as the fingerprint writes them, `"name" type` separated by `, `
/// (aggregated over the columns `at` of the view, in order; `NULL` without columns).
const COLUMNS_AGGREGATE: &str =
    "pg_catalog.string_agg({QUOTED_COLUMN} || ' ' || {COLUMN_TYPE}, ', ' ORDER BY at.attnum)";

/// The name of a column `at`, always quoted (`quote_ident` depends on the server's keywords).
const QUOTED_COLUMN: &str = "('\"' || pg_catalog.replace(at.attname, '\"', '\"\"') || '\"')";

/// The owner and the privileges of the view `c`, sorted: `owner grantee:PRIVILEGE[*],…`
/// (`*`: with grant option).
const PRIVILEGES: &str = "(pg_catalog.pg_get_userbyid(c.relowner)::text || ' ' || coalesce(( \
     SELECT pg_catalog.string_agg(p.x, ',' ORDER BY p.x COLLATE \"C\") FROM ( \
       SELECT CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(e.grantee)::text END \
              || ':' || e.privilege_type || CASE WHEN e.is_grantable THEN '*' ELSE '' END AS x \
       FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))) AS e) AS p), ''))";

/// What else the view `c` carries, as an `md5`: its comment and its columns' comments, its
/// indexes, triggers, rules and column defaults (as the server prints them).
const EXTRAS: &str = "pg_catalog.md5(pg_catalog.concat_ws(E'\\n', \
     (SELECT pg_catalog.string_agg(d.objsubid::text || '=' || d.description, E'\\n' ORDER BY d.objsubid) \
      FROM pg_catalog.pg_description d \
      WHERE d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass), \
     (SELECT pg_catalog.string_agg(i.x, E'\\n' ORDER BY i.x COLLATE \"C\") FROM ( \
        SELECT pg_catalog.pg_get_indexdef(ix.indexrelid) AS x FROM pg_catalog.pg_index ix \
        WHERE ix.indrelid = c.oid) AS i), \
     (SELECT pg_catalog.string_agg(g.x, E'\\n' ORDER BY g.x COLLATE \"C\") FROM ( \
        SELECT pg_catalog.pg_get_triggerdef(tg.oid) AS x FROM pg_catalog.pg_trigger tg \
        WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal) AS g), \
     (SELECT pg_catalog.string_agg(u.x, E'\\n' ORDER BY u.x COLLATE \"C\") FROM ( \
        SELECT pg_catalog.pg_get_ruledef(rw.oid) AS x FROM pg_catalog.pg_rewrite rw \
        WHERE rw.ev_class = c.oid AND rw.rulename <> '_RETURN') AS u), \
     (SELECT pg_catalog.string_agg(ad.adnum::text || '=' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), \
                                   E'\\n' ORDER BY ad.adnum) \
      FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.oid)))";

/// The fingerprint of the view `c` (`pg_class`): a `text[]` of
/// 1. its `relkind` (`v` or `m`);
/// 2. the `md5` of its definition (`pg_get_viewdef`);
/// 3. its columns, `"name" type` separated by `, `;
/// 4. its options (`reloptions`), sorted, separated by `, `;
/// 5. its owner and privileges ([`PRIVILEGES`]);
/// 6. the `md5` of its comments, indexes, triggers, rules and column defaults ([`EXTRAS`]).
///
/// `kind` is the expression of its kind: `c.relkind::text`, or in the state query, `m` for a
/// proxy (a materialized view the comparison created as a plain view: see `sql/state.sql`).
/// `definition` is the expression of its definition: `pg_get_viewdef(c.oid)` in the guard, the
/// column that already holds it in the state query (printing a definition is the costliest
/// part of reading a view's state: once is enough); `columns`, that of its columns
/// ([`COLUMNS_AGGREGATE`] over `pg_attribute`, or the column of the state query that holds
/// it, aggregated with the other column lists). `whole`, when given, is a condition
/// without which the components after the [`DEFINED_COMPONENTS`] are `NULL` (not computed:
/// the state query of views the comparison created reads only what their definition makes).
fn fingerprint(kind: &str, definition: &str, columns: &str, whole: Option<&str>) -> String {
    let (when, end) = match whole {
        Some(condition) => (format!("CASE WHEN {condition} THEN "), " END"),
        None => (String::new(), ""),
    };
    format!(
        "ARRAY[{kind}, \
         pg_catalog.md5({definition}), \
         {columns}, \
         pg_catalog.array_to_string(ARRAY(SELECT o FROM pg_catalog.unnest(c.reloptions) AS o \
                                          ORDER BY o COLLATE \"C\"), ', '), \
         {when}{PRIVILEGES}{end}, \
         {when}{EXTRAS}{end}]"
    )
}

/// How many components of a fingerprint say what the view is in itself, as its definition
/// makes it (kind, definition, columns, options); the others (owner and privileges, comments,
/// indexes, triggers, rules, defaults) are only known for a state read from the live catalog.
pub(crate) const DEFINED_COMPONENTS: usize = 4;

/// The views and materialized views that read the view `c` directly, each as its quoted,
/// qualified name (`"schema"."name"`, as `QualifiedName` writes it), sorted.
pub(crate) const DEPENDENTS: &str = "ARRAY(SELECT x.dependent FROM (SELECT DISTINCT \
     '\"' || pg_catalog.replace(dn.nspname, '\"', '\"\"') || '\".\"' \
     || pg_catalog.replace(dc.relname, '\"', '\"\"') || '\"' AS dependent \
     FROM pg_catalog.pg_depend d \
     JOIN pg_catalog.pg_rewrite rw ON rw.oid = d.objid AND rw.rulename = '_RETURN' \
      AND rw.ev_class <> c.oid \
     JOIN pg_catalog.pg_class dc ON dc.oid = rw.ev_class \
     JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace \
     WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
       AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = c.oid) AS x \
     ORDER BY x.dependent COLLATE \"C\")";

/// The fingerprint expression (see [`fingerprint`]), for the drift guard.
pub(crate) static FINGERPRINT: LazyLock<String> = LazyLock::new(|| {
    fingerprint(
        "c.relkind::text",
        "pg_catalog.pg_get_viewdef(c.oid)",
        &format!(
            "(SELECT {} FROM pg_catalog.pg_attribute at \
             WHERE at.attrelid = c.oid AND at.attnum > 0 AND NOT at.attisdropped)",
            columns_aggregate()
        ),
        None,
    )
});

/// [`COLUMNS_AGGREGATE`] with its expressions in place.
fn columns_aggregate() -> String {
    COLUMNS_AGGREGATE
        .replace("{QUOTED_COLUMN}", QUOTED_COLUMN)
        .replace("{COLUMN_TYPE}", COLUMN_TYPE)
}

/// One part of a view's stamp read from another catalog: `value` aggregated over the rows of
/// `from` whose `owner` is the view and that pass `filter`. Written once and rendered two
/// ways: as a subquery per view ([`STAMP`], for a few views) and grouped for a whole
/// selection ([`STAMP_PARTS`] in `sql/select.sql`, for 100,000 views a few scans of each
/// catalog instead of a million index probes). Both give the same text (the integration test
/// `migrate_record::the_selection_stamp_is_the_recorded_stamp` checks it on every part).
struct StampPart {
    from: &'static str,
    owner: &'static str,
    filter: &'static str,
    value: &'static str,
}

/// The parts of the stamp read from other catalogs, in order (see [`STAMP`]).
const PARTS: [StampPart; 7] = [
    // The transaction that last wrote the view's query (one `_RETURN` rule: `min` is it).
    StampPart {
        from: "pg_catalog.pg_rewrite r",
        owner: "r.ev_class",
        filter: "r.rulename = '_RETURN'",
        value: "pg_catalog.min(r.xmin::text)",
    },
    StampPart {
        from: "pg_catalog.pg_attribute a",
        owner: "a.attrelid",
        filter: "a.attnum > 0 AND NOT a.attisdropped",
        value: "pg_catalog.string_agg(a.attnum::text || ':' || a.attname::text || ':' \
                || a.atttypid::text || ':' || a.atttypmod::text || ':' || a.attcollation::text, \
                ',' ORDER BY a.attnum)",
    },
    StampPart {
        from: "pg_catalog.pg_description d",
        owner: "d.objoid",
        filter: "d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass",
        value: "pg_catalog.string_agg(d.objsubid::text || ':' || d.xmin::text, ',' \
                ORDER BY d.objsubid)",
    },
    StampPart {
        from: "pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid",
        owner: "i.indrelid",
        filter: "true",
        value: "pg_catalog.string_agg(ic.relname::text || ':' || i.xmin::text, ',' \
                ORDER BY ic.relname)",
    },
    StampPart {
        from: "pg_catalog.pg_trigger t",
        owner: "t.tgrelid",
        filter: "NOT t.tgisinternal",
        value: "pg_catalog.string_agg(t.xmin::text, ',' ORDER BY t.oid)",
    },
    StampPart {
        from: "pg_catalog.pg_rewrite rr",
        owner: "rr.ev_class",
        filter: "rr.rulename <> '_RETURN'",
        value: "pg_catalog.string_agg(rr.xmin::text, ',' ORDER BY rr.oid)",
    },
    StampPart {
        from: "pg_catalog.pg_attrdef ad",
        owner: "ad.adrelid",
        filter: "true",
        value: "pg_catalog.string_agg(ad.adnum::text || ':' || ad.xmin::text, ',' \
                ORDER BY ad.adnum)",
    },
];

/// The stamp of `c` from its own columns and the parts (each an expression).
fn stamp(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.collect();
    format!(
        "pg_catalog.md5(pg_catalog.concat_ws('|', \
         c.relkind, c.relowner, c.relacl::text, c.reloptions::text, c.reltablespace, {}))",
        parts.join(", ")
    )
}

/// The stamp of the view `c`: what changes when the view is changed in any way, read from
/// catalog rows only, so that it costs no lock and little time (no `pg_get_viewdef`): its
/// kind, owner, privileges, options and tablespace, the transaction that last wrote its
/// query (the `_RETURN` rule), its columns, and the transactions that last wrote its comments,
/// indexes, triggers, other rules and column defaults. A refresh changes none of it. The
/// ownership record keeps the stamp a migration left; an equal stamp means the view is still
/// exactly what that migration made.
pub(crate) static STAMP: LazyLock<String> = LazyLock::new(|| {
    stamp(PARTS.iter().map(|p| {
        format!(
            "(SELECT {} FROM {} WHERE {} = c.oid AND {})",
            p.value, p.from, p.owner, p.filter
        )
    }))
});

/// The same stamp for every view of `sel_class` at once (`sql/select.sql`): `{parts}` are
/// the grouped parts (`stamp_1` … as common table expressions, each `(oid, x)`), `{joins}`
/// join them to `c`, `{stamp}` is the expression.
struct GroupedStamp {
    parts: String,
    joins: String,
    stamp: String,
}

static GROUPED_STAMP: LazyLock<GroupedStamp> = LazyLock::new(|| {
    let parts = PARTS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "stamp_{i} AS (\n    SELECT {owner} AS oid, {value} AS x\n    FROM {from}\n    \
                 JOIN sel_class sc ON sc.oid = {owner}\n    WHERE {filter}\n    GROUP BY {owner}\n)",
                owner = p.owner,
                value = p.value,
                from = p.from,
                filter = p.filter
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let joins = (0..PARTS.len())
        .map(|i| format!("LEFT JOIN stamp_{i} ON stamp_{i}.oid = c.oid"))
        .collect::<Vec<_>>()
        .join("\n");
    let stamp = stamp((0..PARTS.len()).map(|i| format!("stamp_{i}.x")));
    GroupedStamp {
        parts,
        joins,
        stamp,
    }
});

/// `sql/state.sql` with its expressions in place.
pub(crate) static STATE_SQL: LazyLock<String> = LazyLock::new(|| {
    include_str!("sql/state.sql")
        .replace("{column_type}", COLUMN_TYPE)
        .replace("{columns_aggregate}", &columns_aggregate())
        .replace(
            "{fingerprint}",
            &fingerprint(
                "CASE WHEN sel.holder IS NULL THEN c.relkind::text ELSE 'm' END",
                "vd.definition",
                "a.fingerprint_columns",
                Some("sel.whole"),
            ),
        )
});

/// `sql/select.sql` with its expressions in place.
pub(crate) static SELECT_SQL: LazyLock<String> = LazyLock::new(|| {
    include_str!("sql/select.sql")
        .replace("{stamp_parts}", &GROUPED_STAMP.parts)
        .replace("{stamp_joins}", &GROUPED_STAMP.joins)
        .replace("{stamp}", &GROUPED_STAMP.stamp)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_query_has_every_expression() {
        assert!(!STATE_SQL.contains("{column_type}"));
        assert!(!STATE_SQL.contains("{fingerprint}"));
        assert!(
            !STATE_SQL.contains("{columns_aggregate}") && !STATE_SQL.contains("{QUOTED_COLUMN}")
        );
        assert!(STATE_SQL.contains("pg_catalog.md5(vd.definition)"));
        assert_eq!(STATE_SQL.matches("pg_catalog.pg_get_viewdef(").count(), 1);
        assert!(FINGERPRINT.contains("pg_catalog.md5(pg_catalog.pg_get_viewdef(c.oid))"));
    }
}
