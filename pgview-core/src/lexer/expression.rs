//! SQL text that must be exactly one expression: an index key expression or an index's
//! `WHERE` predicate.
//!
//! pgview writes such text inside parentheses (`CREATE INDEX … ((lower(email)))`,
//! `… WHERE (active)`), so text whose parentheses and brackets balance, with no `;` and no
//! token left open, cannot end the statement or the parentheses early: it stays one
//! expression, which the server then parses. The text is first made to read the same
//! whatever `standard_conforming_strings` is (see
//! [`independent_of_standard_strings`]), and its comments are replaced by a space (a `--`
//! comment at the end would otherwise hide the closing parenthesis).

use super::query::independent_of_standard_strings;
use super::{tokens, TokenKind};

/// `sql` as one expression, ready to be written inside parentheses, or why it is not one
/// (for an [`Error::InvalidDefinition`](crate::Error::InvalidDefinition) reason).
pub(crate) fn one_expression(sql: &str) -> Result<String, String> {
    let sql = independent_of_standard_strings(sql);
    let mut out = String::with_capacity(sql.len());
    let mut depth: usize = 0;
    for token in tokens(&sql) {
        if !token.closed {
            return Err(format!(
                "it ends inside {} that is not closed",
                token.describe()
            ));
        }
        match token.kind {
            TokenKind::LineComment | TokenKind::BlockComment => {
                out.push(' ');
                continue;
            }
            TokenKind::Semicolon => {
                return Err("it holds `;`: an expression is not a statement".into());
            }
            TokenKind::Parameter => {
                return Err(format!(
                    "it holds the parameter placeholder `{}`: DDL takes no bind parameters, \
                     write the value as a literal",
                    token.text
                ));
            }
            TokenKind::Punctuation => match token.text {
                "(" | "[" => depth += 1,
                ")" | "]" => {
                    depth = depth.checked_sub(1).ok_or_else(|| {
                        format!("its `{}` closes a parenthesis it never opened", token.text)
                    })?;
                }
                "," if depth == 0 => {
                    return Err(
                        "it holds `,` outside parentheses: it is a list, not one expression".into(),
                    );
                }
                _ => {}
            },
            _ => {}
        }
        out.push_str(token.text);
    }
    if depth > 0 {
        return Err("a parenthesis or bracket it opens is not closed".into());
    }
    let trimmed = out.trim();
    if trimmed.is_empty() {
        return Err("it is empty".into());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::one_expression;

    #[test]
    fn expressions_are_kept_without_comments() {
        assert_eq!(one_expression(" lower(email) ").unwrap(), "lower(email)");
        assert_eq!(
            one_expression("coalesce(a, b) -- the first one").unwrap(),
            "coalesce(a, b)"
        );
        assert_eq!(one_expression("a /* x */ + b").unwrap(), "a   + b");
        assert_eq!(one_expression("tags[1] = ';'").unwrap(), "tags[1] = ';'");
        assert_eq!(one_expression(r"a = 'x\'").unwrap(), r"a = E'x\\'");
    }

    #[test]
    fn what_is_not_one_expression_is_refused() {
        for (text, reason) in [
            ("", "empty"),
            ("-- nothing", "empty"),
            ("a; DROP TABLE t", "`;`"),
            ("a) OR (b", "never opened"),
            ("lower(a", "not closed"),
            ("a = 'x", "not closed"),
            ("a = $1", "$1"),
            ("a, b", "`,`"),
            ("\"a", "not closed"),
        ] {
            let error = one_expression(text).unwrap_err();
            assert!(error.contains(reason), "{text:?}: {error}");
        }
    }
}
