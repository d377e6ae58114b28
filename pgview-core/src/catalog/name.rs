//! Naming relations ([`RelationName`]) and finding the one a name designates.

use crate::definition::{MaterializedView, View};
use crate::error::{Error, RelationKind, Result};
use crate::ident::QualifiedName;

use super::relation::Relation;

/// A way to name a relation: `"name"` or `"schema.name"` (parts may be double-quoted, as
/// `"my.schema"."v"`), a [`QualifiedName`], or a definition.
///
/// An unqualified name is looked up in every user schema: it must exist in exactly one.
pub trait RelationName {
    /// The qualified name.
    ///
    /// # Errors
    /// An invalid identifier.
    fn to_qualified_name(&self) -> Result<QualifiedName>;
}

impl RelationName for str {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        QualifiedName::parse(self)
    }
}

impl RelationName for String {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        QualifiedName::parse(self)
    }
}

impl RelationName for QualifiedName {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.clone())
    }
}

impl RelationName for View {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.name().clone())
    }
}

impl RelationName for MaterializedView {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        Ok(self.name().clone())
    }
}

impl<T: RelationName + ?Sized> RelationName for &T {
    fn to_qualified_name(&self) -> Result<QualifiedName> {
        (**self).to_qualified_name()
    }
}

/// Whether `name` designates `schema.relname`.
pub(crate) fn designates(name: &QualifiedName, schema: &str, relname: &str) -> bool {
    name.name().as_str() == relname && name.schema().is_none_or(|s| s.as_str() == schema)
}

/// The position of the one relation among `found` that `name` designates.
///
/// # Errors
/// [`Error::NotFound`] (naming `looked_for`) when there is none, [`Error::Ambiguous`] listing
/// the candidates when an unqualified name designates several.
pub(crate) fn resolve(
    name: &QualifiedName,
    looked_for: RelationKind,
    found: &[Relation],
) -> Result<usize> {
    let matches: Vec<usize> = (0..found.len())
        .filter(|&i| designates(name, &found[i].schema, &found[i].name))
        .collect();
    match matches.as_slice() {
        [] => Err(Error::NotFound {
            kind: looked_for,
            name: name.fullname(),
        }),
        [one] => Ok(*one),
        several => {
            let mut candidates: Vec<String> =
                several.iter().map(|&i| found[i].fullname()).collect();
            candidates.sort();
            Err(Error::Ambiguous {
                name: name.fullname(),
                candidates,
            })
        }
    }
}

/// `relation` itself when it is a view or materialized view.
///
/// # Errors
/// [`Error::WrongKind`] for a table.
pub(crate) fn expect_view(relation: &Relation) -> Result<&Relation> {
    if relation.is_view() {
        Ok(relation)
    } else {
        Err(Error::WrongKind {
            name: relation.fullname(),
            expected: RelationKind::View,
            actual: relation.kind,
        })
    }
}

/// The view `name` designates among `found`.
///
/// # Errors
/// As [`resolve`] and [`expect_view`].
pub(crate) fn designated_view<'r>(
    name: &QualifiedName,
    found: &'r [Relation],
) -> Result<&'r Relation> {
    expect_view(&found[resolve(name, RelationKind::View, found)?])
}

/// Checks that each of `names` designates exactly one view among `found`.
///
/// # Errors
/// As [`designated_view`], for the first name that fails.
pub(crate) fn check_names(names: &[QualifiedName], found: &[Relation]) -> Result<()> {
    for name in names {
        designated_view(name, found)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(schema: &str, name: &str, kind: RelationKind) -> Relation {
        Relation::new(schema, name, kind)
    }

    #[test]
    fn resolves_one_reports_none_and_several() {
        let found = [
            rel("b", "v", RelationKind::View),
            rel("a", "v", RelationKind::MaterializedView),
            rel("a", "t", RelationKind::Table),
        ];
        let name = |s: &str| QualifiedName::parse(s).unwrap();
        assert_eq!(
            designated_view(&name("a.v"), &found).unwrap().fullname(),
            "a.v"
        );
        match resolve(&name("v"), RelationKind::View, &found) {
            Err(Error::Ambiguous { candidates, .. }) => assert_eq!(candidates, ["a.v", "b.v"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&name("c.v"), RelationKind::View, &found),
            Err(Error::NotFound { name, .. }) if name == "c.v"
        ));
        assert_eq!(resolve(&name("t"), RelationKind::Other, &found).unwrap(), 2);
        assert!(matches!(
            designated_view(&name("a.t"), &found),
            Err(Error::WrongKind {
                actual: RelationKind::Table,
                ..
            })
        ));
    }
}
