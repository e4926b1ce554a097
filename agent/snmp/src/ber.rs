//! The BER subset SNMP uses (RFC 3417 §8, X.690): a zero-copy reader with our bounds and a
//! writer that fills a buffer back to front, so every length is known when its header is
//! written and nothing is moved afterwards.
//!
//! Reader rules: single-octet tags only; definite lengths only (RFC 3417 §8 forbids the
//! indefinite form), long form with up to 4 length octets (more octets than needed are
//! allowed, as RFC 3417 §8 says); INTEGERs and OID sub-identifiers in minimal form
//! (X.690 §8.19.2: no 0x80 padding; for INTEGER, X.690 §8.3.2's minimal form is what we
//! write, while redundant sign octets from other encoders are tolerated); OIDs of 1..=128 sub-identifiers
//! each at most 2^32-1. The SNMP grammar has a fixed depth (message, PDU, varbind list,
//! varbind, value: at most 7 levels), and the reader never recurses, so a nesting bomb
//! costs one failed tag check.

use crate::error::DecodeError;
use crate::oid::{Oid, MAX_OID_LEN};
use crate::value::{Value, VarBindValue};

/// ASN.1 universal and SNMP application tags.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const IP_ADDRESS: u8 = 0x40;
    pub const COUNTER32: u8 = 0x41;
    pub const GAUGE32: u8 = 0x42;
    pub const TIMETICKS: u8 = 0x43;
    pub const OPAQUE: u8 = 0x44;
    pub const COUNTER64: u8 = 0x46;
    pub const NO_SUCH_OBJECT: u8 = 0x80;
    pub const NO_SUCH_INSTANCE: u8 = 0x81;
    pub const END_OF_MIB_VIEW: u8 = 0x82;
    pub const GET: u8 = 0xa0;
    pub const GET_NEXT: u8 = 0xa1;
    pub const RESPONSE: u8 = 0xa2;
    pub const SET: u8 = 0xa3;
    pub const GET_BULK: u8 = 0xa5;
    pub const INFORM: u8 = 0xa6;
    pub const TRAP_V2: u8 = 0xa7;
    pub const REPORT: u8 = 0xa8;
}

/// A cursor over BER elements that hands out sub-slices of the input (no copies).
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The next element: its tag and its contents.
    pub(crate) fn read_any(&mut self) -> Result<(u8, &'a [u8]), DecodeError> {
        let rest = &self.buf[self.pos..];
        let (&t, after_tag) = rest.split_first().ok_or(DecodeError::Truncated)?;
        if t & 0x1f == 0x1f {
            return Err(DecodeError::LongTag);
        }
        let (&l0, after_len0) = after_tag.split_first().ok_or(DecodeError::Truncated)?;
        let (len, hdr) = if l0 < 0x80 {
            (usize::from(l0), 2)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 || n > 4 {
                return Err(DecodeError::BadLength);
            }
            let bytes = after_len0.get(..n).ok_or(DecodeError::Truncated)?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let end = hdr.checked_add(len).ok_or(DecodeError::Truncated)?;
        let content = rest.get(hdr..end).ok_or(DecodeError::Truncated)?;
        self.pos += end;
        Ok((t, content))
    }

    /// The next element, which must carry tag `want`.
    pub(crate) fn read(&mut self, want: u8) -> Result<&'a [u8], DecodeError> {
        let (t, c) = self.read_any()?;
        if t != want {
            return Err(DecodeError::UnexpectedTag { found: t });
        }
        Ok(c)
    }

    pub(crate) fn read_i32(&mut self) -> Result<i32, DecodeError> {
        decode_i32(self.read(tag::INTEGER)?)
    }

    pub(crate) fn read_octets(&mut self) -> Result<&'a [u8], DecodeError> {
        self.read(tag::OCTET_STRING)
    }

    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData)
        }
    }
}

