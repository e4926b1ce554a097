//! Structural check (and a writer) of T.38 IFP packets (T.38 Annex A, X.691 ALIGNED PER).
//!
//! ```text
//! IFPPacket ::= SEQUENCE { type-of-msg Type-of-msg, data-field Data-Field OPTIONAL }
//! Type-of-msg ::= CHOICE { t30-indicator ENUMERATED { 16 root values, ..., 7 additions },
//!                          t30-data      ENUMERATED {  9 root values, ..., 6 additions } }
//! Data-Field ::= SEQUENCE OF SEQUENCE {
//!     field-type ENUMERATED { 8 root values, ..., 4 additions },   -- T.38 (1998): no "..."
//!     field-data OCTET STRING (SIZE (1..65535)) OPTIONAL }
//! ```
//!
//! Bit by bit (first octet, most significant bit first):
//!
//! ```text
//! D C E v v v v p       D: data-field present   C: choice (0 indicator, 1 data)
//!                       E: enumeration extension bit; E=0: 4-bit root index (vvvv), then padding
//! D C 1 0 x x x x  x x  E=1: "normally small" number (X.691 §10.6): 0 + 6-bit addition index
//! ```
//!
//! If D is set, the data field follows, octet-aligned: a length determinant counting the
//! fields, then each field: 1 bit (field-data present), the field type — 3 bits in T.38
//! version 0 (the 1998 ASN.1 had no extension marker there: the "pre-corrigendum" encoding),
//! or an extension bit + 3 bits (or + 0 + 6-bit addition index) in version 1 and later — and,
//! if present, the field data: octet-aligned 16-bit `length - 1` (a constrained whole number
//! of range 65535, X.691 §11.5.7.3) and the octets. A field without data is *not* padded:
//! the next field starts at the next bit (so two data-less version-0 fields share an octet).
//! The last octet is padded with zero bits.
//!
//! Settled against the Annex A ASN.1 (both modules, as Wireshark ships them:
//! `asn1/t38/T38_1998.asn`, `T38_2002.asn`), X.691, and spandsp's `t38_core.c` decoder, with
//! tshark as an independent decoder in the tests. Two divergences from spandsp, where tshark
//! sides with X.691: spandsp starts every version-1+ field on a new octet even after a
//! data-less field (it only ever sends data-less fields last, where both readings agree),
//! and it writes a field-type extension addition (cm/jm/ci-message, v34rate) one bit to the
//! right of the normally-small number's place (jm-message as `C0 40`, which tshark reads as
//! cm-message; here `C0 80`).

use crate::error::IfpError;

/// Root `t30-indicator` values (16), then the version 1+ additions (7).
const INDICATORS: [&str; 23] = [
    "no-signal",
    "cng",
    "ced",
    "v21-preamble",
    "v27-2400-training",
    "v27-4800-training",
    "v29-7200-training",
    "v29-9600-training",
    "v17-7200-short-training",
    "v17-7200-long-training",
    "v17-9600-short-training",
    "v17-9600-long-training",
    "v17-12000-short-training",
    "v17-12000-long-training",
    "v17-14400-short-training",
    "v17-14400-long-training",
    "v8-ansam",
    "v8-signal",
    "v34-cntl-channel-1200",
    "v34-pri-channel",
    "v34-CC-retrain",
    "v33-12000-training",
    "v33-14400-training",
];
const INDICATOR_ROOT: u8 = 16;

/// Root `t30-data` values (9), then the version 1+ additions (6).
const DATA: [&str; 15] = [
    "v21",
    "v27-2400",
    "v27-4800",
    "v29-7200",
    "v29-9600",
    "v17-7200",
    "v17-9600",
    "v17-12000",
    "v17-14400",
    "v8",
    "v34-pri-rate",
    "v34-CC-1200",
    "v34-pri-ch",
    "v33-12000",
    "v33-14400",
];
const DATA_ROOT: u8 = 9;

/// Root `field-type` values (8), then the version 1+ additions (4).
const FIELD_TYPES: [&str; 12] = [
    "hdlc-data",
    "hdlc-sig-end",
    "hdlc-fcs-OK",
    "hdlc-fcs-BAD",
    "hdlc-fcs-OK-sig-end",
    "hdlc-fcs-BAD-sig-end",
    "t4-non-ecm-data",
    "t4-non-ecm-sig-end",
    "cm-message",
    "jm-message",
    "ci-message",
    "v34rate",
];
const FIELD_ROOT: u8 = 8;

