//! A view's query is exactly one query.
//!
//! The text of a view's query is written into `CREATE VIEW … AS <query>`, and that statement
//! is sent as it is, or inside a `DO` block whose `EXECUTE` runs **every** statement of its
//! string (how pgview sends a view with its comments or indexes in one round trip, and how
//! the comparison of `diff` creates declared views). Text holding a second statement would
//! run it there. So every text that becomes a view's query (`from_sql`, a Diesel query,
//! `#[pgview(sql = …)]`, the `.sql` files of the `pgview` command, a definition read from the
//! catalog) is checked here when the definition is built: one statement, starting with
//! `SELECT`, `VALUES`, `WITH` or `TABLE` (after opening parentheses), every string, quoted
//! identifier, dollar quote and comment closed; a trailing `;` (or several) and comments
//! after it are allowed and dropped.
//!
//! The server splits a `'…'` string differently when `standard_conforming_strings` is off
//! (a backslash escapes the quote after it), and a session may turn it off: the text is
//! therefore split both ways, and refused when either way finds a second statement. Only a
//! split that reads to the end counts: the server reads a whole text before it runs any of
//! its statements, so text it cannot read (a string left open) runs nothing.
//!
//! What follows the first keyword is left to the server's grammar: `CREATE VIEW` takes
//! exactly one `SELECT` statement (so `WITH x AS (…) DELETE …` is refused by the server, and
//! so are data-modifying statements inside `WITH`).

use std::borrow::Cow;

use super::{tokens, StringKind, Token, TokenKind};

/// Why text is not exactly one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotOneQuery {
    /// No query at all: empty, or only whitespace, comments and semicolons.
    Empty,
    /// The text ends inside a token (described) that is not closed.
    Unclosed(&'static str),
    /// The first statement does not start with `SELECT`, `VALUES`, `WITH` or `TABLE`; what it
    /// starts with.
    NotAQuery(String),
    /// A second statement follows the first.
    MoreThanOne {
        /// The start of what follows the end of the first statement.
        following: String,
        /// Whether the split was found with `standard_conforming_strings` on.
        standard_conforming_strings: bool,
    },
}

impl NotOneQuery {
    /// The reason, for [`Error::InvalidDefinition`](crate::Error::InvalidDefinition).
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::Empty => "the SQL text is empty".to_owned(),
            Self::Unclosed(what) => {
                format!("the SQL text ends inside {what} that is not closed")
            }
            Self::NotAQuery(start) => format!(
                "the SQL text is not a query: it starts with `{start}`; a view's query is one \
                 SELECT, VALUES, WITH … SELECT or TABLE statement"
            ),
            Self::MoreThanOne { following, .. } => format!(
                "the SQL text holds more than one statement: `{following}` follows the end of \
                 the first"
            ),
        }
    }
}

/// The longest excerpt of what follows a first statement, in characters.
const EXCERPT_CHARS: usize = 60;

/// The words a query may start with.
const QUERY_STARTS: [&str; 4] = ["select", "values", "with", "table"];

/// The query `sql` holds, without the whitespace around it and the `;` (and comments) after
/// it, when it is exactly one query.
///
/// # Errors
/// Why it is not (see [`NotOneQuery`]).
pub(crate) fn one_query(sql: &str) -> Result<&str, NotOneQuery> {
    let split = Split::of(sql, true);
    if let Some(what) = split.unclosed {
        return Err(NotOneQuery::Unclosed(what));
    }
    if let Some(next) = split.next {
        return Err(NotOneQuery::MoreThanOne {
            following: excerpt(sql, next, true),
            standard_conforming_strings: true,
        });
    }
    let other = Split::of(sql, false);
    if let (None, Some(next)) = (other.unclosed, other.next) {
        return Err(NotOneQuery::MoreThanOne {
            following: excerpt(sql, next, false),
            standard_conforming_strings: false,
        });
    }
    let (start, end) = split.first.ok_or(NotOneQuery::Empty)?;
    let query = &sql[start..end];
    let first = tokens(query)
        .find(|t| !(t.is_trivia() || (t.kind == TokenKind::Punctuation && t.text == "(")));
    match first {
        Some(token)
            if token.kind == TokenKind::Word
                && QUERY_STARTS
                    .iter()
                    .any(|word| token.text.eq_ignore_ascii_case(word)) =>
        {
            Ok(query)
        }
        Some(token) => Err(NotOneQuery::NotAQuery(excerpt_of(token.text))),
        None => Err(NotOneQuery::NotAQuery("(".to_owned())),
    }
}

/// Whether `sql` is exactly one query (see [`one_query`]).
pub(crate) fn is_one_query(sql: &str) -> bool {
    one_query(sql).is_ok()
}

