//! Recognises server errors about views and turns them into precise pgview errors.
//!
//! The server reports these cases with SQLSTATE 42809 or 55000, which Diesel does not expose,
//! so the English message text is matched (`lc_messages` must be English, the default of
//! `C` and `en_*` servers); anything not recognised stays [`Error::Diesel`].

use diesel::result::{DatabaseErrorInformation, Error as DieselError};

use crate::error::{ConcurrentRefreshPrecondition, Error, RelationKind};

/// Converts a Diesel error, recognising pgview's own errors and known server errors.
pub(crate) fn classify(error: DieselError) -> Error {
    match error {
        DieselError::QueryBuilderError(inner) => match inner.downcast::<Error>() {
            Ok(own) => *own,
            Err(other) => Error::Diesel(DieselError::QueryBuilderError(other)),
        },
        DieselError::DatabaseError(kind, info) => recognise(info.as_ref())
            .unwrap_or(Error::Diesel(DieselError::DatabaseError(kind, info))),
        other => Error::Diesel(other),
    }
}

fn recognise(info: &dyn DatabaseErrorInformation) -> Option<Error> {
    let message = info.message();
    if message == "CONCURRENTLY cannot be used when the materialized view is not populated" {
        return Some(Error::ConcurrentRefresh {
            name: None,
            precondition: ConcurrentRefreshPrecondition::NotPopulated,
        });
    }
    if let Some(name) = between(
        message,
        "cannot refresh materialized view \"",
        "\" concurrently",
    ) {
        return Some(Error::ConcurrentRefresh {
            name: Some(name.to_owned()),
            precondition: ConcurrentRefreshPrecondition::MissingUniqueIndex,
        });
    }
    for (suffix, expected) in [
        (
            "\" is not a materialized view",
            RelationKind::MaterializedView,
        ),
        ("\" is not a view", RelationKind::View),
    ] {
        if let Some(name) = between(message, "\"", suffix) {
            return Some(Error::WrongKind {
                name: name.to_owned(),
                expected,
                actual: info.hint().map_or(RelationKind::Other, kind_from_hint),
            });
        }
    }
    None
}

/// The text of `message` between `prefix` and `suffix` when it is exactly that.
fn between<'a>(message: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.strip_suffix(suffix)
}

/// The kind named by a hint such as "Use DROP MATERIALIZED VIEW to remove a materialized view.".
fn kind_from_hint(hint: &str) -> RelationKind {
    let Some(rest) = hint.strip_prefix("Use DROP ") else {
        return RelationKind::Other;
    };
    [
        ("MATERIALIZED VIEW ", RelationKind::MaterializedView),
        ("VIEW ", RelationKind::View),
        ("FOREIGN TABLE ", RelationKind::ForeignTable),
        ("TABLE ", RelationKind::Table),
    ]
    .into_iter()
    .find(|(keyword, _)| rest.starts_with(keyword))
    .map_or(RelationKind::Other, |(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_kinds() {
        assert_eq!(
            kind_from_hint("Use DROP MATERIALIZED VIEW to remove a materialized view."),
            RelationKind::MaterializedView
        );
        assert_eq!(
            kind_from_hint("Use DROP VIEW to remove a view."),
            RelationKind::View
        );
        assert_eq!(
            kind_from_hint("Use DROP TABLE to remove a table."),
            RelationKind::Table
        );
        assert_eq!(kind_from_hint("something else"), RelationKind::Other);
    }

    #[test]
    fn own_errors_come_back() {
        let original = Error::NotFound {
            kind: RelationKind::View,
            name: "v".into(),
        };
        let back = Error::from(original.into_diesel());
        assert!(matches!(back, Error::NotFound { .. }));
    }
}
