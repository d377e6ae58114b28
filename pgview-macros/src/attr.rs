//! Parsing of `#[pgview(...)]` on the struct and on its fields. Every value keeps the span of
//! its key, so later errors point at the attribute that caused them.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Lit, LitBool, LitStr, Path, Type};

/// The struct-level keys, in the order the error message lists them.
pub(crate) const STRUCT_KEYS: &[&str] = &[
    "name",
    "schema",
    "query",
    "sql",
    "materialized",
    "module",
    "primary_key",
    "comment",
    "check_option",
    "security_barrier",
    "security_invoker",
    "recursive",
    "temporary",
    "with_data",
    "tablespace",
    "storage",
    "index",
    "unique_index",
    "crate",
];

/// The field-level keys.
pub(crate) const FIELD_KEYS: &[&str] = &["column", "sql_type", "comment"];

/// A value with the key that set it.
#[derive(Clone)]
pub(crate) struct Setting<T> {
    pub(crate) key: Ident,
    pub(crate) value: T,
}

/// An `index(...)` or `unique_index(...)`.
pub(crate) struct IndexAttr {
    pub(crate) key: Ident,
    pub(crate) unique: bool,
    /// The key parts, in order.
    pub(crate) parts: Vec<IndexPartAttr>,
    pub(crate) name: Option<LitStr>,
    /// `using = "gin"`.
    pub(crate) using: Option<LitStr>,
    /// `include(field, …)`.
    pub(crate) include: Option<Vec<Ident>>,
    /// `where = "…"`.
    pub(crate) predicate: Option<LitStr>,
}

impl IndexAttr {
    /// The fields of its plain column parts, when every part is one (what serves as Diesel's
    /// primary key).
    pub(crate) fn plain_columns(&self) -> Option<Vec<Ident>> {
        self.parts
            .iter()
            .map(|p| match &p.key {
                PartKey::Column(c) => Some(c.clone()),
                PartKey::Expression(_) => None,
            })
            .collect()
    }
}

/// What one key part indexes.
pub(crate) enum PartKey {
    /// A field (its column).
    Column(Ident),
    /// `expression = "…"` or `expression("…", …)`.
    Expression(LitStr),
}

/// One key part of an index and its options.
pub(crate) struct IndexPartAttr {
    pub(crate) key: PartKey,
    pub(crate) desc: bool,
    /// `Some(true)`: `nulls_first`; `Some(false)`: `nulls_last`.
    pub(crate) nulls: Option<bool>,
    pub(crate) opclass: Option<LitStr>,
    pub(crate) collate: Option<LitStr>,
}

/// The keys of `index(...)` besides fields.
pub(crate) const INDEX_KEYS: &[&str] = &["name", "using", "where", "include", "expression"];

/// The options of a key part: `field(desc, …)`.
pub(crate) const PART_KEYS: &[&str] = &[
    "asc",
    "desc",
    "nulls_first",
    "nulls_last",
    "opclass",
    "collate",
];

/// A storage parameter: its (possibly `toast::`-prefixed) name and its value as text.
pub(crate) struct StorageAttr {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) value: String,
}

/// Everything `#[pgview(...)]` on the struct can say.
#[derive(Default)]
pub(crate) struct StructAttrs {
    pub(crate) name: Option<Setting<LitStr>>,
    pub(crate) schema: Option<Setting<LitStr>>,
    pub(crate) query: Option<Setting<Path>>,
    pub(crate) sql: Option<Setting<LitStr>>,
    pub(crate) materialized: Option<Setting<()>>,
    pub(crate) module: Option<Setting<Ident>>,
    pub(crate) primary_key: Option<Setting<Vec<Ident>>>,
    pub(crate) comment: Option<Setting<LitStr>>,
    pub(crate) check_option: Option<Setting<LitStr>>,
    pub(crate) security_barrier: Option<Setting<()>>,
    pub(crate) security_invoker: Option<Setting<()>>,
    pub(crate) recursive: Option<Setting<()>>,
    pub(crate) temporary: Option<Setting<()>>,
    pub(crate) with_data: Option<Setting<LitBool>>,
    pub(crate) tablespace: Option<Setting<LitStr>>,
    pub(crate) storage: Option<Setting<Vec<StorageAttr>>>,
    pub(crate) indexes: Vec<IndexAttr>,
    pub(crate) krate: Option<Setting<Path>>,
}

