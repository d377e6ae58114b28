//! A folder of view definitions: one `.sql` file per view.
//!
//! The format (also in `pgview diff --help` and the README):
//!
//! - Each `*.sql` file directly in the folder defines one view; other files, hidden files and
//!   subfolders are ignored.
//! - The view's name is the file stem: `active_users.sql` is `active_users` (created where the
//!   `search_path` says), `reporting.revenue.sql` is `revenue` in schema `reporting`. A name
//!   that a file name cannot hold is given in the header (`name=…`).
//! - The file starts with optional header lines `-- pgview: option, option, …` (a UTF-8
//!   byte-order mark before them is skipped; each option is given once); the rest is the
//!   query, exactly one statement (comments in it are removed, as the server would).
//! - Options: `materialized`; `name=schema.name` (parts may be double-quoted);
//!   `columns(a, b)`; `comment="…"`; `column_comment(col)="…"`; for views `security_barrier`,
//!   `security_invoker`, `check_option=local|cascaded`, `recursive` (needs `columns`); for
//!   materialized views `unique_index(a, b)`, `index(a, b)`, `with_no_data`,
//!   `tablespace=ts`, `storage(fillfactor=70, autovacuum_enabled=false)`. Strings are
//!   double-quoted with `\"` and `\\` escapes; identifiers are plain words or double-quoted
//!   (`"Order Total"`).
//! - An index list holds its key parts in order and its clauses, in any order (see
//!   [`index_spec`]): `index(name=ix_recent, using=brin, created_at)`,
//!   `unique_index(user_id, include(name), where="active")`,
//!   `index(name=index_users_on_lower_email, expression("lower(email)"))`,
//!   `index(total(desc, nulls_last), name(opclass=text_pattern_ops, collate="C"))`. Without
//!   `name=`, an index is named `<view>_<parts>_idx` (an expression counts as `expr`).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use pgview_core::lexer::{skip_byte_order_mark, strip_comments};
use pgview_core::{CheckOption, MaterializedView, QualifiedName, View};

mod index_spec;

