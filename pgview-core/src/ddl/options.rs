//! `ALTER VIEW … SET (…)` / `RESET (…)` and `ALTER MATERIALIZED VIEW … SET (…)` / `RESET (…)`.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use super::{DropKind, MaterializedViewKind, ViewKind};
use crate::definition::{CheckOption, MaterializedView, View};
use crate::error::{Error, Result};
use crate::ident::{Ident, QualifiedName};
use crate::sql_text::{storable_text, string_constant};

/// `ALTER <kind> [IF EXISTS] name SET ("option" = 'value', …)`; use it as [`SetViewOptions`]
/// or [`SetMaterializedViewOptions`].
///
/// Option names are written as quoted identifiers and values as string constants, which
/// PostgreSQL accepts for every option (`'local'`, `'true'`, `'70'`). Options not listed keep
/// their value (unlike `CREATE OR REPLACE VIEW`, which replaces the whole list). A statement
/// with no option is refused when it is built into SQL, before anything is sent
/// ([`Error::InvalidDefinition`]).
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct SetOptions<K> {
    name: QualifiedName,
    options: Vec<(OptionName, String)>,
    if_exists: bool,
    kind: PhantomData<K>,
}

/// `ALTER VIEW [IF EXISTS] name SET (…)`: `check_option`, `security_barrier`,
/// `security_invoker`.
///
/// # Examples
/// ```
/// use pgview_core::{CheckOption, QualifiedName, SetViewOptions};
/// let stmt = SetViewOptions::new(QualifiedName::new(Some("app"), "active_users")?)
///     .check_option(CheckOption::Local)
///     .security_barrier(true);
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER VIEW "app"."active_users" SET ("check_option" = 'local', "security_barrier" = 'true') -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type SetViewOptions = SetOptions<ViewKind>;

/// `ALTER MATERIALIZED VIEW [IF EXISTS] name SET (…)`: storage parameters such as
/// `fillfactor` or `autovacuum_enabled`.
///
/// # Examples
/// ```
/// use pgview_core::{QualifiedName, SetMaterializedViewOptions};
/// let stmt = SetMaterializedViewOptions::new(QualifiedName::new(None, "revenue")?)
///     .option("fillfactor", "70")?
///     .option("autovacuum_enabled", "false")?;
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER MATERIALIZED VIEW "revenue" SET ("fillfactor" = '70', "autovacuum_enabled" = 'false') -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type SetMaterializedViewOptions = SetOptions<MaterializedViewKind>;

impl<K> SetOptions<K> {
    /// Sets options of `name` (add them with [`option`](Self::option)).
    pub fn new(name: QualifiedName) -> Self {
        Self {
            name,
            options: Vec::new(),
            if_exists: false,
            kind: PhantomData,
        }
    }

    /// Sets `option` (a dotted name such as `toast.autovacuum_enabled` is two identifiers) to
    /// `value`, replacing an earlier value of the same option in this statement.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] for an invalid option name,
    /// [`Error::InvalidDefinition`] for a name with more than one dot or a value holding a NUL
    /// byte.
    pub fn option(mut self, option: &str, value: &str) -> Result<Self> {
        let name = option_name(&self.name, option)?;
        let value = storable_text(value, "option value", &self.name.fullname())?;
        self.push(name, value);
        Ok(self)
    }

    fn push(&mut self, name: OptionName, value: String) {
        self.options.retain(|(n, _)| n.dotted() != name.dotted());
        self.options.push((name, value));
    }

    /// `IF EXISTS`: no error when nothing of that name exists.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// The relation altered.
    pub fn name(&self) -> &QualifiedName {
        &self.name
    }

    /// The options set (dotted name, value), in the order they are written.
    pub fn options(&self) -> Vec<(String, &str)> {
        self.options
            .iter()
            .map(|(name, value)| (name.dotted(), value.as_str()))
            .collect()
    }
}

impl SetOptions<ViewKind> {
    /// Every option `view` states (`check_option`, `security_barrier`, `security_invoker`);
    /// options it leaves unset are not touched.
    pub fn for_view(view: &View) -> Self {
        let mut statement = Self::new(view.name().clone());
        for (name, value) in view.options() {
            statement.push(OptionName::Known(name), value);
        }
        statement
    }

    /// Sets `check_option`.
    pub fn check_option(mut self, option: CheckOption) -> Self {
        self.push(
            OptionName::Known("check_option"),
            option.as_str().to_owned(),
        );
        self
    }

    /// Sets `security_barrier`.
    pub fn security_barrier(mut self, on: bool) -> Self {
        self.push(OptionName::Known("security_barrier"), on.to_string());
        self
    }

    /// Sets `security_invoker` (PostgreSQL 15 and later).
    pub fn security_invoker(mut self, on: bool) -> Self {
        self.push(OptionName::Known("security_invoker"), on.to_string());
        self
    }
}

impl SetOptions<MaterializedViewKind> {
    /// Every storage parameter `view` declares.
    pub fn for_materialized_view(view: &MaterializedView) -> Self {
        let mut statement = Self::new(view.name().clone());
        for parameter in view.storage_parameters() {
            statement.push(
                OptionName::Given(parameter.name.clone()),
                parameter.value.clone(),
            );
        }
        statement
    }
}

statement!(SetOptions<K>);

