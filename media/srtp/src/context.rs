//! The SRTP/SRTCP cryptographic context of one direction (RFC 3711 §3.2, §3.3, §3.4).

use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::keys::{aes_cm_apply, MasterKey, RWidth, SessionKeys};
use crate::policy::{Policy, Profile, RTCP_TAG_LEN};
use crate::replay::{estimate_index, ReplayWindow};

/// RFC 3711 §9.2: a master key protects at most 2^48 SRTP packets ...
const MAX_SRTP_PACKETS: u64 = 1 << 48;
/// ... and at most 2^31 SRTCP packets (the SRTCP index is 31 bits).
const MAX_SRTCP_PACKETS: u64 = 1 << 31;
/// Fixed RTP header length (RFC 3550 §5.1).
const RTP_HEADER_LEN: usize = 12;
/// RTCP header plus sender SSRC: the part of an SRTCP packet left in clear (RFC 3711 §3.4).
const RTCP_CLEAR_LEN: usize = 8;
/// The E flag and 31-bit SRTCP index word.
const SRTCP_INDEX_LEN: usize = 4;
const E_FLAG: u32 = 0x8000_0000;

/// Which way a context works: [`Direction::Outbound`] protects, [`Direction::Inbound`]
/// unprotects. SDES gives each direction its own master key (RFC 4568 §6.1): ours
/// from our `a=crypto` line, the peer's from theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Packets we receive: `unprotect_*`.
    Inbound,
    /// Packets we send: `protect_*`.
    Outbound,
}

/// Counters of one context. Every dropped packet is counted under exactly one reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// SRTP packets protected (outbound) or authenticated and decrypted (inbound).
    pub rtp_packets: u64,
    /// SRTCP packets protected or authenticated and decrypted.
    pub rtcp_packets: u64,
    /// [`Error::AuthFailed`] and [`Error::UnknownMki`].
    pub auth_failed: u64,
    /// [`Error::Replayed`].
    pub replayed: u64,
    /// [`Error::TooShort`].
    pub too_short: u64,
    /// [`Error::BadHeader`].
    pub bad_header: u64,
    /// [`Error::KeyExhausted`].
    pub key_exhausted: u64,
    /// [`Error::TooManyStreams`].
    pub too_many_streams: u64,
}

impl Stats {
    /// All packets refused, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.auth_failed
            + self.replayed
            + self.too_short
            + self.bad_header
            + self.key_exhausted
            + self.too_many_streams
    }

    fn count(&mut self, e: &Error) {
        let c = match e {
            Error::AuthFailed | Error::UnknownMki => &mut self.auth_failed,
            Error::Replayed => &mut self.replayed,
            Error::TooShort => &mut self.too_short,
            Error::BadHeader => &mut self.bad_header,
            Error::KeyExhausted => &mut self.key_exhausted,
            Error::TooManyStreams => &mut self.too_many_streams,
            _ => return,
        };
        *c += 1;
    }
}

/// Session keys re-derived for `r = index DIV kdr` when the key derivation rate is not
/// zero (the `r = 0` keys live in the context).
#[derive(Debug)]
struct Rekeyed {
    r: u64,
    keys: SessionKeys,
}

/// Per-SSRC SRTP state: the highest index and the replay list (both directions).
#[derive(Debug)]
struct RtpStream {
    ssrc: u32,
    window: ReplayWindow,
    rekeyed: Option<Rekeyed>,
}

/// Per-SSRC SRTCP state: the replay list (inbound) or the next index (outbound).
#[derive(Debug)]
struct RtcpStream {
    ssrc: u32,
    window: ReplayWindow,
    rekeyed: Option<Rekeyed>,
}

/// The SRTP and SRTCP cryptographic context of one direction under one master key:
/// all SSRCs that use that key (RFC 3711 §3.2.3), each with its own rollover counter
/// and replay list, created on its first packet (inbound: on its first *authentic*
/// packet) up to [`Policy::max_streams`].
///
/// Buffers are processed in place and nothing allocates per packet once a stream exists
/// (the `Vec` variants grow the vector only if it lacks capacity for the trailer).
#[derive(Debug)]
pub struct SrtpContext {
    direction: Direction,
    profile: Profile,
    master: MasterKey,
    kdr_shift: Option<u32>,
    mki: Option<Box<[u8]>>,
    max_streams: usize,
    lifetime: u64,
    rtp_keys: SessionKeys,
    rtcp_keys: SessionKeys,
    srtp_packets: u64,
    srtcp_packets: u64,
    rtp_streams: Vec<RtpStream>,
    rtcp_streams: Vec<RtcpStream>,
    stats: Stats,
}

/// Length of the RTP header: fixed part, CSRC list and header extension (RFC 3550 §5.1,
/// §5.3.1). Everything after it is the payload SRTP encrypts.
fn rtp_header_len(p: &[u8]) -> Result<usize> {
    if p.len() < RTP_HEADER_LEN {
        return Err(Error::TooShort);
    }
    if p[0] >> 6 != 2 {
        return Err(Error::BadHeader);
    }
    let mut len = RTP_HEADER_LEN + 4 * usize::from(p[0] & 0x0F);
    if p[0] & 0x10 != 0 {
        let ext = p.get(len + 2..len + 4).ok_or(Error::BadHeader)?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([ext[0], ext[1]]));
    }
    if len > p.len() {
        return Err(Error::BadHeader);
    }
    Ok(len)
}