/// The format of the folder, shown by `pgview help diff` and `pgview help generate`.
pub(crate) const HELP: &str = "\
View definitions (--dir): one view per `.sql` file directly in the folder (other files,
hidden files and subfolders are ignored).
  Name: the file name. `active_users.sql` is `active_users` (in the schema the search_path
  gives); `schema.name.sql` is `name` in `schema`.
  Header: optional first lines `-- pgview: option, option, ...` (each option once); the rest
  of the file is the query: one SELECT, VALUES, WITH or TABLE statement (comments in it are
  removed).
  Options:
    materialized                  a materialized view (default: a plain view)
    name=schema.name              the name, when a file name cannot hold it (\"...\" quotes a part)
    columns(a, b)                 explicit column names
    comment=\"...\"                 the view's comment (\\\" and \\\\ escape)
    column_comment(col)=\"...\"     a column's comment
    security_barrier, security_invoker, check_option=local|cascaded, recursive
                                  options of plain views
    unique_index(a, b), index(a, b), with_no_data, tablespace=ts, storage(fillfactor=70)
                                  options of materialized views
  Index lists: the key parts in order; name=, using=, include(...), where= anywhere:
    index(name=ix_recent, using=brin, created_at)
    unique_index(user_id, include(name, email), where=\"active\")
    index(name=index_users_on_lower_email, expression(\"lower(email)\"))
    index(total(desc, nulls_last), title(opclass=text_pattern_ops, collate=\"C\"))
                                  a part's options: asc, desc, nulls_first, nulls_last,
                                  opclass=, collate=; expression(\"...\", desc) likewise;
                                  methods: btree (default), hash, gist, gin, brin, spgist or
                                  an extension's; default name <view>_<parts>_idx
  Example, reporting.revenue.sql:
    -- pgview: materialized, unique_index(user_id), comment=\"revenue per user\"
    SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id";

/// [`HELP`] and a paragraph about the exit status.
pub(crate) fn help(status: &str) -> String {
    format!("{HELP}\n\n{status}")
}

/// The header marker.
const MARKER: &str = "-- pgview:";

/// The options a header may hold, for error messages.
const OPTIONS: &str = "`materialized`, `name`, `columns`, `comment`, `column_comment`, \
    `security_barrier`, `security_invoker`, `check_option`, `recursive`, `unique_index`, \
    `index`, `with_no_data`, `tablespace`, `storage`";

/// A view defined by a file.
#[derive(Debug, Clone)]
pub(crate) enum Declared {
    /// A plain view.
    View(View),
    /// A materialized view.
    Materialized(MaterializedView),
}

impl Declared {
    fn name(&self) -> &QualifiedName {
        match self {
            Self::View(view) => view.name(),
            Self::Materialized(view) => view.name(),
        }
    }
}

/// An error in a file of the folder, naming the file (and line for header errors).
#[derive(Debug)]
pub(crate) struct ViewDirError {
    place: String,
    message: String,
}

impl fmt::Display for ViewDirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for ViewDirError {}

fn error(place: impl fmt::Display, message: impl fmt::Display) -> ViewDirError {
    ViewDirError {
        place: place.to_string(),
        message: message.to_string(),
    }
}

/// Reads every view of `dir` with its file, ordered by file name.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<(PathBuf, Declared)>, ViewDirError> {
    let entries = fs::read_dir(dir).map_err(|e| error(dir.display(), e))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| error(dir.display(), e))?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if path.is_file() && !hidden && path.extension().is_some_and(|e| e == "sql") {
            files.push(path);
        }
    }
    files.sort();
    let mut views: Vec<(PathBuf, Declared)> = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path).map_err(|e| error(path.display(), e))?;
        let declared = parse_file(&path, &text)?;
        if let Some((other, _)) = views.iter().find(|(_, v)| v.name() == declared.name()) {
            return Err(error(
                path.display(),
                format!(
                    "defines {} again (already defined by {})",
                    declared.name().fullname(),
                    other.display()
                ),
            ));
        }
        views.push((path, declared));
    }
    Ok(views)
}

/// The options of a header.
#[derive(Debug, Default)]
struct Header {
    materialized: bool,
    name: Option<QualifiedName>,
    columns: Option<Vec<String>>,
    comment: Option<String>,
    column_comments: Vec<(String, String)>,
    flags: ViewFlags,
    check_option: Option<CheckOption>,
    indexes: Vec<index_spec::IndexSpec>,
    with_no_data: bool,
    tablespace: Option<String>,
    storage: Vec<(String, String)>,
    /// The view-only and materialized-only options used, for the kind check.
    view_only: Vec<&'static str>,
    materialized_only: Vec<&'static str>,
}

/// The on/off options of plain views.
#[derive(Debug, Default)]
struct ViewFlags {
    security_barrier: bool,
    security_invoker: bool,
    recursive: bool,
}

/// Parses one file.
fn parse_file(path: &Path, text: &str) -> Result<Declared, ViewDirError> {
    // An editor may save a file with a byte-order mark: it must not hide the header.
    let text = skip_byte_order_mark(text);
    let mut header = Header::default();
    let mut body_start = 0;
    let mut name_line = None;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let Some(options) = line.trim().strip_prefix(MARKER) else {
            break;
        };
        let place = format!("{}:{}", path.display(), number + 1);
        parse_header(options, &mut header).map_err(|message| error(&place, message))?;
        if header.name.is_some() && name_line.is_none() {
            name_line = Some(place);
        }
        body_start += line.len();
    }
    let body = &text[body_start..];
    let sql = strip_comments(body).map_err(|message| error(path.display(), message))?;
    let place = path.display();
    let (name, given_by, name_place) = if let Some(name) = header.name.take() {
        let line = name_line.unwrap_or_else(|| place.to_string());
        (name, "`name=`", line)
    } else {
        let name = name_from_path(path).map_err(|message| error(&place, message))?;
        (name, "the file name", place.to_string())
    };
    user_schema(&name, given_by).map_err(|message| error(&name_place, message))?;
    build(&header, &name, sql.trim()).map_err(|e| error(&place, e))
}

/// Refuses a name in a system schema (`pg_catalog`, `information_schema`, `pg_toast…`,
/// `pg_temp…`): `diff` and `generate` never read the views there, so a view declared there
/// would be created again by every migration (or refused by the server). `given_by` says
/// where the name comes from.
fn user_schema(name: &QualifiedName, given_by: &str) -> Result<(), String> {
    let Some(schema) = name.schema().map(pgview_core::Ident::as_str) else {
        return Ok(());
    };
    let system = matches!(schema, "pg_catalog" | "information_schema")
        || schema.starts_with("pg_toast")
        || schema.starts_with("pg_temp");
    if system {
        return Err(format!(
            "{given_by} puts the view {} in `{schema}`, a system schema: pgview manages views \
             of user schemas only (pg_catalog, information_schema, pg_toast and temporary \
             schemas are never compared), and the server keeps its own objects there",
            name.fullname()
        ));
    }
    Ok(())
}

/// `schema.name` or `name` from the file stem.
fn name_from_path(path: &Path) -> Result<QualifiedName, String> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or("the file name is not valid UTF-8")?;
    let parts: Vec<&str> = stem.split('.').collect();
    let name = match parts.as_slice() {
        [name] => QualifiedName::new(None, name),
        [schema, name] => QualifiedName::new(Some(schema), name),
        _ => {
            return Err(format!(
                "the file name {stem:?} has more than one `.`; name the view in the header \
                 (`-- pgview: name=\"schema\".\"name\"`)"
            ))
        }
    };
    name.map_err(|e| e.to_string())
}

