//! Recognises server errors about views and turns them into precise pgview errors.
//!
//! The server reports these cases with SQLSTATE 42809, 55000, 2BP01, 53200 or 22023, which Diesel
//! does not expose, so the English message text is matched (`lc_messages` must be English, the
//! default of `C` and `en_*` servers); anything not recognised stays [`Error::Diesel`].

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
    if out_of_locks(message, info.hint()) {
        return Some(Error::OutOfLocks {
            message: message.to_owned(),
        });
    }
    if message.starts_with(crate::lock::BUSY_MESSAGE) {
        return Some(Error::Busy {
            message: message.to_owned(),
        });
    }
    if message.starts_with(crate::plan::DRIFT_MESSAGE) {
        return Some(Error::Drift {
            message: message.to_owned(),
        });
    }
    if let Some((kind, name)) = refused_drop(message) {
        let (dependents, more) = dependents(info.details().unwrap_or_default());
        return Some(Error::DependentObjects {
            name: name.to_owned(),
            kind,
            dependents,
            more,
        });
    }
    if message == "unrecognized parameter \"security_invoker\"" {
        return Some(Error::UnsupportedByServer {
            feature: "the view option security_invoker",
            since: 15,
            message: message.to_owned(),
        });
    }
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

/// Whether the server ran out of lock slots: "out of shared memory" with a hint naming
/// `max_locks_per_transaction` ("You might need to increase …", `lock.c`). The same message
/// without that hint is about other shared memory (predicate locks name
/// `max_pred_locks_per_transaction`).
fn out_of_locks(message: &str, hint: Option<&str>) -> bool {
    message == "out of shared memory"
        && hint.is_some_and(|hint| {
            hint.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| word == "max_locks_per_transaction")
        })
}

/// The text of `message` between `prefix` and `suffix` when it is exactly that.
fn between<'a>(message: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.strip_suffix(suffix)
}

/// The view and its kind in "cannot drop view v because other objects depend on it" (or
/// "cannot drop materialized view …"), the error of a `DROP` of one view without `CASCADE`.
///
/// A `DROP` of several objects at once says "cannot drop desired object(s) because other
/// objects depend on them", naming none of them; pgview's statements drop one view, so that
/// message is left unrecognised.
fn refused_drop(message: &str) -> Option<(RelationKind, &str)> {
    let object = between(
        message,
        "cannot drop ",
        " because other objects depend on it",
    )?;
    [
        ("materialized view ", RelationKind::MaterializedView),
        ("view ", RelationKind::View),
    ]
    .into_iter()
    .find_map(|(words, kind)| Some((kind, object.strip_prefix(words)?)))
}

/// The nouns that begin the server's description of an object (`getObjectDescription` in
/// PostgreSQL's `objectaddress.c`), such as "view" in "view public.w" or "rule" in
/// "rule r on table t". Procedures and aggregates are described as "function".
const OBJECT_KINDS: &[&str] = &[
    "access method",
    "cast",
    "collation",
    "column",
    "composite type",
    "constraint",
    "conversion",
    "database",
    "default privileges",
    "default value",
    "event trigger",
    "extension",
    "foreign table",
    "foreign-data wrapper",
    "function",
    "index",
    "language",
    "large object",
    "materialized view",
    "operator",
    "operator class",
    "operator family",
    "parameter",
    "policy",
    "publication",
    "relation",
    "role",
    "rule",
    "schema",
    "sequence",
    "server",
    "statistics object",
    "subscription",
    "table",
    "tablespace",
    "text search configuration",
    "text search dictionary",
    "text search parser",
    "text search template",
    "toast table",
    "transform",
    "trigger",
    "type",
    "user mapping",
    "view",
];

/// The dependents listed by the DETAIL of a refused `DROP`, one a line
/// (`view public.w depends on view v`), as `(kind, name)`, and the number of those the server
/// did not list (a last line `and 12 other objects (see server log for list)`: the client is
/// told of 100 at most).
fn dependents(detail: &str) -> (Vec<(String, String)>, Option<u64>) {
    let mut listed = Vec::new();
    let mut more = None;
    for line in detail.lines().filter(|line| !line.trim().is_empty()) {
        match unlisted(line) {
            Some(count) => more = Some(count),
            None => listed.push(dependent(line)),
        }
    }
    (listed, more)
}

/// The count in "and 12 other objects (see server log for list)" (or "and 1 other object …").
fn unlisted(line: &str) -> Option<u64> {
    let (count, rest) = line.strip_prefix("and ")?.split_once(' ')?;
    matches!(
        rest,
        "other objects (see server log for list)" | "other object (see server log for list)"
    )
    .then(|| count.parse().ok())
    .flatten()
}