/// SRTCP's r is 48 bits wide with kdr 0 (libsrtp and deployed peers) and 32 bits with a
/// non-zero kdr (RFC 3711 §4.3.2, NIST SP 800-135): see [`RWidth`].
fn rtcp_width(kdr_shift: Option<u32>) -> RWidth {
    if kdr_shift.is_some() {
        RWidth::Bits32
    } else {
        RWidth::Bits48
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn tag_matches(computed: &[u8], received: &[u8]) -> bool {
    computed.ct_eq(received).into()
}

impl SrtpContext {
    /// A context for `direction` under `policy`. Fails only on an invalid policy.
    pub fn new(policy: Policy, direction: Direction) -> Result<Self> {
        let kdr_shift = policy.validate()?;
        let lifetime = policy.lifetime.unwrap_or(u64::MAX);
        Ok(Self {
            direction,
            profile: policy.profile,
            rtp_keys: SessionKeys::derive(&policy.master_key, false, 0, RWidth::Bits48),
            rtcp_keys: SessionKeys::derive(&policy.master_key, true, 0, rtcp_width(kdr_shift)),
            master: policy.master_key.clone(),
            kdr_shift,
            mki: policy.mki.clone().map(Vec::into_boxed_slice),
            max_streams: policy.max_streams,
            lifetime,
            srtp_packets: 0,
            srtcp_packets: 0,
            rtp_streams: Vec::new(),
            rtcp_streams: Vec::new(),
            stats: Stats::default(),
        })
    }

    /// Shorthand for `SrtpContext::new(policy, Direction::Outbound)`.
    pub fn outbound(policy: Policy) -> Result<Self> {
        Self::new(policy, Direction::Outbound)
    }

    /// Shorthand for `SrtpContext::new(policy, Direction::Inbound)`.
    pub fn inbound(policy: Policy) -> Result<Self> {
        Self::new(policy, Direction::Inbound)
    }

    /// The direction this context works in.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The crypto-suite.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Bytes SRTP adds to an RTP packet: MKI (if any) and tag.
    pub fn rtp_overhead(&self) -> usize {
        self.mki_len() + self.profile.rtp_tag_len()
    }

    /// Bytes SRTCP adds to an RTCP packet: E flag and index, MKI (if any) and tag.
    pub fn rtcp_overhead(&self) -> usize {
        SRTCP_INDEX_LEN + self.mki_len() + RTCP_TAG_LEN
    }

    /// Number of SSRCs tracked (SRTP and SRTCP streams counted once each).
    pub fn stream_count(&self) -> usize {
        let mut n = self.rtp_streams.len();
        n += self
            .rtcp_streams
            .iter()
            .filter(|c| !self.rtp_streams.iter().any(|s| s.ssrc == c.ssrc))
            .count();
        n
    }

    /// The rollover counter of an SRTP stream (RFC 3711 §3.3.1), if the SSRC is known.
    pub fn roc(&self, ssrc: u32) -> Option<u32> {
        self.rtp_streams
            .iter()
            .find(|s| s.ssrc == ssrc)
            .map(|s| (s.window.highest() >> 16) as u32)
    }

    /// Forgets an SSRC (an RTCP BYE, an SSRC change on re-INVITE), freeing its slot.
    /// Returns whether it was known.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        let before = self.rtp_streams.len() + self.rtcp_streams.len();
        self.rtp_streams.retain(|s| s.ssrc != ssrc);
        self.rtcp_streams.retain(|s| s.ssrc != ssrc);
        before != self.rtp_streams.len() + self.rtcp_streams.len()
    }

    fn mki_len(&self) -> usize {
        self.mki.as_ref().map_or(0, |m| m.len())
    }

    fn r_of(&self, index: u64) -> u64 {
        self.kdr_shift.map_or(0, |s| index >> s)
    }

    /// RFC 3711 §9.2 and the SDES lifetime: refuse once the master key is used up.
    fn check_lifetime(&self, rtcp: bool) -> Result<()> {
        let used = self.srtp_packets + self.srtcp_packets;
        let hard = if rtcp {
            self.srtcp_packets >= MAX_SRTCP_PACKETS
        } else {
            self.srtp_packets >= MAX_SRTP_PACKETS
        };
        if hard || used >= self.lifetime {
            return Err(Error::KeyExhausted);
        }
        Ok(())
    }

    fn has_room(&self, rtcp: bool) -> Result<()> {
        let n = if rtcp {
            self.rtcp_streams.len()
        } else {
            self.rtp_streams.len()
        };
        if n >= self.max_streams {
            return Err(Error::TooManyStreams);
        }
        Ok(())
    }

    /// Keys for `r`: the context's `r = 0` keys, the stream's cached ones, or `None`
    /// when they have to be derived.
    fn cached_keys<'a>(
        &'a self,
        rekeyed: Option<&'a Rekeyed>,
        rtcp: bool,
        r: u64,
    ) -> Option<&'a SessionKeys> {
        if r == 0 {
            Some(if rtcp {
                &self.rtcp_keys
            } else {
                &self.rtp_keys
            })
        } else {
            rekeyed.filter(|k| k.r == r).map(|k| &k.keys)
        }
    }

    // ---------------------------------------------------------------- SRTP

    /// Protects the RTP packet in `buf[..len]` in place: encrypts the payload and appends
    /// MKI and tag (RFC 3711 §3.3). `buf` must have [`rtp_overhead`](Self::rtp_overhead)
    /// spare bytes after `len`. Returns the SRTP packet length.
    pub fn protect_rtp_slice(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        if self.direction != Direction::Outbound {
            return Err(Error::WrongDirection);
        }
        let r = self.protect_rtp_inner(buf, len);
        if let Err(e) = &r {
            self.stats.count(e);
        }
        r
    }

    /// Protects the RTP packet in `packet`, appending MKI and tag. On error the packet is
    /// left as it was.
    pub fn protect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<()> {
        let len = packet.len();
        packet.resize(len + self.rtp_overhead(), 0);
        match self.protect_rtp_slice(packet, len) {
            Ok(n) => {
                packet.truncate(n);
                Ok(())
            }
            Err(e) => {
                packet.truncate(len);
                Err(e)
            }
        }
    }

    fn protect_rtp_inner(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.mki_len();
        let out_len = len + mki_len + tag_len;
        if out_len > buf.len() {
            return Err(Error::BufferTooSmall);
        }
        let hdr = rtp_header_len(&buf[..len])?;
        self.check_lifetime(false)?;
        let seq = u16::from_be_bytes([buf[2], buf[3]]);
        let ssrc = be32(&buf[8..12]);
        let slot = self.rtp_streams.iter().position(|s| s.ssrc == ssrc);
        let index = match slot {
            Some(i) => {
                let w = &self.rtp_streams[i].window;
                let index = estimate_index(w.highest(), seq)?;
                // Protecting an index twice would reuse keystream.
                w.check(index)?;
                index
            }
            None => {
                self.has_room(false)?;
                u64::from(seq)
            }
        };
        let r = self.r_of(index);
        let rekeyed = slot.and_then(|i| self.rtp_streams[i].rekeyed.as_ref());
        let derived = match self.cached_keys(rekeyed, false, r) {
            Some(_) => None,
            None => Some(SessionKeys::derive(&self.master, false, r, RWidth::Bits48)),
        };
        {
            let keys = match &derived {
                Some(k) => k,
                None => self
                    .cached_keys(rekeyed, false, r)
                    .unwrap_or(&self.rtp_keys),
            };
            aes_cm_apply(&keys.cipher, &keys.iv(ssrc, index), &mut buf[hdr..len]);
            let roc = ((index >> 16) as u32).to_be_bytes();
            let tag = keys.tag(&[&buf[..len], &roc]);
            if let Some(mki) = &self.mki {
                buf[len..len + mki_len].copy_from_slice(mki);
            }
            buf[len + mki_len..out_len].copy_from_slice(&tag[..tag_len]);
        }
        self.commit_rtp(slot, ssrc, index, derived.map(|keys| Rekeyed { r, keys }));
        Ok(out_len)
    }

    /// Verifies and decrypts the SRTP packet in `packet` in place (RFC 3711 §3.3): the tag
    /// is checked first (constant time), then the replay list, then the payload is
    /// decrypted and the ROC and replay list updated. Returns the RTP packet length
    /// (`packet[..n]`); on error the packet is dropped (and counted) and the context is
    /// unchanged.
    pub fn unprotect_rtp_slice(&mut self, packet: &mut [u8]) -> Result<usize> {
        if self.direction != Direction::Inbound {
            return Err(Error::WrongDirection);
        }
        let r = self.unprotect_rtp_inner(packet);
        if let Err(e) = &r {
            self.stats.count(e);
        }
        r
    }

    /// [`unprotect_rtp_slice`](Self::unprotect_rtp_slice) on a `Vec`, truncated to the
    /// RTP packet on success.
    pub fn unprotect_rtp(&mut self, packet: &mut Vec<u8>) -> Result<()> {
        let n = self.unprotect_rtp_slice(packet)?;
        packet.truncate(n);
        Ok(())
    }

    fn unprotect_rtp_inner(&mut self, packet: &mut [u8]) -> Result<usize> {
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.mki_len();
        let auth_end = packet
            .len()
            .checked_sub(mki_len + tag_len)
            .filter(|&n| n >= RTP_HEADER_LEN)
            .ok_or(Error::TooShort)?;
        let hdr = rtp_header_len(&packet[..auth_end])?;
        self.check_lifetime(false)?;
        if let Some(mki) = &self.mki {
            if !tag_matches(mki, &packet[auth_end..auth_end + mki_len]) {
                return Err(Error::UnknownMki);
            }
        }
        let seq = u16::from_be_bytes([packet[2], packet[3]]);
        let ssrc = be32(&packet[8..12]);
        let slot = self.rtp_streams.iter().position(|s| s.ssrc == ssrc);
        let index = match slot {
            Some(i) => estimate_index(self.rtp_streams[i].window.highest(), seq)?,
            None => u64::from(seq),
        };
        let r = self.r_of(index);
        let rekeyed = slot.and_then(|i| self.rtp_streams[i].rekeyed.as_ref());
        let derived = match self.cached_keys(rekeyed, false, r) {
            Some(_) => None,
            None => Some(SessionKeys::derive(&self.master, false, r, RWidth::Bits48)),
        };
        {
            let keys = match &derived {
                Some(k) => k,
                None => self
                    .cached_keys(rekeyed, false, r)
                    .unwrap_or(&self.rtp_keys),
            };
            let roc = ((index >> 16) as u32).to_be_bytes();
            let tag = keys.tag(&[&packet[..auth_end], &roc]);
            if !tag_matches(&tag[..tag_len], &packet[auth_end + mki_len..]) {
                return Err(Error::AuthFailed);
            }
            match slot {
                Some(i) => self.rtp_streams[i].window.check(index)?,
                None => self.has_room(false)?,
            }
            aes_cm_apply(
                &keys.cipher,
                &keys.iv(ssrc, index),
                &mut packet[hdr..auth_end],
            );
        }
        self.commit_rtp(slot, ssrc, index, derived.map(|keys| Rekeyed { r, keys }));
        Ok(auth_end)
    }

    /// Records an accepted SRTP index: replay list and ROC, new stream, fresher keys.
    fn commit_rtp(&mut self, slot: Option<usize>, ssrc: u32, index: u64, new: Option<Rekeyed>) {
        self.srtp_packets += 1;
        self.stats.rtp_packets += 1;
        match slot {
            Some(i) => {
                let s = &mut self.rtp_streams[i];
                s.window.update(index);
                if let Some(new) = new {
                    if s.rekeyed.as_ref().is_none_or(|old| new.r > old.r) {
                        s.rekeyed = Some(new);
                    }
                }
            }
            None => self.rtp_streams.push(RtpStream {
                ssrc,
                window: ReplayWindow::new(index),
                rekeyed: new,
            }),
        }
    }

    // --------------------------------------------------------------- SRTCP

    /// Protects the RTCP (compound) packet in `buf[..len]` in place: encrypts all but the
    /// first 8 bytes, appends E flag and SRTCP index, MKI and the 80-bit tag
    /// (RFC 3711 §3.4). `buf` needs [`rtcp_overhead`](Self::rtcp_overhead) spare bytes.
    /// Returns the SRTCP packet length.
    pub fn protect_rtcp_slice(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        if self.direction != Direction::Outbound {
            return Err(Error::WrongDirection);
        }
        let r = self.protect_rtcp_inner(buf, len);
        if let Err(e) = &r {
            self.stats.count(e);
        }
        r
    }

    /// [`protect_rtcp_slice`](Self::protect_rtcp_slice) on a `Vec`, which grows by the
    /// trailer. On error the packet is left as it was.
    pub fn protect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<()> {
        let len = packet.len();
        packet.resize(len + self.rtcp_overhead(), 0);
        match self.protect_rtcp_slice(packet, len) {
            Ok(n) => {
                packet.truncate(n);
                Ok(())
            }
            Err(e) => {
                packet.truncate(len);
                Err(e)
            }
        }
    }

    fn check_rtcp_header(p: &[u8]) -> Result<()> {
        if p.len() < RTCP_CLEAR_LEN {
            return Err(Error::TooShort);
        }
        if p[0] >> 6 != 2 {
            return Err(Error::BadHeader);
        }
        Ok(())
    }

    fn protect_rtcp_inner(&mut self, buf: &mut [u8], len: usize) -> Result<usize> {
        let mki_len = self.mki_len();
        let out_len = len + SRTCP_INDEX_LEN + mki_len + RTCP_TAG_LEN;
        if out_len > buf.len() {
            return Err(Error::BufferTooSmall);
        }
        Self::check_rtcp_header(&buf[..len])?;
        self.check_lifetime(true)?;
        let ssrc = be32(&buf[4..8]);
        let slot = self.rtcp_streams.iter().position(|s| s.ssrc == ssrc);
        let index = match slot {
            Some(i) => self.rtcp_streams[i].window.highest() + 1,
            None => {
                self.has_room(true)?;
                0
            }
        };
        if index >= MAX_SRTCP_PACKETS {
            return Err(Error::KeyExhausted);
        }
        let r = self.r_of(index);
        let rekeyed = slot.and_then(|i| self.rtcp_streams[i].rekeyed.as_ref());
        let derived = match self.cached_keys(rekeyed, true, r) {
            Some(_) => None,
            None => Some(SessionKeys::derive(
                &self.master,
                true,
                r,
                rtcp_width(self.kdr_shift),
            )),
        };
        {
            let keys = match &derived {
                Some(k) => k,
                None => self
                    .cached_keys(rekeyed, true, r)
                    .unwrap_or(&self.rtcp_keys),
            };
            aes_cm_apply(
                &keys.cipher,
                &keys.iv(ssrc, index),
                &mut buf[RTCP_CLEAR_LEN..len],
            );
            let word = E_FLAG | index as u32;
            buf[len..len + SRTCP_INDEX_LEN].copy_from_slice(&word.to_be_bytes());
            let auth_end = len + SRTCP_INDEX_LEN;
            let tag = keys.tag(&[&buf[..auth_end]]);
            if let Some(mki) = &self.mki {
                buf[auth_end..auth_end + mki_len].copy_from_slice(mki);
            }
            buf[auth_end + mki_len..out_len].copy_from_slice(&tag[..RTCP_TAG_LEN]);
        }
        self.commit_rtcp(slot, ssrc, index, derived.map(|keys| Rekeyed { r, keys }));
        Ok(out_len)
    }

    /// Verifies and decrypts the SRTCP packet in `packet` in place (RFC 3711 §3.4): tag
    /// first (constant time), then the replay list on the 31-bit index, then decryption
    /// if the E flag is set. Returns the RTCP packet length; on error the packet is dropped
    /// (and counted) and the context unchanged.
    ///
    /// A packet with the E flag clear is accepted unencrypted once its tag verifies (the
    /// holder of the key chose not to encrypt it, as libsrtp also accepts).
    pub fn unprotect_rtcp_slice(&mut self, packet: &mut [u8]) -> Result<usize> {
        if self.direction != Direction::Inbound {
            return Err(Error::WrongDirection);
        }
        let r = self.unprotect_rtcp_inner(packet);
        if let Err(e) = &r {
            self.stats.count(e);
        }
        r
    }

    /// [`unprotect_rtcp_slice`](Self::unprotect_rtcp_slice) on a `Vec`, truncated to the
    /// RTCP packet on success.
    pub fn unprotect_rtcp(&mut self, packet: &mut Vec<u8>) -> Result<()> {
        let n = self.unprotect_rtcp_slice(packet)?;
        packet.truncate(n);
        Ok(())
    }

    fn unprotect_rtcp_inner(&mut self, packet: &mut [u8]) -> Result<usize> {
        let mki_len = self.mki_len();
        let index_at = packet
            .len()
            .checked_sub(SRTCP_INDEX_LEN + mki_len + RTCP_TAG_LEN)
            .filter(|&n| n >= RTCP_CLEAR_LEN)
            .ok_or(Error::TooShort)?;
        Self::check_rtcp_header(&packet[..index_at])?;
        self.check_lifetime(true)?;
        let auth_end = index_at + SRTCP_INDEX_LEN;
        if let Some(mki) = &self.mki {
            if !tag_matches(mki, &packet[auth_end..auth_end + mki_len]) {
                return Err(Error::UnknownMki);
            }
        }
        let word = be32(&packet[index_at..auth_end]);
        let encrypted = word & E_FLAG != 0;
        let index = u64::from(word & !E_FLAG);
        let ssrc = be32(&packet[4..8]);
        let slot = self.rtcp_streams.iter().position(|s| s.ssrc == ssrc);
        let r = self.r_of(index);
        let rekeyed = slot.and_then(|i| self.rtcp_streams[i].rekeyed.as_ref());
        let derived = match self.cached_keys(rekeyed, true, r) {
            Some(_) => None,
            None => Some(SessionKeys::derive(
                &self.master,
                true,
                r,
                rtcp_width(self.kdr_shift),
            )),
        };
        {
            let keys = match &derived {
                Some(k) => k,
                None => self
                    .cached_keys(rekeyed, true, r)
                    .unwrap_or(&self.rtcp_keys),
            };
            let tag = keys.tag(&[&packet[..auth_end]]);
            if !tag_matches(&tag[..RTCP_TAG_LEN], &packet[auth_end + mki_len..]) {
                return Err(Error::AuthFailed);
            }
            match slot {
                Some(i) => self.rtcp_streams[i].window.check(index)?,
                None => self.has_room(true)?,
            }
            if encrypted {
                aes_cm_apply(
                    &keys.cipher,
                    &keys.iv(ssrc, index),
                    &mut packet[RTCP_CLEAR_LEN..index_at],
                );
            }
        }
        self.commit_rtcp(slot, ssrc, index, derived.map(|keys| Rekeyed { r, keys }));
        Ok(index_at)
    }

    fn commit_rtcp(&mut self, slot: Option<usize>, ssrc: u32, index: u64, new: Option<Rekeyed>) {
        self.srtcp_packets += 1;
        self.stats.rtcp_packets += 1;
        match slot {
            Some(i) => {
                let s = &mut self.rtcp_streams[i];
                s.window.update(index);
                if let Some(new) = new {
                    if s.rekeyed.as_ref().is_none_or(|old| new.r > old.r) {
                        s.rekeyed = Some(new);
                    }
                }
            }
            None => self.rtcp_streams.push(RtcpStream {
                ssrc,
                window: ReplayWindow::new(index),
                rekeyed: new,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> MasterKey {
        MasterKey::from_bytes(std::array::from_fn(|i| {
            n.wrapping_mul(31).wrapping_add(i as u8)
        }))
    }

    fn pair(policy: &Policy) -> (SrtpContext, SrtpContext) {
        (
            SrtpContext::outbound(policy.clone()).expect("policy"),
            SrtpContext::inbound(policy.clone()).expect("policy"),
        )
    }

    /// A G.711 20 ms RTP packet: 12-byte header + 160 payload bytes.
    fn rtp(seq: u16, ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, 0x00];
        p.extend(seq.to_be_bytes());
        p.extend((u32::from(seq) * 160).to_be_bytes());
        p.extend(ssrc.to_be_bytes());
        p.extend((0..160u32).map(|i| (i as u8) ^ (seq as u8)));
        p
    }

    /// An RTCP receiver report with one report block.
    fn rtcp(ssrc: u32, n: u8) -> Vec<u8> {
        let mut p = vec![0x81, 201, 0, 7];
        p.extend(ssrc.to_be_bytes());
        p.extend([n; 24]);
        p
    }

    /// RFC 3711 §3.1/§3.3: header in clear, payload encrypted, tag of 10 (_80) or
    /// 4 (_32) bytes appended; unprotect restores the packet exactly.
    #[test]
    fn rfc3711_3_3_round_trip_both_suites() {
        for (profile, tag) in [
            (Profile::AesCm128HmacSha1_80, 10),
            (Profile::AesCm128HmacSha1_32, 4),
        ] {
            let (mut tx, mut rx) = pair(&Policy::new(profile, key(1)));
            assert_eq!(tx.rtp_overhead(), tag);
            for seq in 100..110u16 {
                let plain = rtp(seq, 0xDEAD_BEEF);
                let mut p = plain.clone();
                tx.protect_rtp(&mut p).expect("protect");
                assert_eq!(p.len(), plain.len() + tag);
                assert_eq!(p[..12], plain[..12], "header stays in clear");
                assert_ne!(p[12..172], plain[12..], "payload encrypted");
                rx.unprotect_rtp(&mut p).expect("unprotect");
                assert_eq!(p, plain);
            }
            assert_eq!(tx.stats().rtp_packets, 10);
            assert_eq!(rx.stats().rtp_packets, 10);
            assert_eq!(rx.stats().dropped(), 0);
        }
    }

    /// RFC 3550 §5.1, §5.3.1: CSRCs and the header extension are part of the header and
    /// stay in clear; a header that runs past the packet is BadHeader.
    #[test]
    fn rfc3550_csrc_and_extension_stay_in_clear() {
        let (mut tx, mut rx) = pair(&Policy::new(Profile::AesCm128HmacSha1_80, key(2)));
        let mut plain = rtp(5, 7);
        plain[0] = 0x80 | 0x10 | 2; // X, CC = 2
        let mut hdr = plain[..12].to_vec();
        hdr.extend([1, 1, 1, 1, 2, 2, 2, 2]); // CSRCs
        hdr.extend([0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0]); // one-byte ext, 1 word
        let hdr_len = hdr.len();
        hdr.extend(&plain[12..]);
        let plain = hdr;
        let mut p = plain.clone();
        tx.protect_rtp(&mut p).expect("protect");
        assert_eq!(p[..hdr_len], plain[..hdr_len]);
        assert_ne!(p[hdr_len..plain.len()], plain[hdr_len..]);
        rx.unprotect_rtp(&mut p).expect("unprotect");
        assert_eq!(p, plain);

        let mut bad = rtp(6, 7);
        bad.truncate(20);
        bad[0] = 0x80 | 0x10 | 2; // the extension header would start at byte 20
        assert_eq!(tx.protect_rtp(&mut bad), Err(Error::BadHeader));
        let mut v1 = rtp(6, 7);
        v1[0] = 0x40;
        assert_eq!(tx.protect_rtp(&mut v1), Err(Error::BadHeader));
        assert_eq!(tx.stats().bad_header, 2);
    }

    /// RFC 3711 §3.3.2: the same packet twice is Replayed; a packet older than the
    /// window is Replayed; reordering inside the window is accepted.
    #[test]
    fn rfc3711_3_3_2_replay_protection() {
        let (mut tx, mut rx) = pair(&Policy::new(Profile::AesCm128HmacSha1_80, key(3)));
        let protected: Vec<Vec<u8>> = (0..300u16)
            .map(|s| {
                let mut p = rtp(1000 + s, 1);
                tx.protect_rtp(&mut p).expect("protect");
                p
            })
            .collect();
        let mut p = protected[0].clone();
        rx.unprotect_rtp(&mut p).expect("first");
        let mut again = protected[0].clone();
        assert_eq!(rx.unprotect_rtp(&mut again), Err(Error::Replayed));
        // Reordered inside the window: 10 before 5..9.
        for i in [10usize, 5, 9, 6, 8, 7, 1, 2, 3, 4] {
            let mut p = protected[i].clone();
            rx.unprotect_rtp(&mut p).expect("reordered within window");
            assert_eq!(p, rtp(1000 + i as u16, 1));
        }
        // Jump ahead 299: packets 11..=171 are now left of the 128-packet window.
        let mut p = protected[299].clone();
        rx.unprotect_rtp(&mut p).expect("jump");
        let mut old = protected[171].clone();
        assert_eq!(rx.unprotect_rtp(&mut old), Err(Error::Replayed));
        assert_eq!(old, protected[171], "dropped packet left untouched");
        let mut inside = protected[172].clone();
        rx.unprotect_rtp(&mut inside)
            .expect("just inside the window");
        assert_eq!(rx.stats().replayed, 2);
        // The sender refuses to reuse an index (keystream reuse).
        let mut dup = rtp(1000, 1);
        assert_eq!(tx.protect_rtp(&mut dup), Err(Error::Replayed));
        assert_eq!(dup, rtp(1000, 1));
    }

    /// RFC 3711 §3.3.1: ROC increments when SEQ wraps 65535 -> 0, on both sides; a late
    /// packet from before the wrap is decrypted with the old ROC.
    #[test]
    fn rfc3711_3_3_1_roc_rollover_and_late_packet() {
        for profile in Profile::ALL {
            let (mut tx, mut rx) = pair(&Policy::new(profile, key(4)));
            let seqs: Vec<u16> = (65530..=65535).chain(0..6).collect();
            let protected: Vec<Vec<u8>> = seqs
                .iter()
                .map(|&s| {
                    let mut p = rtp(s, 9);
                    tx.protect_rtp(&mut p).expect("protect");
                    p
                })
                .collect();
            assert_eq!(tx.roc(9), Some(1));
            // Deliver all but 65534 in order, then 65534 late (after the wrap).
            for (i, p) in protected.iter().enumerate() {
                if seqs[i] == 65534 {
                    continue;
                }
                let mut p = p.clone();
                rx.unprotect_rtp(&mut p).expect("in order");
                assert_eq!(p, rtp(seqs[i], 9));
            }
            assert_eq!(rx.roc(9), Some(1));
            let mut late = protected[4].clone();
            rx.unprotect_rtp(&mut late).expect("late packet from ROC 0");
            assert_eq!(late, rtp(65534, 9));
            assert_eq!(rx.roc(9), Some(1));
            // Delivered with the wrong ROC, a packet does not authenticate: the ROC is
            // in the tag (RFC 3711 §4.2). A fresh receiver starting at seq 0 uses ROC 0.
            let mut fresh = SrtpContext::inbound(Policy::new(profile, key(4))).expect("p");
            let mut p = protected[6].clone();
            assert_eq!(fresh.unprotect_rtp(&mut p), Err(Error::AuthFailed));
        }
    }

    /// RFC 3711 §3.3 step 5: a flipped bit anywhere (header, payload, tag) fails
    /// authentication, and the packet and context are left unchanged.
    #[test]
    fn rfc3711_3_3_tampered_packet_fails_authentication() {
        for profile in Profile::ALL {
            let (mut tx, mut rx) = pair(&Policy::new(profile, key(5)));
            let mut p = rtp(42, 3);
            tx.protect_rtp(&mut p).expect("protect");
            for pos in [1usize, 3, 11, 12, 100, p.len() - 1] {
                let mut bad = p.clone();
                bad[pos] ^= 0x01;
                let copy = bad.clone();
                assert_eq!(
                    rx.unprotect_rtp(&mut bad),
                    Err(Error::AuthFailed),
                    "byte {pos}"
                );
                assert_eq!(bad, copy);
            }
            assert_eq!(rx.stats().auth_failed, 6);
            assert_eq!(rx.stream_count(), 0, "no stream from forged packets");
            let mut good = p.clone();
            rx.unprotect_rtp(&mut good)
                .expect("the real one still passes");
            // Another key does not verify.
            let mut other = SrtpContext::inbound(Policy::new(profile, key(6))).expect("p");
            let mut q = p.clone();
            assert_eq!(other.unprotect_rtp(&mut q), Err(Error::AuthFailed));
        }
    }

    /// RFC 3711 §3.4: SRTCP keeps the first 8 bytes in clear, appends E||index and an
    /// 80-bit tag for both suites; replays and tampering are refused.
    #[test]
    fn rfc3711_3_4_srtcp_round_trip() {
        for profile in Profile::ALL {
            let (mut tx, mut rx) = pair(&Policy::new(profile, key(7)));
            assert_eq!(tx.rtcp_overhead(), 14);
            let mut sent = Vec::new();
            for n in 0..5u8 {
                let plain = rtcp(0x1234, n);
                let mut p = plain.clone();
                tx.protect_rtcp(&mut p).expect("protect");
                assert_eq!(p.len(), plain.len() + 14);
                assert_eq!(p[..8], plain[..8]);
                assert_ne!(p[8..plain.len()], plain[8..]);
                let e_index =
                    u32::from_be_bytes(p[plain.len()..plain.len() + 4].try_into().expect("4"));
                assert_eq!(e_index, 0x8000_0000 | u32::from(n), "E flag and index");
                sent.push(p.clone());
                rx.unprotect_rtcp(&mut p).expect("unprotect");
                assert_eq!(p, plain);
            }
            let mut replay = sent[2].clone();
            assert_eq!(rx.unprotect_rtcp(&mut replay), Err(Error::Replayed));
            let mut bad = sent[4].clone();
            bad[9] ^= 0x80;
            assert_eq!(rx.unprotect_rtcp(&mut bad), Err(Error::AuthFailed));
            // Flipping the E flag is caught by the tag too.
            let mut bad = sent[4].clone();
            let at = bad.len() - 14;
            bad[at] ^= 0x80;
            assert_eq!(rx.unprotect_rtcp(&mut bad), Err(Error::AuthFailed));
            assert_eq!(rx.stats().rtcp_packets, 5);
            assert_eq!(rx.stats().dropped(), 3);
        }
    }

    /// RFC 3711 §4.3.1: with a non-zero key_derivation_rate the session keys change every
    /// kdr packets; both sides follow, across a ROC wrap and with reordering across a
    /// key boundary, and for SRTCP.
    #[test]
    fn rfc3711_4_3_1_rekeying_with_key_derivation_rate() {
        let mut policy = Policy::new(Profile::AesCm128HmacSha1_80, key(8));
        policy.key_derivation_rate = 16;
        let (mut tx, mut rx) = pair(&policy);
        let (mut tx0, _) = pair(&Policy::new(Profile::AesCm128HmacSha1_80, key(8)));
        let seqs: Vec<u16> = (65500..=65535).chain(0..40).collect();
        let mut protected = Vec::new();
        for &s in &seqs {
            let mut p = rtp(s, 77);
            tx.protect_rtp(&mut p).expect("protect");
            let mut q = rtp(s, 77);
            tx0.protect_rtp(&mut q).expect("protect kdr 0");
            // r = 65500 DIV 16 != 0, so keys differ from the kdr-0 keys.
            assert_ne!(p, q);
            protected.push(p);
        }
        // Swap neighbours across each key boundary.
        let mut order: Vec<usize> = (0..protected.len()).collect();
        for i in (1..order.len()).step_by(16) {
            order.swap(i - 1, i);
        }
        for i in order {
            let mut p = protected[i].clone();
            rx.unprotect_rtp(&mut p).expect("unprotect with rekeying");
            assert_eq!(p, rtp(seqs[i], 77));
        }
        for n in 0..40u8 {
            let mut p = rtcp(77, n);
            tx.protect_rtcp(&mut p).expect("protect rtcp");
            rx.unprotect_rtcp(&mut p).expect("unprotect rtcp");
            assert_eq!(p, rtcp(77, n));
        }
        assert_eq!(rx.stats().dropped(), 0);
        assert!(matches!(
            SrtpContext::outbound(Policy {
                key_derivation_rate: 3,
                ..policy.clone()
            }),
            Err(Error::InvalidPolicy(_))
        ));
        assert!(matches!(
            SrtpContext::outbound(Policy {
                key_derivation_rate: 1 << 25,
                ..policy
            }),
            Err(Error::InvalidPolicy(_))
        ));
    }

    /// RFC 3711 §9.2 / RFC 4568 §6.1 lifetime: after `lifetime` packets (SRTP and SRTCP
    /// together) the key is exhausted in both directions.
    #[test]
    fn rfc3711_9_2_key_lifetime_is_enforced() {
        let mut policy = Policy::new(Profile::AesCm128HmacSha1_32, key(9));
        policy.lifetime = Some(4);
        let (mut tx, mut rx) = pair(&policy);
        let mut out = Vec::new();
        for s in 0..3u16 {
            let mut p = rtp(s, 1);
            tx.protect_rtp(&mut p).expect("within lifetime");
            out.push(p);
        }
        let mut c = rtcp(1, 0);
        tx.protect_rtcp(&mut c).expect("4th packet");
        let mut p = rtp(3, 1);
        assert_eq!(tx.protect_rtp(&mut p), Err(Error::KeyExhausted));
        let mut c2 = rtcp(1, 1);
        assert_eq!(tx.protect_rtcp(&mut c2), Err(Error::KeyExhausted));
        assert_eq!(tx.stats().key_exhausted, 2);
        for mut p in out {
            rx.unprotect_rtp(&mut p).expect("rx within lifetime");
        }
        rx.unprotect_rtcp(&mut c).expect("rx 4th");
        let mut c3 = rtcp(1, 2);
        c3.extend([0x80, 0, 0, 1]);
        c3.extend([0; 10]);
        assert_eq!(rx.unprotect_rtcp(&mut c3), Err(Error::KeyExhausted));
    }

    /// RFC 3711 §3.1: the MKI sits between the encrypted portion and the tag, outside the
    /// authenticated portion; a packet with another MKI is refused.
    #[test]
    fn rfc3711_3_1_mki_field() {
        let mut policy = Policy::new(Profile::AesCm128HmacSha1_80, key(10));
        policy.mki = Some(vec![0, 0, 0, 1]);
        let (mut tx, mut rx) = pair(&policy);
        let plain = rtp(1, 2);
        let mut p = plain.clone();
        tx.protect_rtp(&mut p).expect("protect");
        assert_eq!(p.len(), plain.len() + 14);
        assert_eq!(p[plain.len()..plain.len() + 4], [0, 0, 0, 1]);
        let mut wrong = p.clone();
        wrong[plain.len() + 3] = 2;
        assert_eq!(rx.unprotect_rtp(&mut wrong), Err(Error::UnknownMki));
        rx.unprotect_rtp(&mut p).expect("unprotect");
        assert_eq!(p, plain);
        let plain = rtcp(2, 1);
        let mut c = plain.clone();
        tx.protect_rtcp(&mut c).expect("protect rtcp");
        assert_eq!(c.len(), plain.len() + 4 + 4 + 10);
        assert_eq!(c[plain.len() + 4..plain.len() + 8], [0, 0, 0, 1]);
        rx.unprotect_rtcp(&mut c).expect("unprotect rtcp");
        assert_eq!(c, plain);
        assert_eq!(rx.stats().auth_failed, 1);
    }

    /// Streams are created on first packet, bounded by `max_streams`, and can be removed.
    #[test]
    fn streams_are_bounded_and_removable() {
        let mut policy = Policy::new(Profile::AesCm128HmacSha1_80, key(11));
        policy.max_streams = 2;
        let (mut tx, mut rx) = pair(&policy);
        let mut big = policy.clone();
        big.max_streams = 3;
        let mut tx3 = SrtpContext::outbound(big).expect("p");
        let mut pk = Vec::new();
        for ssrc in 1..=3u32 {
            let mut p = rtp(0, ssrc);
            tx3.protect_rtp(&mut p).expect("protect");
            pk.push(p);
        }
        rx.unprotect_rtp(&mut pk[0].clone()).expect("stream 1");
        rx.unprotect_rtp(&mut pk[1].clone()).expect("stream 2");
        assert_eq!(
            rx.unprotect_rtp(&mut pk[2].clone()),
            Err(Error::TooManyStreams)
        );
        assert_eq!(rx.stream_count(), 2);
        assert!(rx.remove_stream(1));
        assert!(!rx.remove_stream(1));
        rx.unprotect_rtp(&mut pk[2].clone())
            .expect("stream 3 after removal");
        assert_eq!(rx.stats().too_many_streams, 1);
        for ssrc in 1..=2u32 {
            tx.protect_rtp(&mut rtp(0, ssrc)).expect("protect");
        }
        assert_eq!(tx.protect_rtp(&mut rtp(0, 3)), Err(Error::TooManyStreams));
        assert!(matches!(
            SrtpContext::inbound(Policy {
                max_streams: 0,
                ..policy
            }),
            Err(Error::InvalidPolicy(_))
        ));
    }

    /// API misuse is an error, not counted as a packet fault.
    #[test]
    fn wrong_direction_and_small_buffers() {
        let (mut tx, mut rx) = pair(&Policy::new(Profile::AesCm128HmacSha1_80, key(12)));
        assert_eq!(rx.protect_rtp(&mut rtp(0, 1)), Err(Error::WrongDirection));
        assert_eq!(tx.unprotect_rtp(&mut rtp(0, 1)), Err(Error::WrongDirection));
        assert_eq!(rx.protect_rtcp(&mut rtcp(0, 1)), Err(Error::WrongDirection));
        assert_eq!(
            tx.unprotect_rtcp(&mut rtcp(0, 1)),
            Err(Error::WrongDirection)
        );
        let mut buf = [0u8; 180];
        let p = rtp(0, 1);
        buf[..172].copy_from_slice(&p);
        assert_eq!(
            tx.protect_rtp_slice(&mut buf, 172),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            tx.protect_rtp_slice(&mut buf, 200),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            tx.protect_rtcp_slice(&mut buf, 175),
            Err(Error::BufferTooSmall)
        );
        let mut buf = [0u8; 182];
        buf[..172].copy_from_slice(&p);
        assert_eq!(tx.protect_rtp_slice(&mut buf, 172), Ok(182));
        assert_eq!(rx.unprotect_rtp_slice(&mut buf), Ok(172));
        assert_eq!(buf[..172], p[..]);
        assert_eq!(tx.stats().dropped() + rx.stats().dropped(), 0);
        assert_eq!(tx.direction(), Direction::Outbound);
        assert_eq!(rx.profile(), Profile::AesCm128HmacSha1_80);
    }

    /// Bad input never panics: seeded random bytes and truncations of real packets into
    /// every entry point; every refusal is counted.
    #[test]
    fn random_bytes_never_panic() {
        let policy = Policy::new(Profile::AesCm128HmacSha1_32, key(13));
        let (mut tx, mut rx) = pair(&policy);
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut real = rtp(9, 9);
        tx.protect_rtp(&mut real).expect("protect");
        let mut real_c = rtcp(9, 9);
        tx.protect_rtcp(&mut real_c).expect("protect");
        let mut errors = 0u64;
        for round in 0..3000 {
            let len = (next() % 200) as usize;
            let mut p: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 3 == 0 && !p.is_empty() {
                p[0] = 0x80 | (p[0] & 0x3F); // version 2 more often
            }
            if round % 5 == 0 {
                p = real[..len.min(real.len())].to_vec();
            }
            if round % 7 == 0 {
                p = real_c[..len.min(real_c.len())].to_vec();
            }
            errors += u64::from(rx.unprotect_rtp(&mut p.clone()).is_err());
            errors += u64::from(rx.unprotect_rtcp(&mut p.clone()).is_err());
            let _ = tx.protect_rtp(&mut p.clone());
            let _ = tx.protect_rtcp(&mut p);
        }
        assert_eq!(rx.stats().dropped(), errors);
        assert!(rx.stats().too_short > 0 && rx.stats().auth_failed > 0);
    }
}
