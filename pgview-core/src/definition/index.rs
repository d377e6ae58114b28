//! Indexes declared on materialized views: key parts (columns or expressions, each with its
//! sort order, collation and operator class), access method, `INCLUDE` columns, a `WHERE`
//! predicate, uniqueness and a name — what `CREATE INDEX` can say about a materialized view.
//!
//! Expressions and predicates are SQL text, checked by the lexer to be exactly one expression
//! (no `;`, balanced parentheses, nothing left open, no `$1`), and written inside
//! parentheses; the server parses them when the index is created. The comparison of `diff`
//! creates the declared index on the server and compares what the server prints for it
//! (`pg_get_indexdef`) with the live index, so `lower(email)` and `lower((email)::text)` are
//! the same index.

use crate::error::{Error, Result};
use crate::ident::{Ident, QualifiedName};
use crate::lexer::expression::one_expression;

/// An index on a materialized view, created with it.
///
/// A unique index on plain columns without a `WHERE` clause is what
/// `REFRESH MATERIALIZED VIEW CONCURRENTLY` needs ([`Index::serves_concurrent_refresh`]).
///
/// # Examples
/// ```
/// use pgview_core::{Index, IndexPart};
///
/// // Plain columns, unique, named.
/// let pk = Index::unique(["user_id"])?.named("user_stats_pk")?;
/// assert!(pk.serves_concurrent_refresh());
///
/// // A named expression index, as Rails names them.
/// let by_email = Index::expression("lower(email)")?.named("index_users_on_lower_email")?;
///
/// // Several parts, a method, covering columns and a predicate.
/// let recent = Index::on([IndexPart::column("created_at")?.desc().nulls_last(), IndexPart::column("id")?])?
///     .include(["total"])?
///     .where_sql("total > 0")?;
/// let trigram = Index::new(["title"])?.using("gin")?;
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Index {
    pub(crate) name: Option<Ident>,
    pub(crate) parts: Vec<IndexPart>,
    pub(crate) unique: bool,
    pub(crate) method: Option<IndexMethod>,
    pub(crate) include: Vec<Ident>,
    pub(crate) predicate: Option<String>,
}

/// What one key part of an index indexes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexKey {
    /// A column of the view: `"email"`.
    Column(Ident),
    /// An expression over its columns, written in parentheses: `(lower(email))`.
    Expression(String),
}

/// Where an index puts `NULL`s (`NULLS FIRST` / `NULLS LAST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullsOrder {
    /// `NULLS FIRST` (the default of `DESC`).
    First,
    /// `NULLS LAST` (the default of `ASC`).
    Last,
}

/// The access method of an index (`USING …`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexMethod {
    /// `btree`, the default.
    Btree,
    /// `hash`.
    Hash,
    /// `gist`.
    Gist,
    /// `gin`.
    Gin,
    /// `brin`.
    Brin,
    /// `spgist`.
    Spgist,
    /// A method an extension adds (`bloom`, `rum`, …), written quoted.
    Other(Ident),
}

impl IndexMethod {
    /// The method named `name`: one of the built-in ones (in any case, as SQL folds an
    /// unquoted `GIN`), or another (an extension's, spelled as the catalog holds it).
    ///
    /// # Errors
    /// An invalid identifier.
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "btree" => Self::Btree,
            "hash" => Self::Hash,
            "gist" => Self::Gist,
            "gin" => Self::Gin,
            "brin" => Self::Brin,
            "spgist" => Self::Spgist,
            _ => Self::Other(Ident::new(name)?),
        })
    }

    /// The built-in method's keyword, `None` for [`IndexMethod::Other`].
    pub fn builtin_name(&self) -> Option<&'static str> {
        Some(match self {
            Self::Btree => "btree",
            Self::Hash => "hash",
            Self::Gist => "gist",
            Self::Gin => "gin",
            Self::Brin => "brin",
            Self::Spgist => "spgist",
            Self::Other(_) => return None,
        })
    }

    /// Whether a unique index may use it: `btree`, and (left to the server) other methods;
    /// the built-in `hash`, `gist`, `gin`, `brin` and `spgist` cannot be unique.
    fn may_be_unique(&self) -> bool {
        matches!(self, Self::Btree | Self::Other(_))
    }
}