/// The `type-of-msg` of an IFP packet, numbered as in the ASN.1 (root values first, then
/// extension additions: `Indicator(16)` is v8-ansam, `Data(9)` is v8), as spandsp numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MsgType {
    /// `t30-indicator`: 0 no-signal, 1 CNG, 2 CED, 3 V.21 preamble, ... 22 v33-14400-training.
    Indicator(u8),
    /// `t30-data`: 0 V.21, 1 V.27ter 2400, ... 8 V.17 14400, ... 14 V.33 14400.
    Data(u8),
}

impl MsgType {
    /// The ASN.1 name of the value (`"ced"`, `"v17-14400"`), or `"unknown"`.
    pub fn name(&self) -> &'static str {
        let name = match *self {
            MsgType::Indicator(v) => INDICATORS.get(usize::from(v)),
            MsgType::Data(v) => DATA.get(usize::from(v)),
        };
        name.copied().unwrap_or("unknown")
    }
}

/// The ASN.1 name of a `field-type` value (`"hdlc-fcs-OK"`), or `None` if out of range.
pub fn field_type_name(field_type: u8) -> Option<&'static str> {
    FIELD_TYPES.get(usize::from(field_type)).copied()
}

/// What [`check_ifp`] found in a well-formed IFP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfpInfo {
    /// The message type.
    pub msg: MsgType,
    /// The data fields in order: (`field-type`, length of `field-data`, 0 if absent).
    pub fields: Vec<(u8, usize)>,
}

/// Reads bits most significant first.
struct Bits<'a> {
    buf: &'a [u8],
    bit: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Result<u32, IfpError> {
        if self.bit + n > self.buf.len() * 8 {
            return Err(IfpError::Truncated);
        }
        let mut v = 0u32;
        for _ in 0..n {
            let b = self.buf[self.bit / 8] >> (7 - self.bit % 8) & 1;
            v = v << 1 | u32::from(b);
            self.bit += 1;
        }
        Ok(v)
    }

    fn align(&mut self) {
        self.bit = self.bit.div_ceil(8) * 8;
    }

    fn skip_octets(&mut self, n: usize) -> Result<(), IfpError> {
        let end = self.bit + n * 8;
        if end > self.buf.len() * 8 {
            return Err(IfpError::Truncated);
        }
        self.bit = end;
        Ok(())
    }

    /// An extensible ENUMERATED (X.691 §14): extension bit, then the root index in
    /// `root_bits`, or a normally-small addition index (X.691 §10.6). Returns the index
    /// numbered root first, and whether it is an addition.
    fn enumerated(&mut self, root_bits: usize, root: u8) -> Result<(u8, bool), IfpError> {
        if self.read(1)? == 0 {
            Ok((self.read(root_bits)? as u8, false))
        } else if self.read(1)? == 0 {
            Ok((root + self.read(6)? as u8, true))
        } else {
            // An addition index of 64 or more: no T.38 version has that many.
            Err(IfpError::ExtensionOutOfRange)
        }
    }
}

/// Checks that `ifp` is exactly one well-formed IFP packet of T.38 version `version`
/// (0 = the 1998 ASN.1; 1 and later = the corrected ASN.1 with the extension additions).
///
/// Refuses truncation, trailing octets, a fragmented field count, enumeration values unknown
/// to the version (version 0 knows no extension additions), and an indicator with a data
/// field. Padding bits are not checked. Never allocates more than one entry per field
/// actually present.
pub fn check_ifp(ifp: &[u8], version: u8) -> Result<IfpInfo, IfpError> {
    let (info, len) = read_ifp(ifp, version)?;
    if len != ifp.len() {
        return Err(IfpError::TrailingBytes(ifp.len() - len));
    }
    Ok(info)
}

