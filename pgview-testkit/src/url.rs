//! Building the URL of one database from the URL of its server.

/// Returns `server_url` with its database name replaced by `database`.
///
/// Handles `postgres://` / `postgresql://` URLs with or without user,
/// password, host, port, database and query string (`?sslmode=...`), and
/// libpq keyword/value strings (`host=... dbname=...`). `database` is expected
/// to need no escaping (the names this crate generates are `[a-z0-9_]`).
pub(crate) fn database_url(server_url: &str, database: &str) -> String {
    let Some(scheme_end) = server_url.find("://") else {
        return keyword_database_url(server_url, database);
    };
    let after_scheme = scheme_end + "://".len();
    let authority_end = server_url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(server_url.len(), |i| after_scheme + i);
    let path_end = server_url[authority_end..]
        .find(['?', '#'])
        .map_or(server_url.len(), |i| authority_end + i);
    format!(
        "{}/{database}{}",
        &server_url[..authority_end],
        &server_url[path_end..]
    )
}

/// `url` with its password (if any) replaced by `***`, for messages.
pub(crate) fn redacted(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url
            .split_whitespace()
            .map(|part| {
                if part.starts_with("password=") {
                    "password=***"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let after_scheme = scheme_end + "://".len();
    let authority_end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    let authority = &url[after_scheme..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}:***{}",
            &url[..after_scheme + colon],
            &url[after_scheme + at..]
        ),
        _ => url.to_owned(),
    }
}

/// [`database_url`] for a libpq keyword/value connection string.
fn keyword_database_url(server_url: &str, database: &str) -> String {
    let mut parts: Vec<&str> = server_url
        .split_whitespace()
        .filter(|part| !part.starts_with("dbname="))
        .collect();
    let dbname = format!("dbname={database}");
    parts.push(&dbname);
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::{database_url, redacted};

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db?sslmode=require"),
            "postgres://u:***@h:5432/db?sslmode=require"
        );
        assert_eq!(redacted("postgres://u@h:5432/db"), "postgres://u@h:5432/db");
        assert_eq!(redacted("postgres://h:5432/db"), "postgres://h:5432/db");
        assert_eq!(redacted("host=h password=s"), "host=h password=***");
    }

    #[test]
    fn replaces_the_database() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
    }

    #[test]
    fn adds_a_missing_database() {
        assert_eq!(
            database_url("postgres://localhost", "x"),
            "postgres://localhost/x"
        );
        assert_eq!(
            database_url("postgres://localhost/", "x"),
            "postgres://localhost/x"
        );
    }

    #[test]
    fn keeps_credentials_and_query() {
        assert_eq!(
            database_url(
                "postgresql://u:p%40ss@db.example:6543/app?sslmode=require&x=1",
                "x"
            ),
            "postgresql://u:p%40ss@db.example:6543/x?sslmode=require&x=1"
        );
        assert_eq!(
            database_url("postgres://u@h?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }

    #[test]
    fn handles_socket_urls() {
        assert_eq!(
            database_url("postgres:///app?host=/var/run/postgresql", "x"),
            "postgres:///x?host=/var/run/postgresql"
        );
    }

    #[test]
    fn handles_keyword_strings() {
        assert_eq!(
            database_url("host=localhost dbname=app user=me", "x"),
            "host=localhost user=me dbname=x"
        );
        assert_eq!(
            database_url("host=localhost", "x"),
            "host=localhost dbname=x"
        );
    }
}
