//! `ALTER VIEW … OWNER TO` and `ALTER MATERIALIZED VIEW … OWNER TO`.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use super::{DropKind, MaterializedViewKind, ViewKind};
use crate::ident::{Ident, QualifiedName};

/// `ALTER <kind> name OWNER TO role`; use it as [`SetViewOwner`] or
/// [`SetMaterializedViewOwner`].
///
/// The privileges the previous owner held pass to the new owner.
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is executed"]
pub struct SetOwner<K> {
    name: QualifiedName,
    owner: Ident,
    kind: PhantomData<K>,
}

/// `ALTER VIEW name OWNER TO role`.
///
/// # Examples
/// ```
/// use pgview_core::{Ident, QualifiedName, SetViewOwner};
/// let stmt = SetViewOwner::new(QualifiedName::new(Some("app"), "user_stats")?, Ident::new("reporting")?);
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER VIEW "app"."user_stats" OWNER TO "reporting" -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type SetViewOwner = SetOwner<ViewKind>;

/// `ALTER MATERIALIZED VIEW name OWNER TO role`.
///
/// # Examples
/// ```
/// use pgview_core::{Ident, QualifiedName, SetMaterializedViewOwner};
/// let stmt = SetMaterializedViewOwner::new(QualifiedName::new(None, "revenue")?, Ident::new("etl")?);
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"ALTER MATERIALIZED VIEW "revenue" OWNER TO "etl" -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
pub type SetMaterializedViewOwner = SetOwner<MaterializedViewKind>;

impl<K> SetOwner<K> {
    /// Makes `owner` the owner of `name`.
    pub fn new(name: QualifiedName, owner: Ident) -> Self {
        Self {
            name,
            owner,
            kind: PhantomData,
        }
    }
}

statement!(SetOwner<K>);

impl<K: DropKind> QueryFragment<Pg> for SetOwner<K> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("ALTER ");
        out.push_sql(K::KEYWORD);
        out.push_sql(" ");
        self.name.walk_ast(&mut out)?;
        out.push_sql(" OWNER TO ");
        self.owner.walk_ast(&mut out)
    }
}
