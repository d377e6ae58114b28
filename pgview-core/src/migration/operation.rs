//! [`Operation`]: one reversible step of a view migration, the Rust counterpart of Alembic's
//! `op.create_view`, `op.drop_view`, `op.create_materialized_view`, … .

use diesel::pg::Pg;
use diesel::query_builder::QueryFragment;

use crate::catalog::RelationName;
use crate::ddl::{
    CommentOn, CommentTarget, CreateView, RefreshMaterializedView, RenameMaterializedView,
    RenameView, ResetOptions, SetOptions,
};
use crate::definition::{MaterializedView, View};
use crate::error::{Error, Result};
use crate::ident::{Ident, QualifiedName};
use crate::inline::render;
use crate::view_trait::PgView;

use super::struct_operation::StructOperation;
use crate::{DropKind, MaterializedViewKind, ViewKind};

/// One step of a view migration: the statements it runs (`up`) and the statements that undo
/// it (`down`), rendered to SQL when the operation is built.
///
/// Every operation has its reverse, so a migration made of operations can be reverted:
///
/// | operation | up | down |
/// | --- | --- | --- |
/// | [`create_view`](Self::create_view), [`create_materialized_view`](Self::create_materialized_view), [`create`](Self::create) (written only) | `CREATE [MATERIALIZED] VIEW` with indexes and comments | `DROP [MATERIALIZED] VIEW` |
/// | [`drop_view`](Self::drop_view), [`drop_materialized_view`](Self::drop_materialized_view), [`drop`](Self::drop) (written only) | `DROP [MATERIALIZED] VIEW` | `CREATE …` of the definition given |
/// | [`replace_view`](Self::replace_view) | `CREATE OR REPLACE VIEW` (options re-stated) | `CREATE OR REPLACE VIEW` of the previous definition |
/// | [`replace_materialized_view`](Self::replace_materialized_view) | drop, create the new definition | drop, create the previous one |
/// | [`refresh_materialized_view`](Self::refresh_materialized_view) | `REFRESH MATERIALIZED VIEW` | nothing (a refresh only changes data) |
/// | [`rename_view`](Self::rename_view), [`rename_materialized_view`](Self::rename_materialized_view) | `ALTER … RENAME TO new` | `ALTER … RENAME TO old` |
/// | [`set_view_options`](Self::set_view_options), [`set_materialized_view_options`](Self::set_materialized_view_options) | `ALTER … SET (…)` / `RESET (…)` | the previous values set again, or reset |
/// | [`comment`](Self::comment) | `COMMENT ON … IS …` | the previous comment (or `IS NULL`) |
/// | [`sql`](Self::sql) | the SQL given | the SQL given for down |
/// | [`with_dependent_views`](Self::with_dependent_views) | a table change, its dependent views dropped before and restored after | the down change, likewise |
///
/// **Drops take the definition they restore** (the `down` of a drop creates it again): a
/// migration is reverted later, often by another process, so a definition captured from the
/// catalog when the drop runs would have nowhere to live; the definition in the code is the
/// one the previous migration created. No statement uses `CASCADE`: dropping a view that
/// others read fails (the transaction is rolled back), so drop the dependents first, in their
/// own operations.
///
/// # Examples
/// ```
/// use pgview_core::{Index, MaterializedView, Operation, View};
/// let active = View::from_sql("active_users", "SELECT id, name FROM users WHERE active")?;
/// let op = Operation::create_view(&active)?;
/// assert_eq!(op.up_sql(), [r#"CREATE VIEW "active_users" AS SELECT id, name FROM users WHERE active"#]);
/// assert_eq!(op.down_sql(), [r#"DROP VIEW "active_users""#]);
///
/// let revenue = MaterializedView::from_sql("revenue", "SELECT 1 AS user_id")?
///     .index(Index::unique(["user_id"])?)?;
/// let refresh = Operation::refresh_materialized_view_concurrently(&revenue)?;
/// assert_eq!(refresh.up_sql(), [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "revenue""#]);
/// assert!(refresh.down_sql().is_empty());
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    description: String,
    up: Vec<String>,
    down: Vec<String>,
    /// The relation whose dependent views are dropped before the statements and restored
    /// after them (captured when the operation runs).
    dependents_of: Option<QualifiedName>,
    /// The `PgView` type whose current definition the statements were rendered from, which
    /// a `ViewMigration` refuses to run (see [`View::source_type`]).
    source_type: Option<&'static str>,
}

