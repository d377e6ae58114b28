//! Writing an array bind value (binary wire format) as `ARRAY[…]::type[]`.

use super::literal::{self, CustomTypes, Kind, Scalar};
use super::types::invalid;
use crate::error::Error;

/// The most dimensions a PostgreSQL array has (`MAXDIM`).
const MAX_DIMENSIONS: usize = 6;

/// Writes an array of `element` values (None = SQL NULL): `ARRAY[…]::int4[]`, nested `ARRAY[…]`
/// for each further dimension, `'{}'::int4[]` when empty.
pub(crate) fn write_array(
    out: &mut String,
    element: Scalar<'_>,
    value: Option<&[u8]>,
    custom: &dyn CustomTypes,
) -> Result<(), Error> {
    let type_name = format!("{}[]", element.display_name());
    let err = |reason: String| invalid(&type_name, reason);
    let Some(bytes) = value else {
        out.push_str("NULL");
        write_cast(out, element);
        return Ok(());
    };
    let mut reader = Reader(bytes);
    let lengths = read_header(&mut reader, element, custom).map_err(err)?;
    if lengths.contains(&0) {
        if !reader.0.is_empty() {
            return Err(err("bytes after an empty array".to_owned()));
        }
        out.push_str("'{}'");
        write_cast(out, element);
        return Ok(());
    }
    write_dimension(out, &lengths, &mut reader, element, &type_name)?;
    if !reader.0.is_empty() {
        return Err(err(format!(
            "{} bytes after the last element",
            reader.0.len()
        )));
    }
    write_cast(out, element);
    Ok(())
}

/// Reads the header of an array: checks it and its element type, returns the length of each
/// dimension (none for an empty array).
fn read_header(
    reader: &mut Reader<'_>,
    element: Scalar<'_>,
    custom: &dyn CustomTypes,
) -> Result<Vec<usize>, String> {
    let truncated = || "truncated array header".to_owned();
    let ndim = usize::try_from(reader.i32().ok_or_else(truncated)?)
        .map_err(|_| "negative dimension count")?;
    if ndim > MAX_DIMENSIONS {
        return Err(format!("{ndim} dimensions (at most {MAX_DIMENSIONS})"));
    }
    let flags = reader.i32().ok_or_else(truncated)?;
    if flags != 0 && flags != 1 {
        return Err(format!("invalid flags {flags}"));
    }
    let element_oid = reader.u32().ok_or_else(truncated)?;
    match literal::kind(element_oid, custom) {
        Ok(Kind::Scalar(found)) if found == element => {}
        _ => {
            return Err(format!(
                "its elements have the type oid {element_oid}, not {}",
                element.display_name()
            ))
        }
    }
    let mut lengths = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let length = usize::try_from(reader.i32().ok_or_else(truncated)?)
            .map_err(|_| "negative dimension length")?;
        let lower_bound = reader.i32().ok_or_else(truncated)?;
        if lower_bound != 1 && length != 0 {
            return Err(format!(
                "lower bound {lower_bound} instead of 1 cannot be written with ARRAY[]"
            ));
        }
        lengths.push(length);
    }
    if ndim == 0 {
        lengths.push(0);
    }
    Ok(lengths)
}

/// Writes `ARRAY[…]` for the first of `lengths`, whose elements are the arrays of the remaining
/// dimensions, or values for the last dimension.
fn write_dimension(
    out: &mut String,
    lengths: &[usize],
    reader: &mut Reader<'_>,
    element: Scalar<'_>,
    type_name: &str,
) -> Result<(), Error> {
    let Some((&length, inner)) = lengths.split_first() else {
        return Ok(());
    };
    out.push_str("ARRAY[");
    for i in 0..length {
        if i > 0 {
            out.push_str(", ");
        }
        if inner.is_empty() {
            let value = reader
                .element()
                .map_err(|reason| invalid(type_name, reason))?;
            literal::write_scalar(out, element, value)?;
        } else {
            write_dimension(out, inner, reader, element, type_name)?;
        }
    }
    out.push(']');
    Ok(())
}

/// Writes `::element[]`.
fn write_cast(out: &mut String, element: Scalar<'_>) {
    out.push_str("::");
    element.write_name(out);
    out.push_str("[]");
}

/// Reads big-endian fields from the front of a byte string.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    /// The next 4 bytes.
    fn four(&mut self) -> Option<[u8; 4]> {
        self.take(4).and_then(|bytes| bytes.try_into().ok())
    }

    /// The next `i32`.
    fn i32(&mut self) -> Option<i32> {
        self.four().map(i32::from_be_bytes)
    }

    /// The next `u32`.
    fn u32(&mut self) -> Option<u32> {
        self.four().map(u32::from_be_bytes)
    }

    /// The next element: its `i32` length (-1 for NULL) and its bytes.
    fn element(&mut self) -> Result<Option<&'a [u8]>, String> {
        let length = self.i32().ok_or("truncated element length")?;
        if length == -1 {
            return Ok(None);
        }
        let length =
            usize::try_from(length).map_err(|_| format!("invalid element length {length}"))?;
        self.take(length)
            .map(Some)
            .ok_or_else(|| "truncated element".to_owned())
    }
}
