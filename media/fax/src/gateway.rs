//! The T.38 gateway channel: analog fax audio on one side, IFP packets on the other.

use std::fmt;

use spandsp::t30::T30ModemSupport;
use spandsp::t38_core::{T38DataRateManagement, T38Version};

use crate::error::{FaxError, Result};
use crate::ffi::{self, IfpQueue, LogSink, Shared};
use crate::{LogLevel, OutIfp};

/// IFP header overhead allowed for when sizing data packets to `max_datagram`
/// (type, data type, field count, field type and length octets, with margin).
const IFP_OVERHEAD: usize = 8;
/// spandsp's default (and our longest) interval between image data packets.
const MAX_PACKET_INTERVAL_US: u32 = 30_000;
/// The shortest interval we let `max_datagram` push spandsp to.
const MIN_PACKET_INTERVAL_US: u32 = 10_000;
/// The fastest image bit rate, which sizes the data packets.
const FASTEST_BIT_RATE: u32 = 14_400;

/// Session parameters of one T.38 gateway channel, from the SDP offer/answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// `T38FaxVersion`, 0 to 3 (0 and 1+ differ in the IFP ASN.1 encoding).
    pub version: u8,
    /// `T38MaxBitRate`, 2400 to 14400: limits the image modems offered to the fax
    /// machine, rounded down to a modem family: 14400 and up offers V.17 +
    /// V.29 + V.27ter; 7200 to 14399 offers V.29 + V.27ter; below, V.27ter only.
    pub max_bit_rate: u32,
    /// Whether error correcting mode (T.30 Annex A) may be negotiated.
    pub ecm: bool,
    /// `T38FaxRateManagement`: `transferredTCF` (true) or `localTCF` (false).
    /// spandsp 3.0's gateway always relays the TCF as data (transferred TCF);
    /// the setting is recorded on its T.38 core but changes nothing else.
    pub transferred_tcf: bool,
    /// The far end's `T38FaxMaxDatagram`: the largest IFP packet to emit. Image
    /// and HDLC data are cut into packets of at most 30 ms (54 octets at 14,400
    /// bit/s); a smaller datagram shortens that interval (down to 10 ms).
    pub max_datagram: usize,
    /// `T38FaxFillBitRemoval`: strip fill bits from non-ECM image data.
    pub fill_bit_removal: bool,
}

impl Default for GatewayConfig {
    /// Version 0, 14,400 bit/s, ECM, transferred TCF, 400-octet datagrams
    /// (a common `T38FaxMaxDatagram` and spandsp's own buffer size), no fill
    /// bit removal.
    fn default() -> Self {
        Self {
            version: 0,
            max_bit_rate: 14_400,
            ecm: true,
            transferred_tcf: true,
            max_datagram: 400,
            fill_bit_removal: false,
        }
    }
}

impl GatewayConfig {
    fn validate(&self) -> Result<()> {
        if self.version > 3 {
            return Err(FaxError::InvalidConfig(format!(
                "T38FaxVersion {} (0..=3)",
                self.version
            )));
        }
        if !(2400..=14_400).contains(&self.max_bit_rate) {
            return Err(FaxError::InvalidConfig(format!(
                "T38MaxBitRate {} (2400..=14400)",
                self.max_bit_rate
            )));
        }
        if self.max_datagram < min_datagram() {
            return Err(FaxError::InvalidConfig(format!(
                "T38FaxMaxDatagram {} (at least {})",
                self.max_datagram,
                min_datagram()
            )));
        }
        Ok(())
    }

    pub(crate) fn modems(&self) -> T30ModemSupport {
        modems_for(self.max_bit_rate)
    }

    /// The image data packet interval that keeps a packet within `max_datagram`.
    fn packet_interval_us(&self) -> u32 {
        let payload = self.max_datagram.saturating_sub(IFP_OVERHEAD) as u64;
        let us = payload * 8 * 1_000_000 / u64::from(FASTEST_BIT_RATE);
        (us.min(u64::from(MAX_PACKET_INTERVAL_US)) as u32).max(MIN_PACKET_INTERVAL_US)
    }
}

fn min_datagram() -> usize {
    (FASTEST_BIT_RATE * MIN_PACKET_INTERVAL_US / 8_000_000) as usize + IFP_OVERHEAD
}