/// The definitions an [`Operation`] can create and drop: [`View`] and [`MaterializedView`]
/// (so also the definition of every `#[derive(PgView)]` type).
pub trait MigrationTarget {
    /// `CREATE` of this definition (with its indexes and comments); down drops it.
    ///
    /// # Errors
    /// A statement that cannot be written (see [`Operation`]).
    fn create_operation(&self) -> Result<Operation>;

    /// `DROP` of this definition; down creates it again.
    ///
    /// # Errors
    /// A statement that cannot be written (see [`Operation`]).
    fn drop_operation(&self) -> Result<Operation>;
}

impl MigrationTarget for View {
    fn create_operation(&self) -> Result<Operation> {
        Operation::create_view(self)
    }

    fn drop_operation(&self) -> Result<Operation> {
        Operation::drop_view(self)
    }
}

impl MigrationTarget for MaterializedView {
    fn create_operation(&self) -> Result<Operation> {
        Operation::create_materialized_view(self)
    }

    fn drop_operation(&self) -> Result<Operation> {
        Operation::drop_materialized_view(self)
    }
}

/// One option changed by [`Operation::set_view_options`] or
/// [`Operation::set_materialized_view_options`]: its new state and the state it had, which
/// the reverse restores.
///
/// # Examples
/// ```
/// use pgview_core::OptionChange;
/// // security_barrier was unset: down resets it.
/// let barrier = OptionChange::set("security_barrier", "true");
/// // fillfactor was 70: down sets 70 again.
/// let fillfactor = OptionChange::reset("fillfactor").previous("70");
/// # let _ = (barrier, fillfactor);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChange {
    name: String,
    value: Option<String>,
    previous: Option<String>,
}

impl OptionChange {
    /// Sets `option` to `value` (`ALTER … SET`). Without [`previous`](Self::previous), the
    /// option is taken to have been unset, and the reverse resets it.
    pub fn set(option: &str, value: &str) -> Self {
        Self {
            name: option.to_owned(),
            value: Some(value.to_owned()),
            previous: None,
        }
    }

    /// Resets `option` to its default (`ALTER … RESET`). Without
    /// [`previous`](Self::previous), the reverse does nothing for it.
    pub fn reset(option: &str) -> Self {
        Self {
            name: option.to_owned(),
            value: None,
            previous: None,
        }
    }

    /// The value the option had before, which the reverse sets again.
    #[must_use]
    pub fn previous(mut self, value: &str) -> Self {
        self.previous = Some(value.to_owned());
        self
    }
}

impl Operation {
    /// `CREATE VIEW` of `view`, with its comments; down drops it.
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn create_view(view: &View) -> Result<Self> {
        Ok(Self::new(
            format!("create view {}", view.fullname()),
            vec![sql(&view.create())?],
            vec![sql(&view.drop())?],
        )
        .of_type(view.source_type()))
    }

    /// `CREATE MATERIALIZED VIEW` of `view`, with its indexes and comments (one statement);
    /// down drops it.
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn create_materialized_view(view: &MaterializedView) -> Result<Self> {
        Ok(Self::new(
            format!("create materialized view {}", view.fullname()),
            vec![sql(&view.create())?],
            vec![sql(&view.drop())?],
        )
        .of_type(view.source_type()))
    }

    /// Creates the view of a `#[derive(PgView)]` type (plain or materialized), rendered now
    /// from the type's current definition: a [`StructOperation`], which can only be written
    /// into a migration folder ([`MigrationFolder`](crate::MigrationFolder)), never run by a
    /// [`ViewMigration`](crate::ViewMigration) (it would follow the struct as it is when the
    /// migration runs, not as it was when the migration was written).
    ///
    /// # Examples
    /// ```no_run
    /// # use pgview_core::{MigrationFolder, Operation, PgView, MaterializedView, Result};
    /// # fn run<UserStats: PgView<Definition = MaterializedView>>() -> Result<()> {
    /// MigrationFolder::new("create_user_stats")?
    ///     .operation(Operation::create::<UserStats>()?)
    ///     .write("migrations".as_ref())?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`PgView::definition`].
    pub fn create<V>() -> Result<StructOperation>
    where
        V: PgView,
        V::Definition: MigrationTarget,
    {
        let source_type = std::any::type_name::<V>();
        let operation = V::definition()?
            .create_operation()?
            .of_type(Some(source_type));
        Ok(StructOperation::new(operation, source_type))
    }