/// The definition the header and the query describe.
fn build(header: &Header, name: &QualifiedName, sql: &str) -> pgview_core::Result<Declared> {
    let invalid = |reason: String| pgview_core::Error::InvalidDefinition {
        name: name.fullname(),
        reason,
    };
    if header.materialized {
        if let Some(option) = header.view_only.first() {
            return Err(invalid(format!(
                "`{option}` is an option of plain views, not of materialized views"
            )));
        }
        let mut view = MaterializedView::from_sql(name.name().as_str(), sql)?;
        if let Some(schema) = name.schema() {
            view = view.schema(schema.as_str())?;
        }
        if let Some(columns) = &header.columns {
            view = view.columns(columns)?;
        }
        for index in &header.indexes {
            view = view.index(index.build()?)?;
        }
        for (parameter, value) in &header.storage {
            view = view.storage_parameter(parameter, value)?;
        }
        if let Some(tablespace) = &header.tablespace {
            view = view.tablespace(tablespace)?;
        }
        view = view.with_data(!header.with_no_data);
        if let Some(comment) = &header.comment {
            view = view.comment(comment)?;
        }
        for (column, comment) in &header.column_comments {
            view = view.column_comment(column, comment)?;
        }
        return Ok(Declared::Materialized(view));
    }
    if let Some(option) = header.materialized_only.first() {
        return Err(invalid(format!(
            "`{option}` is an option of materialized views; add `materialized` to the header"
        )));
    }
    let mut view = View::from_sql(name.name().as_str(), sql)?;
    if let Some(schema) = name.schema() {
        view = view.schema(schema.as_str())?;
    }
    if let Some(columns) = &header.columns {
        view = view.columns(columns)?;
    }
    if header.flags.security_barrier {
        view = view.security_barrier(true);
    }
    if header.flags.security_invoker {
        view = view.security_invoker(true);
    }
    if let Some(check) = header.check_option {
        view = view.check_option(check);
    }
    if header.flags.recursive {
        view = view.recursive()?;
    }
    if let Some(comment) = &header.comment {
        view = view.comment(comment)?;
    }
    for (column, comment) in &header.column_comments {
        view = view.column_comment(column, comment)?;
    }
    Ok(Declared::View(view))
}

/// Reads the options of one header line into `header`.
fn parse_header(text: &str, header: &mut Header) -> Result<(), String> {
    let mut scanner = Scanner::new(text);
    loop {
        scanner.skip_spaces();
        if scanner.at_end() {
            return Ok(());
        }
        let key = scanner
            .word()
            .ok_or_else(|| format!("expected an option, found {:?}", scanner.rest()))?;
        apply(&key, &mut scanner, header)?;
        scanner.skip_spaces();
        if !scanner.at_end() && !scanner.eat(',') {
            return Err(format!(
                "expected `,` after `{key}`, found {:?}",
                scanner.rest()
            ));
        }
    }
}

