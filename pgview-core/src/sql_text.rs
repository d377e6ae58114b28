//! Writing text as SQL string constants.

use crate::error::{Error, Result};

/// Appends `text` as a string constant: `'it''s'`, or `E'a\\b'` when it holds a backslash, so
/// the constant means the same whatever `standard_conforming_strings` is.
pub(crate) fn push_string_constant(out: &mut String, text: &str) {
    if text.contains('\\') {
        out.push_str("E'");
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("''"),
                c => out.push(c),
            }
        }
    } else {
        out.push('\'');
        for c in text.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
    }
    out.push('\'');
}

/// A boolean option value as PostgreSQL reads it (`true`, `on`, `yes`, `1` and prefixes).
pub(crate) fn is_true(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "t" | "tr" | "tru" | "true" | "y" | "ye" | "yes" | "on" | "1"
    )
}

/// `text` as a string constant (see [`push_string_constant`]).
pub(crate) fn string_constant(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_string_constant(&mut out, text);
    out
}

/// Checks that `text` can be stored by PostgreSQL (no NUL byte); `what` names it in the error.
pub(crate) fn storable_text(text: &str, what: &str, owner: &str) -> Result<String> {
    if text.contains('\0') {
        return Err(Error::InvalidDefinition {
            name: owner.to_owned(),
            reason: format!("the {what} contains a NUL byte, which PostgreSQL cannot store"),
        });
    }
    Ok(text.to_owned())
}

/// Wraps `body` in a dollar-quoted string whose tag does not occur in it.
pub(crate) fn dollar_quote(body: &str) -> String {
    let mut tag = String::from("$pgview$");
    let mut n = 0u32;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$pgview{n}$");
    }
    format!("{tag}{body}{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_constants() {
        assert_eq!(string_constant("it's"), "'it''s'");
        assert_eq!(string_constant("a\\b'"), "E'a\\\\b'''");
        assert_eq!(string_constant(""), "''");
    }

    #[test]
    fn dollar_quote_avoids_its_tag() {
        assert_eq!(dollar_quote("x"), "$pgview$x$pgview$");
        assert_eq!(dollar_quote("$pgview$"), "$pgview1$$pgview$$pgview1$");
    }
}
