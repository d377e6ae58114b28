//! The statements that install and uninstall auto-refresh: each one `DO` block (one command:
//! atomic, one round trip), serialized with the other installs by an advisory transaction
//! lock. Every name is quoted; every text PL/pgSQL executes is a string constant.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use crate::ddl::statement;
use crate::error::RelationKind;
use crate::ident::{Ident, QualifiedName};
use crate::sql_text::{dollar_quote, push_string_constant, string_constant};

use super::names::{
    function_signature, AutoNames, AUTO_REFRESH_CHANNEL, AUTO_REFRESH_SCHEMA, COMMENT_PREFIX,
    LOCK_KEY,
};

/// A table that auto-refresh puts a trigger on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchedTable {
    pub(crate) name: QualifiedName,
    pub(crate) kind: RelationKind,
}

/// Installs (or re-installs) the auto-refresh of one materialized view: the trigger function,
/// its comment, and one statement-level trigger per table (those of an earlier install are
/// dropped first, so the set of tables follows the view's definition).
#[derive(Debug, Clone)]
pub(crate) struct InstallAutoRefresh {
    pub(crate) names: AutoNames,
    pub(crate) tables: Vec<WatchedTable>,
}

/// Removes the auto-refresh of one view (its triggers and function), and the schema when
/// nothing is left in it. Nothing happens when it is not installed.
#[derive(Debug, Clone)]
pub(crate) struct UninstallAutoRefresh {
    pub(crate) function: Ident,
}

/// Removes every auto-refresh install, and the schema when nothing is left in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UninstallAllAutoRefresh;

statement!(InstallAutoRefresh);
statement!(UninstallAutoRefresh);
statement!(UninstallAllAutoRefresh);

/// `"pgview"`, quoted.
fn schema() -> String {
    format!("\"{AUTO_REFRESH_SCHEMA}\"")
}

/// PL/pgSQL that drops every trigger calling the function whose `regprocedure` is `function`
/// (an expression).
fn drop_triggers_of(function: &str) -> String {
    format!(
        " FOR r IN SELECT t.tgname::text AS tgname, t.tgrelid::pg_catalog.regclass::text AS rel \
         FROM pg_catalog.pg_trigger t WHERE t.tgfoid = {function} LOOP \
         EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', r.tgname, r.rel); END LOOP;"
    )
}

/// PL/pgSQL that drops the schema when no function is left in it.
fn drop_empty_schema() -> String {
    let mut sql = String::from(
        " IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n \
         ON n.oid = p.pronamespace WHERE n.nspname = ",
    );
    push_string_constant(&mut sql, AUTO_REFRESH_SCHEMA);
    sql.push_str(") THEN BEGIN EXECUTE ");
    push_string_constant(&mut sql, &format!("DROP SCHEMA IF EXISTS {}", schema()));
    sql.push_str("; EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END; END IF;");
    sql
}

fn lock() -> String {
    format!(" PERFORM pg_catalog.pg_advisory_xact_lock({LOCK_KEY});")
}

fn execute(body: &mut String, sql: &str) {
    body.push_str(" EXECUTE ");
    push_string_constant(body, sql);
    body.push(';');
}

impl InstallAutoRefresh {
    fn body(&self) -> String {
        let names = &self.names;
        let function = format!("{}.{}", schema(), names.function);
        let mut trigger_body = String::from("BEGIN PERFORM pg_catalog.pg_notify(");
        push_string_constant(&mut trigger_body, AUTO_REFRESH_CHANNEL);
        trigger_body.push_str(", ");
        push_string_constant(&mut trigger_body, &names.payload);
        trigger_body.push_str("); RETURN NULL; END");

        let mut body = String::from("DECLARE r record; BEGIN");
        body.push_str(&lock());
        execute(
            &mut body,
            &format!("CREATE SCHEMA IF NOT EXISTS {}", schema()),
        );
        execute(
            &mut body,
            &format!(
                "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {}",
                string_constant(&trigger_body)
            ),
        );
        execute(
            &mut body,
            &format!(
                "COMMENT ON FUNCTION {function}() IS {}",
                string_constant(&format!("{COMMENT_PREFIX}{}", names.payload))
            ),
        );
        body.push_str(&drop_triggers_of(&format!(
            "{}::pg_catalog.regprocedure",
            string_constant(&function_signature(&names.function))
        )));
        for table in &self.tables {
            // Foreign tables take no TRUNCATE trigger before PostgreSQL 14.
            let events = if table.kind == RelationKind::ForeignTable {
                "INSERT OR UPDATE OR DELETE"
            } else {
                "INSERT OR UPDATE OR DELETE OR TRUNCATE"
            };
            execute(
                &mut body,
                &format!(
                    "CREATE TRIGGER {} AFTER {events} ON {} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
                    names.trigger, table.name
                ),
            );
        }
        body.push_str(" END");
        body
    }
}