impl<K: DropKind> QueryFragment<Pg> for SetOptions<K> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        if self.options.is_empty() {
            return Err(no_option(&self.name, K::KEYWORD, "SET"));
        }
        walk_alter::<K>(&self.name, self.if_exists, &mut out)?;
        out.push_sql(" SET (");
        for (i, (name, value)) in self.options.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            name.walk_ast(&mut out)?;
            out.push_sql(" = ");
            out.push_sql(&string_constant(value));
        }
        out.push_sql(")");
        Ok(())
    }
}

/// `ALTER <kind> [IF EXISTS] name RESET ("option", …)`: the options go back to their defaults
/// (unset); use it as [`ResetViewOptions`] or [`ResetMaterializedViewOptions`].
///
/// A statement with no option is refused when it is built into SQL
/// ([`Error::InvalidDefinition`]).
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct ResetOptions<K> {
    name: QualifiedName,
    options: Vec<OptionName>,
    if_exists: bool,
    kind: PhantomData<K>,
}

/// `ALTER VIEW [IF EXISTS] name RESET (…)`.
///
/// # Examples
/// ```
/// use pgview_core::{QualifiedName, ResetViewOptions};
/// let stmt = ResetViewOptions::new(QualifiedName::new(None, "active_users")?)
///     .option("check_option")?
///     .option("security_barrier")?;
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER VIEW "active_users" RESET ("check_option", "security_barrier") -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type ResetViewOptions = ResetOptions<ViewKind>;

/// `ALTER MATERIALIZED VIEW [IF EXISTS] name RESET (…)`.
///
/// # Examples
/// ```
/// use pgview_core::{QualifiedName, ResetMaterializedViewOptions};
/// let stmt = ResetMaterializedViewOptions::new(QualifiedName::new(Some("app"), "revenue")?)
///     .option("toast.autovacuum_enabled")?
///     .if_exists();
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER MATERIALIZED VIEW IF EXISTS "app"."revenue" RESET ("toast"."autovacuum_enabled") -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type ResetMaterializedViewOptions = ResetOptions<MaterializedViewKind>;

impl<K> ResetOptions<K> {
    /// Resets options of `name` (add them with [`option`](Self::option)).
    pub fn new(name: QualifiedName) -> Self {
        Self {
            name,
            options: Vec::new(),
            if_exists: false,
            kind: PhantomData,
        }
    }

    /// Resets `option` (listed once however often it is given).
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] for an invalid option name,
    /// [`Error::InvalidDefinition`] for a name with more than one dot.
    pub fn option(mut self, option: &str) -> Result<Self> {
        let name = option_name(&self.name, option)?;
        if self.options.iter().all(|n| n.dotted() != name.dotted()) {
            self.options.push(name);
        }
        Ok(self)
    }

    /// `IF EXISTS`: no error when nothing of that name exists.
    pub fn if_exists(mut self) -> Self {
        self.if_exists = true;
        self
    }

    /// The relation altered.
    pub fn name(&self) -> &QualifiedName {
        &self.name
    }

    /// The options reset (dotted names), in the order they are written.
    pub fn options(&self) -> Vec<String> {
        self.options.iter().map(OptionName::dotted).collect()
    }
}

statement!(ResetOptions<K>);

impl<K: DropKind> QueryFragment<Pg> for ResetOptions<K> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        if self.options.is_empty() {
            return Err(no_option(&self.name, K::KEYWORD, "RESET"));
        }
        walk_alter::<K>(&self.name, self.if_exists, &mut out)?;
        out.push_sql(" RESET (");
        for (i, name) in self.options.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            name.walk_ast(&mut out)?;
        }
        out.push_sql(")");
        Ok(())
    }
}

/// An option name: one pgview writes itself, or one given (one identifier, or
/// `namespace.name`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum OptionName {
    Known(&'static str),
    Given(Vec<Ident>),
}

impl OptionName {
    /// `"namespace"."name"` or `"name"`.
    fn walk_ast(&self, out: &mut AstPass<'_, '_, Pg>) -> QueryResult<()> {
        match self {
            Self::Known(name) => out.push_identifier(name),
            Self::Given(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_sql(".");
                    }
                    part.walk_ast(out)?;
                }
                Ok(())
            }
        }
    }

    /// `namespace.name` or `name`, unquoted.
    fn dotted(&self) -> String {
        match self {
            Self::Known(name) => (*name).to_owned(),
            Self::Given(parts) => parts
                .iter()
                .map(Ident::as_str)
                .collect::<Vec<_>>()
                .join("."),
        }
    }
}

/// `ALTER <kind> [IF EXISTS] name`.
fn walk_alter<K: DropKind>(
    name: &QualifiedName,
    if_exists: bool,
    out: &mut AstPass<'_, '_, Pg>,
) -> QueryResult<()> {
    out.push_sql("ALTER ");
    out.push_sql(K::KEYWORD);
    out.push_sql(" ");
    if if_exists {
        out.push_sql("IF EXISTS ");
    }
    name.walk_ast(out)
}

/// An option name: one identifier, or `namespace.name`.
fn option_name(relation: &QualifiedName, option: &str) -> Result<OptionName> {
    Ok(OptionName::Given(crate::definition::option_name_parts(
        relation, option,
    )?))
}

/// The error of an `ALTER … SET ()` or `RESET ()` without options.
fn no_option(name: &QualifiedName, keyword: &str, action: &str) -> diesel::result::Error {
    Error::InvalidDefinition {
        name: name.fullname(),
        reason: format!("ALTER {keyword} … {action} needs at least one option"),
    }
    .into_diesel()
}
