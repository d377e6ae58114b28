//! The statements that rebuilding views needs beyond the public DDL statements, and how every
//! statement of a plan or a restore becomes text.
//!
//! Plans and restores are written with the crate's statement types (`CreateView`, `DropView`,
//! `CommentOn`, `Grant`, `SetOptions`, …) rendered by [`statement_sql`]; the few statements
//! only they need (`DROP INDEX`, `ALTER INDEX … RENAME`, `REVOKE` from the owner, `SET
//! TABLESPACE`, an index from its catalog text) are defined here the same way: identifiers
//! through `push_identifier`, never a bind parameter, never cached.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use super::Privilege;
use crate::ident::{Ident, QualifiedName};
use crate::inline::render;
use crate::sql_text::{dollar_quote, string_constant};

/// The SQL text of a statement, as the migration files hold it (without the `;`).
///
/// The statements of a plan are built from validated values, so rendering does not fail; were
/// it ever to, the text is a statement that fails with the reason when the migration runs,
/// rather than a migration that silently misses a step.
pub(crate) fn statement_sql(statement: &dyn QueryFragment<Pg>) -> String {
    match render(statement) {
        Ok(sql) => sql,
        Err(error) => {
            let message = format!("pgview could not write a statement of this migration: {error}");
            let body = format!(
                "BEGIN RAISE EXCEPTION '%', {}; END",
                string_constant(&message)
            );
            format!("DO {}", dollar_quote(&body))
        }
    }
}

/// `DROP INDEX name`.
#[derive(Debug, Clone)]
pub(crate) struct DropIndex {
    pub(crate) name: QualifiedName,
}

statement!(DropIndex);

impl QueryFragment<Pg> for DropIndex {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("DROP INDEX ");
        self.name.walk_ast(&mut out)
    }
}

/// `ALTER INDEX name RENAME TO new_name`.
#[derive(Debug, Clone)]
pub(crate) struct RenameIndex {
    pub(crate) name: QualifiedName,
    pub(crate) new_name: Ident,
}

statement!(RenameIndex);

impl QueryFragment<Pg> for RenameIndex {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("ALTER INDEX ");
        self.name.walk_ast(&mut out)?;
        out.push_sql(" RENAME TO ");
        self.new_name.walk_ast(&mut out)
    }
}

/// `CREATE [UNIQUE] INDEX name ON relation <tail>`, where `tail` is what follows the relation
/// in the server's own text of the index (`pg_get_indexdef`: ` USING btree (a) WHERE …`), so
/// that an index read from the catalog is re-created exactly, under any name, on any relation.
#[derive(Debug, Clone)]
pub(crate) struct CreateIndexAs {
    pub(crate) name: Ident,
    pub(crate) unique: bool,
    pub(crate) relation: QualifiedName,
    pub(crate) tail: String,
}

statement!(CreateIndexAs);

impl QueryFragment<Pg> for CreateIndexAs {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(if self.unique {
            "CREATE UNIQUE INDEX "
        } else {
            "CREATE INDEX "
        });
        self.name.walk_ast(&mut out)?;
        out.push_sql(" ON ");
        self.relation.walk_ast(&mut out)?;
        out.push_sql(&self.tail);
        Ok(())
    }
}

/// `REVOKE privilege, … ON TABLE relation FROM role`: the default privileges an owner gave
/// up, taken away again after the view is re-created.
#[derive(Debug, Clone)]
pub(crate) struct RevokeFromOwner {
    pub(crate) relation: QualifiedName,
    pub(crate) privileges: Vec<Privilege>,
    pub(crate) owner: Ident,
}

statement!(RevokeFromOwner);

impl QueryFragment<Pg> for RevokeFromOwner {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("REVOKE ");
        super::walk_privileges(&self.privileges, &mut out);
        out.push_sql(" ON TABLE ");
        self.relation.walk_ast(&mut out)?;
        out.push_sql(" FROM ");
        self.owner.walk_ast(&mut out)
    }
}

/// `ALTER [MATERIALIZED] VIEW name SET SCHEMA schema`.
#[derive(Debug, Clone)]
pub(crate) struct SetSchema {
    pub(crate) name: QualifiedName,
    pub(crate) materialized: bool,
    pub(crate) schema: Ident,
}

statement!(SetSchema);

impl QueryFragment<Pg> for SetSchema {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql(if self.materialized {
            "ALTER MATERIALIZED VIEW "
        } else {
            "ALTER VIEW "
        });
        self.name.walk_ast(&mut out)?;
        out.push_sql(" SET SCHEMA ");
        self.schema.walk_ast(&mut out)
    }
}

/// `ALTER MATERIALIZED VIEW name SET TABLESPACE tablespace`.
#[derive(Debug, Clone)]
pub(crate) struct SetTablespace {
    pub(crate) name: QualifiedName,
    pub(crate) tablespace: Ident,
}

statement!(SetTablespace);

impl QueryFragment<Pg> for SetTablespace {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("ALTER MATERIALIZED VIEW ");
        self.name.walk_ast(&mut out)?;
        out.push_sql(" SET TABLESPACE ");
        self.tablespace.walk_ast(&mut out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(schema: &str, name: &str) -> QualifiedName {
        QualifiedName::new(Some(schema), name).unwrap()
    }

    #[test]
    fn renders_plan_statements() {
        assert_eq!(
            statement_sql(&DropIndex {
                name: name("s", "i\"x")
            }),
            r#"DROP INDEX "s"."i""x""#
        );
        assert_eq!(
            statement_sql(&RenameIndex {
                name: name("s", "i__new"),
                new_name: Ident::new("i").unwrap()
            }),
            r#"ALTER INDEX "s"."i__new" RENAME TO "i""#
        );
        assert_eq!(
            statement_sql(&CreateIndexAs {
                name: Ident::new("m_id").unwrap(),
                unique: true,
                relation: name("s", "m new"),
                tail: " USING btree (id) WHERE (id > 0)".into(),
            }),
            r#"CREATE UNIQUE INDEX "m_id" ON "s"."m new" USING btree (id) WHERE (id > 0)"#
        );
        assert_eq!(
            statement_sql(&RevokeFromOwner {
                relation: name("s", "v"),
                privileges: vec![Privilege::Truncate, Privilege::Trigger],
                owner: Ident::new("app").unwrap(),
            }),
            r#"REVOKE TRUNCATE, TRIGGER ON TABLE "s"."v" FROM "app""#
        );
        assert_eq!(
            statement_sql(&SetSchema {
                name: name("old", "v"),
                materialized: true,
                schema: Ident::new("New").unwrap(),
            }),
            r#"ALTER MATERIALIZED VIEW "old"."v" SET SCHEMA "New""#
        );
        assert_eq!(
            statement_sql(&SetTablespace {
                name: name("s", "m"),
                tablespace: Ident::new("pg_default").unwrap(),
            }),
            r#"ALTER MATERIALIZED VIEW "s"."m" SET TABLESPACE "pg_default""#
        );
    }

    #[test]
    fn a_statement_that_cannot_be_written_fails_when_run() {
        let empty = crate::Grant::new(name("s", "v"), crate::Grantee::Public);
        let sql = statement_sql(&empty);
        assert!(
            sql.starts_with("DO $pgview$BEGIN RAISE EXCEPTION '%', 'pgview could not write"),
            "{sql}"
        );
    }
}
