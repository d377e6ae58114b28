//! The scanner's rules, one case each; and that it never panics and covers every byte.
//! (`tests/integration/lexer.rs` compares it with the server.)

use proptest::prelude::*;

use super::{tokens, StringKind, TokenKind};

/// The tokens of `sql` that are not whitespace, as `(kind, text)`.
fn significant(sql: &str) -> Vec<(TokenKind, &str)> {
    tokens(sql)
        .filter(|t| t.kind != TokenKind::Whitespace)
        .map(|t| (t.kind, t.text))
        .collect()
}

fn kinds(sql: &str) -> Vec<TokenKind> {
    significant(sql).into_iter().map(|(kind, _)| kind).collect()
}

use TokenKind::{
    BlockComment, DollarQuoted, LineComment, Number, Operator, Parameter, Punctuation,
    QuotedIdentifier, Semicolon, Word,
};

#[test]
fn comments() {
    assert_eq!(
        significant("a -- x ; y\nb --z\rc"),
        [
            (Word, "a"),
            (LineComment, "-- x ; y"),
            (Word, "b"),
            (LineComment, "--z"),
            (Word, "c")
        ]
    );
    assert_eq!(
        significant("/* a /* b */ ; */ x /*/ */ /**/"),
        [
            (BlockComment, "/* a /* b */ ; */"),
            (Word, "x"),
            (BlockComment, "/*/ */"),
            (BlockComment, "/**/")
        ]
    );
    // Comments start inside operators.
    assert_eq!(
        significant("1+--x\n2 */*c*/"),
        [
            (Number, "1"),
            (Operator, "+"),
            (LineComment, "--x"),
            (Number, "2"),
            (Operator, "*"),
            (BlockComment, "/*c*/")
        ]
    );
    let open: Vec<bool> = tokens("x /* /* */").map(|t| t.closed).collect();
    assert_eq!(open, [true, true, false]);
}

#[test]
fn strings() {
    let s = |kind| TokenKind::String(kind);
    assert_eq!(
        significant("'it''s' E'\\'' N'n' U&'\\' B'01' X'1F' e'\\\\'"),
        [
            (s(StringKind::Standard), "'it''s'"),
            (s(StringKind::Escape), "E'\\''"),
            (s(StringKind::National), "N'n'"),
            (s(StringKind::Unicode), "U&'\\'"),
            (s(StringKind::Bit), "B'01'"),
            (s(StringKind::Hex), "X'1F'"),
            (s(StringKind::Escape), "e'\\\\'"),
        ]
    );
    // A prefix letter inside a word is part of the word.
    assert_eq!(
        significant("xe'a' ab'c' u&x"),
        [
            (Word, "xe"),
            (s(StringKind::Standard), "'a'"),
            (Word, "ab"),
            (s(StringKind::Standard), "'c'"),
            (Word, "u"),
            (Operator, "&"),
            (Word, "x")
        ]
    );
    // A bit string ends at the first quote.
    assert_eq!(
        significant("B'1''0'"),
        [
            (s(StringKind::Bit), "B'1'"),
            (s(StringKind::Standard), "'0'")
        ]
    );
    // After a number, `e'` starts an escape string (PostgreSQL 14 and older; 15 refuses it).
    assert_eq!(
        significant("1e'x' 1e5 1.5e-3 .5 1..2"),
        [
            (Number, "1"),
            (s(StringKind::Escape), "e'x'"),
            (Number, "1e5"),
            (Number, "1.5e-3"),
            (Number, ".5"),
            (Number, "1"),
            (Punctuation, "."),
            (Number, ".2")
        ]
    );
}

#[test]
fn string_continuations() {
    let s = |kind| TokenKind::String(kind);
    // Whitespace with a line break (and `--` comments) between two quotes continues a string,
    // with the rules of its first part.
    assert_eq!(
        significant("E'a'\n'\\'' x"),
        [(s(StringKind::Escape), "E'a'\n'\\''"), (Word, "x")]
    );
    assert_eq!(
        significant("'a' -- c\n -- d\n 'b';"),
        [
            (s(StringKind::Standard), "'a' -- c\n -- d\n 'b'"),
            (Semicolon, ";")
        ]
    );
    // No line break, a block comment, or a comment to the end: no continuation.
    assert_eq!(kinds("'a' 'b'").len(), 2);
    assert_eq!(kinds("'a'\n/* */'b'").len(), 3);
    assert_eq!(kinds("'a'\n-- x").len(), 2);
    // Dollar quotes and identifiers do not continue.
    assert_eq!(kinds("$$a$$\n'b'").len(), 2);
}

