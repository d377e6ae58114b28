//! Rules across attributes and fields, one check per rule; every error points at the token
//! that breaks the rule.

use proc_macro2::Span;
use syn::{Ident, LitStr};

use crate::ast::ViewModel;
use crate::attr::{Errors, PartKey, Setting};

/// Checks every rule, collecting all errors.
pub(crate) fn validate(model: &ViewModel<'_>, errors: &mut Errors) {
    required(model, errors);
    exclusive_query(model, errors);
    kind_specific(model, errors);
    identifiers(model, errors);
    columns_exist(model, errors);
    module_name(model, errors);
    temporary_without_schema(model, errors);
    check_option_value(model, errors);
    index_values(model, errors);
}

fn required(model: &ViewModel<'_>, errors: &mut Errors) {
    if model.attrs.name.is_none() {
        errors.push(syn::Error::new(
            model.ident.span(),
            "missing the view's name: add `#[pgview(name = \"view_name\")]`",
        ));
    }
    if model.attrs.query.is_none() && model.attrs.sql.is_none() {
        errors.push(syn::Error::new(
            model.ident.span(),
            "missing the view's query: add `#[pgview(query = path::to::query_fn)]` (a function returning a Diesel query) or `#[pgview(sql = \"SELECT …\")]`",
        ));
    }
}

fn exclusive_query(model: &ViewModel<'_>, errors: &mut Errors) {
    if let (Some(_), Some(sql)) = (&model.attrs.query, &model.attrs.sql) {
        errors.push(syn::Error::new(
            sql.key.span(),
            "`query` and `sql` exclude each other: define the view by a Diesel query or by SQL text, not both",
        ));
    }
}

fn kind_specific(model: &ViewModel<'_>, errors: &mut Errors) {
    let a = &model.attrs;
    if model.is_materialized() {
        let view_only = [
            a.check_option.as_ref().map(|s| &s.key),
            a.security_barrier.as_ref().map(|s| &s.key),
            a.security_invoker.as_ref().map(|s| &s.key),
            a.recursive.as_ref().map(|s| &s.key),
            a.temporary.as_ref().map(|s| &s.key),
        ];
        for key in view_only.into_iter().flatten() {
            errors.push(syn::Error::new(
                key.span(),
                format!("`{key}` is an option of plain views; a materialized view cannot have it"),
            ));
        }
    } else {
        let materialized_only = [
            a.with_data.as_ref().map(|s| &s.key),
            a.tablespace.as_ref().map(|s| &s.key),
            a.storage.as_ref().map(|s| &s.key),
        ];
        let indexes = a.indexes.iter().map(|i| &i.key);
        for key in materialized_only.into_iter().flatten().chain(indexes) {
            errors.push(syn::Error::new(
                key.span(),
                format!("`{key}` is an option of materialized views: add `materialized` to `#[pgview(...)]`, or remove `{key}`"),
            ));
        }
    }
}

/// The reason `name` cannot be a PostgreSQL identifier, if any.
fn identifier_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains('\0') {
        Some("it contains a NUL byte")
    } else if name.len() > 63 {
        Some("it is longer than 63 bytes, and PostgreSQL would truncate it")
    } else {
        None
    }
}

fn check_identifier(what: &str, name: &str, span: Span, errors: &mut Errors) {
    if let Some(reason) = identifier_problem(name) {
        errors.push(syn::Error::new(
            span,
            format!("invalid {what} {name:?}: {reason}"),
        ));
    }
}

fn check_lit(what: &str, setting: Option<&Setting<LitStr>>, errors: &mut Errors) {
    if let Some(s) = setting {
        check_identifier(what, &s.value.value(), s.value.span(), errors);
    }
}