    /// `DROP VIEW` of `view` (never `CASCADE`); down creates it again from `view`, the
    /// definition it had.
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn drop_view(view: &View) -> Result<Self> {
        Ok(Self::create_view(view)?.reversed_as(format!("drop view {}", view.fullname())))
    }

    /// `DROP MATERIALIZED VIEW` of `view` (never `CASCADE`); down creates it again from
    /// `view`, with its indexes and comments (and fills it unless `with_data(false)`).
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn drop_materialized_view(view: &MaterializedView) -> Result<Self> {
        Ok(Self::create_materialized_view(view)?
            .reversed_as(format!("drop materialized view {}", view.fullname())))
    }

    /// Drops the view of a `#[derive(PgView)]` type; down creates it again from the type's
    /// current definition. A [`StructOperation`], like [`create`](Self::create): written into
    /// a migration folder, never run by a [`ViewMigration`](crate::ViewMigration).
    ///
    /// # Errors
    /// As [`PgView::definition`].
    pub fn drop<V>() -> Result<StructOperation>
    where
        V: PgView,
        V::Definition: MigrationTarget,
    {
        let source_type = std::any::type_name::<V>();
        let operation = V::definition()?
            .drop_operation()?
            .of_type(Some(source_type));
        Ok(StructOperation::new(operation, source_type))
    }

    /// `CREATE OR REPLACE VIEW` with the new definition `view` (its options re-stated, since
    /// the server replaces the option list); down replaces it with `previous`. Comments of
    /// `previous` that `view` does not have are removed, and put back by down.
    ///
    /// The view keeps its OID, so its dependents, grants and owner survive. The server only
    /// accepts a replacement that keeps every column (name, type, position) and appends new
    /// ones; the reverse of a replacement that appended columns is therefore refused by the
    /// server (it cannot drop columns): drop and create instead.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] when the two definitions do not have the same name.
    pub fn replace_view(previous: &View, view: &View) -> Result<Self> {
        if previous.name() != view.name() {
            return Err(Error::InvalidMigration {
                name: format!("replace view {}", view.fullname()),
                reason: format!(
                    "the previous definition is named {}; rename in its own operation",
                    previous.fullname()
                ),
            });
        }
        Ok(Self::new(
            format!("replace view {}", view.fullname()),
            replace_statements(previous, view)?,
            replace_statements(view, previous)?,
        )
        .of_type(view.source_type().or(previous.source_type())))
    }

    /// Changes a materialized view, which has no `CREATE OR REPLACE`: up drops it and creates
    /// `view` (indexes and comments included), down drops it and creates `previous`. Views
    /// that read it must be dropped before and created after, in their own operations (no
    /// `CASCADE`).
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn replace_materialized_view(
        previous: &MaterializedView,
        view: &MaterializedView,
    ) -> Result<Self> {
        Ok(Self::new(
            format!("replace materialized view {}", view.fullname()),
            vec![sql(&previous.drop())?, sql(&view.create())?],
            vec![sql(&view.drop())?, sql(&previous.create())?],
        )
        .of_type(view.source_type().or(previous.source_type())))
    }

    /// `REFRESH MATERIALIZED VIEW name`. Down does nothing: a refresh changes data only.
    ///
    /// # Errors
    /// An invalid name.
    pub fn refresh_materialized_view<N: RelationName + ?Sized>(name: &N) -> Result<Self> {
        let name = name.to_qualified_name()?;
        Ok(Self::new(
            format!("refresh materialized view {}", name.fullname()),
            vec![sql(&RefreshMaterializedView::named(name))?],
            Vec::new(),
        ))
    }

    /// `REFRESH MATERIALIZED VIEW CONCURRENTLY name` (readers are not blocked; the view needs
    /// a unique index and data). Down does nothing.
    ///
    /// # Errors
    /// An invalid name.
    pub fn refresh_materialized_view_concurrently<N: RelationName + ?Sized>(
        name: &N,
    ) -> Result<Self> {
        let name = name.to_qualified_name()?;
        Ok(Self::new(
            format!("refresh materialized view {} concurrently", name.fullname()),
            vec![sql(&RefreshMaterializedView::named(name).concurrently())?],
            Vec::new(),
        ))
    }