/// Two's-complement INTEGER that fits in 32 bits. X.690 §8.3.2 asks for the minimal form;
/// redundant sign octets from sloppy encoders are tolerated (up to 8 octets in all), the
/// value's range is not.
pub(crate) fn decode_i32(c: &[u8]) -> Result<i32, DecodeError> {
    if c.is_empty() {
        return Err(DecodeError::Truncated);
    }
    if c.len() > 8 {
        return Err(DecodeError::OutOfRange);
    }
    let init: i64 = if c[0] & 0x80 != 0 { -1 } else { 0 };
    let v = c.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b));
    i32::try_from(v).map_err(|_| DecodeError::OutOfRange)
}

/// A non-negative INTEGER-encoded value of at most `max_octets` significant octets:
/// Counter32, Gauge32, TimeTicks (4), Counter64 (8). Leading zero octets are tolerated
/// (up to 16 octets in all).
pub(crate) fn decode_unsigned(c: &[u8], max_octets: usize) -> Result<u64, DecodeError> {
    if c.is_empty() {
        return Err(DecodeError::Truncated);
    }
    if c[0] & 0x80 != 0 || c.len() > 16 {
        return Err(DecodeError::OutOfRange);
    }
    let start = c.iter().position(|&b| b != 0).unwrap_or(c.len());
    let body = &c[start..];
    if body.len() > max_octets {
        return Err(DecodeError::OutOfRange);
    }
    Ok(body.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// Calls `f` with each sub-identifier of OID contents `c`, checking our bounds (1..=128
/// sub-identifiers, each at most 2^32-1, no 0x80 padding: X.690 §8.19.2). Returns the
/// number of sub-identifiers.
pub(crate) fn for_each_subid(c: &[u8], mut f: impl FnMut(u32)) -> Result<usize, DecodeError> {
    if c.is_empty() {
        return Err(DecodeError::BadOid);
    }
    let mut n = 0usize;
    let mut acc: u64 = 0;
    let mut first = true;
    let mut start = true;
    for &b in c {
        if start && b == 0x80 {
            return Err(DecodeError::NonMinimal);
        }
        start = false;
        acc = (acc << 7) | u64::from(b & 0x7f);
        if acc > u64::from(u32::MAX) + 80 {
            return Err(DecodeError::BadOid);
        }
        if b & 0x80 == 0 {
            if first {
                // X.690 §8.19.4: the first sub-identifier packs the first two arcs.
                let (a, b2) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                let b2 = u32::try_from(b2).map_err(|_| DecodeError::BadOid)?;
                f(a);
                f(b2);
                n += 2;
                first = false;
            } else {
                if acc > u64::from(u32::MAX) {
                    return Err(DecodeError::BadOid);
                }
                f(acc as u32);
                n += 1;
            }
            if n > MAX_OID_LEN {
                return Err(DecodeError::BadOid);
            }
            acc = 0;
            start = true;
        }
    }
    if !start {
        // The last octet had its continuation bit set.
        return Err(DecodeError::Truncated);
    }
    Ok(n)
}

/// Decodes OID contents into `out` (cleared first).
pub(crate) fn decode_oid_into(c: &[u8], out: &mut Vec<u32>) -> Result<(), DecodeError> {
    out.clear();
    for_each_subid(c, |s| out.push(s)).map(|_| ())
}

pub(crate) fn decode_oid(c: &[u8]) -> Result<Oid, DecodeError> {
    let mut o = Oid::empty();
    for_each_subid(c, |s| o.push(s))?;
    Ok(o)
}

/// A varbind value as found on the wire, decoded on demand.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawValue<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
}

impl RawValue<'_> {
    /// Checks and converts (RFC 3416 §3 ObjectSyntax plus the three exceptions).
    pub(crate) fn decode(&self) -> Result<VarBindValue, DecodeError> {
        let c = self.content;
        let v = match self.tag {
            tag::INTEGER => Value::Integer(decode_i32(c)?),
            tag::OCTET_STRING => Value::OctetString(c.to_vec()),
            tag::NULL => {
                if !c.is_empty() {
                    return Err(DecodeError::Invalid("NULL with contents"));
                }
                Value::Null
            }
            tag::OID => Value::ObjectId(decode_oid(c)?),
            tag::IP_ADDRESS => Value::IpAddress(c.try_into().map_err(|_| DecodeError::OutOfRange)?),
            tag::COUNTER32 => Value::Counter32(decode_unsigned(c, 4)? as u32),
            tag::GAUGE32 => Value::Gauge32(decode_unsigned(c, 4)? as u32),
            tag::TIMETICKS => Value::TimeTicks(decode_unsigned(c, 4)? as u32),
            tag::OPAQUE => Value::Opaque(c.to_vec()),
            tag::COUNTER64 => Value::Counter64(decode_unsigned(c, 8)?),
            tag::NO_SUCH_OBJECT | tag::NO_SUCH_INSTANCE | tag::END_OF_MIB_VIEW => {
                if !c.is_empty() {
                    return Err(DecodeError::Invalid("exception with contents"));
                }
                return Ok(match self.tag {
                    tag::NO_SUCH_OBJECT => VarBindValue::NoSuchObject,
                    tag::NO_SUCH_INSTANCE => VarBindValue::NoSuchInstance,
                    _ => VarBindValue::EndOfMibView,
                });
            }
            t => return Err(DecodeError::UnexpectedTag { found: t }),
        };
        Ok(VarBindValue::Value(v))
    }
}