/// Text the server made (`pg_get_viewdef`) rewritten to read the same whatever
/// `standard_conforming_strings` is: each `'…'` string holding a backslash becomes an `E'…'`
/// string with its backslashes doubled, which means what the `'…'` string means with the
/// setting on.
///
/// With the setting off, the server writes every string that holds a backslash as `E'…'`,
/// and such text reads the same either way: the rewrite changes nothing. With it on, it
/// writes `'a\'` for the value `a\`, which a session with the setting off would read as a
/// string that goes on past its quote (and a view of the value `\'; DROP TABLE t; --` as two
/// statements): the rewrite makes the text mean, in every session, what it meant where it
/// was made, so that the single-statement check can hold it to both readings.
pub(crate) fn independent_of_standard_strings(sql: &str) -> Cow<'_, str> {
    let needs =
        |t: &Token<'_>| t.kind == TokenKind::String(StringKind::Standard) && t.text.contains('\\');
    if !tokens(sql).any(|t| needs(&t)) {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 8);
    for token in tokens(sql) {
        if needs(&token) {
            out.push('E');
            out.push_str(&token.text.replace('\\', "\\\\"));
        } else {
            out.push_str(token.text);
        }
    }
    Cow::Owned(out)
}

/// Where the first statement of a text is, and what follows it.
#[derive(Debug)]
struct Split {
    /// The first statement, from its first token that is not whitespace to the end of its
    /// last one (comments included), if it has one.
    first: Option<(usize, usize)>,
    /// The start of the first token of a second statement (not whitespace, a comment or
    /// `;`), if there is one.
    next: Option<usize>,
    /// What the text ends inside of, if it ends inside a token.
    unclosed: Option<&'static str>,
}

impl Split {
    fn of(sql: &str, standard_strings: bool) -> Self {
        let mut split = Self {
            first: None,
            next: None,
            unclosed: None,
        };
        let mut ended = false;
        for token in tokens(sql).standard_conforming_strings(standard_strings) {
            if !token.closed {
                split.unclosed = Some(token.describe());
            }
            match token.kind {
                TokenKind::Semicolon => ended = true,
                TokenKind::Whitespace => {}
                _ if !ended => {
                    let start = split.first.map_or(token.start, |(start, _)| start);
                    split.first = Some((start, token.end()));
                }
                _ if token.is_trivia() => {}
                _ => {
                    split.next.get_or_insert(token.start);
                }
            }
        }
        split
    }
}

/// What follows from `at` (read with `standard_conforming_strings` as given): to the end of the statement there (its `;` included) and ` …` when
/// more follows, on one line, at most [`EXCERPT_CHARS`] characters.
fn excerpt(sql: &str, at: usize, standard_strings: bool) -> String {
    let rest = &sql[at..];
    let mut end = rest.len();
    let mut more = false;
    let mut seen_semicolon = false;
    for token in tokens(rest).standard_conforming_strings(standard_strings) {
        if seen_semicolon && !token.is_trivia() && token.kind != TokenKind::Semicolon {
            more = true;
            break;
        }
        if token.kind == TokenKind::Semicolon && !seen_semicolon {
            seen_semicolon = true;
            end = token.end();
        }
    }
    let mut text = excerpt_of(&rest[..end]);
    if more {
        text.push_str(" …");
    }
    text
}

/// `text` on one line (whitespace runs as one space), at most [`EXCERPT_CHARS`] characters.
fn excerpt_of(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= EXCERPT_CHARS {
        return line;
    }
    let mut short: String = line.chars().take(EXCERPT_CHARS - 1).collect();
    short.push('…');
    short
}