/// Reads one IFP from the start of `buf`; returns it and the octets it takes.
pub(crate) fn read_ifp(buf: &[u8], version: u8) -> Result<(IfpInfo, usize), IfpError> {
    let mut r = Bits { buf, bit: 0 };
    let has_data = r.read(1)? == 1;
    let msg = if r.read(1)? == 0 {
        let (v, ext) = r.enumerated(4, INDICATOR_ROOT)?;
        if (ext && version == 0) || usize::from(v) >= INDICATORS.len() {
            return Err(IfpError::UnknownIndicator(v));
        }
        MsgType::Indicator(v)
    } else {
        let (v, ext) = r.enumerated(4, DATA_ROOT)?;
        if (ext && version == 0) || (!ext && v >= DATA_ROOT) || usize::from(v) >= DATA.len() {
            return Err(IfpError::UnknownData(v));
        }
        MsgType::Data(v)
    };
    let mut fields = Vec::new();
    if has_data {
        if matches!(msg, MsgType::Indicator(_)) {
            return Err(IfpError::IndicatorWithData);
        }
        r.align();
        let count = match r.read(8)? {
            b if b & 0x80 == 0 => b as usize,
            b if b & 0xC0 == 0x80 => ((b as usize & 0x3F) << 8) | r.read(8)? as usize,
            _ => return Err(IfpError::Fragmented),
        };
        for _ in 0..count {
            let present = r.read(1)? == 1;
            let field_type = if version == 0 {
                r.read(3)? as u8
            } else {
                let (v, _) = r.enumerated(3, FIELD_ROOT)?;
                if usize::from(v) >= FIELD_TYPES.len() {
                    return Err(IfpError::UnknownFieldType(v));
                }
                v
            };
            let len = if present {
                r.align();
                let len = r.read(16)? as usize + 1;
                r.skip_octets(len)?;
                len
            } else {
                0
            };
            fields.push((field_type, len));
        }
    }
    Ok((IfpInfo { msg, fields }, r.bit.div_ceil(8)))
}

/// Writes bits most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    bit: usize,
}

impl BitWriter {
    fn write(&mut self, n: usize, value: u32) {
        for i in (0..n).rev() {
            if self.bit.is_multiple_of(8) {
                self.out.push(0);
            }
            if value >> i & 1 == 1 {
                let last = self.out.len() - 1;
                self.out[last] |= 0x80 >> (self.bit % 8);
            }
            self.bit += 1;
        }
    }

    fn align(&mut self) {
        self.bit = self.bit.div_ceil(8) * 8;
    }

    fn octets(&mut self, data: &[u8]) {
        self.align();
        self.out.extend_from_slice(data);
        self.bit += data.len() * 8;
    }

    fn enumerated(&mut self, root_bits: usize, root: u8, v: u8) {
        if v < root {
            self.write(1, 0);
            self.write(root_bits, u32::from(v));
        } else {
            self.write(2, 0b10);
            self.write(6, u32::from(v - root));
        }
    }
}

