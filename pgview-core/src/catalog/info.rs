//! What the catalog says about a view: [`ViewInfo`], [`ViewColumn`], [`ViewOptions`],
//! [`ViewIndex`].

use crate::definition::CheckOption;
use crate::error::RelationKind;

use super::relation::Relation;

/// A view or materialized view found in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewInfo {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Whether it is a materialized view.
    pub is_materialized: bool,
    /// Its query as the server prints it (`pg_get_viewdef`).
    pub definition: String,
    /// The role that owns it.
    pub owner: String,
    /// Its columns, in order.
    pub columns: Vec<ViewColumn>,
    /// Its options (`WITH (…)`), which the definition text does not show.
    pub options: ViewOptions,
    /// Its comment (`COMMENT ON VIEW`), if any.
    pub comment: Option<String>,
    /// Whether it can be read: `false` for a materialized view created `WITH NO DATA` and not
    /// refreshed since. Always `true` for a plain view.
    pub is_populated: bool,
    /// The tablespace of a materialized view when it is not the database's default.
    pub tablespace: Option<String>,
    /// The indexes of a materialized view, ordered by name (none for a plain view).
    pub indexes: Vec<ViewIndex>,
}

impl ViewInfo {
    /// `schema.name`.
    pub fn fullname(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The view as a [`Relation`].
    pub fn relation(&self) -> Relation {
        let kind = if self.is_materialized {
            RelationKind::MaterializedView
        } else {
            RelationKind::View
        };
        Relation::new(&self.schema, &self.name, kind)
    }
}

/// A column of a view.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewColumn {
    /// Its name.
    pub name: String,
    /// Its SQL type as the server prints it (`format_type`: `integer`, `character varying(100)`,
    /// `numeric`, `"Mood"`…).
    pub sql_type: String,
    /// Whether it may hold NULL. PostgreSQL records no `NOT NULL` on the columns of views and
    /// materialized views, so this is `true` for each of them: the catalog cannot tell more.
    /// [`get_view_columns`](crate::get_view_columns) infers it from the view's query.
    pub nullable: bool,
}

/// The options of a view (`pg_class.reloptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewOptions {
    /// `check_option`.
    pub check_option: Option<CheckOption>,
    /// `security_barrier`.
    pub security_barrier: bool,
    /// `security_invoker` (PostgreSQL 15 and later).
    pub security_invoker: bool,
    /// Any other option (the storage parameters of a materialized view, such as
    /// `fillfactor`), as name and value.
    pub storage_parameters: Vec<(String, String)>,
}

impl ViewOptions {
    /// Reads the `name=value` entries of `reloptions`.
    pub(crate) fn parse(options: Vec<String>) -> Self {
        let mut parsed = Self::default();
        for option in options {
            let (name, value) = option.split_once('=').unwrap_or((&option, "true"));
            match name {
                "check_option" if value.eq_ignore_ascii_case("local") => {
                    parsed.check_option = Some(CheckOption::Local);
                }
                "check_option" if value.eq_ignore_ascii_case("cascaded") => {
                    parsed.check_option = Some(CheckOption::Cascaded);
                }
                "security_barrier" => parsed.security_barrier = crate::sql_text::is_true(value),
                "security_invoker" => parsed.security_invoker = crate::sql_text::is_true(value),
                _ => parsed
                    .storage_parameters
                    .push((name.to_owned(), value.to_owned())),
            }
        }
        parsed
    }
}

/// An index of a materialized view.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ViewIndex {
    /// Its name.
    pub name: String,
    /// Whether it is `UNIQUE`.
    pub is_unique: bool,
    /// Whether it has a `WHERE` clause.
    pub is_partial: bool,
    /// Its key columns in order: a column name, or an expression's text.
    pub columns: Vec<String>,
    /// The `CREATE INDEX` statement that makes it (`pg_get_indexdef`).
    pub definition: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let options = ViewOptions::parse(vec![
            "check_option=cascaded".into(),
            "security_barrier=on".into(),
            "security_invoker=false".into(),
            "fillfactor=70".into(),
        ]);
        assert_eq!(options.check_option, Some(CheckOption::Cascaded));
        assert!(options.security_barrier);
        assert!(!options.security_invoker);
        assert_eq!(
            options.storage_parameters,
            [("fillfactor".to_owned(), "70".to_owned())]
        );
        assert_eq!(ViewOptions::parse(Vec::new()), ViewOptions::default());
    }
}
