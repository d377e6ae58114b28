//! Which output columns of a view the server can prove `NOT NULL`, from the view's stored query
//! tree (`pg_rewrite.ev_action`) traced back to table columns with a valid `NOT NULL`.
//!
//! Why the stored tree and not `EXPLAIN (VERBOSE)`: the tree names every column by position
//! (`VAR :varno :varattno`), its range table says what each position is (a table by OID, a
//! subquery, a join), and its join tree says which relations sit on the nullable side of an
//! outer join, so nothing is matched by text. `EXPLAIN` prints expressions as text (to be parsed
//! again, with aliases the planner invents), needs the view planned (locks), and its plan shape
//! changes with statistics. The tree's text format gains fields between major versions, but the
//! fields read here (`varno`, `varattno`, `rtekind`, `relid`, `jointype`, `joinaliasvars`,
//! `subquery`, `constisnull`, `aggfnoid`, …) exist with the same meaning in PostgreSQL 13 to
//! 18; the reader ignores the others.
//!
//! Soundness before completeness: a column is `NOT NULL` only when every path to it is one of
//! the forms below; anything else (a function call, an operator, a scalar subquery, a column of
//! a set-returning function or `VALUES`, an unknown node of a newer version) is nullable:
//!
//! - a table column with a valid `NOT NULL` (ordinary and partitioned tables; not foreign
//!   tables, whose constraints are not enforced), reached through inner joins only;
//! - a column of a view, materialized view or subquery that is itself proven `NOT NULL`
//!   (traced through their queries); of a `UNION`/`INTERSECT`/`EXCEPT` when proven in every
//!   branch;
//! - a non-null constant; `count(…)`, `row_number()`, `rank()`, `dense_rank()`,
//!   `percent_rank()`, `cume_dist()`; `EXISTS (…)`; `IS [NOT] NULL` and other boolean tests;
//!   `ARRAY[…]`;
//! - `coalesce(…)`, `GREATEST`/`LEAST` with at least one proven argument; `CASE` whose every
//!   branch (and an `ELSE`) is proven; `AND`/`OR`/`NOT` of proven arguments; a built-in cast of
//!   a proven value.
//!
//! A column from the nullable side of a `LEFT`/`RIGHT`/`FULL` join, or grouped by
//! `GROUPING SETS`/`ROLLUP`/`CUBE`, is nullable.

mod tree;

use std::collections::{HashMap, HashSet};

use tree::{Node, Value};

/// The first OID of objects that are not built in (`FirstNormalObjectId`).
const FIRST_USER_OID: i64 = 16_384;

/// `count(any)`, `count(*)`.
const COUNT_AGGREGATES: [i64; 2] = [2147, 2803];

/// Window functions that never return NULL: `count`, `row_number`, `rank`, `dense_rank`,
/// `percent_rank`, `cume_dist`.
const NON_NULL_WINDOW_FUNCTIONS: [i64; 7] = [2147, 2803, 3100, 3101, 3102, 3103, 3104];

/// How deep views over views and subqueries are followed.
const MAX_DEPTH: usize = 64;

/// What the inference knows of the relations a view reads.
#[derive(Debug, Default)]
pub(crate) struct Relations {
    /// Views and materialized views: their stored query (`None`: unreadable).
    rules: HashMap<u32, Option<Value>>,
    /// Tables: their columns (attnum) proven `NOT NULL`.
    tables: HashMap<u32, HashSet<i32>>,
}

impl Relations {
    /// Records a view or materialized view and the text of its `_RETURN` rule.
    pub(crate) fn add_view(&mut self, oid: u32, rule: &str) {
        self.rules.insert(oid, tree::parse(rule));
    }

    /// Records a table and its columns proven `NOT NULL`.
    pub(crate) fn add_table(&mut self, oid: u32, not_null: impl IntoIterator<Item = i32>) {
        self.tables.insert(oid, not_null.into_iter().collect());
    }

    /// For each of `columns` output columns of view `oid` (attnum 1, 2, …): whether it is
    /// proven `NOT NULL`.
    pub(crate) fn view_columns(&self, oid: u32, columns: usize) -> Vec<bool> {
        (1..=columns)
            .map(|attnum| {
                i64::try_from(attnum).is_ok_and(|attnum| self.view_column(oid, attnum, 0))
            })
            .collect()
    }

    fn view_column(&self, oid: u32, attnum: i64, depth: usize) -> bool {
        let Some(Some(Value::List(actions))) = self.rules.get(&oid) else {
            return false;
        };
        match actions.as_slice() {
            [Value::Node(query)] if query.name == "QUERY" => {
                self.query_column(query, attnum, depth + 1)
            }
            _ => false,
        }
    }

