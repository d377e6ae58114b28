//! `GRANT … ON TABLE … TO …`: the privileges on a view or materialized view.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::QueryResult;

use super::statement;
use crate::error::Error;
use crate::ident::{Ident, QualifiedName};

/// A privilege on a view or materialized view (which `GRANT … ON TABLE` covers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Privilege {
    /// `SELECT`.
    Select,
    /// `INSERT` (updatable views).
    Insert,
    /// `UPDATE` (updatable views).
    Update,
    /// `DELETE` (updatable views).
    Delete,
    /// `TRUNCATE`.
    Truncate,
    /// `REFERENCES`.
    References,
    /// `TRIGGER`.
    Trigger,
    /// `MAINTAIN` (PostgreSQL 17 and later).
    Maintain,
}

impl Privilege {
    /// Every privilege, in the order PostgreSQL lists them.
    pub const ALL: [Self; 8] = [
        Self::Insert,
        Self::Select,
        Self::Update,
        Self::Delete,
        Self::Truncate,
        Self::References,
        Self::Trigger,
        Self::Maintain,
    ];

    /// The keyword, as `GRANT` and `aclexplode` spell it.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Truncate => "TRUNCATE",
            Self::References => "REFERENCES",
            Self::Trigger => "TRIGGER",
            Self::Maintain => "MAINTAIN",
        }
    }

    /// The privilege a keyword names (as `aclexplode` reports it), if it is one of these.
    pub fn from_keyword(keyword: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.keyword().eq_ignore_ascii_case(keyword))
    }
}

/// Who receives a [`Grant`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grantee {
    /// `PUBLIC`: every role.
    Public,
    /// One role.
    Role(Ident),
}

/// `GRANT privilege, … ON TABLE name TO role | PUBLIC [WITH GRANT OPTION]`.
///
/// A grant without privileges is refused when it is built into SQL, before anything is sent
/// ([`Error::InvalidDefinition`]).
///
/// # Examples
/// ```
/// use pgview_core::{Grant, Grantee, Ident, Privilege, QualifiedName};
/// let view = QualifiedName::new(Some("app"), "user_stats")?;
/// let stmt = Grant::new(view.clone(), Grantee::Role(Ident::new("report reader")?))
///     .privilege(Privilege::Select)
///     .privilege(Privilege::Insert)
///     .with_grant_option();
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&stmt).to_string(),
///     r#"GRANT SELECT, INSERT ON TABLE "app"."user_stats" TO "report reader" WITH GRANT OPTION -- binds: []"#
/// );
/// let public = Grant::new(view, Grantee::Public).privilege(Privilege::Select);
/// assert_eq!(
///     diesel::debug_query::<diesel::pg::Pg, _>(&public).to_string(),
///     r#"GRANT SELECT ON TABLE "app"."user_stats" TO PUBLIC -- binds: []"#
/// );
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a statement does nothing until it is executed"]
pub struct Grant {
    relation: QualifiedName,
    privileges: Vec<Privilege>,
    grantee: Grantee,
    with_grant_option: bool,
}

statement!(Grant);

impl Grant {
    /// A grant on `relation` to `grantee` (add privileges with [`privilege`](Self::privilege)).
    pub fn new(relation: QualifiedName, grantee: Grantee) -> Self {
        Self {
            relation,
            privileges: Vec::new(),
            grantee,
            with_grant_option: false,
        }
    }

    /// Adds a privilege (listed once however often it is given).
    pub fn privilege(mut self, privilege: Privilege) -> Self {
        if !self.privileges.contains(&privilege) {
            self.privileges.push(privilege);
        }
        self
    }

    /// `WITH GRANT OPTION`: the grantee may grant these privileges to others.
    pub fn with_grant_option(mut self) -> Self {
        self.with_grant_option = true;
        self
    }

    /// The privileges granted.
    pub fn privileges(&self) -> &[Privilege] {
        &self.privileges
    }

    /// Who receives them.
    pub fn grantee(&self) -> &Grantee {
        &self.grantee
    }
}

impl QueryFragment<Pg> for Grant {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        if self.privileges.is_empty() {
            return Err(Error::InvalidDefinition {
                name: self.relation.fullname(),
                reason: "a GRANT needs at least one privilege".into(),
            }
            .into_diesel());
        }
        out.push_sql("GRANT ");
        walk_privileges(&self.privileges, &mut out);
        out.push_sql(" ON TABLE ");
        self.relation.walk_ast(&mut out)?;
        out.push_sql(" TO ");
        match &self.grantee {
            Grantee::Public => out.push_sql("PUBLIC"),
            Grantee::Role(role) => role.walk_ast(&mut out)?,
        }
        if self.with_grant_option {
            out.push_sql(" WITH GRANT OPTION");
        }
        Ok(())
    }
}

/// Writes `SELECT, INSERT, …` (the privilege list of `GRANT` and `REVOKE`).
pub(crate) fn walk_privileges(privileges: &[Privilege], out: &mut AstPass<'_, '_, Pg>) {
    for (i, privilege) in privileges.iter().enumerate() {
        if i > 0 {
            out.push_sql(", ");
        }
        out.push_sql(privilege.keyword());
    }
}
