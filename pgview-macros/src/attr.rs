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
    pub(crate) columns: Vec<Ident>,
    pub(crate) name: Option<LitStr>,
}

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
        "index" | "unique_index" => out.indexes.push(parse_index(key, meta)?),
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

/// `(a, b, name = "idx")`.
fn parse_index(key: &Ident, meta: &ParseNestedMeta<'_>) -> syn::Result<IndexAttr> {
    let mut index = IndexAttr {
        key: key.clone(),
        unique: key == "unique_index",
        columns: Vec::new(),
        name: None,
    };
    meta.parse_nested_meta(|inner| {
        let column = key_of(&inner)?;
        if column == "name" && inner.input.peek(syn::Token![=]) {
            index.name = Some(inner.value()?.parse()?);
        } else {
            index.columns.push(column);
        }
        Ok(())
    })?;
    Ok(index)
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