/// Everything `#[pgview(...)]` on a field can say.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) column: Option<Setting<LitStr>>,
    pub(crate) sql_type: Option<Setting<Type>>,
    pub(crate) comment: Option<Setting<LitStr>>,
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Stores `value` in `slot`, or reports a duplicate at this (second) use.
fn set<T>(slot: &mut Option<Setting<T>>, key: &Ident, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(syn::Error::new(
            key.span(),
            format!("duplicate `pgview` attribute `{key}`"),
        ));
    } else {
        *slot = Some(Setting {
            key: key.clone(),
            value,
        });
    }
}

fn unknown(key: &Ident, valid: &[&str]) -> syn::Error {
    let list = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    syn::Error::new(
        key.span(),
        format!("unknown `pgview` attribute `{key}`, expected one of {list}"),
    )
}

fn key_of(meta: &ParseNestedMeta<'_>) -> syn::Result<Ident> {
    meta.path
        .get_ident()
        .cloned()
        .ok_or_else(|| meta.error("expected a `pgview` attribute name"))
}

/// Parses every `#[pgview(...)]` of the struct.
pub(crate) fn parse_struct(attrs: &[Attribute], errors: &mut Errors) -> StructAttrs {
    let mut out = StructAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("pgview")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta)?;
            parse_struct_key(&mut out, &key, &meta, errors)
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    out
}