fn identifiers(model: &ViewModel<'_>, errors: &mut Errors) {
    let a = &model.attrs;
    check_lit("view name", a.name.as_ref(), errors);
    check_lit("schema name", a.schema.as_ref(), errors);
    check_lit("tablespace name", a.tablespace.as_ref(), errors);
    for parameter in a.storage.iter().flat_map(|s| &s.value) {
        for part in parameter.name.split('.') {
            check_identifier("storage parameter", part, parameter.span, errors);
        }
    }
    for index in &a.indexes {
        if let Some(name) = &index.name {
            check_identifier("index name", &name.value(), name.span(), errors);
        }
        if let Some(using) = &index.using {
            check_identifier("index method", &using.value(), using.span(), errors);
        }
        for part in &index.parts {
            for (what, value) in [
                ("operator class", &part.opclass),
                ("collation", &part.collate),
            ] {
                if let Some(value) = value {
                    for name in value.value().split('.') {
                        check_identifier(what, name, value.span(), errors);
                    }
                }
            }
        }
    }
    for field in &model.fields {
        let span = field
            .attrs
            .column
            .as_ref()
            .map_or(field.ident.span(), |c| c.value.span());
        check_identifier("column name", &field.column, span, errors);
    }
    for (i, field) in model.fields.iter().enumerate() {
        if model.fields[..i].iter().any(|f| f.column == field.column) {
            errors.push(syn::Error::new(
                field.ident.span(),
                format!("the column {:?} is declared twice", field.column),
            ));
        }
    }
}

fn unknown_column(model: &ViewModel<'_>, column: &Ident, errors: &mut Errors) {
    if model.field(column).is_none() {
        let fields = model
            .fields
            .iter()
            .map(|f| format!("`{}`", f.ident))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(syn::Error::new(
            column.span(),
            format!("`{column}` is not a field of this struct; columns are named by their fields: {fields}"),
        ));
    }
}

fn columns_exist(model: &ViewModel<'_>, errors: &mut Errors) {
    for index in &model.attrs.indexes {
        if index.parts.is_empty() {
            errors.push(syn::Error::new(
                index.key.span(),
                format!(
                    "`{}` needs at least one column or expression: `{}(field, …)` or `{}(expression = \"…\")`",
                    index.key, index.key, index.key
                ),
            ));
        }
        for part in &index.parts {
            if let PartKey::Column(column) = &part.key {
                unknown_column(model, column, errors);
            }
        }
        for column in index.include.iter().flatten() {
            unknown_column(model, column, errors);
        }
    }
    if let Some(pk) = &model.attrs.primary_key {
        for column in &pk.value {
            unknown_column(model, column, errors);
        }
    }
}

fn module_name(model: &ViewModel<'_>, errors: &mut Errors) {
    if let (None, Some(name)) = (&model.attrs.module, &model.attrs.name) {
        if syn::parse_str::<Ident>(&name.value.value()).is_err() {
            errors.push(syn::Error::new(
                name.value.span(),
                "the view name is not a Rust identifier, so it cannot name the view's table module: add `module = some_name`",
            ));
        }
    }
}

fn temporary_without_schema(model: &ViewModel<'_>, errors: &mut Errors) {
    if let (Some(_), Some(schema)) = (&model.attrs.temporary, &model.attrs.schema) {
        errors.push(syn::Error::new(
            schema.key.span(),
            "a temporary view lives in the session's temporary schema: remove `schema`",
        ));
    }
}

fn check_option_value(model: &ViewModel<'_>, errors: &mut Errors) {
    if let Some(check) = &model.attrs.check_option {
        if !matches!(check.value.value().as_str(), "local" | "cascaded") {
            errors.push(syn::Error::new(
                check.value.span(),
                "`check_option` is \"local\" or \"cascaded\"",
            ));
        }
    }
}

/// An index's values that are wrong whatever the view: an empty expression or predicate, a
/// unique index with a built-in method that cannot be unique. (Whether the SQL text is one
/// expression is checked by `pgview` when the definition is built.)
fn index_values(model: &ViewModel<'_>, errors: &mut Errors) {
    for index in &model.attrs.indexes {
        let expressions = index.parts.iter().filter_map(|p| match &p.key {
            PartKey::Expression(sql) => Some(sql),
            PartKey::Column(_) => None,
        });
        for sql in expressions.chain(&index.predicate) {
            if sql.value().trim().is_empty() {
                errors.push(syn::Error::new(
                    sql.span(),
                    "this SQL text is empty: an index expression or `where` is one SQL expression, such as \"lower(email)\"",
                ));
            }
        }
        if let (true, Some(using)) = (index.unique, &index.using) {
            let method = using.value().to_ascii_lowercase();
            if matches!(method.as_str(), "hash" | "gist" | "gin" | "brin" | "spgist") {
                errors.push(syn::Error::new(
                    using.span(),
                    format!("a unique index cannot use `{method}`: of the built-in methods only \"btree\" supports unique indexes"),
                ));
            }
        }
    }
}
