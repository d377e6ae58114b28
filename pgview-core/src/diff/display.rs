//! How a [`ViewDiff`] reads: `Display` (the full report, definitions as unified diffs) and
//! [`ViewDiff::stat`] (one line per change).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use similar::TextDiff;

use super::result::{Change, DiffEntry, DiffStatus, ViewDiff};
use crate::snapshot::split_option;

/// Lines of context around each hunk of a definition's diff, as `diff -u` has.
const CONTEXT_LINES: usize = 3;

/// The indentation of the lines under a view's line.
const INDENT: &str = "    ";

/// The full report: every view that differs, each change in detail.
impl fmt::Display for ViewDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.report(f, Form::Full)
    }
}

impl ViewDiff {
    /// The short report: a line per view that differs and a line per change naming the aspect
    /// with a summary, then the count of unchanged views.
    ///
    /// The same as the `Display` of the diff (the full report) except that every change is one
    /// line, its [`Change`]'s `Display`: `definition` says that the query differs without
    /// showing it, `columns: (a integer) -> (a bigint)` lists both columns lists. Like the full
    /// report it ends with a newline, so it is written with `print!`.
    ///
    /// # Examples
    /// ```no_run
    /// # fn run(conn: &mut diesel::PgConnection) -> pgview_core::Result<()> {
    /// use pgview_core::{DiffScope, View, ViewSet};
    /// let declared = ViewSet::new().with_view(View::from_sql("active_users", "SELECT id FROM users")?);
    /// let diff = pgview_core::diff(conn, &declared, &DiffScope::declared_schemas())?;
    /// print!("{}", diff.stat());
    /// // ~ view public.active_users: changed
    /// //     definition
    /// // 3 unchanged
    /// # Ok(()) }
    /// ```
    pub fn stat(&self) -> impl fmt::Display + '_ {
        Stat(self)
    }

    /// Writes the report: the line of each view that differs (`+` created, `-` dropped, `~`
    /// changed, `>` moved, `?` unmanaged) with its changes under it, then the counts.
    fn report(&self, f: &mut fmt::Formatter<'_>, form: Form) -> fmt::Result {
        let (mut unchanged, mut unmanaged) = (0_usize, 0_usize);
        for entry in &self.entries {
            let (sign, what) = match &entry.status {
                DiffStatus::Unchanged => {
                    unchanged += 1;
                    continue;
                }
                DiffStatus::Created => ("+", Cow::Borrowed("created")),
                DiffStatus::Dropped => ("-", Cow::Borrowed("dropped")),
                DiffStatus::Changed(_) => ("~", Cow::Borrowed("changed")),
                DiffStatus::Moved { from_schema, .. } => {
                    (">", Cow::Owned(format!("moved from {from_schema}")))
                }
                DiffStatus::Unmanaged => {
                    unmanaged += 1;
                    (
                        "?",
                        Cow::Borrowed(
                            "unmanaged (not declared, not created by pgview): left alone",
                        ),
                    )
                }
            };
            writeln!(f, "{sign} {} {}: {what}", entry.kind, entry.fullname())?;
            if let DiffStatus::Changed(changes) | DiffStatus::Moved { changes, .. } = &entry.status
            {
                for change in changes {
                    match form {
                        Form::Stat => writeln!(f, "{INDENT}{change}")?,
                        Form::Full => write_detail(f, entry, change)?,
                    }
                }
            }
        }
        write!(f, "{unchanged} unchanged")?;
        if unmanaged > 0 {
            write!(f, ", {unmanaged} unmanaged")?;
        }
        writeln!(f)
    }
}

/// One line: the aspect and a summary of what changed (the lines of [`ViewDiff::stat`]).
impl fmt::Display for Change {
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

/// Which report [`ViewDiff::report`] writes.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// Each change in detail (`Display`).
    Full,
    /// Each change in one line ([`ViewDiff::stat`]).
    Stat,
}

