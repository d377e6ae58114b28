//! Indexes declared on materialized views.

use crate::error::{Error, Result};
use crate::ident::Ident;

/// An index on a materialized view, created with it.
///
/// A unique index on plain columns is what `REFRESH MATERIALIZED VIEW CONCURRENTLY` needs.
///
/// # Examples
/// ```
/// use pgview_core::Index;
/// let index = Index::unique(["user_id"])?.named("user_stats_pk")?;
/// assert!(index.is_unique());
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Index {
    pub(crate) name: Option<Ident>,
    pub(crate) columns: Vec<Ident>,
    pub(crate) unique: bool,
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
        let columns = columns
            .into_iter()
            .map(|c| Ident::new(c.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if columns.is_empty() {
            return Err(Error::InvalidDefinition {
                name: "index".into(),
                reason: "an index needs at least one column".into(),
            });
        }
        Ok(Self {
            name: None,
            columns,
            unique: false,
        })
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

    /// Names the index. Without a name, the materialized view names it
    /// `<view>_<col>[_<col>…]_idx`.
    ///
    /// # Errors
    /// An invalid identifier.
    pub fn named(mut self, name: &str) -> Result<Self> {
        self.name = Some(Ident::new(name)?);
        Ok(self)
    }

    /// The index name (always set once the index belongs to a materialized view).
    pub fn name(&self) -> Option<&Ident> {
        self.name.as_ref()
    }

    /// The indexed columns.
    pub fn columns(&self) -> &[Ident] {
        &self.columns
    }

    /// Whether the index is unique.
    pub fn is_unique(&self) -> bool {
        self.unique
    }

    /// Gives the index its default name for the view `view` when it has none.
    pub(crate) fn with_default_name(mut self, view: &Ident) -> Result<Self> {
        if self.name.is_none() {
            let mut name = view.as_str().to_owned();
            for column in &self.columns {
                name.push('_');
                name.push_str(column.as_str());
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
