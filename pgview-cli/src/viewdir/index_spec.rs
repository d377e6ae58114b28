//! The `index(…)` and `unique_index(…)` options of a header: the key parts, in order, and
//! the index's other clauses.
//!
//! ```text
//! index(item, item, …)
//!   item: column                       a column (plain word or "quoted")
//!         column(desc, nulls_last, opclass=text_pattern_ops, collate="C")
//!         expression("lower(email)")   an expression, with the same options after it:
//!         expression("lower(email)", desc)
//!         name=ix_email                the index name (default <view>_<parts>_idx)
//!         using=gin                    the method (btree, hash, gist, gin, brin, spgist, …)
//!         include(a, b)                INCLUDE columns
//!         where="deleted_at IS NULL"   a partial index
//! ```
//! A column named `name`, `using` or `where` is written as itself (only `key=` makes those
//! keys); a column named `include` or `expression` is written quoted.

use pgview_core::{Index, IndexPart};

use super::Scanner;

/// An index as a header states it.
#[derive(Debug, Default)]
pub(super) struct IndexSpec {
    unique: bool,
    name: Option<String>,
    method: Option<String>,
    parts: Vec<PartSpec>,
    include: Vec<String>,
    predicate: Option<String>,
}

/// One key part and its options.
#[derive(Debug)]
struct PartSpec {
    column: Option<String>,
    expression: Option<String>,
    desc: bool,
    nulls: Option<bool>,
    opclass: Option<String>,
    collate: Option<String>,
}

impl IndexSpec {
    /// The index it states.
    pub(super) fn build(&self) -> pgview_core::Result<Index> {
        let parts = self
            .parts
            .iter()
            .map(PartSpec::build)
            .collect::<pgview_core::Result<Vec<_>>>()?;
        let mut index = if self.unique {
            Index::unique_on(parts)?
        } else {
            Index::on(parts)?
        };
        if let Some(name) = &self.name {
            index = index.named(name)?;
        }
        if let Some(method) = &self.method {
            index = index.using(method)?;
        }
        if !self.include.is_empty() {
            index = index.include(&self.include)?;
        }
        if let Some(predicate) = &self.predicate {
            index = index.where_sql(predicate)?;
        }
        Ok(index)
    }
}

impl PartSpec {
    fn new(column: Option<String>, expression: Option<String>) -> Self {
        Self {
            column,
            expression,
            desc: false,
            nulls: None,
            opclass: None,
            collate: None,
        }
    }

    fn build(&self) -> pgview_core::Result<IndexPart> {
        let mut part = match (&self.column, &self.expression) {
            (Some(column), _) => IndexPart::column(column)?,
            (None, expression) => IndexPart::expression(expression.as_deref().unwrap_or(""))?,
        };
        if let Some(collation) = &self.collate {
            part = part.collate(collation)?;
        }
        if let Some(opclass) = &self.opclass {
            part = part.opclass(opclass)?;
        }
        if self.desc {
            part = part.desc();
        }
        match self.nulls {
            Some(true) => part = part.nulls_first(),
            Some(false) => part = part.nulls_last(),
            None => {}
        }
        Ok(part)
    }
}

/// Reads `(item, …)` after `index` or `unique_index`.
pub(super) fn parse(key: &str, scanner: &mut Scanner<'_>) -> Result<IndexSpec, String> {
    let mut spec = IndexSpec {
        unique: key == "unique_index",
        ..IndexSpec::default()
    };
    scanner.skip_spaces();
    if !scanner.eat('(') {
        return Err(format!("`{key}` needs a list: {key}(column, …)"));
    }
    loop {
        scanner.skip_spaces();
        item(key, scanner, &mut spec)?;
        scanner.skip_spaces();
        if scanner.eat(')') {
            break;
        }
        if !scanner.eat(',') {
            return Err(format!("`{key}(…)` is not closed"));
        }
    }
    if spec.parts.is_empty() {
        return Err(format!(
            "`{key}(…)` names no column or expression: {key}(column, …)"
        ));
    }
    Ok(spec)
}

