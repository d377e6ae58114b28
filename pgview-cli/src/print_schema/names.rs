//! Rust identifiers for SQL names: fields and modules in `snake_case`, structs and SQL type
//! markers in `UpperCamelCase`, keywords raw (`r#type`) where Rust allows it, every name unique
//! in its scope.

use std::collections::HashSet;

/// Rust's keywords (strict, reserved and edition 2018+/2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// Names already given in one scope.
#[derive(Debug, Default)]
pub(crate) struct Scope(HashSet<String>);

impl Scope {
    /// Marks `name` as taken.
    pub(crate) fn reserve(&mut self, name: &str) {
        self.0.insert(name.to_owned());
    }

    /// `base`, or `base_2`, `base_3`… when taken (raw identifiers compared without `r#`).
    fn unique(&mut self, base: &str) -> String {
        let plain = |s: &str| s.trim_start_matches("r#").to_owned();
        let mut candidate = base.to_owned();
        let mut n = 2;
        while self.0.contains(&plain(&candidate)) {
            candidate = format!("{}_{n}", plain(base));
            n += 1;
        }
        self.0.insert(plain(&candidate));
        candidate
    }

    /// A `snake_case` identifier for `sql` (a column or view name): the name itself when it
    /// already is one (a keyword made raw), else a cleaned-up form.
    pub(crate) fn snake(&mut self, sql: &str) -> String {
        let base = if is_snake(sql) {
            if NOT_RAW.contains(&sql) {
                format!("{sql}_")
            } else if KEYWORDS.contains(&sql) {
                format!("r#{sql}")
            } else {
                sql.to_owned()
            }
        } else {
            let words = words(sql);
            let joined = words.join("_").to_lowercase();
            let joined = if joined.is_empty() {
                "column".to_owned()
            } else if joined.starts_with(|c: char| c.is_ascii_digit()) {
                format!("c_{joined}")
            } else {
                joined
            };
            if KEYWORDS.contains(&joined.as_str()) {
                format!("{joined}_")
            } else {
                joined
            }
        };
        self.unique(&base)
    }

    /// An `UpperCamelCase` identifier for `sql`.
    pub(crate) fn camel(&mut self, sql: &str) -> String {
        let mut camel: String = words(sql)
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        if camel.is_empty() || camel.starts_with(|c: char| c.is_ascii_digit()) {
            camel.insert(0, 'V');
        }
        if KEYWORDS.contains(&camel.as_str()) {
            camel.push('_');
        }
        self.unique(&camel)
    }
}

/// Whether `name` is a plain `snake_case` Rust identifier (keywords included).
fn is_snake(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name != "_"
}

/// The ASCII alphanumeric words of `name`.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_valid_and_unique() {
        let mut scope = Scope::default();
        let names: Vec<String> = [
            "id",
            "type",
            "self",
            "zip code",
            "Zip Code",
            "say \"hi\"",
            "1st",
            "",
            "fn",
            "été",
        ]
        .iter()
        .map(|n| scope.snake(n))
        .collect();
        assert_eq!(
            names,
            [
                "id",
                "r#type",
                "self_",
                "zip_code",
                "zip_code_2",
                "say_hi",
                "c_1st",
                "column",
                "r#fn",
                "t"
            ]
        );
    }

    #[test]
    fn structs_are_camel_case() {
        let mut scope = Scope::default();
        let names: Vec<String> = ["owners \"and\" pets", "Busy Owners", "self", "9", "Type"]
            .iter()
            .map(|n| scope.camel(n))
            .collect();
        assert_eq!(
            names,
            ["OwnersAndPets", "BusyOwners", "Self_", "V9", "Type"]
        );
    }
}
