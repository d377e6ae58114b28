//! How a [`ViewDiff`] reads: `Display`.

use std::fmt;

use super::result::{Change, DiffStatus, ViewDiff};

impl fmt::Display for ViewDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut unchanged = 0;
        for entry in &self.entries {
            let (sign, what) = match &entry.status {
                DiffStatus::Unchanged => {
                    unchanged += 1;
                    continue;
                }
                DiffStatus::Created => ("+", "created".to_owned()),
                DiffStatus::Dropped => ("-", "dropped".to_owned()),
                DiffStatus::Changed(_) => ("~", "changed".to_owned()),
                DiffStatus::Moved { from_schema, .. } => (">", format!("moved from {from_schema}")),
                DiffStatus::Unmanaged => (
                    "?",
                    "unmanaged (not declared, not created by pgview): left alone".to_owned(),
                ),
            };
            writeln!(f, "{sign} {} {}: {what}", entry.kind, entry.fullname())?;
            if let DiffStatus::Changed(changes) | DiffStatus::Moved { changes, .. } = &entry.status
            {
                for change in changes {
                    writeln!(f, "    {change}")?;
                }
            }
        }
        write!(f, "{unchanged} unchanged")
    }
}

impl fmt::Display for Change {
    /// One line: the aspect and what changed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn columns(list: &[(String, String)]) -> String {
            let parts: Vec<String> = list.iter().map(|(n, t)| format!("{n} {t}")).collect();
            format!("({})", parts.join(", "))
        }
        fn text(value: Option<&String>) -> String {
            value.map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
        }
        match self {
            Self::Kind { before, after } => write!(f, "kind: {before} -> {after}"),
            Self::Columns { before, after } => {
                write!(f, "columns: {} -> {}", columns(before), columns(after))
            }
            Self::Definition { .. } => f.write_str("definition"),
            Self::Options { before, after } => write!(
                f,
                "options: ({}) -> ({})",
                before.join(", "),
                after.join(", ")
            ),
            Self::Comment {
                column,
                before,
                after,
            } => {
                match column {
                    Some(column) => write!(f, "comment on column {column}: ")?,
                    None => f.write_str("comment: ")?,
                }
                write!(f, "{} -> {}", text(before.as_ref()), text(after.as_ref()))
            }
            Self::Indexes {
                added,
                removed,
                changed,
            } => {
                f.write_str("indexes:")?;
                for (sign, names) in [("+", added), ("-", removed), ("~", changed)] {
                    for name in names {
                        write!(f, " {sign}{name}")?;
                    }
                }
                Ok(())
            }
            Self::Tablespace { before, after } => write!(
                f,
                "tablespace: {} -> {}",
                before.as_deref().unwrap_or("default"),
                after.as_deref().unwrap_or("default")
            ),
        }
    }
}