/// T.38 §A.1 (IFP, PER-encoded): an indicator packet is exactly one octet (two
/// with the extension bit) and has no data field. Data packets are left to
/// spandsp, which checks them completely before acting on them.
pub(crate) fn indicator_well_formed(ifp: &[u8]) -> bool {
    let Some(&first) = ifp.first() else {
        return false;
    };
    let is_indicator = first & 0x40 == 0;
    if !is_indicator {
        return true;
    }
    let data_field_present = first & 0x80 != 0;
    let extension = first & 0x20 != 0;
    !data_field_present && ifp.len() == if extension { 2 } else { 1 }
}

pub(crate) fn modems_for(max_bit_rate: u32) -> T30ModemSupport {
    if max_bit_rate >= 14_400 {
        T30ModemSupport::V27TER | T30ModemSupport::V29 | T30ModemSupport::V17
    } else if max_bit_rate >= 7200 {
        T30ModemSupport::V27TER | T30ModemSupport::V29
    } else {
        T30ModemSupport::V27TER
    }
}

pub(crate) fn t38_version(v: u8) -> T38Version {
    match v {
        0 => T38Version::V0,
        1 => T38Version::V1,
        2 => T38Version::V2,
        _ => T38Version::V3,
    }
}

/// What a gateway channel has done so far (spandsp's `t38_stats_t` plus IFP counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GatewayStats {
    /// The image bit rate last trained (0 before any image modem ran).
    pub bit_rate: u32,
    /// Whether the current/last page used ECM.
    pub ecm: bool,
    /// Pages confirmed (MCF seen) through the gateway.
    pub pages: u32,
    /// IFP packets emitted (each counted once, whatever its `repeats`).
    pub ifp_sent: u64,
    /// IFP packets accepted by [`T38Gateway::ifp_from_network`] (including
    /// repeats, which spandsp recognises by their sequence number and ignores).
    pub ifp_received: u64,
    /// IFP packets spandsp rejected.
    pub ifp_rejected: u64,
    /// The largest IFP packet emitted, in octets.
    pub largest_ifp: usize,
    /// Emitted packets larger than `max_datagram` (spandsp cannot split them;
    /// expected to stay 0).
    pub oversize_ifp: u64,
}

/// One T.38 gateway channel (spandsp `t38_gateway_state_t`).
///
/// Drive it every 10 ms frame: [`audio_from_line`](Self::audio_from_line) with
/// what the fax machine sent, [`audio_to_line`](Self::audio_to_line) for what it
/// hears, then [`poll_ifp`](Self::poll_ifp) until `None`; feed packets from the
/// network with [`ifp_from_network`](Self::ifp_from_network) as they arrive.
/// The gateway's timers run on the received audio (`t38_gateway_rx`), so feed
/// `audio_from_line` every frame even when the line is silent.
pub struct T38Gateway {
    // Field order is drop order: the spandsp state (which holds the addresses
    // of the cells below) is freed first.
    gw: spandsp::t38_gateway::T38Gateway,
    queue: Shared<IfpQueue>,
    log: Option<Shared<LogSink>>,
    scratch: Vec<i16>,
    ifp_received: u64,
    ifp_rejected: u64,
    config: GatewayConfig,
}

// SAFETY: the gateway exclusively owns its spandsp state (no sharing, no
// thread-local or global mutable state is used by it after init) and its
// callback cells, which hold only `Send` data. spandsp may run on any thread as
// long as one thread at a time uses the object, which `&mut self` guarantees.
// It is not `Sync`.
#[allow(unsafe_code)]
unsafe impl Send for T38Gateway {}

