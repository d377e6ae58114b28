//! The one SQL lexer of pgview, following PostgreSQL's own scanner
//! (`src/backend/parser/scan.l`) wherever a token's extent is concerned: where a string, a
//! quoted identifier, a dollar-quoted string or a comment begins and ends, and so where a
//! statement ends. Everything that reads SQL text goes through it: the placeholder finder of
//! the literal writer, the check that a view's query is exactly one statement
//! (`one_query`), the comment stripper of the `pgview` command's `.sql`
//! files, and the names a definition mentions.
//!
//! # Why a lexer of our own, and not `pg_query`
//!
//! The `pg_query` crate wraps the server's own parser (libpg_query) and would be exact by
//! construction. It builds C sources of the server with `cc`, generates its bindings with
//! `bindgen` (which needs libclang at build time) and its parse tree types with `prost`: a
//! heavy build for every user of pgview (and libclang is not installed on the CI machine),
//! for what only needs the extent of tokens. A token's extent is a small, stable part of
//! the scanner (the same from PostgreSQL 12 to 18, except for errors that newer versions
//! raise on text that older ones split; where they differ this lexer follows the older
//! split, and the newer servers refuse the text anyway). So the lexer is written here, with
//! `scan.l` as its specification, and proved against the server by a property test
//! (`tests/integration/lexer.rs`): random soups of strings of every kind, dollar quotes
//! with non-ASCII tags, nested comments, line comments, quoted identifiers and semicolons,
//! where the statements and columns the server finds are those the lexer finds.
//!
//! # The rules
//!
//! - Whitespace: space, tab, line feed, carriage return, form feed, vertical tab. A UTF-8
//!   byte-order mark at the very start of the text is whitespace too (the server would read
//!   it as part of an identifier: a file saved with one must not lose its first line).
//! - `--` starts a comment that ends at the next line feed or carriage return; `/*` starts a
//!   comment that ends at the matching `*/` (they nest). Both may start in the middle of an
//!   operator (`+--` is `+` and a comment).
//! - `'…'` is a string constant (`''` is a quote); so are `E'…'` (a backslash escapes the
//!   next character), `N'…'`, `U&'…'` (`''` only: its escapes start with a backslash but never
//!   end the string), `B'…'` and `X'…'` (they end at the first quote). A string followed by
//!   whitespace holding a line break (and `--` comments) and another quote continues there,
//!   with the same rules (`E'a'` newline `'\''` is one string). With
//!   `standard_conforming_strings` off, a backslash escapes in `'…'` and `N'…'` too.
//! - `"…"` and `U&"…"` are quoted identifiers (`""` is a quote).
//! - `$tag$…$tag$` is a dollar-quoted string: the tag is empty or an identifier start
//!   (a letter, `_`, or any byte from 0x80, so `$€$` is a tag) followed by identifier
//!   characters other than `$`; it ends at the next occurrence of the same delimiter. `$1` is
//!   a parameter; a `$` that starts neither is a character of its own.
//! - Identifiers and keywords: a letter, `_` or a byte from 0x80, then those, digits and `$`.
//!   A prefix letter only starts a string when the word starts with it (`xe'a'` is the
//!   identifier `xe` and the string `'a'`).
//! - Numbers: digits, a decimal point, an exponent (only when digits follow it).
//! - Operators: runs of `~ ! @ # ^ & | ` ? + - * / % < > =`, cut where `--` or `/*` starts.
//! - `;` ends a statement; any other character is a token of its own.

pub(crate) mod expression;
pub(crate) mod pieces;
pub(crate) mod query;
#[cfg(test)]
mod tests;

pub use query::strip_comments;

/// What a [`Token`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// Spaces, tabs, line breaks, form feeds and vertical tabs; a UTF-8 byte-order mark at the
    /// start of the text.
    Whitespace,
    /// `-- …`, up to (not including) the line break.
    LineComment,
    /// `/* … */`, with the comments nested in it.
    BlockComment,
    /// A string constant, with its continuations.
    String(StringKind),
    /// `"…"` or `U&"…"`.
    QuotedIdentifier,
    /// `$tag$…$tag$`.
    DollarQuoted,
    /// An unquoted identifier or keyword.
    Word,
    /// A numeric constant.
    Number,
    /// A parameter placeholder: `$1`, `$2`, …
    Parameter,
    /// An operator: a run of operator characters.
    Operator,
    /// `;`.
    Semicolon,
    /// Any other character: `,`, `(`, `)`, `[`, `]`, `.`, `:`, a `$` that starts nothing, …
    Punctuation,
}