/// One variable binding as found on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawVarBind<'a> {
    /// OID contents (not yet decoded).
    pub(crate) name: &'a [u8],
    pub(crate) value: RawValue<'a>,
}

/// Iterates the variable bindings of a VarBindList's contents.
#[derive(Debug, Clone)]
pub(crate) struct VarBinds<'a> {
    r: Reader<'a>,
}

impl<'a> VarBinds<'a> {
    pub(crate) fn new(list_contents: &'a [u8]) -> Self {
        Self {
            r: Reader::new(list_contents),
        }
    }

    /// Checks every binding (structure, OID bounds, value encoding) and counts them.
    pub(crate) fn validate(&self, max: usize) -> Result<usize, DecodeError> {
        let mut n = 0;
        for vb in self.clone() {
            let vb = vb?;
            for_each_subid(vb.name, |_| {})?;
            vb.value.decode_check()?;
            n += 1;
            if n > max {
                return Err(DecodeError::Invalid("too many variable bindings"));
            }
        }
        Ok(n)
    }
}

impl RawValue<'_> {
    /// Like [`RawValue::decode`] without building the value.
    fn decode_check(&self) -> Result<(), DecodeError> {
        let c = self.content;
        match self.tag {
            tag::INTEGER => decode_i32(c).map(|_| ()),
            tag::OCTET_STRING | tag::OPAQUE => Ok(()),
            tag::OID => for_each_subid(c, |_| {}).map(|_| ()),
            tag::COUNTER32 | tag::GAUGE32 | tag::TIMETICKS => decode_unsigned(c, 4).map(|_| ()),
            tag::COUNTER64 => decode_unsigned(c, 8).map(|_| ()),
            tag::IP_ADDRESS if c.len() == 4 => Ok(()),
            tag::IP_ADDRESS => Err(DecodeError::OutOfRange),
            tag::NULL | tag::NO_SUCH_OBJECT | tag::NO_SUCH_INSTANCE | tag::END_OF_MIB_VIEW
                if c.is_empty() =>
            {
                Ok(())
            }
            tag::NULL | tag::NO_SUCH_OBJECT | tag::NO_SUCH_INSTANCE | tag::END_OF_MIB_VIEW => {
                Err(DecodeError::Invalid("NULL with contents"))
            }
            t => Err(DecodeError::UnexpectedTag { found: t }),
        }
    }
}

impl<'a> Iterator for VarBinds<'a> {
    type Item = Result<RawVarBind<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.r.is_empty() {
            return None;
        }
        Some((|| {
            let seq = self.r.read(tag::SEQUENCE)?;
            let mut vr = Reader::new(seq);
            let name = vr.read(tag::OID)?;
            let (t, content) = vr.read_any()?;
            vr.finish()?;
            Ok(RawVarBind {
                name,
                value: RawValue { tag: t, content },
            })
        })())
    }
}