impl fmt::Debug for T38Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("T38Gateway")
            .field("config", &self.config)
            .field("queued", &self.queue.get().packets.len())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl T38Gateway {
    /// Creates a gateway channel for one call, configured from the negotiated
    /// T.38 session parameters.
    pub fn new(cfg: &GatewayConfig) -> Result<Self> {
        cfg.validate()?;
        let queue = Shared::new(IfpQueue {
            max_datagram: cfg.max_datagram,
            ..IfpQueue::default()
        });
        #[allow(unsafe_code)]
        // SAFETY: the handler matches `t38_tx_packet_handler_t`; its user data is
        // `queue`, which the returned object owns and frees after the gateway.
        let gw = unsafe {
            spandsp::t38_gateway::T38Gateway::new_raw(
                Some(ffi::tx_packet_handler),
                queue.user_data(),
            )
        }
        .map_err(|_| FaxError::Init("T.38 gateway"))?;
        gw.set_transmit_on_idle(true);
        gw.set_supported_modems(cfg.modems());
        gw.set_ecm_capability(cfg.ecm);
        ffi::gateway_set_fill_bit_removal(&gw, cfg.fill_bit_removal);
        {
            let core = gw
                .get_t38_core_state()
                .map_err(|_| FaxError::Init("T.38 core"))?;
            core.set_t38_version(t38_version(cfg.version));
            core.set_data_rate_management_method(if cfg.transferred_tcf {
                T38DataRateManagement::TransferredTcf
            } else {
                T38DataRateManagement::LocalTcf
            });
            ffi::core_set_fill_bit_removal(&core, cfg.fill_bit_removal);
            ffi::core_set_datagram(&core, cfg.max_datagram, cfg.packet_interval_us());
        }
        Ok(Self {
            gw,
            queue,
            log: None,
            scratch: Vec::with_capacity(160),
            ifp_received: 0,
            ifp_rejected: 0,
            config: cfg.clone(),
        })
    }

    /// Audio from the fax machine (8 kHz linear), normally one 80-sample frame.
    /// This also advances the gateway's timers by `samples.len()`.
    pub fn audio_from_line(&mut self, samples: &[i16]) {
        // t38_gateway_rx filters the buffer in place: hand it a copy.
        self.scratch.clear();
        self.scratch.extend_from_slice(samples);
        self.gw.rx(&mut self.scratch);
    }

    /// Audio for the fax machine: always fills `out` (silence when idle).
    pub fn audio_to_line(&mut self, out: &mut [i16]) {
        let n = self.gw.tx(out).min(out.len());
        out[n..].fill(0);
    }

    /// An IFP packet from the network (UDPTL payload, after redundancy/FEC
    /// recovery), in sequence order. A packet spandsp rejects gives
    /// [`FaxError::RejectedIfp`]; the caller counts it and carries on.
    ///
    /// spandsp's sequence handling: a repeat of the previous `seq` is ignored
    /// (`Ok`), a late one is dropped (`Ok`), a gap is reported to the gateway as
    /// missing data. A data packet spandsp rejects still consumes its `seq`
    /// (spandsp checks the whole packet before acting on it). spandsp acts on an
    /// indicator *before* checking the packet's length, so malformed indicator
    /// packets are rejected here without reaching spandsp; the next packet then
    /// shows spandsp a one-packet gap, as if the datagram had been lost.
    pub fn ifp_from_network(&mut self, seq: u16, ifp: &[u8]) -> Result<()> {
        let rc = indicator_well_formed(ifp)
            && match self.gw.get_t38_core_state() {
                Ok(core) => core.rx_ifp_packet(ifp, seq).is_ok(),
                Err(_) => false,
            };
        if rc {
            self.ifp_received += 1;
            Ok(())
        } else {
            self.ifp_rejected += 1;
            Err(FaxError::RejectedIfp {
                seq,
                len: ifp.len(),
            })
        }
    }

    /// The next IFP packet to send, oldest first.
    pub fn poll_ifp(&mut self) -> Option<OutIfp> {
        self.queue.get_mut().packets.pop_front()
    }

    /// Transfer statistics so far.
    pub fn stats(&self) -> GatewayStats {
        let s = self.gw.get_transfer_statistics();
        let q = self.queue.get();
        GatewayStats {
            bit_rate: u32::try_from(s.bit_rate).unwrap_or(0),
            ecm: s.error_correcting_mode,
            pages: u32::try_from(s.pages_transferred).unwrap_or(0),
            ifp_sent: q.sent,
            ifp_received: self.ifp_received,
            ifp_rejected: self.ifp_rejected,
            largest_ifp: q.largest,
            oversize_ifp: q.oversize,
        }
    }

    /// The configuration the channel was created with.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// Routes spandsp's log lines for this channel (gateway and T.38 core) to
    /// `handler`, at `level` and more severe. Logging is off by default.
    pub fn set_log_handler(&mut self, level: LogLevel, handler: impl FnMut(&str) + Send + 'static) {
        let sink = Shared::new(LogSink {
            handler: Box::new(handler),
        });
        ffi::route_logs(&ffi::gateway_log_states(&self.gw), level.raw(), Some(&sink));
        // The previous sink (if any) is no longer referenced by spandsp.
        self.log = Some(sink);
    }
}
