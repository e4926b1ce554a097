//! Fax for Tipring: T.38 gateway channels and simulated fax terminals, over
//! spandsp.
//!
//! When a call on an FXS port turns out to be a fax, the SIP side re-INVITEs to
//! `image/t38` and from then on the port's audio goes through a [`T38Gateway`]:
//! it demodulates what the fax machine sends (V.21 HDLC, V.27ter, V.29, V.17,
//! with or without ECM) into T.38 IFP packets, and modulates the IFP packets
//! from the network back into audio. The UDPTL transport (redundancy, FEC,
//! sequence numbers) lives in `tipring-udptl`; this crate only sees IFP
//! payloads with their sequence numbers.
//!
//! For tests (here and end to end) the crate also provides a simulated analog
//! fax machine ([`FaxMachine`], spandsp's `fax_state_t`), a T.38 endpoint
//! ([`T38Terminal`], spandsp's `t38_terminal_state_t`), and test documents with
//! a page comparator ([`document`]).
//!
//! # Driving a gateway channel
//!
//! Like every media crate it has no clock and no socket of its own: the caller
//! feeds 10 ms frames of 8 kHz audio and moves the packets.
//!
//! ```no_run
//! use tipring_fax::{GatewayConfig, T38Gateway};
//!
//! # fn port_audio() -> [i16; 80] { [0; 80] }
//! # fn play(_: &[i16]) {}
//! # fn udptl_send(_: &[u8], _repeats: u8) {}
//! # fn udptl_received() -> Vec<(u16, Vec<u8>)> { Vec::new() }
//! let cfg = GatewayConfig { max_datagram: 400, ..GatewayConfig::default() };
//! let mut gw = T38Gateway::new(&cfg)?;
//! loop {
//!     // Every 10 ms: audio from the fax machine in (this runs the gateway's
//!     // timers too), audio for the fax machine out.
//!     gw.audio_from_line(&port_audio());
//!     let mut out = [0i16; 80];
//!     gw.audio_to_line(&mut out);
//!     play(&out);
//!     // IFP packets from the network, in sequence order (after UDPTL recovery).
//!     for (seq, ifp) in udptl_received() {
//!         if gw.ifp_from_network(seq, &ifp).is_err() {
//!             // count it; the channel carries on
//!         }
//!     }
//!     // IFP packets for the network; `repeats` is how many times spandsp
//!     // wants each sent (indicators and end-of-data packets: 3).
//!     while let Some(p) = gw.poll_ifp() {
//!         udptl_send(&p.data, p.repeats);
//!     }
//! #   break;
//! }
//! let stats = gw.stats(); // bit rate, ECM, pages
//! # Ok::<(), tipring_fax::FaxError>(())
//! ```
//!
//! # What is supported
//!
//! * Image modems V.27ter (2400/4800), V.29 (7200/9600), V.17 (7200 to 14,400),
//!   limited by [`GatewayConfig::max_bit_rate`]; V.21 channel 2 HDLC for T.30
//!   control; CNG/CED passed as indicators. No V.34 (not built into spandsp-sys'
//!   default features) and no V.8.
//! * ECM on or off ([`GatewayConfig::ecm`]); T.38 versions 0 to 3 (the IFP
//!   encoding differs between 0 and later); fill bit removal; packet sizing to
//!   `T38FaxMaxDatagram`.
//! * Rate management: spandsp 3.0's gateway always relays TCF as data
//!   (`transferredTCF`, what UDPTL peers use); `localTCF` is accepted and
//!   recorded but not acted on.
//! * spandsp's own logging is off; each object has `set_log_handler` to route
//!   its messages to a closure (e.g. into `tracing`).
//!
//! Every exported type is `Send` (not `Sync`) and `Debug`.
//!
//! # Licences
//!
//! This crate is Apache-2.0 like the rest of Tipring. It binds spandsp through
//! the `spandsp` wrappers (MIT) over `spandsp-sys` (MIT), which vendors spandsp
//! 3.0.0 (LGPL-2.1), compiles it and links it **statically**, and links the
//! system libtiff and libjpeg dynamically. LGPL-2.1 §6 is met because Tipring
//! ships as source: anyone can rebuild and relink it against a modified
//! spandsp. A binary distribution must keep offering that (the source, or the
//! object files to relink).
//!
//! # Unsafe code
//!
//! The crate denies `unsafe_code` and allows it item by item, almost all in
//! one private module (`ffi`): the callbacks spandsp calls (IFP transmit, T.30
//! phase E, logging), the heap cells they write to, the few spandsp-sys calls
//! the wrappers lack, and the libtiff reader. Each object frees its spandsp
//! state before the cells the callbacks point to.

mod error;
mod ffi;
mod gateway;
mod machine;

pub mod document;

pub use error::{FaxError, Result};
pub use gateway::{GatewayConfig, GatewayStats, T38Gateway};
pub use machine::{FaxMachine, FaxOutcome, MachineOptions, T38Terminal};

/// One IFP packet to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutIfp {
    /// The IFP packet (the UDPTL primary payload).
    pub data: Vec<u8>,
    /// How many times spandsp wants it sent (its `count`): 1 for data, 3 for
    /// indicators and end-of-data packets, as the peer may lose one.
    pub repeats: u8,
}

/// Severity threshold for spandsp's log lines (`SPAN_LOG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// And warnings.
    Warning,
    /// And protocol errors.
    ProtocolError,
    /// And protocol warnings.
    ProtocolWarning,
    /// And the protocol flow (T.30 frames, T.38 packets, modem changes).
    Flow,
    /// Everything, including DSP debugging.
    Debug,
}

impl LogLevel {
    fn raw(self) -> i32 {
        match self {
            LogLevel::Error => 1,
            LogLevel::Warning => 2,
            LogLevel::ProtocolError => 3,
            LogLevel::ProtocolWarning => 4,
            LogLevel::Flow => 5,
            LogLevel::Debug => 8,
        }
    }
}
