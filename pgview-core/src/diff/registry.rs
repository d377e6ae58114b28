//! The registry of derived views: every `#[derive(PgView)]` of a program, collected when the
//! program starts, and [`ViewSet::registered`].
//!
//! Built on [`inventory`] rather than `linkme`: the derive's generated code reaches it through
//! `::pgview::__private::inventory::submit!`, which works through a re-export without the
//! user adding a dependency or naming a `crate` path (a `linkme` slice element needs
//! `#[linkme(crate = …)]` in generated code, and `linkme` lists fewer supported targets);
//! `inventory` works on every platform Rust supports, and the cost is one pointer written per
//! derived struct at start-up.

use crate::definition::AnyView;
use crate::error::Result;
use crate::view_trait::PgView;

use super::ViewSet;

/// One derived struct, as `#[derive(PgView)]` registers it. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    type_name: fn() -> &'static str,
    definition: fn() -> Result<AnyView>,
}

impl Registration {
    /// The registration of `V` (`type_name` is `core::any::type_name::<V>`, a function
    /// because the name is not a constant on stable Rust).
    pub const fn new(type_name: fn() -> &'static str, definition: fn() -> Result<AnyView>) -> Self {
        Self {
            type_name,
            definition,
        }
    }
}

/// `V`'s definition as an [`AnyView`], for [`Registration::new`]. Not public API.
#[doc(hidden)]
pub fn definition_of<V>() -> Result<AnyView>
where
    V: PgView,
    V::Definition: Clone + Into<AnyView>,
{
    Ok(V::definition()?.clone().into())
}

inventory::collect!(Registration);

impl ViewSet {
    /// Every view of the program declared with `#[derive(PgView)]`, collected when the
    /// program starts (whatever module or crate of the program the struct is in), sorted by
    /// schema and name.
    ///
    /// This is what the `pgview` command line mounted in an application works on
    /// (`pgview::cli::main(pgview::ViewSet::registered())`, feature `cli`). Temporary views
    /// (`#[pgview(temporary)]`) are not registered: they belong to a session and are never
    /// migrated. A crate of the program whose derived structs are never referenced may be
    /// left out by the linker; reference it from the program (`use other_crate as _;`).
    ///
    /// # Examples
    /// ```
    /// // A program without derived views.
    /// assert!(pgview_core::ViewSet::registered()?.is_empty());
    /// # Ok::<(), pgview_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDefinition`](crate::Error::InvalidDefinition) when two structs declare
    /// the same view (naming both structs and the view), or the error of a definition that
    /// cannot be built (see [`PgView::definition`]).
    pub fn registered() -> Result<Self> {
        let mut registrations: Vec<(&'static str, AnyView)> = Vec::new();
        for registration in inventory::iter::<Registration> {
            registrations.push(((registration.type_name)(), (registration.definition)()?));
        }
        // Link order is not a promise: the set (and the duplicate error) must not depend on it.
        registrations
            .sort_by(|(a_type, a), (b_type, b)| (a.name(), a_type).cmp(&(b.name(), b_type)));
        let mut set = Self::new();
        for (type_name, view) in registrations {
            set.declare(view, format!("struct `{type_name}`"))?;
        }
        Ok(set)
    }
}