/// The error for an option given twice in a header (a later value never silently replaces an
/// earlier one).
fn twice(key: &str) -> String {
    format!("`{key}` is given twice in the header; give it once")
}

/// Reads the value of option `key`, if it has one, and records it.
fn apply(key: &str, scanner: &mut Scanner<'_>, header: &mut Header) -> Result<(), String> {
    let given = match key {
        "name" => header.name.is_some(),
        "comment" => header.comment.is_some(),
        "columns" => header.columns.is_some(),
        "check_option" => header.check_option.is_some(),
        "tablespace" => header.tablespace.is_some(),
        _ => false,
    };
    if given {
        return Err(twice(key));
    }
    match key {
        "materialized" => header.materialized = true,
        "recursive" => {
            header.flags.recursive = true;
            header.view_only.push("recursive");
        }
        "security_barrier" => {
            header.flags.security_barrier = true;
            header.view_only.push("security_barrier");
        }
        "security_invoker" => {
            header.flags.security_invoker = true;
            header.view_only.push("security_invoker");
        }
        "with_no_data" => {
            header.with_no_data = true;
            header.materialized_only.push("with_no_data");
        }
        "name" => {
            let text = scanner.value(key)?;
            header.name = Some(QualifiedName::parse(&text).map_err(|e| e.to_string())?);
        }
        "check_option" => {
            header.check_option = Some(match scanner.value(key)?.as_str() {
                "local" => CheckOption::Local,
                "cascaded" => CheckOption::Cascaded,
                other => {
                    return Err(format!(
                        "check_option is `local` or `cascaded`, not {other:?}"
                    ))
                }
            });
            header.view_only.push("check_option");
        }
        "comment" => header.comment = Some(scanner.value(key)?),
        "tablespace" => {
            header.tablespace = Some(scanner.value(key)?);
            header.materialized_only.push("tablespace");
        }
        "columns" => header.columns = Some(scanner.list(key)?),
        "unique_index" | "index" => {
            header.indexes.push(index_spec::parse(key, scanner)?);
            header.materialized_only.push(if key == "index" {
                "index"
            } else {
                "unique_index"
            });
        }
        "column_comment" => {
            let column = match scanner.list(key)?.as_slice() {
                [column] => column.clone(),
                _ => {
                    return Err("column_comment takes one column: column_comment(col)=\"…\"".into())
                }
            };
            let comment = scanner.value(key)?;
            if header.column_comments.iter().any(|(c, _)| *c == column) {
                return Err(twice(&format!("column_comment({column})")));
            }
            header.column_comments.push((column, comment));
        }
        "storage" => {
            for pair in scanner.list(key)? {
                let (name, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("storage takes name=value pairs, not {pair:?}"))?;
                header
                    .storage
                    .push((name.trim().to_owned(), value.trim().to_owned()));
            }
            header.materialized_only.push("storage");
        }
        other => {
            return Err(format!(
                "unknown option `{other}`; expected one of {OPTIONS}"
            ))
        }
    }
    Ok(())
}