fn parse_struct_key(
    out: &mut StructAttrs,
    key: &Ident,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<()> {
    match key.to_string().as_str() {
        "name" => set(&mut out.name, key, meta.value()?.parse()?, errors),
        "schema" => set(&mut out.schema, key, meta.value()?.parse()?, errors),
        "query" => set(&mut out.query, key, meta.value()?.parse()?, errors),
        "sql" => set(&mut out.sql, key, meta.value()?.parse()?, errors),
        "materialized" => set(&mut out.materialized, key, (), errors),
        "module" => set(&mut out.module, key, meta.value()?.parse()?, errors),
        "primary_key" => set(&mut out.primary_key, key, parse_idents(meta)?, errors),
        "comment" => set(&mut out.comment, key, meta.value()?.parse()?, errors),
        "check_option" => set(&mut out.check_option, key, meta.value()?.parse()?, errors),
        "security_barrier" => set(&mut out.security_barrier, key, (), errors),
        "security_invoker" => set(&mut out.security_invoker, key, (), errors),
        "recursive" => set(&mut out.recursive, key, (), errors),
        "temporary" => set(&mut out.temporary, key, (), errors),
        "with_data" => set(&mut out.with_data, key, meta.value()?.parse()?, errors),
        "tablespace" => set(&mut out.tablespace, key, meta.value()?.parse()?, errors),
        "storage" => set(&mut out.storage, key, parse_storage(meta)?, errors),
        "index" | "unique_index" => out.indexes.push(parse_index(key, meta, errors)?),
        "crate" => {
            let path: LitStr = meta.value()?.parse()?;
            set(&mut out.krate, key, path.parse()?, errors);
        }
        _ => return Err(unknown(key, STRUCT_KEYS)),
    }
    Ok(())
}

/// `(a, b, c)`.
fn parse_idents(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Ident>> {
    let mut idents = Vec::new();
    meta.parse_nested_meta(|inner| {
        idents.push(key_of(&inner)?);
        Ok(())
    })?;
    Ok(idents)
}

/// `(a, b(desc), expression = "lower(c)", name = "idx", using = "gin", include(d),
/// where = "…")`: the key parts in order, the other keys anywhere.
fn parse_index(
    key: &Ident,
    meta: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<IndexAttr> {
    let mut index = IndexAttr {
        key: key.clone(),
        unique: key == "unique_index",
        parts: Vec::new(),
        name: None,
        using: None,
        include: None,
        predicate: None,
    };
    meta.parse_nested_meta(|inner| {
        let item = key_of(&inner)?;
        let keyed = inner.input.peek(syn::Token![=]);
        match item.to_string().as_str() {
            "name" if keyed => once(&mut index.name, &item, inner.value()?.parse()?, errors),
            "using" if keyed => once(&mut index.using, &item, inner.value()?.parse()?, errors),
            "where" if keyed => {
                once(&mut index.predicate, &item, inner.value()?.parse()?, errors);
            }
            "include" => once(&mut index.include, &item, parse_idents(&inner)?, errors),
            "expression" if keyed => {
                index
                    .parts
                    .push(part(PartKey::Expression(inner.value()?.parse()?)));
            }
            "expression" => index.parts.push(parse_expression(&inner, errors)?),
            _ if keyed => return Err(unknown_in(&item, "index key", INDEX_KEYS, "a field")),
            _ if inner.input.peek(syn::token::Paren) => {
                let mut column = part(PartKey::Column(item));
                inner.parse_nested_meta(|option| part_option(&mut column, &option, errors))?;
                index.parts.push(column);
            }
            _ => index.parts.push(part(PartKey::Column(item))),
        }
        Ok(())
    })?;
    Ok(index)
}

fn part(key: PartKey) -> IndexPartAttr {
    IndexPartAttr {
        key,
        desc: false,
        nulls: None,
        opclass: None,
        collate: None,
    }
}

/// `expression("lower(c)", desc, opclass = "…")`.
fn parse_expression(
    inner: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<IndexPartAttr> {
    let content;
    syn::parenthesized!(content in inner.input);
    let mut expression = part(PartKey::Expression(content.parse()?));
    while !content.is_empty() {
        content.parse::<syn::Token![,]>()?;
        if content.is_empty() {
            break;
        }
        let option: syn::Meta = content.parse()?;
        let span = option.span();
        let (name, value) = match &option {
            syn::Meta::Path(path) => (path.get_ident().cloned(), None),
            syn::Meta::NameValue(nv) => (nv.path.get_ident().cloned(), Some(&nv.value)),
            syn::Meta::List(_) => (None, None),
        };
        let name = name.ok_or_else(|| syn::Error::new(span, "expected a key part option"))?;
        let value = match value {
            Some(syn::Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            })) => Some(s.clone()),
            Some(other) => return Err(syn::Error::new(other.span(), "expected a string")),
            None => None,
        };
        set_part_option(&mut expression, &name, value, errors)?;
    }
    Ok(expression)
}

/// One option of a column part: `desc`, `opclass = "…"`, …
fn part_option(
    part: &mut IndexPartAttr,
    option: &ParseNestedMeta<'_>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let name = key_of(option)?;
    let value = if option.input.peek(syn::Token![=]) {
        Some(option.value()?.parse()?)
    } else {
        None
    };
    set_part_option(part, &name, value, errors)
}

fn set_part_option(
    part: &mut IndexPartAttr,
    name: &Ident,
    value: Option<LitStr>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let needs_value = |value: Option<LitStr>| {
        value.ok_or_else(|| {
            syn::Error::new(
                name.span(),
                format!("`{name}` needs a value: {name} = \"…\""),
            )
        })
    };
    match name.to_string().as_str() {
        "asc" => part.desc = false,
        "desc" => part.desc = true,
        "nulls_first" => part.nulls = Some(true),
        "nulls_last" => part.nulls = Some(false),
        "opclass" => once(&mut part.opclass, name, needs_value(value)?, errors),
        "collate" => once(&mut part.collate, name, needs_value(value)?, errors),
        _ => return Err(unknown_in(name, "key part option", PART_KEYS, "")),
    }
    Ok(())
}

/// Stores `value` in `slot` (a key of an index list), or reports a duplicate at this use.
fn once<T>(slot: &mut Option<T>, key: &Ident, value: T, errors: &mut Errors) {
    if slot.is_some() {
        errors.push(syn::Error::new(
            key.span(),
            format!("duplicate `{key}` in this index; give it once"),
        ));
    } else {
        *slot = Some(value);
    }
}

/// An unknown key inside an index list or a key part's options.
fn unknown_in(key: &Ident, place: &str, valid: &[&str], also: &str) -> syn::Error {
    let list = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let also = if also.is_empty() {
        String::new()
    } else {
        format!(" or {also}")
    };
    syn::Error::new(
        key.span(),
        format!("unknown {place} `{key}`, expected one of {list}{also}"),
    )
}

/// `(fillfactor = 70, toast::autovacuum_enabled = false)`.
fn parse_storage(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<StorageAttr>> {
    let mut parameters = Vec::new();
    meta.parse_nested_meta(|inner| {
        let name = inner
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join(".");
        let lit: Lit = inner.value()?.parse()?;
        let value = match &lit {
            Lit::Str(s) => s.value(),
            Lit::Int(i) => i.base10_digits().to_owned(),
            Lit::Float(f) => f.base10_digits().to_owned(),
            Lit::Bool(b) => b.value.to_string(),
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "a storage parameter value is a string, number or boolean",
                ))
            }
        };
        parameters.push(StorageAttr {
            name,
            span: inner.path.span(),
            value,
        });
        Ok(())
    })?;
    Ok(parameters)
}

/// Parses every `#[pgview(...)]` of a field.
pub(crate) fn parse_field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("pgview")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta)?;
            match key.to_string().as_str() {
                "column" => set(&mut out.column, &key, meta.value()?.parse()?, errors),
                "sql_type" => set(&mut out.sql_type, &key, meta.value()?.parse()?, errors),
                "comment" => set(&mut out.comment, &key, meta.value()?.parse()?, errors),
                _ => return Err(unknown(&key, FIELD_KEYS)),
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    out
}
