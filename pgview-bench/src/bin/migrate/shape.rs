//! The benchmark's views: chains over two schemas, materialized views with a unique index and a
//! comment, and the changed ones; the SQL that creates them and the declared set.

use std::fmt::Write as _;

use pgview::{ddl::Index, diff::ViewSet, MaterializedView, View};

/// The schemas of the views (chains alternate between them).
pub(crate) const SCHEMAS: [&str; 2] = ["bench_a", "bench_b"];

/// How many chains one setup statement creates: 100 chains of 8 views are 800 views and up to
/// 80 indexes, whose locks the statement holds until it ends (well under the lock table of a
/// server with default settings).
const CHAINS_PER_STATEMENT: usize = 100;

/// The benchmark's shape: `chains` chains `depth` deep. Of 1,000 views (125 chains 8 deep):
/// 50 chains with a materialized view at level 3 (read by the levels above), 50 with a
/// materialized view at the top (read by nothing), and 50 changed views.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) chains: usize,
    pub(crate) depth: usize,
    /// Chains whose level 3 is a materialized view (read by the levels above).
    pub(crate) mid_materialized: usize,
    /// Chains whose top level is a materialized view (nothing reads it).
    pub(crate) top_materialized: usize,
    /// How many declared views differ from the database (spread evenly).
    pub(crate) changed: usize,
    changed_percent: usize,
}

impl Shape {
    /// `views` views (rounded up to whole chains) `depth` deep, `changed_percent` of them
    /// changed; 2 chains in 5 have a materialized view at level 3, 2 in 5 at the top.
    pub(crate) fn new(views: usize, depth: usize, changed_percent: usize) -> Self {
        let depth = depth.max(4);
        let chains = views.div_ceil(depth).max(1);
        Self {
            chains,
            depth,
            mid_materialized: chains * 2 / 5,
            top_materialized: chains * 2 / 5,
            changed: chains * depth * changed_percent / 100,
            changed_percent,
        }
    }

    /// The share of changed views it was made with, in percent.
    pub(crate) fn changed_percent(&self) -> usize {
        self.changed_percent
    }

    pub(crate) fn views(&self) -> usize {
        self.chains * self.depth
    }

    pub(crate) fn materialized_views(&self) -> usize {
        self.mid_materialized + self.top_materialized
    }

    /// How many declared views differ from the database's.
    pub(crate) fn changed_declared(&self) -> usize {
        (0..self.chains)
            .flat_map(|chain| (0..self.depth).map(move |level| (chain, level)))
            .filter(|&(chain, level)| self.variant(chain, level) != Variant::Same)
            .count()
    }

    fn is_materialized(&self, chain: usize, level: usize) -> bool {
        (chain < self.mid_materialized && level == 3)
            || (chain >= self.mid_materialized
                && chain < self.mid_materialized + self.top_materialized
                && level == self.depth - 1)
    }

    /// The changed views: spread over chains and levels, kinds in turn.
    fn variant(&self, chain: usize, level: usize) -> Variant {
        let total = self.views();
        let step = total / self.changed.max(1);
        let index = chain * self.depth + level;
        if self.changed == 0 || index % step != step / 2 || index / step >= self.changed {
            return Variant::Same;
        }
        match (index / step) % 3 {
            1 if !self.is_materialized(chain, level) => Variant::Appended,
            0 | 1 => Variant::Query,
            _ => Variant::Retyped,
        }
    }

    /// The statements that create the database's state (every view unchanged), each a few
    /// hundred views: one statement (one transaction) each, then `ANALYZE` once.
    pub(crate) fn setup_sql(&self) -> Vec<String> {
        let mut statements = vec![String::from(
            "CREATE SCHEMA bench_a; CREATE SCHEMA bench_b;
             CREATE TABLE public.bench_rows (id int PRIMARY KEY, grp int NOT NULL, val numeric NOT NULL, label text NOT NULL);
             INSERT INTO public.bench_rows SELECT i, i % 10, i * 1.5, 'row ' || i FROM generate_series(1, 2000) i;",
        )];
        let mut chain = 0;
        while chain < self.chains {
            let end = (chain + CHAINS_PER_STATEMENT).min(self.chains);
            let mut sql = String::new();
            for chain in chain..end {
                for level in 0..self.depth {
                    self.push_view_sql(&mut sql, chain, level);
                }
            }
            statements.push(sql);
            chain = end;
        }
        statements
    }

    fn push_view_sql(&self, sql: &mut String, chain: usize, level: usize) {
        let name = format!("{}.{}", schema_of(chain), name_of(chain, level));
        let q = query(chain, level, Variant::Same);
        if self.is_materialized(chain, level) {
            let idx = format!("{}_id_idx", name_of(chain, level));
            let _ = writeln!(
                sql,
                "CREATE MATERIALIZED VIEW {name} AS {q};
                 CREATE UNIQUE INDEX {idx} ON {name} (id);
                 COMMENT ON MATERIALIZED VIEW {name} IS 'chain {chain}';"
            );
        } else {
            let _ = writeln!(sql, "CREATE VIEW {name} AS {q};");
        }
    }

    /// The declared views: the database's, or with the changes.
    pub(crate) fn declared(&self, changed: bool) -> pgview::Result<ViewSet> {
        let mut set = ViewSet::new();
        for chain in 0..self.chains {
            for level in 0..self.depth {
                let v = if changed {
                    self.variant(chain, level)
                } else {
                    Variant::Same
                };
                let name = name_of(chain, level);
                let sql = query(chain, level, v);
                if self.is_materialized(chain, level) {
                    set.add(
                        MaterializedView::from_sql(&name, &sql)?
                            .schema(schema_of(chain))?
                            .index(Index::unique(["id"])?)?
                            .comment(&format!("chain {chain}"))?,
                    );
                } else {
                    set.add(View::from_sql(&name, &sql)?.schema(schema_of(chain))?);
                }
            }
        }
        Ok(set)
    }
}

fn schema_of(chain: usize) -> &'static str {
    SCHEMAS[chain % 2]
}

fn name_of(chain: usize, level: usize) -> String {
    format!("c{chain:03}_l{level}")
}

/// How a declared view differs from the database.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Same,
    /// Another constant: a compatible change (replace; rebuild for a materialized view).
    Query,
    /// A column appended (replace).
    Appended,
    /// `val` retyped: the view and every view above it are rebuilt.
    Retyped,
}

/// The SQL of the view at `chain`, `level`.
fn query(chain: usize, level: usize, variant: Variant) -> String {
    let source = if level == 0 {
        "public.bench_rows".to_owned()
    } else {
        format!("{}.{}", schema_of(chain), name_of(chain, level - 1))
    };
    let bound = if variant == Variant::Query {
        level + 1
    } else {
        level
    };
    let val = if variant == Variant::Retyped {
        "(val + 1)::float8 AS val"
    } else {
        "val + 1 AS val"
    };
    let extra = if variant == Variant::Appended {
        ", 1 AS extra"
    } else {
        ""
    };
    format!("SELECT id, grp, {val}, label{extra} FROM {source} WHERE id > {bound}")
}