/// What [`ViewDiff::stat`] returns.
#[derive(Debug)]
struct Stat<'a>(&'a ViewDiff);

impl fmt::Display for Stat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.report(f, Form::Stat)
    }
}

/// Writes one change of `entry` in detail, each line indented: definitions as a unified diff,
/// columns and options one line per column or option that differs, the other aspects as their
/// one-line `Display`.
fn write_detail(f: &mut fmt::Formatter<'_>, entry: &DiffEntry, change: &Change) -> fmt::Result {
    let lines = match change {
        Change::Definition { before, after } => {
            // Where the database has it: a moved view is still in its old schema.
            let database = match &entry.status {
                DiffStatus::Moved { from_schema, .. } => format!("{from_schema}.{}", entry.name),
                _ => entry.fullname(),
            };
            definition_lines(&database, &entry.fullname(), before, after)
        }
        Change::Columns { before, after } => column_lines(before, after),
        Change::Options { before, after } => option_lines(before, after),
        _ => Vec::new(),
    };
    if lines.is_empty() {
        // Nothing more to say than the one line (or nothing found to show line by line).
        return writeln!(f, "{INDENT}{change}");
    }
    for line in lines {
        writeln!(f, "{INDENT}{line}")?;
    }
    Ok(())
}

/// The unified diff of two definitions, headers `--- <database> (database)` and
/// `+++ <declared> (declared)`; none when the texts are the same.
fn definition_lines(database: &str, declared: &str, before: &str, after: &str) -> Vec<String> {
    // Every line ends with a newline, so that the last lines of the two texts compare as lines
    // (`pg_get_viewdef` ends without one) and no "No newline at end of file" is written.
    let terminated = |text: &str| {
        if text.ends_with('\n') {
            text.to_owned()
        } else {
            format!("{text}\n")
        }
    };
    let (before, after) = (terminated(before), terminated(after));
    let diff = TextDiff::from_lines(&before, &after);
    diff.unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(
            &format!("{database} (database)"),
            &format!("{declared} (declared)"),
        )
        .to_string()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `(name, value)` pairs by name.
fn by_name(pairs: &[(String, String)]) -> HashMap<&str, &str> {
    pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// A line per column that differs: `column - name type` (only in the database), `column name:
/// type → type` (another type), `column + name type` (only declared), then `column order: a, b
/// → b, a` when the columns of both are in another order.
fn column_lines(before: &[(String, String)], after: &[(String, String)]) -> Vec<String> {
    let (old, new) = (by_name(before), by_name(after));
    let mut lines = pair_lines("column", " ", before, after);
    let kept = |list: &[(String, String)], other: &HashMap<&str, &str>| -> Vec<String> {
        list.iter()
            .filter(|(n, _)| other.contains_key(n.as_str()))
            .map(|(n, _)| n.clone())
            .collect()
    };
    let (was, is) = (kept(before, &new), kept(after, &old));
    if was != is {
        lines.push(format!(
            "column order: {} → {}",
            was.join(", "),
            is.join(", ")
        ));
    }
    lines
}

/// A line per option that differs: `option - name=value`, `option name: value → value`,
/// `option + name=value`.
fn option_lines(before: &[String], after: &[String]) -> Vec<String> {
    let split = |list: &[String]| -> Vec<(String, String)> {
        list.iter()
            .map(|o| {
                let (name, value) = split_option(o);
                (name.to_owned(), value.to_owned())
            })
            .collect()
    };
    pair_lines("option", "=", &split(before), &split(after))
}

/// The lines of two lists of `(name, value)`: `<what> - name<sep>value` for each name only in
/// `before` (in its order), then in the order of `after` `<what> name: old → new` for a name in
/// both with another value and `<what> + name<sep>value` for a name only in `after`.
fn pair_lines(
    what: &str,
    sep: &str,
    before: &[(String, String)],
    after: &[(String, String)],
) -> Vec<String> {
    let (old, new) = (by_name(before), by_name(after));
    let removed = before
        .iter()
        .filter(|(n, _)| !new.contains_key(n.as_str()))
        .map(|(n, v)| format!("{what} - {n}{sep}{v}"));
    let added_or_changed = after.iter().filter_map(|(n, v)| match old.get(n.as_str()) {
        None => Some(format!("{what} + {n}{sep}{v}")),
        Some(was) if was != v => Some(format!("{what} {n}: {was} → {v}")),
        Some(_) => None,
    });
    removed.chain(added_or_changed).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::diff::result::TableChanges;
    use crate::error::RelationKind;

    fn entry(schema: &str, name: &str, kind: RelationKind, status: DiffStatus) -> DiffEntry {
        DiffEntry {
            schema: schema.to_owned(),
            name: name.to_owned(),
            kind,
            status,
        }
    }

    fn view_diff(entries: Vec<DiffEntry>) -> ViewDiff {
        // Only `entries` is read by the reports.
        ViewDiff {
            entries,
            declared: BTreeMap::new(),
            stamps: BTreeMap::new(),
            proven: 0,
            record: BTreeMap::new(),
            stale_record: BTreeMap::new(),
            before: BTreeMap::new(),
            before_blueprints: BTreeMap::new(),
            after: BTreeMap::new(),
            changes: BTreeMap::new(),
            moves: BTreeMap::new(),
            search_path: "public".to_owned(),
            server_major: 17,
            table_sql: None,
            table_changes: TableChanges::default(),
        }
    }

    fn columns(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A diff with every status and every kind of change.
    fn every_status() -> ViewDiff {
        use RelationKind::{MaterializedView, View};
        let changed = vec![
            Change::Kind {
                before: View,
                after: MaterializedView,
            },
            Change::Columns {
                before: columns(&[("id", "integer"), ("name", "text"), ("email", "text")]),
                after: columns(&[("id", "bigint"), ("name", "text"), ("age", "integer")]),
            },
            Change::Definition {
                before: " SELECT users.id,\n    users.name\n   FROM public.users\n  WHERE users.email IS NOT NULL;".to_owned(),
                after: " SELECT users.id,\n    users.name\n   FROM public.users\n  WHERE users.email IS NOT NULL AND users.id > 0;".to_owned(),
            },
            Change::Options {
                before: strings(&["check_option=local", "security_barrier=true"]),
                after: strings(&["check_option=cascaded", "security_invoker=true"]),
            },
            Change::Comment {
                column: None,
                before: None,
                after: Some("active users".to_owned()),
            },
            Change::Comment {
                column: Some("name".to_owned()),
                before: Some("the name".to_owned()),
                after: None,
            },
            Change::Indexes {
                added: strings(&["v_id"]),
                removed: strings(&["v_old"]),
                changed: strings(&["v_name"]),
            },
            Change::Tablespace {
                before: None,
                after: Some("fast".to_owned()),
            },
        ];
        view_diff(vec![
            entry("public", "a", View, DiffStatus::Unchanged),
            entry("public", "created", View, DiffStatus::Created),
            entry("public", "gone", MaterializedView, DiffStatus::Dropped),
            entry("public", "theirs", View, DiffStatus::Unmanaged),
            entry(
                "public",
                "v",
                MaterializedView,
                DiffStatus::Changed(changed),
            ),
            entry(
                "public",
                "z",
                View,
                DiffStatus::Changed(vec![Change::Columns {
                    before: columns(&[("a", "integer"), ("b", "text")]),
                    after: columns(&[("b", "text"), ("a", "integer")]),
                }]),
            ),
            entry(
                "reporting",
                "moved",
                View,
                DiffStatus::Moved {
                    from_schema: "public".to_owned(),
                    changes: vec![Change::Options {
                        before: Vec::new(),
                        after: strings(&["security_barrier"]),
                    }],
                },
            ),
            entry("reporting", "b", View, DiffStatus::Unchanged),
        ])
    }

    #[test]
    fn the_full_report_shows_each_change() {
        let expected = "\
+ view public.created: created
- materialized view public.gone: dropped
? view public.theirs: unmanaged (not declared, not created by pgview): left alone
~ materialized view public.v: changed
    kind: view -> materialized view
    column - email text
    column id: integer → bigint
    column + age integer
    --- public.v (database)
    +++ public.v (declared)
    @@ -1,4 +1,4 @@
      SELECT users.id,
         users.name
        FROM public.users
    -  WHERE users.email IS NOT NULL;
    +  WHERE users.email IS NOT NULL AND users.id > 0;
    option - security_barrier=true
    option check_option: local → cascaded
    option + security_invoker=true
    comment: none -> \"active users\"
    comment on column name: \"the name\" -> none
    indexes: +v_id -v_old ~v_name
    tablespace: default -> fast
~ view public.z: changed
    column order: a, b → b, a
> view reporting.moved: moved from public
    option + security_barrier=true
2 unchanged, 1 unmanaged
";
        assert_eq!(every_status().to_string(), expected);
    }

    #[test]
    fn the_stat_is_a_line_per_change() {
        let expected = "\
+ view public.created: created
- materialized view public.gone: dropped
? view public.theirs: unmanaged (not declared, not created by pgview): left alone
~ materialized view public.v: changed
    kind: view -> materialized view
    columns: (id integer, name text, email text) -> (id bigint, name text, age integer)
    definition
    options: (check_option=local, security_barrier=true) -> (check_option=cascaded, security_invoker=true)
    comment: none -> \"active users\"
    comment on column name: \"the name\" -> none
    indexes: +v_id -v_old ~v_name
    tablespace: default -> fast
~ view public.z: changed
    columns: (a integer, b text) -> (b text, a integer)
> view reporting.moved: moved from public
    options: () -> (security_barrier)
2 unchanged, 1 unmanaged
";
        assert_eq!(every_status().stat().to_string(), expected);
    }

    #[test]
    fn no_difference_is_the_count_and_a_newline() {
        let diff = view_diff(vec![entry(
            "public",
            "a",
            RelationKind::View,
            DiffStatus::Unchanged,
        )]);
        assert_eq!(diff.to_string(), "1 unchanged\n");
        assert_eq!(diff.stat().to_string(), "1 unchanged\n");
        assert_eq!(view_diff(Vec::new()).to_string(), "0 unchanged\n");
    }

    /// Hunks keep three lines of context; a moved view's old name heads the database side.
    #[test]
    fn definition_hunks_have_three_lines_of_context() {
        let lines: Vec<String> = (1..=12).map(|i| format!("    x.c{i},")).collect();
        let before = lines.join("\n");
        let after = before.replace("x.c8,", "x.c8 + 1 AS c8,");
        let diff = view_diff(vec![entry(
            "reporting",
            "m",
            RelationKind::View,
            DiffStatus::Moved {
                from_schema: "public".to_owned(),
                changes: vec![Change::Definition { before, after }],
            },
        )]);
        let expected = "\
> view reporting.m: moved from public
    --- public.m (database)
    +++ reporting.m (declared)
    @@ -5,7 +5,7 @@
         x.c5,
         x.c6,
         x.c7,
    -    x.c8,
    +    x.c8 + 1 AS c8,
         x.c9,
         x.c10,
         x.c11,
0 unchanged
";
        assert_eq!(diff.to_string(), expected);
    }

    /// The last line of a definition compares as a line whether or not it ends with a newline.
    #[test]
    fn a_trailing_newline_is_not_a_difference() {
        assert_eq!(
            definition_lines("s.v", "s.v", "SELECT 1\nFROM t", "SELECT 2\nFROM t\n"),
            [
                "--- s.v (database)",
                "+++ s.v (declared)",
                "@@ -1,2 +1,2 @@",
                "-SELECT 1",
                "+SELECT 2",
                " FROM t",
            ]
        );
    }
}
