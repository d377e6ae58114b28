//! Validated SQL identifiers and schema-qualified names.

use std::fmt;

use diesel::pg::Pg;
use diesel::query_builder::AstPass;
use diesel::QueryResult;

use crate::error::{Error, Result};

/// The longest identifier PostgreSQL keeps (`NAMEDATALEN - 1`); longer ones are truncated by the
/// server, so pgview refuses them.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// A SQL identifier (view, schema, column or index name) that PostgreSQL stores exactly as
/// given: non-empty, without NUL bytes, at most 63 bytes.
///
/// Any other character is allowed: quoting is done when the identifier is written into SQL
/// (`"x""y"`), so `Ident` never changes case or content.
///
/// # Examples
/// ```
/// use pgview_core::Ident;
/// assert_eq!(Ident::new("Order Stats").unwrap().as_str(), "Order Stats");
/// assert!(Ident::new("").is_err());
/// assert!(Ident::new(&"x".repeat(64)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ident(String);

impl Ident {
    /// Validates `name` as an identifier.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] when `name` is empty, contains a NUL byte or is longer than
    /// 63 bytes.
    pub fn new(name: &str) -> Result<Self> {
        let reason = if name.is_empty() {
            "it is empty"
        } else if name.contains('\0') {
            "it contains a NUL byte"
        } else if name.len() > MAX_IDENTIFIER_BYTES {
            "it is longer than 63 bytes (PostgreSQL would truncate it)"
        } else {
            return Ok(Self(name.to_owned()));
        };
        Err(Error::InvalidIdentifier {
            name: name.to_owned(),
            reason,
        })
    }

    /// The identifier as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Writes the identifier quoted into a Diesel query.
    pub(crate) fn walk_ast(&self, out: &mut AstPass<'_, '_, Pg>) -> QueryResult<()> {
        out.push_identifier(&self.0)
    }
}

impl TryFrom<&str> for Ident {
    type Error = Error;
    fn try_from(name: &str) -> Result<Self> {
        Self::new(name)
    }
}

impl fmt::Display for Ident {
    /// Writes the identifier quoted, as in SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.replace('"', "\"\""))
    }
}

/// A relation name with an optional schema.
///
/// # Examples
/// ```
/// use pgview_core::QualifiedName;
/// let name = QualifiedName::new(Some("reporting"), "user_stats").unwrap();
/// assert_eq!(name.fullname(), "reporting.user_stats");
/// assert_eq!(name.to_string(), "\"reporting\".\"user_stats\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedName {
    schema: Option<Ident>,
    name: Ident,
}

impl QualifiedName {
    /// Validates both parts.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] when either part is not a valid identifier.
    pub fn new(schema: Option<&str>, name: &str) -> Result<Self> {
        Ok(Self {
            schema: schema.map(Ident::new).transpose()?,
            name: Ident::new(name)?,
        })
    }

    /// Parses `name` or `schema.name`. A part may be double-quoted (`"my.schema"."a ""b"""`)
    /// to hold dots or quotes; unquoted parts are taken as written (no case folding).
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] when a part is not a valid identifier or the text has more
    /// than two parts.
    pub fn parse(text: &str) -> Result<Self> {
        let parts = split_name(text);
        match parts.as_slice() {
            [name] => Self::new(None, name),
            [schema, name] => Self::new(Some(schema), name),
            _ => Err(Error::InvalidIdentifier {
                name: text.to_owned(),
                reason: "a relation name is `name` or `schema.name`",
            }),
        }
    }

    /// The schema, when one was given.
    pub fn schema(&self) -> Option<&Ident> {
        self.schema.as_ref()
    }

    /// The relation name.
    pub fn name(&self) -> &Ident {
        &self.name
    }

    /// Sets the schema.
    pub(crate) fn set_schema(&mut self, schema: Option<Ident>) {
        self.schema = schema;
    }

    /// `schema.name`, or `name` without a schema, unquoted (as sqlalchemy-pgview's
    /// `fullname`).
    pub fn fullname(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", schema.as_str(), self.name.as_str()),
            None => self.name.as_str().to_owned(),
        }
    }

    /// Writes the quoted, qualified name into a Diesel query.
    pub(crate) fn walk_ast(&self, out: &mut AstPass<'_, '_, Pg>) -> QueryResult<()> {
        if let Some(schema) = &self.schema {
            schema.walk_ast(out)?;
            out.push_sql(".");
        }
        self.name.walk_ast(out)
    }
}

impl fmt::Display for QualifiedName {
    /// Writes the name quoted, as in SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}.")?;
        }
        write!(f, "{}", self.name)
    }
}

/// Splits `a.b` into its parts; double quotes protect dots and `""` is a quote.
fn split_name(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                part.push('"');
            }
            ('"', _) => quoted = !quoted,
            ('.', false) => parts.push(std::mem::take(&mut part)),
            (c, _) => part.push(c),
        }
    }
    parts.push(part);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_63_bytes_and_refuses_64() {
        assert!(Ident::new(&"a".repeat(63)).is_ok());
        assert!(Ident::new(&"a".repeat(64)).is_err());
        // 21 three-byte characters = 63 bytes; 22 = 66 bytes.
        assert!(Ident::new(&"€".repeat(21)).is_ok());
        assert!(Ident::new(&"€".repeat(22)).is_err());
    }

    #[test]
    fn refuses_empty_and_nul() {
        assert!(matches!(
            Ident::new(""),
            Err(Error::InvalidIdentifier { .. })
        ));
        assert!(matches!(
            Ident::new("a\0b"),
            Err(Error::InvalidIdentifier { .. })
        ));
    }

    #[test]
    fn parses_quoted_parts() {
        let name = QualifiedName::parse(r#""my.schema"."a ""b""""#).unwrap();
        assert_eq!(name.schema().unwrap().as_str(), "my.schema");
        assert_eq!(name.name().as_str(), "a \"b\"");
        assert_eq!(QualifiedName::parse("s.v").unwrap().fullname(), "s.v");
        assert!(QualifiedName::parse("a.b.c").is_err());
    }

    #[test]
    fn display_quotes() {
        let name = QualifiedName::new(Some("s\"x"), "a b").unwrap();
        assert_eq!(name.to_string(), "\"s\"\"x\".\"a b\"");
        assert_eq!(name.fullname(), "s\"x.a b");
    }
}