/// `(kind, name)` of the object described before " depends on " in a line of the DETAIL:
/// the kind is the longest of [`OBJECT_KINDS`] that begins the description, the name the rest
/// as the server prints it (`s."odd name"`, `r on table t`, `f(integer)`). A description that
/// begins with no known kind is kept whole, as the name of an "object".
fn dependent(line: &str) -> (String, String) {
    let description = before_depends_on(line).unwrap_or(line);
    let kind = OBJECT_KINDS
        .iter()
        .filter(|kind| {
            description
                .strip_prefix(**kind)
                .and_then(|rest| rest.strip_prefix(' '))
                .is_some_and(|name| !name.is_empty())
        })
        .max_by_key(|kind| kind.len());
    match kind {
        Some(kind) => ((*kind).to_owned(), description[kind.len() + 1..].to_owned()),
        None => ("object".to_owned(), description.to_owned()),
    }
}

/// The text before the first " depends on " that is not inside a quoted identifier
/// (`view "x depends on y" depends on view v`). Unquoted text the server prints as is (a column
/// name in "column a b of table t") cannot be told apart and is not expected to hold it.
fn before_depends_on(line: &str) -> Option<&str> {
    const SEPARATOR: &str = " depends on ";
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted && line[at..].starts_with(SEPARATOR) => return Some(&line[..at]),
            _ => {}
        }
    }
    None
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

    /// A server error with a message and a DETAIL, as libpq reports it.
    struct ServerError {
        message: &'static str,
        detail: &'static str,
    }

    impl DatabaseErrorInformation for ServerError {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            Some(self.detail)
        }
        fn hint(&self) -> Option<&str> {
            Some("Use DROP ... CASCADE to drop the dependent objects too.")
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn refused(message: &'static str, detail: &'static str) -> Error {
        Error::from(DieselError::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new(ServerError { message, detail }),
        ))
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(kind, name)| ((*kind).to_owned(), (*name).to_owned()))
            .collect()
    }

    // The texts below are PostgreSQL 15's, copied from psql.

    #[test]
    fn refused_drop_of_a_view_lists_its_dependents() {
        let err = refused(
            "cannot drop view hd.v because other objects depend on it",
            "function hd.f(hd.v) depends on type hd.v\n\
             function hd.\"Odd F\"(hd.v,integer) depends on type hd.v\n\
             column r of table hd.t2 depends on type hd.v\n\
             default value for column my col of table hd.t3 depends on type hd.v\n\
             constraint t3_check on table hd.t3 depends on type hd.v\n\
             column x of composite type hd.comp depends on type hd.v\n\
             constraint dom_check depends on type hd.v\n\
             operator hd.###(hd.v,integer) depends on type hd.v\n\
             cast from hd.v to integer depends on type hd.v\n\
             statistics object hd.st depends on type hd.v\n\
             index hd.t_f_idx depends on type hd.v\n\
             trigger tr on table hd.t depends on type hd.v\n\
             view hd.w depends on view hd.v\n\
             materialized view \"hd odd\".\"odd name\" depends on view hd.v\n\
             rule r on table hd.t depends on view hd.v\n\
             policy pol on table hd.t depends on view hd.v\n\
             view tv depends on view hd.v",
        );
        let Error::DependentObjects {
            name,
            kind,
            dependents,
            more,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(name, "hd.v");
        assert_eq!(*kind, RelationKind::View);
        assert_eq!(more, &None);
        assert_eq!(
            dependents,
            &pairs(&[
                ("function", "hd.f(hd.v)"),
                ("function", "hd.\"Odd F\"(hd.v,integer)"),
                ("column", "r of table hd.t2"),
                ("default value", "for column my col of table hd.t3"),
                ("constraint", "t3_check on table hd.t3"),
                ("column", "x of composite type hd.comp"),
                ("constraint", "dom_check"),
                ("operator", "hd.###(hd.v,integer)"),
                ("cast", "from hd.v to integer"),
                ("statistics object", "hd.st"),
                ("index", "hd.t_f_idx"),
                ("trigger", "tr on table hd.t"),
                ("view", "hd.w"),
                ("materialized view", "\"hd odd\".\"odd name\""),
                ("rule", "r on table hd.t"),
                ("policy", "pol on table hd.t"),
                ("view", "tv"),
            ])
        );
    }

    #[test]
    fn refused_drop_of_a_materialized_view_with_quoted_names() {
        let err = refused(
            "cannot drop materialized view m because other objects depend on it",
            "view w depends on materialized view m\n\
             view w2 depends on view w\n\
             view \"x depends on y\" depends on materialized view m\n\
             view \"q\"\"uote\" depends on materialized view m\n\
             materialized view s.\"Odd MV\" depends on materialized view m",
        );
        let Error::DependentObjects {
            name,
            kind,
            dependents,
            more,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (name.as_str(), *kind, more),
            ("m", RelationKind::MaterializedView, &None)
        );
        assert_eq!(
            dependents,
            &pairs(&[
                ("view", "w"),
                ("view", "w2"),
                ("view", "\"x depends on y\""),
                ("view", "\"q\"\"uote\""),
                ("materialized view", "s.\"Odd MV\""),
            ])
        );
        assert_eq!(
            err.to_string(),
            "cannot drop materialized view m: other objects depend on it: view w, view w2, \
             view \"x depends on y\", view \"q\"\"uote\", materialized view s.\"Odd MV\" \
             (drop them first; pgview never adds CASCADE by itself)"
        );
    }

    #[test]
    fn unlisted_dependents_are_counted() {
        let err = refused(
            "cannot drop materialized view hd.m because other objects depend on it",
            "view hd.w depends on materialized view hd.m\n\
             view hd.w2 depends on view hd.w\n\
             and 4 other objects (see server log for list)",
        );
        assert!(
            matches!(&err, Error::DependentObjects { dependents, more: Some(4), .. } if dependents.len() == 2),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "cannot drop materialized view hd.m: other objects depend on it: view hd.w, \
             view hd.w2 and 4 other objects the server does not list \
             (drop them first; pgview never adds CASCADE by itself)"
        );
        assert_eq!(
            unlisted("and 1 other object (see server log for list)"),
            Some(1)
        );
        assert_eq!(unlisted("and 1 other thing"), None);
    }

    #[test]
    fn unknown_descriptions_are_kept_whole() {
        assert_eq!(
            dependent("gadget g of widget w depends on view v"),
            ("object".to_owned(), "gadget g of widget w".to_owned())
        );
        assert_eq!(
            dependent("something without the usual form"),
            (
                "object".to_owned(),
                "something without the usual form".to_owned()
            )
        );
        // The longest kind wins; a kind word alone is no description.
        assert_eq!(
            dependent("operator class c for access method btree depends on type v"),
            (
                "operator class".to_owned(),
                "c for access method btree".to_owned()
            )
        );
        assert_eq!(
            dependent("view depends on view v"),
            ("object".to_owned(), "view".to_owned())
        );
    }

    #[test]
    fn other_drop_errors_are_not_dependents() {
        let err = refused(
            "cannot drop desired object(s) because other objects depend on them",
            "view w depends on view v",
        );
        assert!(matches!(err, Error::Diesel(_)), "{err:?}");
        let err = refused(
            "cannot drop table t because other objects depend on it",
            "view w depends on table t",
        );
        assert!(matches!(err, Error::Diesel(_)), "{err:?}");
    }

    /// A server error with a message and a HINT.
    struct Hinted {
        message: &'static str,
        hint: Option<&'static str>,
    }

    impl DatabaseErrorInformation for Hinted {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            self.hint
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn hinted(message: &'static str, hint: Option<&'static str>) -> Error {
        Error::from(DieselError::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new(Hinted { message, hint }),
        ))
    }

    #[test]
    fn a_full_lock_table_is_named() {
        // PostgreSQL 15's text, from psql.
        let err = hinted(
            "out of shared memory",
            Some("You might need to increase max_locks_per_transaction."),
        );
        let Error::OutOfLocks { message } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(message, "out of shared memory");
        // PostgreSQL 17 and later quote the setting's name.
        let quoted = hinted(
            "out of shared memory",
            Some("You might need to increase \"max_locks_per_transaction\"."),
        );
        assert!(matches!(quoted, Error::OutOfLocks { .. }), "{quoted:?}");
        let text = err.to_string();
        assert!(
            text.starts_with("the server's lock table is full"),
            "{text}"
        );
        for needed in [
            "max_locks_per_transaction × (max_connections + max_prepared_transactions)",
            "shared by all sessions",
            "raise max_locks_per_transaction",
            "smaller batches",
        ] {
            assert!(text.contains(needed), "{text}");
        }
        // Other shared memory is not the lock table.
        let pred = hinted(
            "out of shared memory",
            Some("You might need to increase max_pred_locks_per_transaction."),
        );
        assert!(matches!(pred, Error::Diesel(_)), "{pred:?}");
        assert!(matches!(
            hinted("out of shared memory", None),
            Error::Diesel(_)
        ));
    }

    #[test]
    fn security_invoker_before_15_is_named() {
        // PostgreSQL 13's and 14's text.
        let err = hinted("unrecognized parameter \"security_invoker\"", None);
        assert!(
            matches!(err, Error::UnsupportedByServer { since: 15, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the view option security_invoker needs PostgreSQL 15 or later: unrecognized \
             parameter \"security_invoker\""
        );
        let other = hinted("unrecognized parameter \"fillfactorx\"", None);
        assert!(matches!(other, Error::Diesel(_)), "{other:?}");
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
