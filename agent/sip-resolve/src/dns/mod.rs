//! A small DNS message codec: RFC 1035 §4 messages with the record types server location
//! needs (A, AAAA RFC 3596, CNAME, SRV RFC 2782, SOA for negative caching RFC 2308);
//! other types are kept as opaque bytes (RFC 3597).
//!
//! Decoding is bounded and never panics: every read is checked against the end of the
//! message, names are at most 255 octets, and compression pointers (RFC 1035 §4.1.4) must
//! point strictly backwards, so a loop of pointers cannot make the decoder spin. Names in
//! the data of CNAME, SOA and SRV records may be compressed (RFC 3597 §4 says decoders
//! should accept that for SRV as well). Encoding compresses owner names and the names in
//! CNAME and SOA data, never SRV targets (RFC 2782).
//!
//! ```
//! use tipring_sip_resolve::dns::{Message, Name, RecordType};
//!
//! let query = Message::query(0x1234, Name::from_ascii("example.com").unwrap(), RecordType::A);
//! let bytes = query.encode().unwrap();
//! assert_eq!(&bytes[..4], &[0x12, 0x34, 0x01, 0x00]); // ID, then RD set
//! assert_eq!(Message::decode(&bytes).unwrap(), query);
//! ```

mod name;

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use name::{Labels, Name, NameError, MAX_LABEL_LEN, MAX_NAME_LEN};

/// The Internet class (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;

/// Size of the fixed message header (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;

/// Largest DNS message over UDP without EDNS (RFC 1035 §4.2.1); a larger answer comes
/// back truncated (TC set).
pub const MAX_UDP_PAYLOAD: usize = 512;

/// Why bytes are not a DNS message (or a message cannot be encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The message ends in the middle of a field.
    #[error("message ends at offset {0} in the middle of a field")]
    UnexpectedEnd(usize),
    /// A label length with the reserved `01`/`10` top bits (RFC 1035 §4.1.4, RFC 6891 §5).
    #[error("unsupported label type {0:#04x} at offset {1}")]
    BadLabelType(u8, usize),
    /// A compression pointer that does not point strictly backwards (a loop, or a forward
    /// reference).
    #[error("compression pointer at offset {0} does not point backwards")]
    BadPointer(usize),
    /// A decompressed name longer than 255 octets.
    #[error("name longer than 255 octets at offset {0}")]
    NameTooLong(usize),
    /// Record data whose length does not match its type (an A record that is not 4
    /// octets, a CNAME whose name does not end at RDLENGTH...).
    #[error("record data of type {0} does not match RDLENGTH at offset {1}")]
    BadRdata(RecordType, usize),
    /// More records, or larger record data, than the 16-bit fields can count.
    #[error("message too large to encode")]
    TooLarge,
}

/// A record type (RFC 1035 §3.2.2; RFC 3597 for the ones without a name here).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u16);

impl RecordType {
    /// IPv4 host address (RFC 1035 §3.4.1).
    pub const A: RecordType = RecordType(1);
    /// Authoritative name server (RFC 1035 §3.3.11).
    pub const NS: RecordType = RecordType(2);
    /// Canonical name (alias) (RFC 1035 §3.3.1).
    pub const CNAME: RecordType = RecordType(5);
    /// Start of authority (RFC 1035 §3.3.13).
    pub const SOA: RecordType = RecordType(6);
    /// IPv6 host address (RFC 3596 §2.1).
    pub const AAAA: RecordType = RecordType(28);
    /// Server selection (RFC 2782).
    pub const SRV: RecordType = RecordType(33);
    /// Naming authority pointer (RFC 3403); not used here (transport comes from config).
    pub const NAPTR: RecordType = RecordType(35);
    /// EDNS pseudo-record (RFC 6891).
    pub const OPT: RecordType = RecordType(41);
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RecordType::A => f.write_str("A"),
            RecordType::NS => f.write_str("NS"),
            RecordType::CNAME => f.write_str("CNAME"),
            RecordType::SOA => f.write_str("SOA"),
            RecordType::AAAA => f.write_str("AAAA"),
            RecordType::SRV => f.write_str("SRV"),
            RecordType::NAPTR => f.write_str("NAPTR"),
            RecordType::OPT => f.write_str("OPT"),
            RecordType(n) => write!(f, "TYPE{n}"), // RFC 3597 §5
        }
    }
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A response code (RFC 1035 §4.1.1, the 4-bit RCODE).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rcode(pub u8);