/// The kinds of string constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StringKind {
    /// `'…'`.
    Standard,
    /// `E'…'`: backslash escapes.
    Escape,
    /// `N'…'`: a national character string, read as a standard one.
    National,
    /// `U&'…'`: Unicode escapes.
    Unicode,
    /// `B'…'`: a bit string.
    Bit,
    /// `X'…'`: a bit string in hexadecimal.
    Hex,
}

/// One token of SQL text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is.
    pub kind: TokenKind,
    /// Its text.
    pub text: &'a str,
    /// The byte offset of its first character in the text.
    pub start: usize,
    /// `false` for a string, quoted identifier, dollar-quoted string or block comment that
    /// the text ends inside of (the token then runs to the end of the text).
    pub closed: bool,
}

impl Token<'_> {
    /// The byte offset after its last character.
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Whether it is whitespace or a comment: what the server skips between tokens.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }

    /// A description of what the token is, for messages (`a string constant`, …).
    pub fn describe(&self) -> &'static str {
        match self.kind {
            TokenKind::Whitespace => "whitespace",
            TokenKind::LineComment => "a -- comment",
            TokenKind::BlockComment => "a /* comment */",
            TokenKind::String(_) => "a string constant ('…')",
            TokenKind::QuotedIdentifier => "a quoted identifier (\"…\")",
            TokenKind::DollarQuoted => "a dollar-quoted string ($tag$…$tag$)",
            TokenKind::Word => "an identifier",
            TokenKind::Number => "a number",
            TokenKind::Parameter => "a parameter",
            TokenKind::Operator => "an operator",
            TokenKind::Semicolon => "`;`",
            TokenKind::Punctuation => "a character",
        }
    }
}

/// The tokens of `sql`, in order, as the server reads them with `standard_conforming_strings`
/// on (the default since PostgreSQL 9.1). Every byte of `sql` belongs to exactly one token;
/// the lexer never fails: text that ends inside a quoted token gives a last token that is not
/// [`closed`](Token::closed).
///
/// # Examples
/// ```
/// use pgview_core::lexer::{tokens, TokenKind};
///
/// let kinds: Vec<TokenKind> = tokens("SELECT $€$;$€$; -- x")
///     .filter(|t| !t.is_trivia())
///     .map(|t| t.kind)
///     .collect();
/// assert_eq!(kinds, [TokenKind::Word, TokenKind::DollarQuoted, TokenKind::Semicolon]);
/// ```
pub fn tokens(sql: &str) -> Tokens<'_> {
    Tokens {
        sql,
        at: 0,
        standard_strings: true,
    }
}

/// The iterator [`tokens`] returns.
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    sql: &'a str,
    at: usize,
    standard_strings: bool,
}

impl Tokens<'_> {
    /// Reads `'…'` strings as the server does with `standard_conforming_strings` set to `on`
    /// (the default) or `off` (a backslash then escapes the next character in them).
    #[must_use]
    pub fn standard_conforming_strings(mut self, on: bool) -> Self {
        self.standard_strings = on;
        self
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if self.at >= self.sql.len() {
            return None;
        }
        let (kind, end, closed) = scan(self.sql.as_bytes(), self.at, self.standard_strings);
        // Every end is at an ASCII byte or at the end of the text (see `scan`); should it
        // ever not be, the token takes the rest of its character rather than panic.
        let mut end = end.clamp(self.at + 1, self.sql.len());
        while !self.sql.is_char_boundary(end) {
            end += 1;
        }
        let token = Token {
            kind,
            text: &self.sql[self.at..end],
            start: self.at,
            closed,
        };
        self.at = end;
        Some(token)
    }
}

/// `text` without a UTF-8 byte-order mark at its start.
pub fn skip_byte_order_mark(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// `[ \t\n\r\f\v]`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | 0x0b)
}

/// `[ \t\f\v]`: whitespace that does not end a line.
fn is_horizontal_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0c | 0x0b)
}

fn is_newline(b: u8) -> bool {
    matches!(b, b'\n' | b'\r')
}