    /// Whether output column `resno` of `query` is proven `NOT NULL`.
    fn query_column(&self, query: &Node, resno: i64, depth: usize) -> bool {
        if depth > MAX_DEPTH || resno < 1 {
            return false;
        }
        if !query.is_null("setOperations") {
            // Each branch is a subquery of the range table; the target list names the first.
            let branches: Vec<&Node> = query
                .list("rtable")
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_node)
                .filter_map(|rte| rte.node("subquery"))
                .collect();
            return !branches.is_empty()
                && branches
                    .iter()
                    .all(|branch| self.query_column(branch, resno, depth + 1));
        }
        let Some(scope) = Scope::new(query) else {
            return false;
        };
        let entry = query
            .list("targetList")
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_node)
            .find(|entry| entry.int("resno") == Some(resno) && !entry.is_true("resjunk"));
        entry
            .and_then(|entry| entry.node("expr"))
            .is_some_and(|expr| self.expr(&scope, expr, depth))
    }

    /// Whether expression `expr` of the query of `scope` is proven `NOT NULL`.
    fn expr(&self, scope: &Scope<'_>, expr: &Node, depth: usize) -> bool {
        let all = |name: &str| {
            expr.list(name).is_some_and(|args| {
                args.iter()
                    .all(|a| a.as_node().is_some_and(|a| self.expr(scope, a, depth)))
            })
        };
        let any = |name: &str| {
            expr.list(name).is_some_and(|args| {
                args.iter()
                    .any(|a| a.as_node().is_some_and(|a| self.expr(scope, a, depth)))
            })
        };
        let arg = |name: &str| expr.node(name).is_some_and(|a| self.expr(scope, a, depth));
        // PostgreSQL 13-15 label some nodes apart (`COALESCE`, `MINMAX`, `ARRAY`, `CASE`);
        // 16 and later use the node type's name.
        match expr.name.as_str() {
            "VAR" => self.var(scope, expr, depth),
            "CONST" => expr.atom("constisnull") == Some("false"),
            "COALESCEEXPR" | "COALESCE" | "MINMAXEXPR" | "MINMAX" => any("args"),
            "RELABELTYPE" => arg("arg"),
            "COERCEVIAIO" => {
                expr.int("resulttype").is_some_and(|t| t < FIRST_USER_OID) && arg("arg")
            }
            // A built-in cast (explicit or implicit) of proven arguments.
            "FUNCEXPR" => {
                matches!(expr.int("funcformat"), Some(1 | 2))
                    && expr.int("funcid").is_some_and(|f| f < FIRST_USER_OID)
                    && all("args")
            }
            "AGGREF" => expr
                .int("aggfnoid")
                .is_some_and(|f| COUNT_AGGREGATES.contains(&f)),
            "WINDOWFUNC" => expr
                .int("winfnoid")
                .is_some_and(|f| NON_NULL_WINDOW_FUNCTIONS.contains(&f)),
            "NULLTEST" | "BOOLEANTEST" | "ARRAYEXPR" | "ARRAY" => true,
            // EXISTS (…).
            "SUBLINK" => expr.int("subLinkType") == Some(0),
            "BOOLEXPR" => all("args"),
            "CASEEXPR" | "CASE" => {
                let whens = expr.list("args").unwrap_or_default();
                !whens.is_empty()
                    && whens.iter().all(|when| {
                        when.as_node()
                            .and_then(|w| w.node("result"))
                            .is_some_and(|r| self.expr(scope, r, depth))
                    })
                    && arg("defresult")
            }
            _ => false,
        }
    }

    fn var(&self, scope: &Scope<'_>, var: &Node, depth: usize) -> bool {
        let (Some(0), Some(varno), Some(attno)) = (
            var.int("varlevelsup"),
            var.int("varno"),
            var.int("varattno"),
        ) else {
            return false;
        };
        // PostgreSQL 16+: the outer joins that can null this Var.
        let nulled = var
            .list("varnullingrels")
            .is_some_and(|rels| rels.iter().any(|r| r != &Value::Atom("b".into())));
        if nulled || attno < 1 || scope.grouping_sets || scope.nullable.contains(&varno) {
            return false;
        }
        let Some(rte) = usize::try_from(varno - 1)
            .ok()
            .and_then(|i| scope.rtable.get(i))
            .and_then(Value::as_node)
        else {
            return false;
        };
        let nth = |name: &str| {
            usize::try_from(attno - 1)
                .ok()
                .and_then(|i| rte.list(name)?.get(i))
                .and_then(Value::as_node)
        };
        match rte.int("rtekind") {
            Some(0) => {
                let Some(oid) = rte.int("relid").and_then(|o| u32::try_from(o).ok()) else {
                    return false;
                };
                if let Some(not_null) = self.tables.get(&oid) {
                    return i32::try_from(attno).is_ok_and(|a| not_null.contains(&a));
                }
                self.view_column(oid, attno, depth + 1)
            }
            Some(1) => rte
                .node("subquery")
                .is_some_and(|q| self.query_column(q, attno, depth + 1)),
            Some(2) => nth("joinaliasvars").is_some_and(|e| self.expr(scope, e, depth + 1)),
            // PostgreSQL 18: the grouped expressions of a query with GROUP BY.
            Some(9) => nth("groupexprs").is_some_and(|e| self.expr(scope, e, depth + 1)),
            _ => false,
        }
    }
}