impl Rcode {
    /// No error.
    pub const NOERROR: Rcode = Rcode(0);
    /// The server could not interpret the query.
    pub const FORMERR: Rcode = Rcode(1);
    /// The server failed (often: it could not reach the authoritative servers).
    pub const SERVFAIL: Rcode = Rcode(2);
    /// The name does not exist (authoritative; RFC 2308 "NXDOMAIN").
    pub const NXDOMAIN: Rcode = Rcode(3);
    /// The server does not do this kind of query.
    pub const NOTIMP: Rcode = Rcode(4);
    /// The server refuses to answer us (policy).
    pub const REFUSED: Rcode = Rcode(5);
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rcode::NOERROR => f.write_str("NOERROR"),
            Rcode::FORMERR => f.write_str("FORMERR"),
            Rcode::SERVFAIL => f.write_str("SERVFAIL"),
            Rcode::NXDOMAIN => f.write_str("NXDOMAIN"),
            Rcode::NOTIMP => f.write_str("NOTIMP"),
            Rcode::REFUSED => f.write_str("REFUSED"),
            Rcode(n) => write!(f, "RCODE{n}"),
        }
    }
}

impl fmt::Debug for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The fixed header (RFC 1035 §4.1.1) without the section counts, which come from the
/// sections themselves when encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    /// Matches a response to its query.
    pub id: u16,
    /// QR: this is a response.
    pub response: bool,
    /// OPCODE (0 = standard query).
    pub opcode: u8,
    /// AA: authoritative answer.
    pub authoritative: bool,
    /// TC: the message was truncated to fit the transport; the sections are incomplete.
    pub truncated: bool,
    /// RD: recursion desired.
    pub recursion_desired: bool,
    /// RA: recursion available.
    pub recursion_available: bool,
    /// RCODE.
    pub rcode: Rcode,
}

impl Header {
    /// Decodes the header alone from the first 12 octets (to match a response to its
    /// query before the rest is trusted).
    pub fn decode(bytes: &[u8]) -> Result<Header, WireError> {
        let mut r = Reader::new(bytes);
        Ok(r.header()?.0)
    }

    fn flags(&self) -> u16 {
        let mut f = u16::from(self.opcode & 0x0F) << 11 | u16::from(self.rcode.0 & 0x0F);
        for (bit, on) in [
            (15, self.response),
            (10, self.authoritative),
            (9, self.truncated),
            (8, self.recursion_desired),
            (7, self.recursion_available),
        ] {
            if on {
                f |= 1 << bit;
            }
        }
        f
    }

    fn from_flags(id: u16, f: u16) -> Header {
        Header {
            id,
            response: f & 1 << 15 != 0,
            opcode: ((f >> 11) & 0x0F) as u8,
            authoritative: f & 1 << 10 != 0,
            truncated: f & 1 << 9 != 0,
            recursion_desired: f & 1 << 8 != 0,
            recursion_available: f & 1 << 7 != 0,
            rcode: Rcode((f & 0x0F) as u8),
        }
    }
}

/// A question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// QNAME.
    pub name: Name,
    /// QTYPE.
    pub rtype: RecordType,
    /// QCLASS (1 = IN).
    pub class: u16,
}

/// The data of an SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Srv {
    /// Lower is tried first.
    pub priority: u16,
    /// Relative weight among records of the same priority (0 = rarely chosen).
    pub weight: u16,
    /// The port of the service on the target.
    pub port: u16,
    /// The host; the root (`.`) means "the service is not available here".
    pub target: Name,
}