    /// `ALTER VIEW name RENAME TO new_name` (in the same schema); down renames it back.
    ///
    /// # Errors
    /// An invalid name.
    pub fn rename_view<N: RelationName + ?Sized>(name: &N, new_name: &str) -> Result<Self> {
        rename(name, new_name, "view", |from, to| {
            sql(&RenameView::new(from, to))
        })
    }

    /// `ALTER MATERIALIZED VIEW name RENAME TO new_name`; down renames it back. Its indexes
    /// keep their names.
    ///
    /// # Errors
    /// An invalid name.
    pub fn rename_materialized_view<N: RelationName + ?Sized>(
        name: &N,
        new_name: &str,
    ) -> Result<Self> {
        rename(name, new_name, "materialized view", |from, to| {
            sql(&RenameMaterializedView::new(from, to))
        })
    }

    /// `ALTER VIEW name SET (…)` / `RESET (…)` (`check_option`, `security_barrier`,
    /// `security_invoker`); down restores each option's previous state.
    ///
    /// # Examples
    /// ```
    /// use pgview_core::{Operation, OptionChange};
    /// let op = Operation::set_view_options(
    ///     "active_users",
    ///     [OptionChange::set("security_barrier", "true"), OptionChange::reset("check_option").previous("local")],
    /// )?;
    /// assert_eq!(op.up_sql(), [
    ///     r#"ALTER VIEW "active_users" SET ("security_barrier" = 'true')"#,
    ///     r#"ALTER VIEW "active_users" RESET ("check_option")"#,
    /// ]);
    /// assert_eq!(op.down_sql(), [
    ///     r#"ALTER VIEW "active_users" SET ("check_option" = 'local')"#,
    ///     r#"ALTER VIEW "active_users" RESET ("security_barrier")"#,
    /// ]);
    /// # Ok::<(), pgview_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] without changes or with an option changed twice; an
    /// invalid name or option.
    pub fn set_view_options<N, I>(name: &N, changes: I) -> Result<Self>
    where
        N: RelationName + ?Sized,
        I: IntoIterator<Item = OptionChange>,
    {
        set_options::<ViewKind>(&name.to_qualified_name()?, "view", changes)
    }

    /// `ALTER MATERIALIZED VIEW name SET (…)` / `RESET (…)` (storage parameters such as
    /// `fillfactor`); down restores each parameter's previous state.
    ///
    /// # Errors
    /// As [`set_view_options`](Self::set_view_options).
    pub fn set_materialized_view_options<N, I>(name: &N, changes: I) -> Result<Self>
    where
        N: RelationName + ?Sized,
        I: IntoIterator<Item = OptionChange>,
    {
        set_options::<MaterializedViewKind>(
            &name.to_qualified_name()?,
            "materialized view",
            changes,
        )
    }

    /// `COMMENT ON … IS text` (`None`: removes the comment); down sets `previous` again (or
    /// removes the comment when there was none).
    ///
    /// # Errors
    /// A statement that cannot be written.
    pub fn comment(
        target: &CommentTarget,
        text: Option<&str>,
        previous: Option<&str>,
    ) -> Result<Self> {
        let what = match target {
            CommentTarget::View(name) => format!("view {}", name.fullname()),
            CommentTarget::MaterializedView(name) => {
                format!("materialized view {}", name.fullname())
            }
            CommentTarget::Column(name, column) => {
                format!("column {}.{}", name.fullname(), column.as_str())
            }
        };
        Ok(Self::new(
            format!("comment on {what}"),
            vec![sql(&CommentOn::new(target.clone(), text))?],
            vec![sql(&CommentOn::new(target.clone(), previous))?],
        ))
    }

    /// Raw SQL: `up` when the migration runs, `down` when it is reverted (empty: nothing).
    /// Each may hold several statements separated by `;`. The text is sent as given: quote
    /// identifiers yourself.
    ///
    /// # Errors
    /// [`Error::InvalidMigration`] for text holding a NUL byte.
    pub fn sql(up: &str, down: &str) -> Result<Self> {
        let statements = |text: &str| -> Result<Vec<String>> {
            if text.contains('\0') {
                return Err(Error::InvalidMigration {
                    name: "sql".into(),
                    reason: "the SQL text contains a NUL byte".into(),
                });
            }
            let text = text.trim();
            Ok(if text.is_empty() {
                Vec::new()
            } else {
                vec![text.to_owned()]
            })
        };
        Ok(Self::new(
            "execute SQL".into(),
            statements(up)?,
            statements(down)?,
        ))
    }

