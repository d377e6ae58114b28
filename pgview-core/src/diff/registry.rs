//! The registry of derived views: every `#[derive(PgView)]` of a program, collected when the
//! program starts, and [`ViewSet::registered`].
//!
//! Built on [`inventory`] rather than `linkme`: the derive's generated code reaches it through
//! `::pgview::__private::inventory::submit!`, which works through a re-export without the
//! user adding a dependency or naming a `crate` path (a `linkme` slice element needs
//! `#[linkme(crate = …)]` in generated code, and `linkme` lists fewer supported targets);
//! `inventory` works on every platform Rust supports, and the cost is one pointer written per
//! derived struct at start-up.

use diesel::PgConnection;

use crate::definition::AnyView;
use crate::error::{Error, Result};
use crate::ident::QualifiedName;
use crate::view_trait::PgView;

use super::ViewSet;

/// One derived struct, as `#[derive(PgView)]` registers it. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    type_name: fn() -> &'static str,
    definition: fn() -> Result<AnyView>,
    verify: fn(&mut PgConnection) -> Result<()>,
}

impl Registration {
    /// The registration of `V` (`type_name` is `core::any::type_name::<V>`, a function
    /// because the name is not a constant on stable Rust; `verify` is [`verify_of`]).
    pub const fn new(
        type_name: fn() -> &'static str,
        definition: fn() -> Result<AnyView>,
        verify: fn(&mut PgConnection) -> Result<()>,
    ) -> Self {
        Self {
            type_name,
            definition,
            verify,
        }
    }
}

/// `V::verify` on a sync connection, for [`Registration::new`]. Not public API.
#[doc(hidden)]
pub fn verify_of<V: PgView>(conn: &mut PgConnection) -> Result<()> {
    V::verify(conn)
}

/// A registered struct whose fields do not match its view (see [`verify_registered`]).
#[derive(Debug)]
pub struct StructMismatch {
    /// The struct (`core::any::type_name`).
    pub type_name: &'static str,
    /// The view.
    pub view: QualifiedName,
    /// Why: [`Error::ViewMismatch`](crate::Error::ViewMismatch) listing every difference, or
    /// the error of the check.
    pub error: Error,
}

/// Runs [`PgView::verify`] for every registered struct whose view `check` accepts (the
/// `pgview` command line mounted in a program checks those its comparison found unchanged:
/// their views are what the program declares, so a mismatch is the struct's), and returns
/// every mismatch, in view order.
///
/// # Errors
/// The error of a definition that cannot be built.
pub fn verify_registered(
    conn: &mut PgConnection,
    check: impl Fn(&QualifiedName) -> bool,
) -> Result<Vec<StructMismatch>> {
    let mut found = Vec::new();
    for registration in inventory::iter::<Registration> {
        let view = (registration.definition)()?.name().clone();
        if !check(&view) {
            continue;
        }
        if let Err(error) = (registration.verify)(conn) {
            found.push(StructMismatch {
                type_name: (registration.type_name)(),
                view,
                error,
            });
        }
    }
    found.sort_by(|a, b| (&a.view, a.type_name).cmp(&(&b.view, b.type_name)));
    Ok(found)
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
    /// (`pgview::cli::main(pgview::diff::ViewSet::registered())`, feature `cli`). Temporary
    /// views (`#[pgview(temporary)]`) are not registered: they belong to a session and are
    /// never migrated. A crate of the program whose derived structs are never referenced may be
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