/// The data of an SOA record (RFC 1035 §3.3.13); its MINIMUM bounds negative caching
/// (RFC 2308 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Soa {
    /// MNAME: the primary name server.
    pub mname: Name,
    /// RNAME: the mailbox of the zone's administrator.
    pub rname: Name,
    /// SERIAL.
    pub serial: u32,
    /// REFRESH, seconds.
    pub refresh: u32,
    /// RETRY, seconds.
    pub retry: u32,
    /// EXPIRE, seconds.
    pub expire: u32,
    /// MINIMUM: the TTL of negative answers from this zone (RFC 2308 §4).
    pub minimum: u32,
}

/// Record data, typed for the types server location uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address (RFC 3596).
    Aaaa(Ipv6Addr),
    /// An alias: the owner is another name for this one.
    Cname(Name),
    /// A service location.
    Srv(Srv),
    /// A zone's start of authority.
    Soa(Soa),
    /// Any other type, as opaque octets (RFC 3597).
    Other {
        /// The record type.
        rtype: RecordType,
        /// RDATA as received.
        data: Vec<u8>,
    },
}

impl RData {
    /// The record type of this data.
    pub fn rtype(&self) -> RecordType {
        match self {
            RData::A(_) => RecordType::A,
            RData::Aaaa(_) => RecordType::AAAA,
            RData::Cname(_) => RecordType::CNAME,
            RData::Srv(_) => RecordType::SRV,
            RData::Soa(_) => RecordType::SOA,
            RData::Other { rtype, .. } => *rtype,
        }
    }
}

/// A resource record (RFC 1035 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// The owner name.
    pub name: Name,
    /// CLASS (1 = IN; an OPT record puts its UDP payload size here).
    pub class: u16,
    /// TTL in seconds as sent (see [`Record::effective_ttl`]).
    pub ttl: u32,
    /// TYPE and RDATA.
    pub data: RData,
}

impl Record {
    /// A record of class IN.
    pub fn new(name: Name, ttl: u32, data: RData) -> Self {
        Record {
            name,
            class: CLASS_IN,
            ttl,
            data,
        }
    }

    /// The record type.
    pub fn rtype(&self) -> RecordType {
        self.data.rtype()
    }

    /// The TTL to use: a value with the top bit set counts as zero (RFC 2181 §8).
    pub fn effective_ttl(&self) -> u32 {
        if self.ttl > i32::MAX as u32 {
            0
        } else {
            self.ttl
        }
    }
}

/// A whole message (RFC 1035 §4.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header (counts are taken from the sections).
    pub header: Header,
    /// The question section.
    pub questions: Vec<Question>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section (an SOA here bounds negative caching).
    pub authorities: Vec<Record>,
    /// The additional section (SRV answers may carry the targets' addresses here).
    pub additionals: Vec<Record>,
}

impl Message {
    /// A standard recursive query for one name and type, class IN (RD set).
    pub fn query(id: u16, name: Name, rtype: RecordType) -> Message {
        Message {
            header: Header {
                id,
                recursion_desired: true,
                ..Header::default()
            },
            questions: vec![Question {
                name,
                rtype,
                class: CLASS_IN,
            }],
            ..Message::default()
        }
    }

    /// The bytes of [`Message::query`], without the fallible general encoder (a query
    /// of one question always fits).
    pub fn encode_query(id: u16, name: &Name, rtype: RecordType) -> Vec<u8> {
        let mut w = Writer::default();
        w.u16(id);
        w.u16(
            Header {
                recursion_desired: true,
                ..Header::default()
            }
            .flags(),
        );
        for count in [1, 0, 0, 0] {
            w.u16(count);
        }
        w.name(name, false);
        w.u16(rtype.0);
        w.u16(CLASS_IN);
        w.buf
    }