    /// A change to a table (or any relation) that views read, run with those views out of the
    /// way: when the migration runs, the views that depend on `relation` (transitively) are
    /// captured, dropped in reverse dependency order, `up` runs, and they are created again
    /// with everything they had, as [`with_dependent_views`](crate::with_dependent_views)
    /// does, inside the migration's transaction. Down does the same around `down` (empty:
    /// nothing is run, and the views are not touched).
    ///
    /// The views are captured when the migration runs (the catalog of that moment is the
    /// truth), so [`up_sql`](Self::up_sql) shows only the change. Through a migration harness,
    /// this needs the harness's connection to be a `diesel::PgConnection`.
    ///
    /// # Examples
    /// ```
    /// use pgview_core::Operation;
    /// let op = Operation::with_dependent_views(
    ///     "public.orders",
    ///     "ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2)",
    ///     "ALTER TABLE orders ALTER COLUMN total TYPE numeric(10, 2)",
    /// )?;
    /// assert_eq!(op.dependents_of().unwrap().fullname(), "public.orders");
    /// assert_eq!(op.description(), "change public.orders with its dependent views");
    /// # Ok::<(), pgview_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// An invalid name; [`Error::InvalidMigration`] for text holding a NUL byte.
    pub fn with_dependent_views<N: RelationName + ?Sized>(
        relation: &N,
        up: &str,
        down: &str,
    ) -> Result<Self> {
        let relation = relation.to_qualified_name()?;
        let mut operation = Self::sql(up, down)?.described(&format!(
            "change {} with its dependent views",
            relation.fullname()
        ));
        operation.dependents_of = Some(relation);
        Ok(operation)
    }

    /// The relation whose dependent views this operation drops and restores around its
    /// statements ([`with_dependent_views`](Self::with_dependent_views)).
    pub fn dependents_of(&self) -> Option<&QualifiedName> {
        self.dependents_of.as_ref()
    }

    /// The `PgView` type whose current definition this operation was rendered from (a
    /// definition made by `#[derive(PgView)]`, see [`View::source_type`]): a
    /// [`ViewMigration`](crate::ViewMigration) refuses to run it, a
    /// [`MigrationFolder`](crate::MigrationFolder) writes it.
    pub fn source_type(&self) -> Option<&'static str> {
        self.source_type
    }

    /// The operation that does what this one undoes and undoes what it does.
    #[must_use]
    pub fn reversed(self) -> Self {
        let description = format!("undo {}", self.description);
        self.reversed_as(description)
    }

    /// Describes the operation as `description` (shown in migration files and errors).
    #[must_use]
    pub fn described(mut self, description: &str) -> Self {
        description.clone_into(&mut self.description);
        self
    }

    /// What the operation does, as `create view app.user_stats`.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The statements run by the migration, in order.
    pub fn up_sql(&self) -> &[String] {
        &self.up
    }

    /// The statements run when the migration is reverted, in order.
    pub fn down_sql(&self) -> &[String] {
        &self.down
    }

    fn new(description: String, up: Vec<String>, down: Vec<String>) -> Self {
        Self {
            description,
            up,
            down,
            dependents_of: None,
            source_type: None,
        }
    }

    fn of_type(mut self, source_type: Option<&'static str>) -> Self {
        self.source_type = source_type;
        self
    }

    fn reversed_as(self, description: String) -> Self {
        Self {
            description,
            up: self.down,
            down: self.up,
            dependents_of: self.dependents_of,
            source_type: self.source_type,
        }
    }
}

/// A statement's SQL (statements have no bind values).
fn sql<T: QueryFragment<Pg>>(statement: &T) -> Result<String> {
    render(statement)
}

/// `CREATE OR REPLACE VIEW` of `view` replacing `previous`, then the removal of the comments
/// `previous` has and `view` has not.
fn replace_statements(previous: &View, view: &View) -> Result<Vec<String>> {
    let mut statements = vec![sql(&CreateView::new(view).or_replace())?];
    let name = view.name();
    if previous.comment_text().is_some() && view.comment_text().is_none() {
        let target = CommentTarget::View(name.clone());
        statements.push(sql(&CommentOn::new(target, None))?);
    }
    for old in previous.column_comments() {
        if view
            .column_comments()
            .iter()
            .all(|c| c.column != old.column)
        {
            let target = CommentTarget::Column(name.clone(), old.column.clone());
            statements.push(sql(&CommentOn::new(target, None))?);
        }
    }
    Ok(statements)
}