/// Encodes an IFP packet of T.38 version `version`: `fields` are (`field-type`, data), data
/// empty for a field without `field-data`. A data message with no fields is written without
/// a data field. Refuses what [`check_ifp`] would refuse (and data over 65535 octets, or more
/// than 16383 fields, as [`IfpError::Fragmented`]).
pub fn encode_ifp(msg: MsgType, fields: &[(u8, &[u8])], version: u8) -> Result<Vec<u8>, IfpError> {
    let mut w = BitWriter::default();
    let has_data = !fields.is_empty();
    w.write(1, u32::from(has_data));
    match msg {
        MsgType::Indicator(v) => {
            if (version == 0 && v >= INDICATOR_ROOT) || usize::from(v) >= INDICATORS.len() {
                return Err(IfpError::UnknownIndicator(v));
            }
            if has_data {
                return Err(IfpError::IndicatorWithData);
            }
            w.write(1, 0);
            w.enumerated(4, INDICATOR_ROOT, v);
        }
        MsgType::Data(v) => {
            if (version == 0 && v >= DATA_ROOT) || usize::from(v) >= DATA.len() {
                return Err(IfpError::UnknownData(v));
            }
            w.write(1, 1);
            w.enumerated(4, DATA_ROOT, v);
        }
    }
    if has_data {
        if fields.len() > crate::per::MAX_LEN {
            return Err(IfpError::Fragmented);
        }
        w.align();
        let mut count = Vec::new();
        crate::per::write_len(&mut count, fields.len());
        w.octets(&count);
        for (field_type, data) in fields {
            let limit = if version == 0 {
                FIELD_ROOT
            } else {
                FIELD_TYPES.len() as u8
            };
            if *field_type >= limit {
                return Err(IfpError::UnknownFieldType(*field_type));
            }
            if data.len() > 65_535 {
                return Err(IfpError::Fragmented);
            }
            w.write(1, u32::from(!data.is_empty()));
            if version == 0 {
                w.write(3, u32::from(*field_type));
            } else {
                w.enumerated(3, FIELD_ROOT, *field_type);
            }
            if !data.is_empty() {
                w.octets(&((data.len() - 1) as u16).to_be_bytes());
                w.octets(data);
            }
        }
    }
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_by_hand() {
        // no-signal: D=0 C=0 E=0 0000 pad -> 0x00; CED (2): 0 0 0 0010 0 -> 0x04;
        // v17-14400-long-training (15): 0 0 0 1111 0 -> 0x1E.
        for (bytes, v) in [([0x00u8], 0u8), ([0x04], 2), ([0x1E], 15)] {
            for version in [0, 2, 3] {
                let info = check_ifp(&bytes, version).unwrap();
                assert_eq!(info.msg, MsgType::Indicator(v));
                assert!(info.fields.is_empty());
                assert_eq!(encode_ifp(info.msg, &[], version).unwrap(), bytes);
            }
        }
        // v8-ansam (addition 0): 0 0 1 | 0 000000 | pad -> 0010 0000 0000 0000 = 20 00;
        // v33-14400-training (addition 6): 0 0 1 0 0001 | 10 pad -> 21 80.
        assert_eq!(
            check_ifp(&[0x20, 0x00], 2).unwrap().msg,
            MsgType::Indicator(16)
        );
        assert_eq!(
            check_ifp(&[0x21, 0x80], 3).unwrap().msg,
            MsgType::Indicator(22)
        );
        assert_eq!(MsgType::Indicator(22).name(), "v33-14400-training");
        assert_eq!(
            encode_ifp(MsgType::Indicator(22), &[], 2).unwrap(),
            [0x21, 0x80]
        );
        // Version 0 knows no additions; addition 7 is unknown everywhere.
        assert_eq!(
            check_ifp(&[0x20, 0x00], 0),
            Err(IfpError::UnknownIndicator(16))
        );
        assert_eq!(
            check_ifp(&[0x21, 0xC0], 2),
            Err(IfpError::UnknownIndicator(23))
        );
        assert_eq!(
            check_ifp(&[0x30, 0x00], 2),
            Err(IfpError::ExtensionOutOfRange)
        );
        assert_eq!(check_ifp(&[0x20], 2), Err(IfpError::Truncated));
        assert_eq!(check_ifp(&[0x04, 0x00], 2), Err(IfpError::TrailingBytes(1)));
        assert_eq!(check_ifp(&[], 2), Err(IfpError::Truncated));
        // D=1 on an indicator.
        assert_eq!(
            check_ifp(&[0x84, 0x00], 2),
            Err(IfpError::IndicatorWithData)
        );
    }

    #[test]
    fn data_version_2_by_hand() {
        // t30-data v17-14400 (8) with hdlc-data "AB CD" then hdlc-fcs-OK-sig-end (no data):
        // D=1 C=1 E=0 1000 pad        -> 1101 0000 = D0
        // count 2                      -> 02
        // field 1: P=1 E=0 000, align  -> 1000 0000 = 80; length-1 = 1 -> 00 01; AB CD
        // field 2: P=0 E=0 100, pad    -> 0010 0000 = 20 (hdlc-fcs-OK-sig-end = 4)
        let bytes = [0xD0, 0x02, 0x80, 0x00, 0x01, 0xAB, 0xCD, 0x20];
        let info = check_ifp(&bytes, 2).unwrap();
        assert_eq!(info.msg, MsgType::Data(8));
        assert_eq!(info.fields, [(0, 2), (4, 0)]);
        let enc = encode_ifp(MsgType::Data(8), &[(0, &[0xAB, 0xCD]), (4, &[])], 2).unwrap();
        assert_eq!(enc, bytes);
        // Read as version 0 (3-bit field types), field 2 becomes hdlc-fcs-OK (010).
        assert_ne!(check_ifp(&bytes, 0).ok(), Some(info));

        // v34rate (addition 3) with data "3": P=1 E=1, normally-small 0 + 000011, align
        // -> 1100 0001 1000 0000 = C1 80; length-1 = 0 -> 00 00; 33. (spandsp writes this
        // addition one bit further right, C0 C0; tshark agrees with the X.691 reading here.)
        // Message t30-data v8 (addition 0): D=1 C=1 E=1 0 000000 pad -> E0 00; count 01.
        let bytes = [0xE0, 0x00, 0x01, 0xC1, 0x80, 0x00, 0x00, 0x33];
        let info = check_ifp(&bytes, 3).unwrap();
        assert_eq!(info.msg, MsgType::Data(9));
        assert_eq!(info.fields, [(11, 1)]);
        assert_eq!(
            encode_ifp(MsgType::Data(9), &[(11, b"3")], 3).unwrap(),
            bytes
        );
        assert_eq!(check_ifp(&bytes, 0), Err(IfpError::UnknownData(9)));
        assert_eq!(field_type_name(11), Some("v34rate"));
    }

    #[test]
    fn data_version_0_by_hand() {
        // t30-data v21 (0), fields hdlc-fcs-OK (2, no data), hdlc-data "7E" (0),
        // hdlc-sig-end (1, no data), in the 1998 encoding (3-bit field type):
        // D=1 C=1 E=0 0000 pad -> C0; count 3 -> 03
        // field 1: P=0 010 | field 2: P=1 000 -> 0010 1000 = 28; align; 00 00; 7E
        // field 3: P=0 001 pad -> 0001 0000 = 10
        let bytes = [0xC0, 0x03, 0x28, 0x00, 0x00, 0x7E, 0x10];
        let info = check_ifp(&bytes, 0).unwrap();
        assert_eq!(info.msg, MsgType::Data(0));
        assert_eq!(info.fields, [(2, 0), (0, 1), (1, 0)]);
        assert_eq!(
            encode_ifp(MsgType::Data(0), &[(2, &[]), (0, &[0x7E]), (1, &[])], 0).unwrap(),
            bytes
        );
        // Version 0 has 8 field types only.
        assert_eq!(
            encode_ifp(MsgType::Data(0), &[(8, &[1])], 0),
            Err(IfpError::UnknownFieldType(8))
        );
        // t4-non-ecm-data (6) with 3 octets, version 0: P=1 110 pad -> E0; 00 02; 3 octets.
        let bytes = [0xC6, 0x01, 0xE0, 0x00, 0x02, 1, 2, 3];
        let info = check_ifp(&bytes, 0).unwrap();
        assert_eq!(info.msg, MsgType::Data(3));
        assert_eq!(info.fields, [(6, 3)]);
    }

    #[test]
    fn broken_data_packets() {
        // Root t30-data index 9..15 does not exist.
        assert_eq!(check_ifp(&[0x52], 2), Err(IfpError::UnknownData(9)));
        // Data field announced but missing.
        assert_eq!(check_ifp(&[0xC0], 2), Err(IfpError::Truncated));
        // Count 2, one field only.
        assert_eq!(
            check_ifp(&[0xC0, 0x02, 0x80, 0x00, 0x00, 0x11], 2),
            Err(IfpError::Truncated)
        );
        // Field length runs past the end.
        assert_eq!(
            check_ifp(&[0xC0, 0x01, 0x80, 0x00, 0x05, 0x11], 2),
            Err(IfpError::Truncated)
        );
        // Fragmented count.
        assert_eq!(check_ifp(&[0xC0, 0xC1], 2), Err(IfpError::Fragmented));
        // Inflated count (16383) with little data: fails on the data.
        assert_eq!(
            check_ifp(&[0xC0, 0xBF, 0xFF, 0x00], 2),
            Err(IfpError::Truncated)
        );
        // Unknown field-type addition (4) in version 2.
        assert_eq!(
            check_ifp(&[0xC0, 0x01, 0x42, 0x00], 2),
            Err(IfpError::UnknownFieldType(12))
        );
        // A data message without a data field is well-formed (spandsp accepts it too).
        assert_eq!(check_ifp(&[0x40], 2).unwrap().msg, MsgType::Data(0));
    }
}
