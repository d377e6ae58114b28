//! What the code `#[derive(PgView)]` generates calls, beside the public API. Not public API.

use crate::ddl::{CommentOn, RefreshMaterializedView};
use crate::definition::Index;
use crate::error::{Error, RelationKind, Result};
use crate::ident::{Ident, QualifiedName};
use crate::sql_text::storable_text;

/// `error`, met building the definition of the derived view `name` whose columns are
/// `columns` (the struct's, in order), with what the derive knows added: a value of the query
/// that cannot be written as a literal gets the view's schema-qualified name and the column of
/// its select-list item. Other errors are returned as they are.
pub fn in_derived_view(mut error: Error, name: &QualifiedName, columns: &[&str]) -> Error {
    if let Error::UnsupportedLiteralType { value, .. } | Error::InvalidLiteral { value, .. } =
        &mut error
    {
        value.view = name.fullname();
        value.column = value
            .select_item
            .and_then(|item| columns.get(item.checked_sub(1)?))
            .map(|column| (*column).to_owned());
    }
    error
}

/// `REFRESH MATERIALIZED VIEW name` of a derived view whose declared indexes are `indexes`, so
/// that a concurrent refresh without a unique index that serves it is refused before anything
/// is sent, as from the definition. Indexes that cannot be built (`None`) leave it to the
/// server, which refuses with the same error (the definition reports theirs).
pub fn refresh_declared(name: QualifiedName, indexes: Option<&[Index]>) -> RefreshMaterializedView {
    let declared = indexes.map(|indexes| indexes.iter().any(Index::serves_concurrent_refresh));
    RefreshMaterializedView::declared(name, declared)
}

/// The `COMMENT ON` statements of a derived view `name` of `kind` whose attributes declare the
/// comment `comment` and the column comments `columns` (`(column, comment)`, in field order):
/// the statements its definition gives, checked as the definition checks them, without the
/// query.
///
/// # Errors
/// [`Error::InvalidDefinition`] for a comment holding a NUL byte.
pub fn comments_declared(
    name: &QualifiedName,
    kind: RelationKind,
    comment: Option<&str>,
    columns: &[(&str, &str)],
) -> Result<Vec<CommentOn>> {
    let owner = name.fullname();
    let comment = comment
        .map(|text| storable_text(text, "comment", &owner))
        .transpose()?;
    let columns = columns
        .iter()
        .map(|(column, text)| {
            Ok((
                Ident::new(column)?,
                storable_text(text, "column comment", &owner)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let columns = columns.iter().map(|(column, text)| (column, text.as_str()));
    Ok(CommentOn::for_parts(
        name,
        kind,
        comment.as_deref(),
        columns,
    ))
}
