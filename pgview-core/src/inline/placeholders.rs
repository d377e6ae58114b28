//! Finds bind parameter placeholders (`$1`, `$2`, …) in SQL text the way the PostgreSQL lexer
//! does: not inside string constants, quoted identifiers, dollar-quoted strings or comments, and
//! not as part of an identifier (`a$1` is an identifier).

/// A piece of SQL text: verbatim text, or the placeholder `$n` (with its 1-based number).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Verbatim SQL text.
    Text(&'a str),
    /// A placeholder `$n`.
    Param(usize),
}

/// Whether `sql` ends inside a `--` comment (text written after it would be commented out).
pub(crate) fn ends_in_line_comment(sql: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        i = match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let end = skip_line_comment(bytes, i);
                if end == bytes.len() && bytes.last() != Some(&b'\n') {
                    return true;
                }
                end
            }
            _ => next_token(bytes, i),
        };
    }
    false
}

/// The index after the token at `i` that is not a line comment (strings, identifiers, block
/// comments and dollar quotes are skipped whole).
fn next_token(bytes: &[u8], i: usize) -> usize {
    match bytes[i] {
        b'\'' => skip_string(bytes, i),
        b'"' => skip_quoted(bytes, i + 1, b'"'),
        b'/' if bytes.get(i + 1) == Some(&b'*') => skip_block_comment(bytes, i),
        b'$' => placeholder(bytes, i).map_or_else(|| skip_dollar_quoted(bytes, i), |(_, end)| end),
        b if is_ident_start(b) => skip_word(bytes, i),
        _ => i + 1,
    }
}

/// The identifiers of `sql` as the server reads them: unquoted words folded to lower case,
/// quoted identifiers with `""` unescaped; keywords included (the lexer does not know them),
/// strings, comments and dollar-quoted text left out.
pub(crate) fn identifiers(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let next = match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => skip_line_comment(bytes, i),
            b'"' => {
                let end = skip_quoted(bytes, i + 1, b'"');
                let inner = &sql[i + 1..end.saturating_sub(1).max(i + 1)];
                found.push(inner.replace("\"\"", "\""));
                end
            }
            b if is_ident_start(b)
                && !(matches!(b, b'e' | b'E') && bytes.get(i + 1) == Some(&b'\'')) =>
            {
                let end = skip_word(bytes, i);
                found.push(sql[i..end].to_ascii_lowercase());
                end
            }
            _ => next_token(bytes, i),
        };
        i = next;
    }
    found
}

/// Splits `sql` into verbatim text and placeholders.
pub(crate) fn split(sql: &str) -> Vec<Piece<'_>> {
    let bytes = sql.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let next = match bytes[i] {
            b'\'' => skip_string(bytes, i),
            b'"' => skip_quoted(bytes, i + 1, b'"'),
            b'-' if bytes.get(i + 1) == Some(&b'-') => skip_line_comment(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => skip_block_comment(bytes, i),
            b'$' => {
                if let Some((number, end)) = placeholder(bytes, i) {
                    pieces.push(Piece::Text(&sql[start..i]));
                    pieces.push(Piece::Param(number));
                    start = end;
                    end
                } else {
                    skip_dollar_quoted(bytes, i)
                }
            }
            b if is_ident_start(b) => skip_word(bytes, i),
            _ => i + 1,
        };
        i = next;
    }
    pieces.push(Piece::Text(&sql[start..]));
    pieces.retain(|piece| *piece != Piece::Text(""));
    pieces
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Skips an identifier or keyword, digits and `$` included; an `E` or `e` directly followed by a
/// quote starts an escape string.
fn skip_word(bytes: &[u8], i: usize) -> usize {
    if matches!(bytes[i], b'e' | b'E') && bytes.get(i + 1) == Some(&b'\'') {
        return skip_escape_string(bytes, i + 1);
    }
    let mut j = i + 1;
    while j < bytes.len() && is_ident_cont(bytes[j]) {
        j += 1;
    }
    j
}

/// Skips a standard string constant starting at the quote at `i` (`''` is an escaped quote).
fn skip_string(bytes: &[u8], i: usize) -> usize {
    skip_quoted(bytes, i + 1, b'\'')
}

/// Skips to after the closing `quote`, treating a doubled quote as part of the text.
fn skip_quoted(bytes: &[u8], mut j: usize, quote: u8) -> usize {
    while j < bytes.len() {
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    j
}

/// Skips an escape string constant (`E'…'`) whose quote is at `i`: a backslash escapes the
/// next byte.
fn skip_escape_string(bytes: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\'' if bytes.get(j + 1) == Some(&b'\'') => j += 2,
            b'\'' => return j + 1,
            _ => j += 1,
        }
    }
    j
}

fn skip_line_comment(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p + 1)
}

/// Skips a (possibly nested) block comment starting at `i`.
fn skip_block_comment(bytes: &[u8], i: usize) -> usize {
    let (mut depth, mut j) = (0usize, i);
    while j < bytes.len() {
        if bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if bytes[j] == b'*' && bytes.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    j
}

/// `$n` at `i`: its number and the index after it.
fn placeholder(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let digits = bytes[i + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let end = i + 1 + digits;
    let number = std::str::from_utf8(&bytes[i + 1..end]).ok()?.parse().ok()?;
    Some((number, end))
}

/// Skips a dollar-quoted string (`$tag$…$tag$`) starting at `i`, or just the `$` when none
/// starts there.
fn skip_dollar_quoted(bytes: &[u8], i: usize) -> usize {
    let tag_len = bytes[i + 1..]
        .iter()
        .take_while(|&&b| is_ident_cont(b) && b != b'$')
        .count();
    let close = i + 1 + tag_len;
    let valid_tag = bytes.get(close) == Some(&b'$')
        && bytes
            .get(i + 1)
            .is_none_or(|&b| b == b'$' || is_ident_start(b));
    if !valid_tag {
        return i + 1;
    }
    let tag = &bytes[i..=close];
    bytes[close + 1..]
        .windows(tag.len())
        .position(|window| window == tag)
        .map_or(bytes.len(), |p| close + 1 + p + tag.len())
}

#[cfg(test)]
mod tests {
    use super::Piece::{Param, Text};
    use super::*;

    #[test]
    fn trailing_line_comments() {
        assert!(ends_in_line_comment("SELECT 1 -- x"));
        assert!(!ends_in_line_comment("SELECT 1 -- x\n"));
        assert!(!ends_in_line_comment(
            "SELECT '--x', $$--$$, \"--\" /* -- */"
        ));
        assert!(ends_in_line_comment("SELECT '--x' -- y"));
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
            "SELECT a$1 FROM t",
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
                "SELECT a.Id, \"Odd \"\"name\"\"\" FROM s.T -- x y\n/* z */ WHERE c = 'w' AND d = E'v\\'' AND $$q$$ = $1"
            ),
            ["select", "a", "id", "Odd \"name\"", "from", "s", "t", "where", "c", "and", "d", "and"]
        );
    }
}
