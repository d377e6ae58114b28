//! The names auto-refresh gives what it installs, and the notification it sends.
//!
//! Everything lives in the schema [`AUTO_REFRESH_SCHEMA`]: one trigger function per
//! materialized view, named after the view with a stable hash so that any view name (63 bytes,
//! any characters) gives a valid, distinct name of at most 63 bytes; the triggers on the tables
//! carry the same hash. The function's comment names the view (that is how the installs are
//! listed), and its notification payload is the view's quoted, qualified name (at most 259
//! bytes, well under the 8000 bytes `NOTIFY` allows).

use crate::error::Result;
use crate::ident::{Ident, QualifiedName};

/// The schema that holds the trigger functions of auto-refresh. It is created by the first
/// install and dropped when the last one is uninstalled (if it holds nothing else).
pub const AUTO_REFRESH_SCHEMA: &str = "pgview";

/// The channel the triggers notify (`LISTEN pgview_refresh`); the payload is the materialized
/// view's quoted, qualified name (`"reporting"."revenue"`).
pub const AUTO_REFRESH_CHANNEL: &str = "pgview_refresh";

/// What the comment of a trigger function starts with; the view's quoted name follows.
pub(crate) const COMMENT_PREFIX: &str = "pgview auto-refresh of materialized view ";

/// The key of the advisory lock that serializes installs and uninstalls.
pub(crate) const LOCK_KEY: i64 = 0x7067_7669_6577_0001;

/// The names of one view's auto-refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AutoNames {
    /// The trigger function, in [`AUTO_REFRESH_SCHEMA`].
    pub(crate) function: Ident,
    /// The trigger on each table the view reads.
    pub(crate) trigger: Ident,
    /// The notification payload and the end of the function's comment.
    pub(crate) payload: String,
}

/// The names for the materialized view `view` (qualified).
pub(crate) fn names_for(view: &QualifiedName) -> Result<AutoNames> {
    let schema = view.schema().map_or("", Ident::as_str);
    let name = view.name().as_str();
    let mut key = Vec::with_capacity(schema.len() + name.len() + 1);
    key.extend_from_slice(schema.as_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    let hash = fnv1a64(&key);
    let slug: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(|c| c.to_ascii_lowercase())
        .take(24)
        .collect();
    Ok(AutoNames {
        function: Ident::new(&format!("refresh_{slug}_{hash:016x}"))?,
        trigger: Ident::new(&format!("pgview_refresh_{slug}_{hash:016x}"))?,
        payload: view.to_string(),
    })
}

/// The function's signature as text, for `::regprocedure`.
pub(crate) fn function_signature(function: &Ident) -> String {
    format!("\"{AUTO_REFRESH_SCHEMA}\".{function}()")
}

/// The view a notification payload or function comment names.
pub(crate) fn parse_payload(payload: &str) -> Option<QualifiedName> {
    let name = QualifiedName::parse(payload).ok()?;
    name.schema().is_some().then_some(name)
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_distinct_and_stable() {
        let long = "é".repeat(31); // 62 bytes
        for (schema, name) in [("public", "revenue"), ("s", long.as_str()), ("a\"b", "x y")] {
            let view = QualifiedName::new(Some(schema), name).unwrap();
            let names = names_for(&view).unwrap();
            assert!(names.function.as_str().len() <= 63);
            assert!(names.trigger.as_str().len() <= 63);
            assert_eq!(parse_payload(&names.payload), Some(view));
        }
        let one = names_for(&QualifiedName::new(Some("a"), "bc").unwrap()).unwrap();
        let two = names_for(&QualifiedName::new(Some("ab"), "c").unwrap()).unwrap();
        assert_ne!(one.function, two.function);
        // Stable: the same name always gives the same function.
        assert_eq!(
            names_for(&QualifiedName::new(Some("public"), "revenue").unwrap())
                .unwrap()
                .function
                .as_str(),
            format!("refresh_revenue_{:016x}", fnv1a64(b"public\0revenue"))
        );
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(parse_payload("unqualified"), None);
    }
}