/// Sets `slot` to `value`, refusing a second one.
fn once(slot: &mut Option<String>, key: &str, item: &str, value: String) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!(
            "`{item}` is given twice in `{key}(…)`; give it once"
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// One item of the list.
fn item(key: &str, scanner: &mut Scanner<'_>, spec: &mut IndexSpec) -> Result<(), String> {
    if scanner.peek() == Some('"') {
        let column = scanner.quoted(true)?;
        return part(key, scanner, spec, Some(column), None);
    }
    let word = scanner
        .word()
        .ok_or_else(|| format!("unexpected {:?} in `{key}(…)`", scanner.rest()))?;
    scanner.skip_spaces();
    let keyed = scanner.peek() == Some('=');
    match word.as_str() {
        "name" if keyed => {
            scanner.eat('=');
            scanner.skip_spaces();
            let name = if scanner.peek() == Some('"') {
                scanner.quoted(true)?
            } else {
                scanner
                    .word()
                    .ok_or_else(|| format!("`name=` in `{key}(…)` needs the index name"))?
            };
            once(&mut spec.name, key, &word, name)
        }
        "using" if keyed => {
            let method = value(key, &word, scanner)?;
            once(&mut spec.method, key, &word, method)
        }
        "where" if keyed => {
            let predicate = value(key, &word, scanner)?;
            once(&mut spec.predicate, key, &word, predicate)
        }
        "include" => {
            if !spec.include.is_empty() {
                return Err(format!(
                    "`include` is given twice in `{key}(…)`; give it once"
                ));
            }
            spec.include = scanner.list("include")?;
            Ok(())
        }
        "expression" => {
            let expression = if keyed {
                value(key, &word, scanner)?
            } else {
                if !scanner.eat('(') {
                    return Err(format!(
                        "`expression` in `{key}(…)` needs its SQL text: expression(\"lower(email)\")"
                    ));
                }
                scanner.skip_spaces();
                if scanner.peek() != Some('"') {
                    return Err("`expression(…)` starts with its SQL text, double-quoted".into());
                }
                let text = scanner.quoted(false)?;
                return options_after(key, scanner, spec, None, Some(text));
            };
            part(key, scanner, spec, None, Some(expression))
        }
        _ if keyed => Err(format!(
            "unknown key `{word}=` in `{key}(…)`; expected `name=`, `using=` or `where=`"
        )),
        _ => part(key, scanner, spec, Some(word), None),
    }
}

/// `=value` (a word or a double-quoted string) of the item `item`.
fn value(key: &str, item: &str, scanner: &mut Scanner<'_>) -> Result<String, String> {
    scanner
        .value(item)
        .map_err(|_| format!("`{item}=` in `{key}(…)` needs a value"))
}

/// A key part, with its options in parentheses when they follow.
fn part(
    key: &str,
    scanner: &mut Scanner<'_>,
    spec: &mut IndexSpec,
    column: Option<String>,
    expression: Option<String>,
) -> Result<(), String> {
    scanner.skip_spaces();
    if scanner.eat('(') {
        return options_after(key, scanner, spec, column, expression);
    }
    spec.parts.push(PartSpec::new(column, expression));
    Ok(())
}

/// The options of a key part, after its `(` (or after the text of `expression("…"`), up to
/// the closing `)`.
fn options_after(
    key: &str,
    scanner: &mut Scanner<'_>,
    spec: &mut IndexSpec,
    column: Option<String>,
    expression: Option<String>,
) -> Result<(), String> {
    let mut part = PartSpec::new(column, expression);
    // After `expression("…"` each option follows a `,`; after `column(` the first does not.
    let mut first = part.expression.is_none();
    loop {
        scanner.skip_spaces();
        if scanner.eat(')') {
            break;
        }
        if !first && !scanner.eat(',') {
            return Err(format!("a key part's options in `{key}(…)` are not closed"));
        }
        first = false;
        scanner.skip_spaces();
        let option = scanner
            .word()
            .ok_or_else(|| format!("unexpected {:?} in `{key}(…)`", scanner.rest()))?;
        match option.as_str() {
            "asc" => part.desc = false,
            "desc" => part.desc = true,
            "nulls_first" => part.nulls = Some(true),
            "nulls_last" => part.nulls = Some(false),
            "opclass" => {
                let opclass = value(key, &option, scanner)?;
                once(&mut part.opclass, key, &option, opclass)?;
            }
            "collate" => {
                let collation = value(key, &option, scanner)?;
                once(&mut part.collate, key, &option, collation)?;
            }
            other => {
                return Err(format!(
                    "unknown key part option `{other}` in `{key}(…)`; expected one of `asc`, \
                     `desc`, `nulls_first`, `nulls_last`, `opclass=`, `collate=`"
                ))
            }
        }
    }
    spec.parts.push(part);
    Ok(())
}