    /// Decodes a message. Octets after the last record are ignored.
    pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
        let mut r = Reader::new(bytes);
        let (header, counts) = r.header()?;
        // Every question takes at least 5 octets and every record 11, so the counts cannot
        // make us reserve more than the message could hold.
        let cap = |n: u16, r: &Reader<'_>, min: usize| usize::from(n).min(r.remaining() / min);
        let mut questions = Vec::with_capacity(cap(counts[0], &r, 5));
        for _ in 0..counts[0] {
            let name = r.name()?;
            let rtype = RecordType(r.u16()?);
            let class = r.u16()?;
            questions.push(Question { name, rtype, class });
        }
        let mut sections: [Vec<Record>; 3] = Default::default();
        for (section, &count) in sections.iter_mut().zip(&counts[1..]) {
            section.reserve(cap(count, &r, 11));
            for _ in 0..count {
                section.push(r.record()?);
            }
        }
        let [answers, authorities, additionals] = sections;
        Ok(Message {
            header,
            questions,
            answers,
            authorities,
            additionals,
        })
    }

    /// Encodes the message, compressing names (RFC 1035 §4.1.4) except SRV targets.
    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut w = Writer::default();
        w.u16(self.header.id);
        w.u16(self.header.flags());
        for n in [
            self.questions.len(),
            self.answers.len(),
            self.authorities.len(),
            self.additionals.len(),
        ] {
            w.u16(u16::try_from(n).map_err(|_| WireError::TooLarge)?);
        }
        for q in &self.questions {
            w.name(&q.name, true);
            w.u16(q.rtype.0);
            w.u16(q.class);
        }
        for r in self
            .answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
        {
            w.record(r)?;
        }
        Ok(w.buf)
    }
}

/// A bounds-checked cursor over a received message.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(WireError::UnexpectedEnd(self.buf.len()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn header(&mut self) -> Result<(Header, [u16; 4]), WireError> {
        let id = self.u16()?;
        let flags = self.u16()?;
        let counts = [self.u16()?, self.u16()?, self.u16()?, self.u16()?];
        Ok((Header::from_flags(id, flags), counts))
    }

    /// A possibly compressed name (RFC 1035 §4.1.4). The cursor ends after the name's
    /// inline part (its labels up to the first pointer, and the pointer).
    fn name(&mut self) -> Result<Name, WireError> {
        let start = self.pos;
        let mut wire = Vec::with_capacity(32);
        let mut pos = self.pos;
        // Every pointer must point before this: strictly decreasing targets end the walk.
        let mut limit = start;
        let mut jumped = false;
        loop {
            let len = *self.buf.get(pos).ok_or(WireError::UnexpectedEnd(pos))?;
            match len & 0xC0 {
                0x00 if len == 0 => {
                    wire.push(0);
                    if !jumped {
                        self.pos = pos + 1;
                    }
                    return Ok(Name::from_checked_wire(wire));
                }
                0x00 => {
                    let l = usize::from(len);
                    let label = self
                        .buf
                        .get(pos + 1..pos + 1 + l)
                        .ok_or(WireError::UnexpectedEnd(self.buf.len()))?;
                    // This label, plus at least the root octet still to come.
                    if wire.len() + 1 + l + 1 > MAX_NAME_LEN {
                        return Err(WireError::NameTooLong(start));
                    }
                    wire.push(len);
                    wire.extend(label.iter().map(u8::to_ascii_lowercase));
                    pos += 1 + l;
                }
                0xC0 => {
                    let low = *self.buf.get(pos + 1).ok_or(WireError::UnexpectedEnd(pos))?;
                    let target = usize::from(len & 0x3F) << 8 | usize::from(low);
                    if target >= limit {
                        return Err(WireError::BadPointer(pos));
                    }
                    if !jumped {
                        self.pos = pos + 2;
                        jumped = true;
                    }
                    limit = target;
                    pos = target;
                }
                _ => return Err(WireError::BadLabelType(len, pos)),
            }
        }
    }

    fn record(&mut self) -> Result<Record, WireError> {
        let name = self.name()?;
        let rtype = RecordType(self.u16()?);
        let class = self.u16()?;
        let ttl = self.u32()?;
        let rdlen = usize::from(self.u16()?);
        let start = self.pos;
        let end = start + rdlen;
        if end > self.buf.len() {
            return Err(WireError::UnexpectedEnd(self.buf.len()));
        }
        let bad = WireError::BadRdata(rtype, start);
        let data = match rtype {
            RecordType::A => {
                let b: [u8; 4] = self.take(rdlen)?.try_into().map_err(|_| bad)?;
                RData::A(Ipv4Addr::from(b))
            }
            RecordType::AAAA => {
                let b: [u8; 16] = self.take(rdlen)?.try_into().map_err(|_| bad)?;
                RData::Aaaa(Ipv6Addr::from(b))
            }
            RecordType::CNAME => RData::Cname(self.name()?),
            RecordType::SRV => {
                if rdlen < 7 {
                    return Err(bad);
                }
                RData::Srv(Srv {
                    priority: self.u16()?,
                    weight: self.u16()?,
                    port: self.u16()?,
                    target: self.name()?,
                })
            }
            RecordType::SOA => RData::Soa(Soa {
                mname: self.name()?,
                rname: self.name()?,
                serial: self.u32()?,
                refresh: self.u32()?,
                retry: self.u32()?,
                expire: self.u32()?,
                minimum: self.u32()?,
            }),
            rtype => RData::Other {
                rtype,
                data: self.take(rdlen)?.to_vec(),
            },
        };
        // Typed data must fill RDLENGTH exactly: neither short nor spilling over.
        if self.pos != end {
            return Err(bad);
        }
        Ok(Record {
            name,
            class,
            ttl,
            data,
        })
    }
}

