//! What the rest of pgview reads from SQL text through the lexer: bind parameter
//! placeholders (`$1`, `$2`, …), the identifiers a text names (and whether it names every
//! column it uses), and whether it ends inside a `--` comment.

use std::collections::BTreeSet;

use super::{tokens, TokenKind};

/// A piece of SQL text: verbatim text, or the placeholder `$n` (with its 1-based number).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Verbatim SQL text.
    Text(&'a str),
    /// A placeholder `$n` (`usize::MAX` when its number does not fit).
    Param(usize),
}

/// Splits `sql` into verbatim text and placeholders: `$n` not inside a string constant, a
/// quoted identifier, a dollar-quoted string or a comment, nor part of an identifier (`a$1`
/// is an identifier).
pub(crate) fn split(sql: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for token in tokens(sql) {
        if token.kind == TokenKind::Parameter {
            pieces.push(Piece::Text(&sql[start..token.start]));
            pieces.push(Piece::Param(token.text[1..].parse().unwrap_or(usize::MAX)));
            start = token.end();
        }
    }
    pieces.push(Piece::Text(&sql[start..]));
    pieces.retain(|piece| *piece != Piece::Text(""));
    pieces
}

/// Whether `sql` ends inside a `--` comment (text written after it would be commented out).
pub(crate) fn ends_in_line_comment(sql: &str) -> bool {
    tokens(sql)
        .last()
        .is_some_and(|token| token.kind == TokenKind::LineComment)
}

/// `statement` without the whitespace and `;` at its end, ready to be followed by `;`: with a
/// line break after a trailing `--` comment, which would otherwise swallow the `;` (and join
/// the next statement of a script to this one).
pub(crate) fn unterminated(statement: &str) -> String {
    let mut text = statement
        .trim_end()
        .trim_end_matches(';')
        .trim_end()
        .to_owned();
    if ends_in_line_comment(&text) {
        text.push('\n');
    }
    text
}

/// The identifiers of `sql` as the server reads them: unquoted words folded to lower case,
/// quoted identifiers with `""` unescaped (the escapes of a `U&"…"` identifier are left as
/// they are); keywords included (the lexer does not know them), strings, comments and
/// dollar-quoted text left out.
pub(crate) fn identifiers(sql: &str) -> Vec<String> {
    tokens(sql)
        .filter_map(|token| match token.kind {
            TokenKind::Word => Some(token.text.to_ascii_lowercase()),
            TokenKind::QuotedIdentifier => {
                let text = token.text;
                let body = text
                    .strip_prefix("U&")
                    .or_else(|| text.strip_prefix("u&"))
                    .unwrap_or(text);
                let body = body.strip_prefix('"').unwrap_or(body);
                let body = if token.closed {
                    body.strip_suffix('"').unwrap_or(body)
                } else {
                    body
                };
                Some(body.replace("\"\"", "\""))
            }
            _ => None,
        })
        .collect()
}