/// `[A-Za-z\200-\377_]`.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// `[A-Za-z\200-\377_0-9\$]`.
fn is_ident_cont(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

/// The characters operators are made of.
fn is_op_char(b: u8) -> bool {
    matches!(
        b,
        b'~' | b'!'
            | b'@'
            | b'#'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'<'
            | b'>'
            | b'='
    )
}

/// Whether a comment starts at `i`.
fn comment_starts(b: &[u8], i: usize) -> bool {
    matches!(b.get(i..i + 2), Some(b"--" | b"/*"))
}

/// The token at `i` (not at the end): its kind, the offset after it, and whether it is
/// closed. Ends are at ASCII bytes, or at the end of the text.
fn scan(b: &[u8], i: usize, standard_strings: bool) -> (TokenKind, usize, bool) {
    let next = b.get(i + 1).copied();
    let (kind, end, closed) = match b[i] {
        0xef if i == 0 && b.starts_with("\u{feff}".as_bytes()) => (TokenKind::Whitespace, 3, true),
        c if is_space(c) => (TokenKind::Whitespace, run(b, i, is_space), true),
        b'-' if next == Some(b'-') => {
            let end = b[i..]
                .iter()
                .position(|&c| is_newline(c))
                .map_or(b.len(), |p| i + p);
            (TokenKind::LineComment, end, true)
        }
        b'/' if next == Some(b'*') => {
            let (end, closed) = block_comment(b, i);
            (TokenKind::BlockComment, end, closed)
        }
        b'"' => {
            let (end, closed) = quoted_identifier(b, i + 1);
            (TokenKind::QuotedIdentifier, end, closed)
        }
        b'$' => dollar(b, i),
        c if c.is_ascii_digit() || (c == b'.' && next.is_some_and(|n| n.is_ascii_digit())) => {
            (TokenKind::Number, number(b, i), true)
        }
        b';' => (TokenKind::Semicolon, i + 1, true),
        c if is_op_char(c) => {
            let mut end = i + 1;
            while end < b.len() && is_op_char(b[end]) && !comment_starts(b, end) {
                end += 1;
            }
            (TokenKind::Operator, end, true)
        }
        _ => {
            if let Some((kind, body)) = string_start(b, i) {
                let rules = Rules::of(kind, standard_strings);
                let (end, closed) = string_body(b, body, rules);
                (TokenKind::String(kind), end, closed)
            } else if matches!(b[i], b'u' | b'U') && b.get(i + 1..i + 3) == Some(b"&\"") {
                let (end, closed) = quoted_identifier(b, i + 3);
                (TokenKind::QuotedIdentifier, end, closed)
            } else if is_ident_start(b[i]) {
                (TokenKind::Word, run(b, i, is_ident_cont), true)
            } else {
                (TokenKind::Punctuation, i + 1, true)
            }
        }
    };
    (kind, end, closed)
}

/// The offset after the run of bytes from `i` that `keep` accepts.
fn run(b: &[u8], i: usize, keep: impl Fn(u8) -> bool) -> usize {
    b[i..]
        .iter()
        .position(|&c| !keep(c))
        .map_or(b.len(), |p| i + p)
}

/// A string constant starting at `i`: its kind and the offset after its opening quote.
fn string_start(b: &[u8], i: usize) -> Option<(StringKind, usize)> {
    let prefixed = |kind| (b.get(i + 1) == Some(&b'\'')).then_some((kind, i + 2));
    match b[i] {
        b'\'' => Some((StringKind::Standard, i + 1)),
        b'e' | b'E' => prefixed(StringKind::Escape),
        b'n' | b'N' => prefixed(StringKind::National),
        b'b' | b'B' => prefixed(StringKind::Bit),
        b'x' | b'X' => prefixed(StringKind::Hex),
        b'u' | b'U' => (b.get(i + 1..i + 3) == Some(b"&'")).then_some((StringKind::Unicode, i + 3)),
        _ => None,
    }
}

/// How the body of a string constant is read.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// A backslash escapes the next byte.
    backslash: bool,
    /// `''` is a quote.
    doubled_quote: bool,
}

impl Rules {
    fn of(kind: StringKind, standard_strings: bool) -> Self {
        match kind {
            StringKind::Standard | StringKind::National => Self {
                backslash: !standard_strings,
                doubled_quote: true,
            },
            StringKind::Escape => Self {
                backslash: true,
                doubled_quote: true,
            },
            StringKind::Unicode => Self {
                backslash: false,
                doubled_quote: true,
            },
            StringKind::Bit | StringKind::Hex => Self {
                backslash: false,
                doubled_quote: false,
            },
        }
    }
}