/// Builds a message, remembering where each name suffix was written for compression.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
    suffixes: HashMap<Vec<u8>, u16>,
}

impl Writer {
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Writes `name`, replacing its longest already-written suffix by a pointer when
    /// `compress` is set. Every suffix written inline becomes a pointer target.
    fn name(&mut self, name: &Name, compress: bool) {
        let wire = name.wire();
        let mut i = 0;
        while wire[i] != 0 {
            let suffix = &wire[i..];
            if compress {
                if let Some(&off) = self.suffixes.get(suffix) {
                    self.u16(0xC000 | off);
                    return;
                }
            }
            // Pointers have 14 bits: later suffixes cannot be targets.
            if let Ok(off) = u16::try_from(self.buf.len()) {
                if off < 0x4000 {
                    self.suffixes.entry(suffix.to_vec()).or_insert(off);
                }
            }
            let len = usize::from(wire[i]);
            self.buf.extend_from_slice(&wire[i..i + 1 + len]);
            i += 1 + len;
        }
        self.buf.push(0);
    }

    fn record(&mut self, r: &Record) -> Result<(), WireError> {
        self.name(&r.name, true);
        self.u16(r.rtype().0);
        self.u16(r.class);
        self.u32(r.ttl);
        let len_at = self.buf.len();
        self.u16(0);
        match &r.data {
            RData::A(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Aaaa(a) => self.buf.extend_from_slice(&a.octets()),
            RData::Cname(n) => self.name(n, true),
            RData::Srv(s) => {
                self.u16(s.priority);
                self.u16(s.weight);
                self.u16(s.port);
                // RFC 2782: "name compression is not to be used for this field".
                self.name(&s.target, false);
            }
            RData::Soa(s) => {
                self.name(&s.mname, true);
                self.name(&s.rname, true);
                for v in [s.serial, s.refresh, s.retry, s.expire, s.minimum] {
                    self.u32(v);
                }
            }
            RData::Other { data, .. } => self.buf.extend_from_slice(data),
        }
        let rdlen = u16::try_from(self.buf.len() - len_at - 2).map_err(|_| WireError::TooLarge)?;
        self.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