// ---------------------------------------------------------------------------------------
// Lengths

/// Octets of a definite length field for `n` content octets (minimal form).
pub(crate) const fn len_len(n: usize) -> usize {
    if n < 0x80 {
        1
    } else if n < 0x100 {
        2
    } else if n < 0x1_0000 {
        3
    } else if n < 0x100_0000 {
        4
    } else {
        5
    }
}

/// Octets of a whole TLV with `n` content octets.
pub(crate) const fn tlv(n: usize) -> usize {
    1 + len_len(n) + n
}

/// Content octets of a minimal two's-complement INTEGER.
pub(crate) fn int_content_len(v: i64) -> usize {
    let mut n = 1;
    let mut x = v;
    while !(-128..=127).contains(&x) {
        x >>= 8;
        n += 1;
    }
    n
}

/// Content octets of an unsigned value in INTEGER encoding.
pub(crate) fn uint_content_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    // One sign bit on top of the magnitude, at least one octet.
    (bits + 1).div_ceil(8).max(1)
}

fn subid_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0x0fff_ffff => 4,
        _ => 5,
    }
}

/// First sub-identifier packing of the first two arcs, as a 64-bit value (2.x may exceed
/// 2^32 in principle).
fn first_subid(o: &[u32]) -> u64 {
    let a = u64::from(*o.first().unwrap_or(&0)).min(2);
    let b = u64::from(*o.get(1).unwrap_or(&0));
    a * 40 + b
}

fn subid64_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Content octets of an OID (an OID shorter than two arcs is padded with zeros).
pub(crate) fn oid_content_len(o: &[u32]) -> usize {
    subid64_len(first_subid(o)) + o.iter().skip(2).map(|&s| subid_len(s)).sum::<usize>()
}

/// Whole encoded size of a value.
pub(crate) fn value_len(v: &VarBindValue) -> usize {
    match v {
        VarBindValue::Value(v) => match v {
            Value::Integer(i) => tlv(int_content_len(i64::from(*i))),
            Value::OctetString(s) | Value::Opaque(s) => tlv(s.len()),
            Value::Null => 2,
            Value::ObjectId(o) => tlv(oid_content_len(o.as_slice())),
            Value::IpAddress(_) => 6,
            Value::Counter32(x) | Value::Gauge32(x) | Value::TimeTicks(x) => {
                tlv(uint_content_len(u64::from(*x)))
            }
            Value::Counter64(x) => tlv(uint_content_len(*x)),
        },
        _ => 2,
    }
}

/// Whole encoded size of a variable binding.
pub(crate) fn varbind_len(oid: &[u32], v: &VarBindValue) -> usize {
    tlv(tlv(oid_content_len(oid)) + value_len(v))
}

// ---------------------------------------------------------------------------------------
// Writer

