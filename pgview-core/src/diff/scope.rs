//! [`DiffScope`]: which views of the database a comparison looks at.

use crate::error::Result;
use crate::ident::{Ident, QualifiedName};

use crate::definition::AnyView;

/// Which views of the database [`diff`](crate::diff) compares with the declared ones.
///
/// A view in scope that the application does not declare is reported as dropped (and the plan
/// drops it); a view outside the scope is never reported, and is only touched when it reads a
/// view that must be rebuilt, in which case the plan rebuilds it from its catalog definition.
/// The declared views themselves are always compared, whatever the scope. Views that belong to
/// an extension are never in scope.
///
/// | scope | views compared |
/// | --- | --- |
/// | [`declared_schemas`](Self::declared_schemas) (the default) | every view of the schemas the declared views are in |
/// | [`schemas`](Self::schemas) | every view of the schemas given (and the declared views) |
/// | [`all_schemas`](Self::all_schemas) | every view of every user schema |
/// | [`declared_only`](Self::declared_only) | the declared views only: nothing is ever dropped |
///
/// [`exclude`](Self::exclude) leaves given views out of any scope (views managed by someone
/// else in a schema the application uses).
///
/// # Examples
/// ```
/// use pgview_core::DiffScope;
/// let scope = DiffScope::schemas(["public", "reporting"])?.exclude(["public.legacy_report"])?;
/// # let _ = scope;
/// # Ok::<(), pgview_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffScope {
    schemas: Schemas,
    excluded: Vec<QualifiedName>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Schemas {
    #[default]
    Declared,
    Given(Vec<Ident>),
    All,
    None,
}

impl DiffScope {
    /// Every view of the schemas that hold a declared view (the default).
    pub fn declared_schemas() -> Self {
        Self::default()
    }

    /// Every view of these schemas, and the declared views wherever they are.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid schema name.
    pub fn schemas<I, S>(schemas: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let schemas = schemas
            .into_iter()
            .map(|s| Ident::new(s.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            schemas: Schemas::Given(schemas),
            excluded: Vec::new(),
        })
    }

    /// Every view of every user schema (`pg_catalog`, `information_schema`, `pg_toast*` and
    /// temporary schemas are left out).
    pub fn all_schemas() -> Self {
        Self {
            schemas: Schemas::All,
            excluded: Vec::new(),
        }
    }

    /// The declared views only: views the application does not declare are never dropped.
    pub fn declared_only() -> Self {
        Self {
            schemas: Schemas::None,
            excluded: Vec::new(),
        }
    }

    /// Leaves these views (`"v"` for any schema, or `"schema.v"`) out of the scope: they are
    /// never reported as dropped.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn exclude<I, S>(mut self, names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for name in names {
            self.excluded.push(QualifiedName::parse(name.as_ref())?);
        }
        Ok(self)
    }

    /// The schemas whose views are in scope: `None` for every user schema.
    pub(crate) fn schema_list(&self, declared: &[AnyView]) -> Option<Vec<String>> {
        match &self.schemas {
            Schemas::All => None,
            Schemas::None => Some(Vec::new()),
            Schemas::Given(schemas) => {
                Some(schemas.iter().map(|s| s.as_str().to_owned()).collect())
            }
            Schemas::Declared => {
                let mut schemas: Vec<String> = declared
                    .iter()
                    .filter_map(|v| v.name().schema().map(|s| s.as_str().to_owned()))
                    .collect();
                schemas.sort();
                schemas.dedup();
                Some(schemas)
            }
        }
    }

    /// Whether `schema.name` was excluded.
    pub(crate) fn is_excluded(&self, schema: &str, name: &str) -> bool {
        self.excluded.iter().any(|excluded| {
            excluded.name().as_str() == name
                && excluded.schema().is_none_or(|s| s.as_str() == schema)
        })
    }
}