/// The body of a string constant from `j` (after its opening quote) and its continuations:
/// the offset after the closing quote of the last part, and whether it is closed.
fn string_body(b: &[u8], mut j: usize, rules: Rules) -> (usize, bool) {
    loop {
        loop {
            match b.get(j) {
                None => return (b.len(), false),
                Some(b'\\') if rules.backslash => j += 2,
                Some(b'\'') if rules.doubled_quote && b.get(j + 1) == Some(&b'\'') => j += 2,
                Some(b'\'') => {
                    j += 1;
                    break;
                }
                Some(_) => j += 1,
            }
        }
        match continuation(b, j) {
            Some(next) => j = next,
            None => return (j, true),
        }
    }
}

/// After the closing quote of a string at `j`: the offset after the quote that continues it
/// (`{whitespace_with_newline}{quote}` of `scan.l`: horizontal whitespace and `--` comments,
/// a line break, then whitespace and `--` comments each ended by a line break), if one does.
fn continuation(b: &[u8], mut j: usize) -> Option<usize> {
    let line_end = |from: usize| run(b, from, |c| !is_newline(c));
    loop {
        match b.get(j) {
            Some(&c) if is_horizontal_space(c) => j += 1,
            Some(b'-') if b.get(j + 1) == Some(&b'-') => j = line_end(j),
            _ => break,
        }
    }
    if !b.get(j).copied().is_some_and(is_newline) {
        return None;
    }
    j += 1;
    loop {
        match b.get(j) {
            Some(&c) if is_space(c) => j += 1,
            Some(b'-') if b.get(j + 1) == Some(&b'-') => {
                j = line_end(j);
                if j == b.len() {
                    return None;
                }
            }
            Some(b'\'') => return Some(j + 1),
            _ => return None,
        }
    }
}

/// A quoted identifier whose body starts at `j`: the offset after it, and whether it is
/// closed.
fn quoted_identifier(b: &[u8], mut j: usize) -> (usize, bool) {
    while j < b.len() {
        if b[j] == b'"' {
            if b.get(j + 1) == Some(&b'"') {
                j += 2;
                continue;
            }
            return (j + 1, true);
        }
        j += 1;
    }
    (b.len(), false)
}

/// A block comment starting at `i` (`/*`): the offset after it, and whether it is closed.
fn block_comment(b: &[u8], i: usize) -> (usize, bool) {
    let (mut depth, mut j) = (0usize, i);
    while j < b.len() {
        match b.get(j..j + 2) {
            Some(b"/*") => {
                depth += 1;
                j += 2;
            }
            Some(b"*/") => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return (j, true);
                }
            }
            _ => j += 1,
        }
    }
    (b.len(), false)
}

/// A number at `i`: digits, a decimal point and digits, an exponent when digits follow it.
fn number(b: &[u8], i: usize) -> usize {
    let digits = |from: usize| run(b, from, |c| c.is_ascii_digit());
    let mut j = digits(i);
    if b.get(j) == Some(&b'.') && b.get(j + 1) != Some(&b'.') {
        j = digits(j + 1);
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits(k);
        }
    }
    j
}

/// What starts with the `$` at `i`: a parameter, a dollar-quoted string, or the `$` alone.
fn dollar(b: &[u8], i: usize) -> (TokenKind, usize, bool) {
    if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let end = run(b, i + 1, |c| c.is_ascii_digit());
        return (TokenKind::Parameter, end, true);
    }
    let tag_end = match b.get(i + 1) {
        Some(b'$') => i + 1,
        Some(&c) if is_ident_start(c) => run(b, i + 1, |c| is_ident_cont(c) && c != b'$'),
        _ => return (TokenKind::Punctuation, i + 1, true),
    };
    if b.get(tag_end) != Some(&b'$') {
        return (TokenKind::Punctuation, i + 1, true);
    }
    let delimiter = &b[i..=tag_end];
    let body = tag_end + 1;
    match b[body..]
        .windows(delimiter.len())
        .position(|window| window == delimiter)
    {
        Some(p) => (TokenKind::DollarQuoted, body + p + delimiter.len(), true),
        None => (TokenKind::DollarQuoted, b.len(), false),
    }
}