/// A cursor over a header line.
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A plain word: letters, digits, `_`, `$`, `.` (for `toast.x`).
    fn word(&mut self) -> Option<String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '.'))
        {
            self.at += self.peek().map_or(1, char::len_utf8);
        }
        (self.at > start).then(|| self.text[start..self.at].to_owned())
    }

    /// `"…"` with `\"` and `\\` escapes (for strings), or `"…"` with `""` (for identifiers):
    /// both are accepted, `\` escapes only in strings.
    fn quoted(&mut self, identifier: bool) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        chars.next();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if !identifier => match chars.next() {
                    Some((_, escaped)) => out.push(escaped),
                    None => break,
                },
                '"' if identifier && self.rest()[i + 1..].starts_with('"') => {
                    chars.next();
                    out.push('"');
                }
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err("a quoted text is not closed".into())
    }

    /// `=value`: a word or a quoted string (a `name` may mix quoted and plain parts).
    fn value(&mut self, key: &str) -> Result<String, String> {
        self.skip_spaces();
        if !self.eat('=') {
            return Err(format!("`{key}` needs a value: {key}=…"));
        }
        self.skip_spaces();
        if key == "name" {
            return self.qualified();
        }
        if self.peek() == Some('"') {
            return self.quoted(false);
        }
        self.word()
            .ok_or_else(|| format!("`{key}` needs a value: {key}=…"))
    }

    /// `a.b`, `"a"."b"`, … kept with its quotes for `QualifiedName::parse`.
    fn qualified(&mut self) -> Result<String, String> {
        let start = self.at;
        loop {
            if self.peek() == Some('"') {
                self.quoted(true)?;
            } else if self.word().is_none() {
                break;
            }
            if !self.eat('.') {
                break;
            }
        }
        if self.at == start {
            return Err("`name` needs a value: name=schema.view".into());
        }
        Ok(self.text[start..self.at].to_owned())
    }

    /// `(item, item, …)`: identifiers (plain or quoted), or `name=value` pairs.
    fn list(&mut self, key: &str) -> Result<Vec<String>, String> {
        self.skip_spaces();
        if !self.eat('(') {
            return Err(format!("`{key}` needs a list: {key}(…)"));
        }
        let mut items = Vec::new();
        loop {
            self.skip_spaces();
            if self.eat(')') {
                break;
            }
            let mut item = if self.peek() == Some('"') {
                self.quoted(true)?
            } else {
                self.word()
                    .ok_or_else(|| format!("unexpected {:?} in `{key}(…)`", self.rest()))?
            };
            self.skip_spaces();
            if self.eat('=') {
                self.skip_spaces();
                let value = if self.peek() == Some('"') {
                    self.quoted(false)?
                } else {
                    self.word().unwrap_or_default()
                };
                item = format!("{item}={value}");
                self.skip_spaces();
            }
            items.push(item);
            if !self.eat(',') {
                self.skip_spaces();
                if !self.eat(')') {
                    return Err(format!("`{key}(…)` is not closed"));
                }
                break;
            }
        }
        if items.is_empty() {
            return Err(format!("`{key}(…)` is empty"));
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Declared, String> {
        parse_file(Path::new(name), text).map_err(|e| e.to_string())
    }

    #[test]
    fn names_come_from_the_file_or_the_header() {
        let Declared::View(v) = parse("views/active.sql", "SELECT 1 AS id").unwrap() else {
            panic!()
        };
        assert_eq!(v.fullname(), "active");
        let Declared::View(v) = parse("reporting.active.sql", "SELECT 1 AS id").unwrap() else {
            panic!()
        };
        assert_eq!(v.fullname(), "reporting.active");
        let text = "-- pgview: name=\"my.schema\".\"Order Stats\"\nSELECT 1 AS id";
        let Declared::View(v) = parse("x.sql", text).unwrap() else {
            panic!()
        };
        assert_eq!(v.name().schema().unwrap().as_str(), "my.schema");
        assert_eq!(v.name().name().as_str(), "Order Stats");
        assert!(parse("a.b.c.sql", "SELECT 1")
            .unwrap_err()
            .contains("more than one `.`"));
    }

    #[test]
    fn a_materialized_view_with_every_option() {
        let text = "-- pgview: materialized, unique_index(user_id), index(total, \"Name\")\n\
                    -- pgview: comment=\"revenue \\\"per\\\" user\", column_comment(total)=\"sum\"\n\
                    -- pgview: storage(fillfactor=70), tablespace=pg_default, with_no_data, columns(user_id, total, \"Name\")\n\
                    SELECT user_id, sum(total), 'x' -- trailing comment\nFROM orders GROUP BY user_id -- end";
        let Declared::Materialized(m) = parse("reporting.revenue.sql", text).unwrap() else {
            panic!()
        };
        assert_eq!(m.fullname(), "reporting.revenue");
        assert_eq!(m.indexes().len(), 2);
        assert!(m.indexes()[0].is_unique());
        assert_eq!(m.comment_text(), Some("revenue \"per\" user"));
        assert_eq!(m.column_comments()[0].comment, "sum");
        assert_eq!(m.storage_parameters()[0].value, "70");
        assert!(!m.is_with_data());
        assert_eq!(m.column_names().len(), 3);
        assert!(!m.query_sql().contains("--"), "{}", m.query_sql());
        assert!(
            m.query_sql().ends_with("GROUP BY user_id"),
            "{}",
            m.query_sql()
        );
    }

    #[test]
    fn index_lists_say_what_the_builder_says() {
        use pgview_core::{Index, IndexPart};
        let text = "-- pgview: materialized, unique_index(user_id, include(name, \"E mail\"), name=rc_pk)\n\
                    -- pgview: index(name=index_users_on_lower_email, expression(\"lower(email)\"))\n\
                    -- pgview: index(using=brin, created_at), index(name, where=\"orders > 0\", name=\"Partial\")\n\
                    -- pgview: index(total(desc, nulls_last), title(opclass=text_pattern_ops, collate=\"C\"), expression(\"a + b\", desc, nulls_first))\n\
                    SELECT 1";
        let Declared::Materialized(m) = parse("rc.sql", text).unwrap() else {
            panic!()
        };
        let expected = [
            Index::unique(["user_id"])
                .unwrap()
                .include(["name", "E mail"])
                .unwrap()
                .named("rc_pk")
                .unwrap(),
            Index::expression("lower(email)")
                .unwrap()
                .named("index_users_on_lower_email")
                .unwrap(),
            Index::new(["created_at"])
                .unwrap()
                .using("brin")
                .unwrap()
                .named("rc_created_at_idx")
                .unwrap(),
            Index::new(["name"])
                .unwrap()
                .where_sql("orders > 0")
                .unwrap()
                .named("Partial")
                .unwrap(),
            Index::on([
                IndexPart::column("total").unwrap().desc().nulls_last(),
                IndexPart::column("title")
                    .unwrap()
                    .opclass("text_pattern_ops")
                    .unwrap()
                    .collate("C")
                    .unwrap(),
                IndexPart::expression("a + b").unwrap().desc().nulls_first(),
            ])
            .unwrap()
            .named("rc_total_title_expr_idx")
            .unwrap(),
        ];
        assert_eq!(m.indexes(), expected);
    }

    #[test]
    fn index_list_errors_name_the_reason() {
        for (header, reason) in [
            ("index(name=a, name=b, x)", "`name` is given twice"),
            ("index(using=gin, using=gist, x)", "`using` is given twice"),
            ("index(name=a)", "names no column or expression"),
            ("index(x, colour=red)", "unknown key `colour=`"),
            ("index(x(sideways))", "unknown key part option `sideways`"),
            ("index(expression)", "needs its SQL text"),
            (
                "index(expression(\"a); DROP TABLE t; --\"))",
                "not one expression",
            ),
            ("index(x, where=\"a, b\")", "not one expression"),
            ("unique_index(x, using=gin)", "btree"),
            ("index(x", "not closed"),
        ] {
            let err = parse(
                "m.sql",
                &format!("-- pgview: materialized, {header}\nSELECT 1"),
            )
            .unwrap_err();
            assert!(err.contains(reason), "{header}: {err}");
        }
    }

    #[test]
    fn a_view_with_options() {
        let text = "-- pgview: security_barrier, check_option=cascaded, comment=\"active\"\n\
                    SELECT id FROM users WHERE active /* not '--' */ AND name <> '--x' AND $$--$$ <> ''";
        let Declared::View(v) = parse("active.sql", text).unwrap() else {
            panic!()
        };
        assert_eq!(v.check_option_value(), Some(CheckOption::Cascaded));
        assert_eq!(
            v.query_sql(),
            "SELECT id FROM users WHERE active   AND name <> '--x' AND $$--$$ <> ''"
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse(
            "v.sql",
            "-- pgview: materialized\n-- pgview: fast\nSELECT 1",
        )
        .unwrap_err();
        assert!(err.starts_with("v.sql:2: unknown option `fast`"), "{err}");
        let err = parse(
            "v.sql",
            "-- pgview: materialized, security_barrier\nSELECT 1",
        )
        .unwrap_err();
        assert!(err.contains("plain views"), "{err}");
        let err = parse("v.sql", "-- pgview: unique_index(id)\nSELECT 1").unwrap_err();
        assert!(err.contains("add `materialized`"), "{err}");
        let err = parse("v.sql", "-- pgview: check_option=sometimes\nSELECT 1").unwrap_err();
        assert!(err.contains("local"), "{err}");
        let err = parse("v.sql", "-- pgview: comment=\"open\nSELECT 1").unwrap_err();
        assert!(err.contains("not closed"), "{err}");
        let err = parse("v.sql", "SELECT 'open").unwrap_err();
        assert!(err.starts_with("v.sql: "), "{err}");
        let err = parse("v.sql", "-- pgview: comment=\"x\"\n").unwrap_err();
        assert!(err.contains("empty"), "{err}");
        let err = parse("v.sql", "SELECT $1").unwrap_err();
        assert!(err.contains("$1"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_the_header() {
        let text = "\u{feff}-- pgview: materialized, comment=\"c\"\nSELECT 1 AS id\n";
        let Declared::Materialized(m) = parse("m.sql", text).unwrap() else {
            panic!("the header was not read")
        };
        assert_eq!(m.comment_text(), Some("c"));
        assert_eq!(m.query_sql(), "SELECT 1 AS id");
    }

    #[test]
    fn dollar_quote_tags_follow_the_server() {
        // `$€$` is a dollar quote, as for the server: two columns, nothing stripped.
        let text = "SELECT $€$ -- $€$ AS a, $€$\n$€$ AS b\n";
        let Declared::View(v) = parse("v.sql", text).unwrap() else {
            panic!()
        };
        assert_eq!(v.query_sql(), "SELECT $€$ -- $€$ AS a, $€$\n$€$ AS b");
    }

    #[test]
    fn a_file_holds_one_query() {
        let err = parse(
            "v.sql",
            "-- pgview: materialized, unique_index(a)\nSELECT 1 AS a; DROP TABLE victim;\n",
        )
        .unwrap_err();
        assert!(err.starts_with("v.sql: the query of materialized view v holds more than one statement: `DROP TABLE victim;`"), "{err}");
        let err = parse("v.sql", "DELETE FROM t").unwrap_err();
        assert!(err.contains("not a query"), "{err}");
        let Declared::View(v) = parse("v.sql", "SELECT 1 AS a; -- the end\n").unwrap() else {
            panic!()
        };
        assert_eq!(v.query_sql(), "SELECT 1 AS a");
    }

    #[test]
    fn an_option_given_twice_is_refused() {
        let err = parse(
            "v.sql",
            "-- pgview: comment=\"a\"\n-- pgview: comment=\"b\"\nSELECT 1 AS id",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "v.sql:2: `comment` is given twice in the header; give it once"
        );
        let err = parse("v.sql", "-- pgview: comment=\"a\", comment=\"a\"\nSELECT 1").unwrap_err();
        assert!(
            err.starts_with("v.sql:1: `comment` is given twice"),
            "{err}"
        );
        for header in [
            "name=a, name=b",
            "columns(a), columns(b)",
            "check_option=local, check_option=local",
            "materialized, tablespace=a, tablespace=b",
            "column_comment(a)=\"x\", column_comment(a)=\"y\"",
        ] {
            let err = parse("v.sql", &format!("-- pgview: {header}\nSELECT 1 AS a")).unwrap_err();
            assert!(err.contains("is given twice"), "{header}: {err}");
        }
    }

    #[test]
    fn system_schemas_are_refused_with_the_reason() {
        let err = parse(
            "v.sql",
            "-- pgview: comment=\"x\"\n-- pgview: name=information_schema.x\nSELECT 1",
        )
        .unwrap_err();
        assert!(
            err.starts_with("v.sql:2: `name=` puts the view information_schema.x in `information_schema`, a system schema"),
            "{err}"
        );
        assert!(err.contains("user schemas only"), "{err}");
        let err = parse("pg_catalog.x.sql", "SELECT 1").unwrap_err();
        assert!(
            err.starts_with(
                "pg_catalog.x.sql: the file name puts the view pg_catalog.x in `pg_catalog`"
            ),
            "{err}"
        );
        let err = parse("x.sql", "-- pgview: name=pg_toast.x\nSELECT 1").unwrap_err();
        assert!(err.contains("system schema"), "{err}");
        // A quoted schema of another spelling is a user schema.
        assert!(parse(
            "x.sql",
            "-- pgview: name=\"Information_Schema\".x\nSELECT 1"
        )
        .is_ok());
    }
}
