//! [`DiffScope`]: which views of the database a comparison looks at.

use std::collections::BTreeSet;

use crate::definition::AnyView;
use crate::error::Result;
use crate::ident::{Ident, QualifiedName};
use crate::record::Record;
use crate::snapshot::Key;

/// Which views of the database [`diff`](crate::diff) compares with the declared ones.
///
/// A view in scope that the application does not declare is reported as dropped (and the plan
/// drops it); a view outside the scope is never reported as dropped, and is only touched when
/// it reads a view that must be rebuilt, in which case the plan rebuilds it from its catalog
/// definition (and refuses when it cannot, see [`PlanOptions`](crate::PlanOptions)). The
/// declared views themselves are always compared, whatever the scope, unless excluded. Views that belong to an
/// extension are never in scope.
///
/// | scope | views compared |
/// | --- | --- |
/// | [`managed`](Self::managed) (the default) | the views pgview manages: every view a generated migration created or recorded (the ownership record, `pgview.managed_views`) |
/// | [`declared_schemas`](Self::declared_schemas) | every view of the schemas the declared views are in |
/// | [`schemas`](Self::schemas) | every view of the schemas given |
/// | [`all_schemas`](Self::all_schemas) | every view of every user schema |
/// | [`views`](Self::views) | the views named |
/// | [`declared_only`](Self::declared_only) | none: nothing is ever dropped |
///
/// With the default scope, a view of a declared view's schema that is neither declared nor
/// recorded (a teammate's view made by hand) is reported as
/// [`Unmanaged`](crate::DiffStatus::Unmanaged) and left alone; declare it to adopt it (the
/// next generated migration records it). The other scopes say explicitly which views the
/// application owns.
///
/// [`exclude`](Self::exclude) leaves given views out of the comparison, declared or not (views
/// managed by someone else in a schema the application uses, or a declared view to leave
/// alone for now).
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
    Managed,
    Declared,
    Given(Vec<Ident>),
    All,
    Views(Vec<QualifiedName>),
    None,
}

impl DiffScope {
    /// The views pgview manages: the declared ones and those recorded by the migrations it
    /// generated (the default).
    pub fn managed() -> Self {
        Self::default()
    }

    /// Every view of the schemas that hold a declared view.
    pub fn declared_schemas() -> Self {
        Self {
            schemas: Schemas::Declared,
            excluded: Vec::new(),
        }
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

    /// The views named (`"schema.name"`; `"name"` is in the schema of views declared without
    /// one), and the declared views.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`](crate::Error::InvalidIdentifier) for an invalid name.
    pub fn views<I, S>(names: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let names = names
            .into_iter()
            .map(|name| QualifiedName::parse(name.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            schemas: Schemas::Views(names),
            excluded: Vec::new(),
        })
    }

    /// The declared views only: views the application does not declare are never dropped.
    pub fn declared_only() -> Self {
        Self {
            schemas: Schemas::None,
            excluded: Vec::new(),
        }
    }

    /// Leaves these views (`"v"` for any schema, or `"schema.v"`) out of the comparison
    /// entirely: never reported as dropped, and not compared even when they are declared (the
    /// migration neither creates, changes, records nor drops them, nor their indexes).
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

    /// The schemas whose views the comparison reads (`None`: every user schema): those in
    /// scope, or for the managed scope those where unmanaged views are reported.
    pub(crate) fn schema_list<'v>(
        &self,
        declared: impl IntoIterator<Item = &'v AnyView>,
    ) -> Option<Vec<String>> {
        match &self.schemas {
            Schemas::All => None,
            Schemas::None | Schemas::Views(_) => Some(Vec::new()),
            Schemas::Given(schemas) => {
                Some(schemas.iter().map(|s| s.as_str().to_owned()).collect())
            }
            Schemas::Declared | Schemas::Managed => {
                let mut schemas: Vec<String> = declared
                    .into_iter()
                    .filter_map(|v| v.name().schema().map(|s| s.as_str().to_owned()))
                    .collect();
                schemas.sort();
                schemas.dedup();
                Some(schemas)
            }
        }
    }

    /// The views the comparison reads by name besides the declared ones: the recorded views
    /// (managed scope) or the views named (`default_schema` for those given without one).
    pub(crate) fn named(&self, record: &Record, default_schema: Option<&str>) -> Vec<Key> {
        match &self.schemas {
            Schemas::Managed => record.keys().cloned().collect(),
            Schemas::Views(names) => names
                .iter()
                .filter_map(|name| {
                    let schema = name
                        .schema()
                        .map(Ident::as_str)
                        .or(default_schema)?
                        .to_owned();
                    Some((schema, name.name().as_str().to_owned()))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the live view `key` is in scope; `in_schemas`: whether it is in the schemas the
    /// selection read (see [`schema_list`](Self::schema_list)).
    pub(crate) fn contains(&self, key: &Key, in_schemas: bool, named: &BTreeSet<Key>) -> bool {
        let in_scope = match &self.schemas {
            Schemas::Managed | Schemas::Views(_) => named.contains(key),
            Schemas::None => false,
            Schemas::Declared | Schemas::Given(_) | Schemas::All => in_schemas,
        };
        in_scope && !self.is_excluded(&key.0, &key.1)
    }

    /// Whether the live view `key`, not declared and not in scope, is reported as
    /// [`Unmanaged`](crate::DiffStatus::Unmanaged): the managed scope reports the views of
    /// the declared views' schemas that nobody recorded.
    pub(crate) fn reports_unmanaged(&self, key: &Key, in_schemas: bool) -> bool {
        self.schemas == Schemas::Managed && in_schemas && !self.is_excluded(&key.0, &key.1)
    }

    /// Whether it is the managed scope (declared and recorded views).
    pub(crate) fn is_managed(&self) -> bool {
        self.schemas == Schemas::Managed
    }

    /// Whether `schema.name` was excluded.
    pub(crate) fn is_excluded(&self, schema: &str, name: &str) -> bool {
        self.excluded.iter().any(|excluded| {
            excluded.name().as_str() == name
                && excluded.schema().is_none_or(|s| s.as_str() == schema)
        })
    }
}