/// Builds an encoding back to front in a Vec holding the bytes in reverse order; call
/// [`RevWriter::finish`] to turn them around. Every `put_*` prepends.
#[derive(Debug)]
pub(crate) struct RevWriter<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> RevWriter<'b> {
    /// Starts writing into `buf` (cleared).
    pub(crate) fn new(buf: &'b mut Vec<u8>) -> Self {
        buf.clear();
        Self { buf }
    }

    /// Octets written so far; use as a mark before writing a constructed value's contents.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Puts the bytes in order and returns the buffer.
    pub(crate) fn finish(self) -> &'b mut Vec<u8> {
        self.buf.reverse();
        self.buf
    }

    pub(crate) fn put_u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub(crate) fn put_slice(&mut self, s: &[u8]) {
        self.buf.extend(s.iter().rev());
    }

    pub(crate) fn put_len(&mut self, n: usize) {
        if n < 0x80 {
            self.put_u8(n as u8);
        } else {
            let mut k = 0u8;
            let mut x = n;
            while x > 0 {
                self.put_u8((x & 0xff) as u8);
                x >>= 8;
                k += 1;
            }
            self.put_u8(0x80 | k);
        }
    }

    /// Header of a constructed (or any) value whose `content_len` octets are written.
    pub(crate) fn put_header(&mut self, t: u8, content_len: usize) {
        self.put_len(content_len);
        self.put_u8(t);
    }

    /// Closes a constructed value whose contents were written since `mark`.
    pub(crate) fn close(&mut self, t: u8, mark: usize) {
        let n = self.len() - mark;
        self.put_header(t, n);
    }

    pub(crate) fn put_int(&mut self, t: u8, v: i64) {
        let n = int_content_len(v);
        for i in 0..n {
            self.put_u8((v >> (8 * i)) as u8);
        }
        self.put_header(t, n);
    }

    pub(crate) fn put_uint(&mut self, t: u8, v: u64) {
        let n = uint_content_len(v);
        for i in 0..n {
            // The top octet of a 9-octet Counter64 is the 0x00 sign octet.
            self.put_u8(if i < 8 { (v >> (8 * i)) as u8 } else { 0 });
        }
        self.put_header(t, n);
    }

    pub(crate) fn put_octets(&mut self, t: u8, s: &[u8]) {
        self.put_slice(s);
        self.put_header(t, s.len());
    }

    fn put_subid(&mut self, v: u64) {
        self.put_u8((v & 0x7f) as u8);
        let mut x = v >> 7;
        while x > 0 {
            self.put_u8(0x80 | (x & 0x7f) as u8);
            x >>= 7;
        }
    }

    pub(crate) fn put_oid(&mut self, o: &[u32]) {
        let mark = self.len();
        for &s in o.iter().skip(2).rev() {
            self.put_subid(u64::from(s));
        }
        self.put_subid(first_subid(o));
        self.close(tag::OID, mark);
    }

    pub(crate) fn put_value(&mut self, v: &VarBindValue) {
        match v {
            VarBindValue::Value(v) => match v {
                Value::Integer(i) => self.put_int(tag::INTEGER, i64::from(*i)),
                Value::OctetString(s) => self.put_octets(tag::OCTET_STRING, s),
                Value::Null => self.put_header(tag::NULL, 0),
                Value::ObjectId(o) => self.put_oid(o.as_slice()),
                Value::IpAddress(a) => self.put_octets(tag::IP_ADDRESS, a),
                Value::Counter32(x) => self.put_uint(tag::COUNTER32, u64::from(*x)),
                Value::Gauge32(x) => self.put_uint(tag::GAUGE32, u64::from(*x)),
                Value::TimeTicks(x) => self.put_uint(tag::TIMETICKS, u64::from(*x)),
                Value::Opaque(s) => self.put_octets(tag::OPAQUE, s),
                Value::Counter64(x) => self.put_uint(tag::COUNTER64, *x),
            },
            VarBindValue::NoSuchObject => self.put_header(tag::NO_SUCH_OBJECT, 0),
            VarBindValue::NoSuchInstance => self.put_header(tag::NO_SUCH_INSTANCE, 0),
            VarBindValue::EndOfMibView => self.put_header(tag::END_OF_MIB_VIEW, 0),
        }
    }

    pub(crate) fn put_varbind(&mut self, oid: &[u32], v: &VarBindValue) {
        let mark = self.len();
        self.put_value(v);
        self.put_oid(oid);
        self.close(tag::SEQUENCE, mark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut RevWriter<'_>)) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = RevWriter::new(&mut buf);
        f(&mut w);
        w.finish().clone()
    }

    #[test]
    fn integers_are_minimal_both_ways() {
        // X.690 §8.3.2: no redundant leading 0x00 / 0xff octets.
        assert_eq!(enc(|w| w.put_int(2, 0)), [2, 1, 0]);
        assert_eq!(enc(|w| w.put_int(2, 127)), [2, 1, 0x7f]);
        assert_eq!(enc(|w| w.put_int(2, 128)), [2, 2, 0, 0x80]);
        assert_eq!(enc(|w| w.put_int(2, -1)), [2, 1, 0xff]);
        assert_eq!(enc(|w| w.put_int(2, -129)), [2, 2, 0xff, 0x7f]);
        assert_eq!(
            enc(|w| w.put_int(2, i64::from(i32::MIN))),
            [2, 4, 0x80, 0, 0, 0]
        );
        assert_eq!(
            enc(|w| w.put_uint(0x41, u64::from(u32::MAX))),
            [0x41, 5, 0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            enc(|w| w.put_uint(0x46, u64::MAX)),
            [0x46, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            32767,
            32768,
            -32769,
            1 << 23,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
        ] {
            let e = enc(|w| w.put_int(2, v));
            assert_eq!(e.len(), tlv(int_content_len(v)));
            assert_eq!(i64::from(decode_i32(&e[2..]).unwrap()), v);
        }
        // Redundant sign octets are read (the writer never makes them), the range is not
        // stretched.
        assert_eq!(decode_i32(&[0x00, 0x7f]), Ok(127));
        assert_eq!(decode_i32(&[0xff, 0x80]), Ok(-128));
        assert_eq!(decode_i32(&[0x00, 0x80]), Ok(128));
        assert_eq!(decode_i32(&[0, 0, 0, 0, 0x2a]), Ok(42));
        assert_eq!(
            decode_i32(&[0x01, 0, 0, 0, 0]),
            Err(DecodeError::OutOfRange)
        );
        assert_eq!(
            decode_i32(&[0x00, 0x80, 0, 0, 0]),
            Err(DecodeError::OutOfRange)
        );
        assert_eq!(
            decode_i32(&[0xff, 0x7f, 0xff, 0xff, 0xff]),
            Err(DecodeError::OutOfRange)
        );
        assert_eq!(decode_i32(&[0; 9]), Err(DecodeError::OutOfRange));
        assert_eq!(decode_i32(&[]), Err(DecodeError::Truncated));
        assert_eq!(
            decode_unsigned(&[0, 0xff, 0xff, 0xff, 0xff], 4),
            Ok(u64::from(u32::MAX))
        );
        assert_eq!(
            decode_unsigned(&[1, 0, 0, 0, 0], 4),
            Err(DecodeError::OutOfRange)
        );
        assert_eq!(decode_unsigned(&[0x80], 4), Err(DecodeError::OutOfRange));
    }

    #[test]
    fn negative_request_id_is_legal() {
        // RFC 3416 §3: request-id is INTEGER (-214783648..2147483647).
        assert_eq!(decode_i32(&[0xfe]), Ok(-2));
        assert_eq!(decode_i32(&[0xff, 0x7f]), Ok(-129));
        assert_eq!(decode_i32(&[0x80, 0, 0, 0]), Ok(i32::MIN));
        // Some encoders always use four octets: still -2.
        assert_eq!(decode_i32(&[0xff, 0xff, 0xff, 0xfe]), Ok(-2));
    }

    #[test]
    fn lengths_long_form_accepted_indefinite_rejected() {
        // RFC 3417 §8: definite form only; more length octets than needed are permitted.
        let mut r = Reader::new(&[0x04, 0x82, 0x00, 0x02, b'a', b'b']);
        assert_eq!(r.read_octets().unwrap(), b"ab");
        assert!(r.finish().is_ok());
        let mut r = Reader::new(&[0x30, 0x80, 0x00, 0x00]);
        assert_eq!(r.read_any(), Err(DecodeError::BadLength));
        let mut r = Reader::new(&[0x04, 0x85, 0, 0, 0, 0, 1, 0]);
        assert_eq!(r.read_any(), Err(DecodeError::BadLength));
        let mut r = Reader::new(&[0x04, 0x03, 1, 2]);
        assert_eq!(r.read_any(), Err(DecodeError::Truncated));
        let mut r = Reader::new(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 1]);
        assert_eq!(r.read_any(), Err(DecodeError::Truncated));
        let mut r = Reader::new(&[0x1f, 0x81, 0x00, 0x00]);
        assert_eq!(r.read_any(), Err(DecodeError::LongTag));
        // The writer uses the minimal form.
        let e = enc(|w| w.put_octets(4, &[7u8; 300]));
        assert_eq!(&e[..4], &[4, 0x82, 0x01, 0x2c]);
        assert_eq!(e.len(), tlv(300));
        let e = enc(|w| w.put_octets(4, &[7u8; 200]));
        assert_eq!(&e[..3], &[4, 0x81, 200]);
    }

    #[test]
    fn oids_encode_decode_and_bounds() {
        // X.690 §8.19: 1.3 packs into 0x2b; multi-octet sub-identifiers base 128.
        let o = [1, 3, 6, 1, 4, 1, 2021, 4294967295];
        let e = enc(|w| w.put_oid(&o));
        assert_eq!(e[2], 0x2b);
        assert_eq!(e.len(), tlv(oid_content_len(&o)));
        assert_eq!(decode_oid(&e[2..]).unwrap().as_slice(), &o);
        let e = enc(|w| w.put_oid(&[2, 999, 3]));
        assert_eq!(&e[2..], &[0x88, 0x37, 0x03]);
        assert_eq!(decode_oid(&e[2..]).unwrap().as_slice(), &[2, 999, 3]);
        // 0x80 padding in a sub-identifier is rejected (X.690 §8.19.2).
        assert_eq!(
            decode_oid(&[0x2b, 0x80, 0x01]),
            Err(DecodeError::NonMinimal)
        );
        assert_eq!(decode_oid(&[0x80, 0x2b]), Err(DecodeError::NonMinimal));
        // Above 2^32-1.
        assert_eq!(
            decode_oid(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00]),
            Err(DecodeError::BadOid)
        );
        assert_eq!(
            decode_oid(&[0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f])
                .unwrap()
                .as_slice(),
            &[1, 3, u32::MAX]
        );
        // Unterminated, empty, too long.
        assert_eq!(decode_oid(&[0x2b, 0x81]), Err(DecodeError::Truncated));
        assert_eq!(decode_oid(&[]), Err(DecodeError::BadOid));
        let mut long = vec![0x2b];
        long.extend(std::iter::repeat_n(1u8, 126));
        assert_eq!(decode_oid(&long).unwrap().len(), 128);
        long.push(1);
        assert_eq!(decode_oid(&long), Err(DecodeError::BadOid));
    }

    #[test]
    fn values_round_trip_with_exact_lengths() {
        let vals = [
            Value::Integer(-5),
            Value::OctetString(vec![0; 130]),
            Value::Null,
            Value::ObjectId(Oid::from([1, 3, 6, 1, 6, 3, 1, 1, 5, 1])),
            Value::IpAddress([192, 0, 2, 1]),
            Value::Counter32(u32::MAX),
            Value::Gauge32(7),
            Value::TimeTicks(100),
            Value::Opaque(vec![0x9f, 0x78, 4, 0, 0, 0, 0]),
            Value::Counter64(u64::MAX),
        ];
        for v in vals {
            let vb = VarBindValue::Value(v.clone());
            let e = enc(|w| w.put_varbind(&[1, 3, 6, 1, 2, 1, 1, 3, 0], &vb));
            assert_eq!(e.len(), varbind_len(&[1, 3, 6, 1, 2, 1, 1, 3, 0], &vb));
            let mut it = VarBinds::new(&e);
            assert_eq!(VarBinds::new(&e).validate(10), Ok(1));
            let raw = it.next().unwrap().unwrap();
            assert_eq!(raw.value.decode().unwrap(), vb);
        }
        for ex in [
            VarBindValue::NoSuchObject,
            VarBindValue::NoSuchInstance,
            VarBindValue::EndOfMibView,
        ] {
            let e = enc(|w| w.put_value(&ex));
            let raw = RawValue {
                tag: e[0],
                content: &e[2..],
            };
            assert_eq!(raw.decode().unwrap(), ex);
        }
    }
}
