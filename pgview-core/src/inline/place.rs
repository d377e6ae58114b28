//! Where a placeholder is in a query's SQL text, for the error of a value that cannot be
//! written: the select-list item holding it, and the text before it.

use crate::lexer::{tokens, TokenKind};

/// The length of the placeholder (`$` and its digits) at byte `offset` of `sql`.
pub(crate) fn placeholder_len(sql: &str, offset: usize) -> usize {
    let digits = sql.get(offset + 1..).map_or(0, |rest| {
        rest.bytes().take_while(u8::is_ascii_digit).count()
    });
    1 + digits
}

/// The end of `sql` before byte `offset`, on one line (each run of whitespace one space), at
/// most [`TEXT_BEFORE_CHARS`] characters, starting with `…` when cut (and without the end of a
/// short word that the cut splits).
pub(crate) fn text_before(sql: &str, offset: usize) -> String {
    let before = sql.get(..offset).unwrap_or(sql);
    let mut words = String::new();
    let mut space = false;
    for c in before.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !words.is_empty() {
            words.push(' ');
        }
        space = false;
        words.push(c);
    }
    if space && !words.is_empty() {
        words.push(' ');
    }
    let count = words.chars().count();
    if count <= TEXT_BEFORE_CHARS {
        return words;
    }
    let tail: String = words
        .chars()
        .skip(count - (TEXT_BEFORE_CHARS - 1))
        .collect();
    let tail = match tail.split_once(' ') {
        Some((cut, after)) if cut.chars().count() <= 15 && !after.is_empty() => after,
        _ => tail.as_str(),
    };
    format!("…{tail}")
}

/// How much of the text before a value an error shows.
const TEXT_BEFORE_CHARS: usize = 40;

/// Words that end a select list at the top level of a query.
const AFTER_SELECT_LIST: &[&str] = &[
    "from", "where", "group", "having", "window", "order", "limit", "offset", "fetch", "for",
    "into",
];

/// Words after which a new `SELECT` (an arm of the same query) may follow.
const SET_OPERATORS: &[&str] = &["union", "intersect", "except"];

/// Where the lexer is in a top-level `SELECT`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not in a select list: before the first `SELECT`, or after its list.
    Outside,
    /// Just after `SELECT`, `SELECT DISTINCT` or `SELECT ALL`: the list starts at the next
    /// token (unless it is `DISTINCT`, `ALL` or `ON`).
    Start,
    /// In `DISTINCT ON (…)`, before the list.
    DistinctOn,
    /// In the list, at this item (from 1).
    Item(usize),
}

/// The position, from 1, of the item of the top-level select list holding the placeholder at
/// byte `offset` of `sql` (the query Diesel rendered): `Some(2)` for `$1` in
/// `SELECT a, coalesce($1, b) FROM t`. A placeholder elsewhere (a `WHERE` clause, a `WITH`
/// query, `DISTINCT ON`, `VALUES`) gives `None`. Each arm of a `UNION`, `INTERSECT` or `EXCEPT`
/// counts from 1, since its items are the same columns.
pub(crate) fn select_item(sql: &str, offset: usize) -> Option<usize> {
    let mut depth = 0_usize;
    let mut state = State::Outside;
    for token in tokens(sql).filter(|t| !t.is_trivia()) {
        if token.start >= offset {
            return match state {
                State::Item(item) if token.start == offset => Some(item),
                State::Start if token.start == offset => Some(1),
                _ => None,
            };
        }
        let word = (token.kind == TokenKind::Word).then(|| token.text.to_ascii_lowercase());
        match (token.text, word.as_deref()) {
            ("(", _) => {
                depth += 1;
                if state == State::Start {
                    state = State::Item(1);
                }
            }
            (")", _) => {
                depth = depth.saturating_sub(1);
                if state == State::DistinctOn && depth == 0 {
                    state = State::Start;
                }
            }
            _ if depth > 0 => {}
            (_, Some("select")) if state == State::Outside => state = State::Start,
            (_, Some("distinct" | "all")) if state == State::Start => {}
            (_, Some("on")) if state == State::Start => state = State::DistinctOn,
            (_, Some(word))
                if AFTER_SELECT_LIST.contains(&word) || SET_OPERATORS.contains(&word) =>
            {
                state = State::Outside;
            }
            (",", _) => {
                if let State::Item(item) = state {
                    state = State::Item(item + 1);
                }
            }
            _ if state == State::Start => state = State::Item(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{select_item, text_before};

    /// `select_item` for the first placeholder of `sql`.
    fn item(sql: &str) -> Option<usize> {
        select_item(sql, sql.find('$').unwrap())
    }

    #[test]
    fn items_of_the_top_level_select_list() {
        assert_eq!(item("SELECT $1"), Some(1));
        assert_eq!(item(r#"SELECT "t"."a", $1 FROM "t""#), Some(2));
        assert_eq!(item("SELECT a, coalesce(b, $1), c FROM t"), Some(2));
        assert_eq!(
            item("SELECT a, (SELECT x FROM y WHERE z = $1) FROM t"),
            Some(2)
        );
        assert_eq!(item("SELECT DISTINCT a, $1 FROM t"), Some(2));
        assert_eq!(item("SELECT DISTINCT ON (a) a, b, $1 FROM t"), Some(3));
        assert_eq!(item("WITH w AS (SELECT $2, $1) SELECT a, b FROM w"), None);
        assert_eq!(item("WITH w AS (SELECT 1) SELECT a, $1 FROM w"), Some(2));
        assert_eq!(
            item("SELECT a, b FROM t UNION SELECT c, $1 FROM u"),
            Some(2)
        );
        assert_eq!(
            item("SELECT a, b FROM t UNION ALL SELECT $1, c FROM u"),
            Some(1)
        );
    }

    #[test]
    fn placeholders_elsewhere_have_no_item() {
        assert_eq!(item("SELECT a FROM t WHERE b = $1"), None);
        assert_eq!(item("SELECT a FROM t ORDER BY a LIMIT $1"), None);
        assert_eq!(item("SELECT DISTINCT ON ($1) a FROM t"), None);
        assert_eq!(item("VALUES ($1)"), None);
        assert_eq!(
            item("SELECT a FROM t GROUP BY a HAVING count(*) > $1"),
            None
        );
        // Commas and words inside strings, identifiers and parentheses are not the list's.
        assert_eq!(item(r#"SELECT 'x, from', "from", f(a, b), $1"#), Some(4));
    }

    #[test]
    fn the_text_before_is_one_line_and_short() {
        assert_eq!(text_before("SELECT $1", 7), "SELECT ");
        assert_eq!(text_before("SELECT\n  a,\n\t$1", 13), "SELECT a, ");
        let long = format!("SELECT {} FROM t WHERE x = $1", "é".repeat(50));
        let before = text_before(&long, long.find('$').unwrap());
        assert_eq!(before, format!("…{} FROM t WHERE x = ", "é".repeat(21)));
        assert_eq!(before.chars().count(), 40);
        let cut = "SELECT \"users\".\"id\" FROM \"users\" WHERE (\"users\".\"id\" > $1) AND $2";
        assert_eq!(
            text_before(cut, cut.find("$2").unwrap()),
            "…\"users\" WHERE (\"users\".\"id\" > $1) AND "
        );
    }
}