/// The SQL text without its comments (`-- …` and `/* … */`, nested), each replaced by a
/// space; strings, quoted identifiers and dollar-quoted strings are kept as they are.
///
/// # Errors
/// The text ends inside a string, quoted identifier, dollar-quoted string or comment that is
/// not closed; the message says which.
///
/// # Examples
/// ```
/// use pgview_core::lexer::strip_comments;
///
/// assert_eq!(
///     strip_comments("SELECT 1 /* a /* b */ c */ AS x, '--' AS y -- z").unwrap(),
///     "SELECT 1   AS x, '--' AS y  "
/// );
/// assert!(strip_comments("SELECT 'open").is_err());
/// ```
pub fn strip_comments(sql: &str) -> Result<String, String> {
    let mut out = String::with_capacity(sql.len());
    for token in tokens(sql) {
        if !token.closed {
            return Err(format!("{} is not closed", token.describe()));
        }
        if matches!(token.kind, TokenKind::LineComment | TokenKind::BlockComment) {
            out.push(' ');
        } else {
            out.push_str(token.text);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn more(sql: &str) -> (String, bool) {
        match one_query(sql) {
            Err(NotOneQuery::MoreThanOne {
                following,
                standard_conforming_strings,
            }) => (following, standard_conforming_strings),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn one_query_and_what_may_follow_it() {
        for (sql, query) in [
            ("SELECT 1", "SELECT 1"),
            ("  select 1 ;  ", "select 1"),
            ("SELECT 1;;\n; -- done\n/* really */", "SELECT 1"),
            ("SELECT 1 -- c\n;", "SELECT 1 -- c"),
            ("/* lead */ VALUES (1)", "/* lead */ VALUES (1)"),
            (
                "((SELECT 1)) UNION (SELECT 2)",
                "((SELECT 1)) UNION (SELECT 2)",
            ),
            (
                "WITH a AS (SELECT 1) SELECT * FROM a",
                "WITH a AS (SELECT 1) SELECT * FROM a",
            ),
            ("TABLE t", "TABLE t"),
            (
                "SELECT ';', $x$;$x$, \";\", E'\\';' -- ;",
                "SELECT ';', $x$;$x$, \";\", E'\\';' -- ;",
            ),
            ("\u{feff}SELECT 1", "SELECT 1"),
        ] {
            assert_eq!(one_query(sql), Ok(query), "{sql}");
        }
    }

    #[test]
    fn a_second_statement_is_named() {
        assert_eq!(
            more("SELECT 1 AS a; DROP TABLE victim; CREATE TABLE junk AS SELECT 1"),
            ("DROP TABLE victim; …".to_owned(), true)
        );
        assert_eq!(
            more("SELECT 1;\n  DROP\n TABLE victim"),
            ("DROP TABLE victim".to_owned(), true)
        );
        assert_eq!(
            more("SELECT 1; -- x\n/* y */ DELETE FROM t;;"),
            ("DELETE FROM t;".to_owned(), true)
        );
        let (long, _) = more(&format!("SELECT 1; SELECT '{}'", "x".repeat(100)));
        assert_eq!(long.chars().count(), EXCERPT_CHARS);
        assert!(long.ends_with('…'));
        // `$€$` is a dollar quote: the `;` after its end is real.
        assert_eq!(more("SELECT $€$x$€$; DROP TABLE t").0, "DROP TABLE t");
        // `U&'…'` strings end at a quote whatever backslash precedes it.
        assert_eq!(more("SELECT U&'\\'; DROP TABLE t").0, "DROP TABLE t");
    }

    #[test]
    fn a_split_without_standard_conforming_strings_counts() {
        // On: `'a\'` is a string, `--'…` a comment. Off: `'a\' AS x, '` is a string.
        assert_eq!(
            more("SELECT 'a\\' AS x, ';DROP TABLE t;--' AS y"),
            ("DROP TABLE t;".to_owned(), false)
        );
        // Off, the text ends inside a string: the server would run none of it.
        assert_eq!(
            one_query("SELECT 'C:\\' AS p, ';' AS semi"),
            Ok("SELECT 'C:\\' AS p, ';' AS semi")
        );
    }

    #[test]
    fn server_text_made_independent_of_the_setting() {
        // Made with the setting on: the value `\'; DROP TABLE t; --`.
        let made = "SELECT '\\''; DROP TABLE t; --'::text AS a, 'x' AS b";
        assert!(matches!(
            one_query(made),
            Err(NotOneQuery::MoreThanOne {
                standard_conforming_strings: false,
                ..
            })
        ));
        let independent = independent_of_standard_strings(made);
        assert_eq!(
            independent,
            "SELECT E'\\\\''; DROP TABLE t; --'::text AS a, 'x' AS b"
        );
        assert_eq!(one_query(&independent), Ok(&*independent));
        // Text without a backslash in a `'…'` string is kept as it is.
        let plain = "SELECT E'\\\\' AS a, 'x' AS b";
        assert!(matches!(
            independent_of_standard_strings(plain),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn texts_that_are_not_one_query() {
        assert_eq!(one_query(""), Err(NotOneQuery::Empty));
        assert_eq!(one_query(" ; -- x\n;"), Err(NotOneQuery::Empty));
        assert_eq!(
            one_query("DROP TABLE victim"),
            Err(NotOneQuery::NotAQuery("DROP".into()))
        );
        assert_eq!(one_query("(("), Err(NotOneQuery::NotAQuery("(".into())));
        assert_eq!(
            one_query("\"select\" 1"),
            Err(NotOneQuery::NotAQuery("\"select\"".into()))
        );
        for (sql, what) in [
            ("SELECT 'open", "a string constant"),
            ("SELECT 1 /* open /* */", "a /* comment */"),
            ("SELECT $a$ open $b$", "a dollar-quoted"),
            ("SELECT \"open", "a quoted identifier"),
        ] {
            let error = one_query(sql).unwrap_err();
            assert!(
                matches!(&error, NotOneQuery::Unclosed(w) if w.starts_with(what)),
                "{sql}: {error:?}"
            );
            assert!(error.reason().contains("not closed"));
        }
    }

    #[test]
    fn comments_are_stripped() {
        assert_eq!(
            strip_comments("SELECT /* a /* b */ */ 1 -- c\n, '/*' AS x, $q$--$q$").unwrap(),
            "SELECT   1  \n, '/*' AS x, $q$--$q$"
        );
        assert_eq!(
            strip_comments("SELECT $€$ -- $€$ AS a, $€$\n$€$ AS b").unwrap(),
            "SELECT $€$ -- $€$ AS a, $€$\n$€$ AS b"
        );
        assert_eq!(
            strip_comments("SELECT 1 /* open").unwrap_err(),
            "a /* comment */ is not closed"
        );
    }
}