/// A rename and its reverse.
fn rename<N>(
    name: &N,
    new_name: &str,
    what: &str,
    statement: impl Fn(QualifiedName, Ident) -> Result<String>,
) -> Result<Operation>
where
    N: RelationName + ?Sized,
{
    let from = name.to_qualified_name()?;
    let to = Ident::new(new_name)?;
    let schema = from.schema().map(Ident::as_str);
    let renamed = QualifiedName::new(schema, to.as_str())?;
    let old = from.name().clone();
    Ok(Operation::new(
        format!("rename {what} {} to {}", from.fullname(), to.as_str()),
        vec![statement(from, to)?],
        vec![statement(renamed, old)?],
    ))
}

/// `ALTER … SET` and `RESET` for `changes`, and their reverse.
fn set_options<K: DropKind>(
    name: &QualifiedName,
    what: &str,
    changes: impl IntoIterator<Item = OptionChange>,
) -> Result<Operation> {
    let changes: Vec<OptionChange> = changes.into_iter().collect();
    let invalid = |reason: String| Error::InvalidMigration {
        name: format!("set options of {what} {}", name.fullname()),
        reason,
    };
    if changes.is_empty() {
        return Err(invalid("no option is changed".into()));
    }
    for (i, change) in changes.iter().enumerate() {
        if changes[..i].iter().any(|c| c.name == change.name) {
            return Err(invalid(format!(
                "the option {} is changed twice",
                change.name
            )));
        }
    }
    let after: Vec<(&str, Option<&str>)> = changes
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_deref()))
        .collect();
    let before: Vec<(&str, Option<&str>)> = changes
        .iter()
        .map(|c| (c.name.as_str(), c.previous.as_deref()))
        .collect();
    let unchanged_reset = |c: &OptionChange| c.value.is_none() && c.previous.is_none();
    let before: Vec<(&str, Option<&str>)> = before
        .into_iter()
        .zip(&changes)
        .filter(|(_, c)| !unchanged_reset(c))
        .map(|(pair, _)| pair)
        .collect();
    let names: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
    Ok(Operation::new(
        format!(
            "set options of {what} {} ({})",
            name.fullname(),
            names.join(", ")
        ),
        option_statements::<K>(name, &after)?,
        option_statements::<K>(name, &before)?,
    ))
}

/// One `SET` for the options with a value and one `RESET` for the others (each only when
/// needed).
fn option_statements<K: DropKind>(
    name: &QualifiedName,
    options: &[(&str, Option<&str>)],
) -> Result<Vec<String>> {
    let mut set = SetOptions::<K>::new(name.clone());
    let mut reset = ResetOptions::<K>::new(name.clone());
    let (mut any_set, mut any_reset) = (false, false);
    for &(option, value) in options {
        if let Some(value) = value {
            set = set.option(option, value)?;
            any_set = true;
        } else {
            reset = reset.option(option)?;
            any_reset = true;
        }
    }
    let mut statements = Vec::new();
    if any_set {
        statements.push(sql(&set)?);
    }
    if any_reset {
        statements.push(sql(&reset)?);
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_type_follows_into_every_operation_of_a_definition() {
        let stated = View::from_sql("v", "SELECT 1 AS id").unwrap();
        let derived = stated.clone().__of_type("app::V");
        assert_eq!(stated, derived);
        assert_eq!(Operation::create_view(&stated).unwrap().source_type(), None);
        for operation in [
            Operation::create_view(&derived).unwrap(),
            Operation::drop_view(&derived).unwrap(),
            Operation::replace_view(&stated, &derived).unwrap(),
            Operation::replace_view(&derived, &stated).unwrap(),
            Operation::create_view(&derived).unwrap().reversed(),
            Operation::create_view(&derived).unwrap().described("x"),
        ] {
            assert_eq!(operation.source_type(), Some("app::V"), "{operation:?}");
        }
        let matview = MaterializedView::from_sql("m", "SELECT 1 AS id")
            .unwrap()
            .__of_type("app::M");
        let operation = Operation::drop_materialized_view(&matview).unwrap();
        assert_eq!(operation.source_type(), Some("app::M"));
    }
}
