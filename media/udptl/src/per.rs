//! The few pieces of ASN.1 ALIGNED PER (ITU-T X.691) that UDPTL uses, octet-aligned.
//!
//! * Unconstrained length determinant (X.691 §11.9.3.6–8): `0xxxxxxx` for 0..=127,
//!   `10xxxxxx xxxxxxxx` for 128..=16383, `11xxxxxx` for fragments of 16K blocks. UDPTL
//!   datagrams are far below 16K, so the fragmented form is refused.
//! * Open type (X.691 §11.2): a length determinant, then that many octets.
//! * Unconstrained INTEGER (X.691 §12.2.6): a length determinant counting octets, then the
//!   minimal two's-complement octets.

use crate::error::DecodeError;

/// Largest length the non-fragmented determinant can say.
pub(crate) const MAX_LEN: usize = 16_383;

/// Reads a length determinant at `*pos`.
pub(crate) fn read_len(buf: &[u8], pos: &mut usize) -> Result<usize, DecodeError> {
    let b0 = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
    match b0 >> 6 {
        0 | 1 => {
            *pos += 1;
            Ok(usize::from(b0))
        }
        2 => {
            let b1 = *buf.get(*pos + 1).ok_or(DecodeError::Truncated)?;
            *pos += 2;
            Ok(usize::from(b0 & 0x3F) << 8 | usize::from(b1))
        }
        _ => Err(DecodeError::Fragmented(b0)),
    }
}

/// Reads a length determinant and that many octets (an open type or an unconstrained
/// OCTET STRING).
pub(crate) fn read_octets<'a>(buf: &'a [u8], pos: &mut usize) -> Result<&'a [u8], DecodeError> {
    let len = read_len(buf, pos)?;
    let end = pos.checked_add(len).ok_or(DecodeError::Truncated)?;
    let out = buf.get(*pos..end).ok_or(DecodeError::Truncated)?;
    *pos = end;
    Ok(out)
}

/// Octets a length determinant for `len` takes.
pub(crate) fn len_size(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        2
    }
}

/// Writes a length determinant; `len` must be at most [`MAX_LEN`] (callers check).
pub(crate) fn write_len(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len <= MAX_LEN);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x80 | (len >> 8) as u8 & 0x3F);
        out.push(len as u8);
    }
}

/// Writes a length determinant and the octets; `data.len()` at most [`MAX_LEN`].
pub(crate) fn write_octets(out: &mut Vec<u8>, data: &[u8]) {
    write_len(out, data.len());
    out.extend_from_slice(data);
}

/// Reads an unconstrained INTEGER that must be non-negative and fit in 32 bits.
pub(crate) fn read_uint(buf: &[u8], pos: &mut usize) -> Result<u32, DecodeError> {
    let octets = read_octets(buf, pos)?;
    match octets {
        [] => Err(DecodeError::BadFecNpackets),
        [first, ..] if first & 0x80 != 0 => Err(DecodeError::BadFecNpackets),
        // A leading zero octet is allowed (needed when the next octet's top bit is set).
        [0, rest @ ..] if rest.len() <= 4 => {
            Ok(rest.iter().fold(0u32, |v, b| v << 8 | u32::from(*b)))
        }
        _ if octets.len() <= 4 => Ok(octets.iter().fold(0u32, |v, b| v << 8 | u32::from(*b))),
        _ => Err(DecodeError::BadFecNpackets),
    }
}

/// Writes a non-negative unconstrained INTEGER in its minimal two's-complement form.
pub(crate) fn write_uint(out: &mut Vec<u8>, value: u32) {
    let bytes = value.to_be_bytes();
    // Keep one octet; drop leading zero octets whose successor has its top bit clear.
    let mut start = 0;
    while start < 3 && bytes[start] == 0 && bytes[start + 1] & 0x80 == 0 {
        start += 1;
    }
    // A value whose top bit is set needs a leading zero octet.
    if start == 0 && bytes[0] & 0x80 != 0 {
        out.push(5);
        out.push(0);
    } else {
        out.push((4 - start) as u8);
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_determinant_forms() {
        let mut out = Vec::new();
        write_len(&mut out, 0);
        write_len(&mut out, 127);
        write_len(&mut out, 128);
        write_len(&mut out, MAX_LEN);
        // X.691 §11.9.3.6/7: one octet below 128, `10` + 14 bits below 16K.
        assert_eq!(out, [0x00, 0x7F, 0x80, 0x80, 0xBF, 0xFF]);
        let mut pos = 0;
        let got: Vec<usize> = (0..4).map(|_| read_len(&out, &mut pos).unwrap()).collect();
        assert_eq!(got, [0, 127, 128, MAX_LEN]);
        assert_eq!(pos, out.len());
        assert_eq!(
            read_len(&[0xC1], &mut 0),
            Err(DecodeError::Fragmented(0xC1))
        );
        assert_eq!(read_len(&[0x81], &mut 0), Err(DecodeError::Truncated));
        assert_eq!(read_len(&[], &mut 0), Err(DecodeError::Truncated));
    }

    #[test]
    fn unconstrained_integers() {
        for (v, enc) in [
            (0u32, &[1u8, 0][..]),
            (3, &[1, 3]),
            (127, &[1, 0x7F]),
            (128, &[2, 0, 0x80]),
            (0x1234, &[2, 0x12, 0x34]),
            (0x80_0000, &[4, 0, 0x80, 0, 0]),
            (u32::MAX, &[5, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ] {
            let mut out = Vec::new();
            write_uint(&mut out, v);
            assert_eq!(out, enc, "{v}");
            assert_eq!(read_uint(&out, &mut 0), Ok(v));
        }
        assert_eq!(
            read_uint(&[1, 0xFF], &mut 0),
            Err(DecodeError::BadFecNpackets)
        );
        assert_eq!(read_uint(&[0], &mut 0), Err(DecodeError::BadFecNpackets));
        assert_eq!(
            read_uint(&[5, 1, 0, 0, 0, 0], &mut 0),
            Err(DecodeError::BadFecNpackets)
        );
    }
}