#[test]
fn standard_conforming_strings_off() {
    let off = |sql| {
        tokens(sql)
            .standard_conforming_strings(false)
            .filter(|t| t.kind != TokenKind::Whitespace)
            .map(|t| t.text)
            .collect::<Vec<_>>()
    };
    assert_eq!(off("'a\\'b' ;"), ["'a\\'b'", ";"]);
    assert_eq!(off("N'a\\'b'"), ["N'a\\'b'"]);
    assert_eq!(significant("'a\\' ;").len(), 2);
}

#[test]
fn quoted_identifiers() {
    assert_eq!(
        significant("\"a\"\"b\" U&\"c\" \"\""),
        [
            (QuotedIdentifier, "\"a\"\"b\""),
            (QuotedIdentifier, "U&\"c\""),
            (QuotedIdentifier, "\"\"")
        ]
    );
}

#[test]
fn dollar_quotes_and_parameters() {
    assert_eq!(
        significant("$$a$$ $€$;$$$€$ $_1$x$_1$ $1 $12a a$1 $ $1x$"),
        [
            (DollarQuoted, "$$a$$"),
            (DollarQuoted, "$€$;$$$€$"),
            (DollarQuoted, "$_1$x$_1$"),
            (Parameter, "$1"),
            (Parameter, "$12"),
            (Word, "a"),
            (Word, "a$1"),
            (Punctuation, "$"),
            (Parameter, "$1"),
            (Word, "x$")
        ]
    );
    // A tag is an identifier without `$`: `$a$b$` opens `$a$`.
    assert_eq!(significant("$a$b$a$"), [(DollarQuoted, "$a$b$a$")]);
    // The closing delimiter may follow other `$`s.
    assert_eq!(significant("$a$x$$a$"), [(DollarQuoted, "$a$x$$a$")]);
    let last = tokens("$q$ open $Q$").last().unwrap();
    assert!(!last.closed);
}

#[test]
fn byte_order_mark() {
    assert_eq!(
        tokens("\u{feff}SELECT").map(|t| t.kind).collect::<Vec<_>>(),
        [TokenKind::Whitespace, Word]
    );
    // Elsewhere, U+FEFF is a character of an identifier, as for the server.
    assert_eq!(kinds("a\u{feff}b"), [Word]);
    assert_eq!(super::skip_byte_order_mark("\u{feff}x"), "x");
}

#[test]
fn operators_and_punctuation() {
    assert_eq!(
        significant("a<>b::int[1:2],(c);"),
        [
            (Word, "a"),
            (Operator, "<>"),
            (Word, "b"),
            (Punctuation, ":"),
            (Punctuation, ":"),
            (Word, "int"),
            (Punctuation, "["),
            (Number, "1"),
            (Punctuation, ":"),
            (Number, "2"),
            (Punctuation, "]"),
            (Punctuation, ","),
            (Punctuation, "("),
            (Word, "c"),
            (Punctuation, ")"),
            (Semicolon, ";")
        ]
    );
}

/// Text made of the characters that matter to the scanner.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("'"),
            Just("\""),
            Just("$"),
            Just("$$"),
            Just("$a$"),
            Just("$€$"),
            Just("--"),
            Just("/*"),
            Just("*/"),
            Just("\\"),
            Just("\n"),
            Just("\r"),
            Just(" "),
            Just(";"),
            Just("E"),
            Just("U&"),
            Just("B"),
            Just("1"),
            Just("."),
            Just("e"),
            Just("€"),
            Just("\u{feff}"),
            Just("a"),
            Just("+"),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn tokens_cover_the_text_and_never_panic(sql in soup(), standard in any::<bool>()) {
        let mut at = 0;
        let mut open = 0;
        for token in tokens(&sql).standard_conforming_strings(standard) {
            prop_assert_eq!(token.start, at);
            prop_assert!(!token.text.is_empty());
            if !token.closed {
                open += 1;
            }
            at = token.end();
        }
        prop_assert_eq!(at, sql.len());
        prop_assert!(open <= 1);
        let _ = super::query::one_query(&sql);
        let _ = super::strip_comments(&sql);
        let _ = super::pieces::identifiers(&sql);
    }

    #[test]
    fn any_text_never_panics(sql in any::<String>()) {
        let total: usize = tokens(&sql).map(|t| t.text.len()).sum();
        prop_assert_eq!(total, sql.len());
        let _ = super::query::one_query(&sql);
    }
}