/// One query level: its range table, the range table entries on the nullable side of an outer
/// join, and whether it groups by grouping sets.
struct Scope<'q> {
    rtable: &'q [Value],
    nullable: HashSet<i64>,
    grouping_sets: bool,
}

impl<'q> Scope<'q> {
    /// `None` when the join tree has a form this does not know.
    fn new(query: &'q Node) -> Option<Self> {
        let mut nullable = HashSet::new();
        if let Some(jointree) = query.node("jointree") {
            nullable_side(jointree, false, &mut nullable)?;
        }
        Some(Self {
            rtable: query.list("rtable")?,
            nullable,
            grouping_sets: !query.list("groupingSets").is_some_and(<[Value]>::is_empty),
        })
    }
}

/// Adds to `nullable` the range table entries of `node` that an outer join can null.
fn nullable_side(node: &Node, nulled: bool, nullable: &mut HashSet<i64>) -> Option<()> {
    match node.name.as_str() {
        "RANGETBLREF" => {
            if nulled {
                nullable.insert(node.int("rtindex")?);
            }
        }
        "FROMEXPR" => {
            for item in node.list("fromlist")? {
                nullable_side(item.as_node()?, nulled, nullable)?;
            }
        }
        "JOINEXPR" => {
            // JOIN_INNER, JOIN_LEFT, JOIN_FULL, JOIN_RIGHT; anything else nulls both sides.
            let (left, right) = match node.int("jointype")? {
                0 => (nulled, nulled),
                1 => (nulled, true),
                3 => (true, nulled),
                _ => (true, true),
            };
            nullable_side(node.node("larg")?, left, nullable)?;
            nullable_side(node.node("rarg")?, right, nullable)?;
            if nulled {
                nullable.insert(node.int("rtindex")?);
            }
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A view over tables 100 and 101 (both with column 1 `NOT NULL`), joined by `jointree`.
    fn view(jointree: &str) -> Relations {
        let rule = format!(
            "({{QUERY :setOperations <> :groupingSets <> \
             :rtable ({{RANGETBLENTRY :rtekind 0 :relid 100}} {{RANGETBLENTRY :rtekind 0 :relid 101}}) \
             :jointree {jointree} :targetList (\
             {{TARGETENTRY :expr {{VAR :varno 1 :varattno 1 :varlevelsup 0}} :resno 1 :resjunk false}} \
             {{TARGETENTRY :expr {{VAR :varno 2 :varattno 1 :varlevelsup 0}} :resno 2 :resjunk false}} \
             {{TARGETENTRY :expr {{VAR :varno 1 :varattno 1 :varlevelsup 0 :varnullingrels (b 3)}} :resno 3 :resjunk false}} \
             {{TARGETENTRY :expr {{NEWNODE :args <>}} :resno 4 :resjunk false}} \
             {{TARGETENTRY :expr {{VAR :varno 1 :varattno 2 :varlevelsup 0}} :resno 5 :resjunk false}})}})"
        );
        let mut relations = Relations::default();
        relations.add_table(100, [1]);
        relations.add_table(101, [1]);
        relations.add_view(1, &rule);
        relations
    }

    #[test]
    fn outer_joins_nulling_rels_and_unknown_nodes_are_nullable() {
        let left = "{FROMEXPR :fromlist ({JOINEXPR :jointype 1 :larg {RANGETBLREF :rtindex 1} \
                    :rarg {RANGETBLREF :rtindex 2} :rtindex 3}) :quals <>}";
        assert_eq!(
            view(left).view_columns(1, 5),
            [true, false, false, false, false]
        );
        let right = left.replace(":jointype 1", ":jointype 3");
        assert_eq!(
            view(&right).view_columns(1, 5),
            [false, true, false, false, false]
        );
        let inner = left.replace(":jointype 1", ":jointype 0");
        assert_eq!(
            view(&inner).view_columns(1, 5),
            [true, true, false, false, false]
        );
        // A join tree of an unknown form: nothing is proven.
        assert_eq!(view("{NEWJOIN}").view_columns(1, 5), [false; 5]);
        // An unreadable rule, an unknown view: nothing is proven.
        let mut relations = Relations::default();
        relations.add_view(1, "({QUERY :targetList (");
        assert_eq!(relations.view_columns(1, 2), [false, false]);
        assert_eq!(relations.view_columns(2, 1), [false]);
    }
}
