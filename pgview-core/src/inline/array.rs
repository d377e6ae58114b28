//! Writing an array bind value (binary wire format) as `ARRAY[…]::type[]`.

use super::literal::{self, CustomTypes, Kind, Scalar};
use super::types::invalid;
use super::LiteralError;

/// The most dimensions a PostgreSQL array has (`MAXDIM`).
const MAX_DIMENSIONS: usize = 6;

/// Writes an array of `element` values (None = SQL NULL): `ARRAY[…]::int4[]`, nested `ARRAY[…]`
/// for each further dimension, `'{}'::int4[]` when empty.
pub(crate) fn write_array(
    out: &mut String,
    element: Scalar<'_>,
    value: Option<&[u8]>,
    custom: &dyn CustomTypes,
) -> Result<(), LiteralError> {
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
/// dimension (a single 0 for an array without dimensions).
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
    let mut dims = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let length = usize::try_from(reader.i32().ok_or_else(truncated)?)
            .map_err(|_| "negative dimension length")?;
        dims.push((length, reader.i32().ok_or_else(truncated)?));
    }
    let empty = dims.iter().any(|&(length, _)| length == 0);
    if let Some(&(_, lower_bound)) = dims.iter().find(|&&(_, lower_bound)| lower_bound != 1) {
        if !empty {
            let reason =
                format!("lower bound {lower_bound} instead of 1 cannot be written with ARRAY[]");
            return Err(reason);
        }
    }
    let mut lengths: Vec<usize> = dims.into_iter().map(|(length, _)| length).collect();
    if lengths.is_empty() {
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
) -> Result<(), LiteralError> {
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

#[cfg(test)]
mod tests {
    use diesel::sql_types::{Array, Integer, Nullable, Text};
    use proptest::prelude::*;

    use super::super::literal::tests::{invalid_type, lit, render, Label, Mood, MOOD};
    use super::super::types::{INT4, TEXT};
    use super::*;

    /// The binary form of an array of `element` values with dimensions (length, lower bound).
    fn array(element: u32, dims: &[(i32, i32)], values: &[Option<&[u8]>]) -> Vec<u8> {
        let ndim = i32::try_from(dims.len()).unwrap();
        let mut bytes = [ndim.to_be_bytes(), [0; 4], element.to_be_bytes()].concat();
        for (length, lower_bound) in dims {
            bytes.extend(length.to_be_bytes());
            bytes.extend(lower_bound.to_be_bytes());
        }
        for value in values {
            let length = value.map_or(-1, |v| i32::try_from(v.len()).unwrap());
            bytes.extend(length.to_be_bytes());
            bytes.extend(value.unwrap_or_default());
        }
        bytes
    }

    /// An `int4` array literal from its binary form.
    fn int4s(dims: &[(i32, i32)], values: &[Option<i32>]) -> Result<String, LiteralError> {
        let values: Vec<_> = values.iter().map(|v| v.map(i32::to_be_bytes)).collect();
        let values: Vec<_> = values.iter().map(|v| v.as_ref().map(|b| &b[..])).collect();
        render(1007, Some(&array(INT4, dims, &values)))
    }

    #[test]
    fn one_dimension() {
        let expected = "ARRAY['1'::int4, '-2'::int4]::int4[]";
        assert_eq!(lit::<Array<Integer>, _>(&[1, -2][..]), expected);
        let with_null = lit::<Array<Nullable<Integer>>, _>(&[Some(1), None][..]);
        assert_eq!(with_null, "ARRAY['1'::int4, NULL::int4]::int4[]");
        let texts = lit::<Array<Text>, _>(&["it's", "a\\b"][..]);
        assert_eq!(texts, "ARRAY['it''s'::text, E'a\\\\b'::text]::text[]");
    }

    #[test]
    fn empty_arrays() {
        assert_eq!(lit::<Array<Integer>, _>(&[] as &[i32]), "'{}'::int4[]");
        assert_eq!(int4s(&[], &[]).unwrap(), "'{}'::int4[]");
        assert_eq!(int4s(&[(0, 1), (3, 1)], &[]).unwrap(), "'{}'::int4[]");
        assert_eq!(int4s(&[(3, 0), (0, 5)], &[]).unwrap(), "'{}'::int4[]");
        assert_eq!(lit::<Array<Mood>, _>(&[] as &[Label]), "'{}'::\"mood\"[]");
        assert_eq!(
            render(1041, Some(&array(869, &[(0, 1)], &[]))).unwrap(),
            "'{}'::inet[]"
        );
    }

    #[test]
    fn several_dimensions() {
        let values = [Some(1), Some(2), Some(3), None, Some(5), Some(6)];
        let expected = "ARRAY[ARRAY['1'::int4, '2'::int4, '3'::int4], \
                        ARRAY[NULL::int4, '5'::int4, '6'::int4]]::int4[]";
        assert_eq!(int4s(&[(2, 1), (3, 1)], &values).unwrap(), expected);
        let cube = int4s(&[(1, 1), (2, 1), (1, 1)], &[Some(7), Some(8)]).unwrap();
        assert_eq!(
            cube,
            "ARRAY[ARRAY[ARRAY['7'::int4], ARRAY['8'::int4]]]::int4[]"
        );
    }

    #[test]
    fn enum_arrays() {
        let moods = [Some(Label("happy")), None];
        let expected = "ARRAY['happy'::\"mood\", NULL::\"mood\"]::\"mood\"[]";
        assert_eq!(lit::<Array<Nullable<Mood>>, _>(&moods[..]), expected);
    }

    #[test]
    fn arrays_that_cannot_be_written() {
        let one = Some(&[0, 0, 0, 1][..]);
        let mut trailing = array(INT4, &[(1, 1)], &[one]);
        trailing.push(0);
        let bad = [
            array(INT4, &[(1, 0)], &[one]),
            array(TEXT, &[(1, 1)], &[Some(b"x")]),
            array(MOOD, &[(1, 1)], &[Some(b"happy")]),
            array(INT4, &[(2, 1)], &[one]),
            array(INT4, &[(1, 1)], &[Some(&[0, 1])]),
            array(INT4, &[(-1, 1)], &[]),
            array(INT4, &[(1, 1); 7], &[one]),
            [(-1_i32).to_be_bytes(), [0; 4], INT4.to_be_bytes()].concat(),
            [1_i32.to_be_bytes(), 2_i32.to_be_bytes(), INT4.to_be_bytes()].concat(),
            [
                1_i32.to_be_bytes(),
                [0; 4],
                INT4.to_be_bytes(),
                1_i32.to_be_bytes(),
            ]
            .concat(),
            [&array(INT4, &[(1, 1)], &[])[..], &(-2_i32).to_be_bytes()].concat(),
            trailing,
            vec![0, 0],
        ];
        for bytes in bad {
            let type_name = invalid_type(render(1007, Some(&bytes)));
            assert!(type_name.starts_with("int4"), "{type_name}");
        }
        let inets = array(869, &[(1, 1)], &[Some(&[2, 32, 0, 4, 1, 2, 3, 4])]);
        let unsupported = render(1041, Some(&inets));
        assert!(
            matches!(unsupported, Err(LiteralError::Unsupported { type_name }) if type_name == "inet")
        );
    }

    /// Every OID pgview knows of, and a few it does not.
    fn any_oid() -> impl Strategy<Value = u32> {
        prop_oneof![0_u32..7000, 90_001_u32..90_006]
    }

    proptest! {
        #[test]
        fn no_panic_on_any_bytes(oid in any_oid(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = render(oid, Some(&bytes));
        }

        #[test]
        fn no_panic_on_any_array_elements(
            oid in prop_oneof![Just(1007_u32), Just(1231), Just(1009), Just(1186), Just(90_002)],
            element in any_oid(),
            dims in proptest::collection::vec((0_i32..4, 0_i32..3), 0..4),
            tail in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = array(element, &dims, &[]);
            bytes.extend(tail);
            let _ = render(oid, Some(&bytes));
        }
    }
}