impl UninstallAutoRefresh {
    fn body(&self) -> String {
        let mut body = String::from("DECLARE r record; f pg_catalog.regprocedure; BEGIN");
        body.push_str(&lock());
        body.push_str(" f := pg_catalog.to_regprocedure(");
        push_string_constant(&mut body, &function_signature(&self.function));
        body.push_str("); IF f IS NOT NULL THEN");
        body.push_str(&drop_triggers_of("f"));
        execute(
            &mut body,
            &format!("DROP FUNCTION {}.{}()", schema(), self.function),
        );
        body.push_str(" END IF;");
        body.push_str(&drop_empty_schema());
        body.push_str(" END");
        body
    }
}

impl UninstallAllAutoRefresh {
    fn body() -> String {
        let mut body = String::from("DECLARE r record; f pg_catalog.regprocedure; BEGIN");
        body.push_str(&lock());
        body.push_str(
            " FOR f IN SELECT p.oid::pg_catalog.regprocedure FROM pg_catalog.pg_proc p \
             JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
             JOIN pg_catalog.pg_description d ON d.objoid = p.oid \
             AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0 \
             WHERE n.nspname = ",
        );
        push_string_constant(&mut body, AUTO_REFRESH_SCHEMA);
        body.push_str(" AND pg_catalog.starts_with(d.description, ");
        push_string_constant(&mut body, COMMENT_PREFIX);
        body.push_str(") LOOP");
        body.push_str(&drop_triggers_of("f"));
        body.push_str(" EXECUTE pg_catalog.format('DROP FUNCTION %s', f); END LOOP;");
        body.push_str(&drop_empty_schema());
        body.push_str(" END");
        body
    }
}

fn walk_do(body: &str, mut out: AstPass<'_, '_, Pg>) {
    out.unsafe_to_cache_prepared();
    out.push_sql("DO ");
    out.push_sql(&dollar_quote(body));
}

impl QueryFragment<Pg> for InstallAutoRefresh {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk_do(&self.body(), out);
        Ok(())
    }
}

impl QueryFragment<Pg> for UninstallAutoRefresh {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk_do(&self.body(), out);
        Ok(())
    }
}

impl QueryFragment<Pg> for UninstallAllAutoRefresh {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        walk_do(&Self::body(), out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::names::names_for;
    use super::*;

    #[test]
    fn install_quotes_every_name() {
        let view = QualifiedName::new(Some("s"), "it's \"mv\"").unwrap();
        let install = InstallAutoRefresh {
            names: names_for(&view).unwrap(),
            tables: vec![WatchedTable {
                name: QualifiedName::new(Some("p"), "o'rders").unwrap(),
                kind: RelationKind::Table,
            }],
        };
        let sql = diesel::debug_query::<Pg, _>(&install).to_string();
        assert!(
            sql.starts_with("DO $pgview$DECLARE r record; BEGIN PERFORM"),
            "{sql}"
        );
        // The trigger's CREATE is one string constant: the table's quote is doubled there.
        assert!(
            sql.contains(r#"ON "p"."o''rders" FOR EACH STATEMENT"#),
            "{sql}"
        );
        assert!(sql.ends_with(" END$pgview$ -- binds: []"), "{sql}");
    }
}