/// One key part of an index: a column or an expression, with its collation, operator class,
/// sort order and `NULL`s order.
///
/// # Examples
/// ```
/// use pgview_core::IndexPart;
/// let part = IndexPart::column("name")?.opclass("text_pattern_ops")?.desc();
/// let lower = IndexPart::expression("lower(email)")?.collate("C")?;
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexPart {
    pub(crate) key: IndexKey,
    pub(crate) collation: Option<QualifiedName>,
    pub(crate) opclass: Option<QualifiedName>,
    pub(crate) descending: bool,
    pub(crate) nulls: Option<NullsOrder>,
}

impl IndexPart {
    fn of(key: IndexKey) -> Self {
        Self {
            key,
            collation: None,
            opclass: None,
            descending: false,
            nulls: None,
        }
    }

    /// The column `name`.
    ///
    /// # Errors
    /// An invalid identifier.
    pub fn column(name: &str) -> Result<Self> {
        Ok(Self::of(IndexKey::Column(Ident::new(name)?)))
    }

    /// The expression `sql` (SQL text over the view's columns, such as `lower(email)`),
    /// written in parentheses.
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`] when `sql` is not exactly one expression: empty, holding
    /// `;`, a `,` outside parentheses, a parameter placeholder, unbalanced parentheses or an
    /// unclosed string, quoted identifier or comment.
    pub fn expression(sql: &str) -> Result<Self> {
        Ok(Self::of(IndexKey::Expression(checked_expression(
            "index expression",
            sql,
        )?)))
    }

    /// `COLLATE collation` (`"C"`, `pg_catalog."default"`, `schema.name`).
    ///
    /// # Errors
    /// An invalid name.
    pub fn collate(mut self, collation: &str) -> Result<Self> {
        self.collation = Some(QualifiedName::parse(collation)?);
        Ok(self)
    }

    /// The operator class (`text_pattern_ops`, `gin_trgm_ops`, `schema.name`).
    ///
    /// # Errors
    /// An invalid name.
    pub fn opclass(mut self, opclass: &str) -> Result<Self> {
        self.opclass = Some(QualifiedName::parse(opclass)?);
        Ok(self)
    }

    /// `DESC` (the default is `ASC`).
    #[must_use]
    pub fn desc(mut self) -> Self {
        self.descending = true;
        self
    }

    /// `NULLS FIRST`.
    #[must_use]
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Some(NullsOrder::First);
        self
    }

    /// `NULLS LAST`.
    #[must_use]
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Some(NullsOrder::Last);
        self
    }

    /// What it indexes.
    pub fn key(&self) -> &IndexKey {
        &self.key
    }

    /// The collation, when given.
    pub fn collation(&self) -> Option<&QualifiedName> {
        self.collation.as_ref()
    }

    /// The operator class, when given.
    pub fn operator_class(&self) -> Option<&QualifiedName> {
        self.opclass.as_ref()
    }

    /// Whether it is `DESC`.
    pub fn is_descending(&self) -> bool {
        self.descending
    }

    /// The `NULLS FIRST|LAST` given, if any.
    pub fn nulls(&self) -> Option<NullsOrder> {
        self.nulls
    }

    /// The column, when the part is a column rather than an expression.
    fn plain_column(&self) -> Option<&Ident> {
        match &self.key {
            IndexKey::Column(column) => Some(column),
            IndexKey::Expression(_) => None,
        }
    }
}

/// `sql` checked to be one expression, or [`Error::InvalidDefinition`] naming `what`.
fn checked_expression(what: &str, sql: &str) -> Result<String> {
    one_expression(sql).map_err(|reason| Error::InvalidDefinition {
        name: "index".into(),
        reason: format!("the {what} {sql:?} is not one expression: {reason}"),
    })
}

impl Index {
    /// A (non-unique) index on `columns`.
    ///
    /// # Errors
    /// No column, or an invalid column name.
    pub fn new<I, S>(columns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::on(
            columns
                .into_iter()
                .map(|c| IndexPart::column(c.as_ref()))
                .collect::<Result<Vec<_>>>()?,
        )
    }

    /// A unique index on `columns`.
    ///
    /// # Errors
    /// No column, or an invalid column name.
    pub fn unique<I, S>(columns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(Self {
            unique: true,
            ..Self::new(columns)?
        })
    }

    /// A (non-unique) index on key `parts`: columns and expressions, in order.
    ///
    /// # Errors
    /// No part.
    pub fn on(parts: impl IntoIterator<Item = IndexPart>) -> Result<Self> {
        let parts: Vec<IndexPart> = parts.into_iter().collect();
        if parts.is_empty() {
            return Err(Error::InvalidDefinition {
                name: "index".into(),
                reason: "an index needs at least one column or expression".into(),
            });
        }
        Ok(Self {
            name: None,
            parts,
            unique: false,
            method: None,
            include: Vec::new(),
            predicate: None,
        })
    }

    /// A unique index on key `parts`.
    ///
    /// # Errors
    /// No part.
    pub fn unique_on(parts: impl IntoIterator<Item = IndexPart>) -> Result<Self> {
        Ok(Self {
            unique: true,
            ..Self::on(parts)?
        })
    }

    /// A (non-unique) index on one expression (`lower(email)`); see
    /// [`IndexPart::expression`].
    ///
    /// # Errors
    /// As [`IndexPart::expression`].
    pub fn expression(sql: &str) -> Result<Self> {
        Self::on([IndexPart::expression(sql)?])
    }

    /// Names the index. Without a name, the materialized view names it
    /// `<view>_<part>[_<part>…]_idx`, where an expression part is `expr`
    /// (name an expression index to keep the name you chose).
    ///
    /// # Errors
    /// An invalid identifier.
    pub fn named(mut self, name: &str) -> Result<Self> {
        self.name = Some(Ident::new(name)?);
        Ok(self)
    }

    /// `USING method`: `btree` (the default), `hash`, `gist`, `gin`, `brin`, `spgist`, or a
    /// method an extension adds (written quoted, so it must be spelled as the catalog holds
    /// it).
    ///
    /// # Errors
    /// An invalid identifier, or a unique index with a built-in method other than `btree`
    /// (the server refuses those).
    pub fn using(mut self, method: &str) -> Result<Self> {
        let method = IndexMethod::parse(method)?;
        if self.unique && !method.may_be_unique() {
            return Err(Error::InvalidDefinition {
                name: self.name.as_ref().map_or("index", Ident::as_str).to_owned(),
                reason: format!(
                    "a unique index cannot use `{}`: of the built-in methods only btree supports unique indexes",
                    method.builtin_name().unwrap_or_default()
                ),
            });
        }
        self.method = Some(method);
        Ok(self)
    }

    /// `INCLUDE (columns)`: columns stored in the index without being keys (a covering
    /// index; `btree`, `gist` and, from PostgreSQL 14, `spgist`).
    ///
    /// # Errors
    /// An invalid column name.
    pub fn include<I, S>(mut self, columns: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.include = columns
            .into_iter()
            .map(|c| Ident::new(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(self)
    }

    /// `WHERE predicate`: a partial index. `predicate` is SQL text over the view's columns
    /// (`deleted_at IS NULL`), checked as [`IndexPart::expression`] is.
    ///
    /// # Errors
    /// As [`IndexPart::expression`].
    pub fn where_sql(mut self, predicate: &str) -> Result<Self> {
        self.predicate = Some(checked_expression("index predicate (WHERE)", predicate)?);
        Ok(self)
    }

    /// The index name (always set once the index belongs to a materialized view).
    pub fn name(&self) -> Option<&Ident> {
        self.name.as_ref()
    }

    /// The key parts, in order.
    pub fn parts(&self) -> &[IndexPart] {
        &self.parts
    }

    /// Whether the index is unique.
    pub fn is_unique(&self) -> bool {
        self.unique
    }

    /// The access method given with [`using`](Self::using) (`None`: the server's default,
    /// `btree`).
    pub fn method(&self) -> Option<&IndexMethod> {
        self.method.as_ref()
    }

    /// The `INCLUDE` columns.
    pub fn include_columns(&self) -> &[Ident] {
        &self.include
    }

    /// The `WHERE` predicate, as it is written into the statement.
    pub fn predicate(&self) -> Option<&str> {
        self.predicate.as_deref()
    }

    /// Whether `REFRESH MATERIALIZED VIEW CONCURRENTLY` can use it, by the server's rule:
    /// unique, `btree`, every key part a plain column, no `WHERE` clause (`INCLUDE` columns,
    /// operator classes and collations do not matter).
    pub fn serves_concurrent_refresh(&self) -> bool {
        self.unique
            && matches!(self.method, None | Some(IndexMethod::Btree))
            && self.predicate.is_none()
            && self.parts.iter().all(|p| p.plain_column().is_some())
    }

    /// Gives the index its default name for the view `view` when it has none.
    pub(crate) fn with_default_name(mut self, view: &Ident) -> Result<Self> {
        if self.name.is_none() {
            let mut name = view.as_str().to_owned();
            for part in &self.parts {
                name.push('_');
                name.push_str(part.plain_column().map_or("expr", Ident::as_str));
            }
            name.push_str("_idx");
            self.name = Some(Ident::new(&name).map_err(|_| Error::InvalidDefinition {
                name: view.as_str().to_owned(),
                reason: format!(
                    "the default index name {name:?} is longer than 63 bytes; name the index with `Index::named`"
                ),
            })?);
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_count_an_expression_as_expr() {
        let view = Ident::new("m").unwrap();
        let index = Index::on([
            IndexPart::column("a").unwrap(),
            IndexPart::expression("lower(b)").unwrap(),
        ])
        .unwrap()
        .with_default_name(&view)
        .unwrap();
        assert_eq!(index.name().unwrap().as_str(), "m_a_expr_idx");
    }

    #[test]
    fn only_a_plain_full_btree_unique_index_serves_a_concurrent_refresh() {
        let unique = || Index::unique(["a"]).unwrap();
        assert!(unique().serves_concurrent_refresh());
        assert!(unique().using("btree").unwrap().serves_concurrent_refresh());
        assert!(unique().include(["b"]).unwrap().serves_concurrent_refresh());
        assert!(!unique().using("bloom").unwrap().serves_concurrent_refresh());
        assert!(!unique()
            .where_sql("a > 0")
            .unwrap()
            .serves_concurrent_refresh());
        assert!(!Index::new(["a"]).unwrap().serves_concurrent_refresh());
        let expression = Index::unique_on([IndexPart::expression("a + 0").unwrap()]).unwrap();
        assert!(!expression.serves_concurrent_refresh());
    }

    #[test]
    fn a_unique_index_keeps_to_methods_that_allow_it() {
        for method in ["hash", "gist", "gin", "brin", "spgist"] {
            let error = Index::unique(["a"]).unwrap().using(method).unwrap_err();
            assert!(error.to_string().contains("only btree"), "{error}");
            assert!(Index::new(["a"]).unwrap().using(method).is_ok());
        }
        assert!(Index::unique(["a"]).unwrap().using("bloom").is_ok());
        assert!(Index::on([]).is_err());
    }
}