/// The identifiers of a query (as [`identifiers`] reads them), when the query names every
/// column it takes from a relation: `None` when the text may take columns without naming them
/// — a `*` other than that of `count(*)` (`SELECT *`, `t.*`, and, to be safe, any other
/// operator holding one, such as a multiplication), `NATURAL` (a join on the columns the two
/// sides have in common), `TABLE` (`TABLE t` is `SELECT * FROM t`), or an identifier with
/// Unicode escapes (`U&"…"`, whose name is not read here).
///
/// What the server makes of a view's query depends on the columns of the relations it reads
/// only through the names it resolves and the columns it expands: a column appended to a
/// relation changes nothing for a query that does neither with it, unless the query also
/// refers to whole rows or row types, which the text does not show (the comparison checks
/// those in the stored query: see `batches.rs`).
pub(crate) fn explicit_identifiers(sql: &str) -> Option<BTreeSet<String>> {
    let significant: Vec<_> = tokens(sql).filter(|t| !t.is_trivia()).collect();
    for (i, token) in significant.iter().enumerate() {
        match token.kind {
            TokenKind::Operator if token.text.contains('*') => {
                // `name(*)`: an aggregate's star, which expands nothing.
                let count_star = token.text == "*"
                    && i > 1
                    && significant[i - 1].text == "("
                    && matches!(
                        significant[i - 2].kind,
                        TokenKind::Word | TokenKind::QuotedIdentifier
                    )
                    && significant.get(i + 1).is_some_and(|t| t.text == ")");
                if !count_star {
                    return None;
                }
            }
            TokenKind::Word
                if token.text.eq_ignore_ascii_case("natural")
                    || token.text.eq_ignore_ascii_case("table") =>
            {
                return None;
            }
            TokenKind::QuotedIdentifier if !token.text.starts_with('"') => return None,
            _ => {}
        }
    }
    Some(identifiers(sql).into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::Piece::{Param, Text};
    use super::*;

    #[test]
    fn trailing_line_comments() {
        assert!(ends_in_line_comment("SELECT 1 -- x"));
        assert!(!ends_in_line_comment("SELECT 1 -- x\n"));
        assert!(!ends_in_line_comment("SELECT 1 -- x\r"));
        assert!(!ends_in_line_comment(
            "SELECT '--x', $$--$$, \"--\" /* -- */"
        ));
        assert!(ends_in_line_comment("SELECT '--x' -- y"));
        assert!(ends_in_line_comment("SELECT $€$x$€$ -- y"));
        assert!(!ends_in_line_comment("SELECT $€$ -- y"));
    }

    #[test]
    fn statements_ready_for_their_semicolon() {
        assert_eq!(unterminated("SELECT 1 ;\n"), "SELECT 1");
        assert_eq!(unterminated("SELECT 1 -- c\n"), "SELECT 1 -- c\n");
        assert_eq!(unterminated("SELECT 1 -- c;"), "SELECT 1 -- c\n");
        assert_eq!(unterminated("SELECT ';'"), "SELECT ';'");
    }

    #[test]
    fn finds_placeholders() {
        assert_eq!(
            split("SELECT $1, $12 FROM t WHERE a=$2"),
            vec![
                Text("SELECT "),
                Param(1),
                Text(", "),
                Param(12),
                Text(" FROM t WHERE a="),
                Param(2)
            ]
        );
        assert_eq!(
            split("SELECT $99999999999999999999999"),
            vec![Text("SELECT "), Param(usize::MAX)]
        );
    }

    #[test]
    fn ignores_quoted_and_commented_text() {
        for sql in [
            "SELECT '$1'",
            "SELECT 'it''s $1'",
            "SELECT E'\\' $1'",
            "SELECT \"$1\"",
            "SELECT \"a\"\"$1\"",
            "SELECT 1 -- $1",
            "SELECT /* /* $1 */ $2 */ 1",
            "SELECT $$ $1 $$",
            "SELECT $tag$ $1 $$ $tag$",
            "SELECT $€$ $1 $€$",
            "SELECT a$1 FROM t",
            "SELECT U&'$1', U&\"$1\"",
            "SELECT E'a'\n'\\' $1'",
        ] {
            assert!(
                split(sql).iter().all(|p| matches!(p, Text(_))),
                "placeholder found in {sql}"
            );
        }
    }

    #[test]
    fn text_after_quoted_parts_is_scanned() {
        assert_eq!(
            split("SELECT 'x', $1"),
            vec![Text("SELECT 'x', "), Param(1)]
        );
        assert_eq!(
            split("SELECT $q$x$q$, $1 -- c\n, $2"),
            vec![
                Text("SELECT $q$x$q$, "),
                Param(1),
                Text(" -- c\n, "),
                Param(2)
            ]
        );
    }

    #[test]
    fn identifiers_as_the_server_reads_them() {
        assert_eq!(
            identifiers(
                "SELECT a.Id, \"Odd \"\"name\"\"\" FROM s.T -- x y\n/* z */ WHERE c = 'w' AND d = E'v\\'' AND $$q$$ = $1 AND n = N'x' AND U&\"u\""
            ),
            [
                "select",
                "a",
                "id",
                "Odd \"name\"",
                "from",
                "s",
                "t",
                "where",
                "c",
                "and",
                "d",
                "and",
                "and",
                "n",
                "and",
                "u"
            ]
        );
    }

    #[test]
    fn explicit_identifiers_refuse_what_takes_columns_unnamed() {
        let names =
            explicit_identifiers("SELECT id, \"Val\", count(*) FROM t -- *\n WHERE x = '*'")
                .expect("explicit");
        assert!(names.contains("id") && names.contains("Val") && names.contains("count"));
        assert!(explicit_identifiers("SELECT count( /* all */ * ) FROM t").is_some());
        for text in [
            "SELECT * FROM t",
            "SELECT t.* FROM t",
            "SELECT a * 2 FROM t",
            "SELECT a FROM t NATURAL JOIN u",
            "TABLE t",
            "SELECT U&\"d\\0061t\" FROM t",
            "SELECT count( * ) + (*) FROM t",
        ] {
            assert_eq!(explicit_identifiers(text), None, "{text}");
        }
    }
}
