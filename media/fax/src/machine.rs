//! Simulated fax terminals: an analog fax machine (audio) and a T.38 endpoint (IFP).

use std::fmt;
use std::path::Path;

use spandsp::t30::T30State;

use crate::error::{FaxError, Result};
use crate::ffi::{self, IfpQueue, LogSink, PhaseE, Shared};
use crate::gateway::{modems_for, t38_version};
use crate::{LogLevel, OutIfp};

/// T.4 compressions our terminals offer: 1D, 2D and (with ECM) T.6.
const COMPRESSIONS: i32 = spandsp::spandsp_sys::t4_image_compression_t_T4_COMPRESSION_T4_1D as i32
    | spandsp::spandsp_sys::t4_image_compression_t_T4_COMPRESSION_T4_2D as i32
    | spandsp::spandsp_sys::t4_image_compression_t_T4_COMPRESSION_T6 as i32;

/// How a simulated terminal presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineOptions {
    /// TSI/CSI (up to 20 characters).
    pub ident: String,
    /// Offer ECM.
    pub ecm: bool,
    /// Fastest image modem offered (same rounding as [`crate::GatewayConfig::max_bit_rate`]).
    pub max_bit_rate: u32,
}

impl Default for MachineOptions {
    fn default() -> Self {
        Self {
            ident: "Tipring test".into(),
            ecm: true,
            max_bit_rate: 14_400,
        }
    }
}

/// How a fax call ended (T.30 phase E).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaxOutcome {
    /// The call completed with `T30_ERR_OK`.
    pub success: bool,
    /// Pages sent (sender) or received (receiver).
    pub pages: u32,
    /// The last image bit rate.
    pub bit_rate: u32,
    /// Whether ECM was used.
    pub ecm: bool,
    /// spandsp's `t30_completion_code_to_str`.
    pub result: String,
    /// The raw `t30_err_e` completion code.
    pub code: i32,
}

fn c_path(path: &Path) -> Result<&str> {
    match path.to_str() {
        Some(s) if !s.contains('\0') => Ok(s),
        _ => Err(FaxError::BadPath(path.to_path_buf())),
    }
}

/// Common T.30 set-up for a sender or receiver.
fn configure_t30(
    t30: &T30State<'_>,
    doc: &Path,
    sender: bool,
    opts: &MachineOptions,
    phase_e: &Shared<PhaseE>,
) -> Result<()> {
    let path = c_path(doc)?;
    if sender {
        std::fs::metadata(doc).map_err(|source| FaxError::Io {
            path: doc.to_path_buf(),
            source,
        })?;
        t30.set_tx_file(path, -1, -1)
    } else {
        t30.set_rx_file(path, -1)
    }
    .map_err(|_| FaxError::BadPath(doc.to_path_buf()))?;
    ffi::set_tx_ident(t30, &opts.ident);
    t30.set_ecm_capability(opts.ecm)
        .and_then(|()| t30.set_supported_modems(modems_for(opts.max_bit_rate)))
        .and_then(|()| t30.set_supported_compressions(COMPRESSIONS))
        .map_err(|_| FaxError::InvalidConfig("T.30 rejected the machine options".into()))?;
    ffi::set_phase_e(t30, phase_e);
    Ok(())
}

fn outcome(t30: Option<T30State<'_>>, phase_e: &PhaseE, sender: bool) -> Option<FaxOutcome> {
    let code = phase_e.completion?;
    let stats = t30.map(|t| t.get_transfer_statistics());
    let (pages, bit_rate, ecm) = stats.map_or((0, 0, false), |s| {
        (
            if sender { s.pages_tx } else { s.pages_rx },
            s.bit_rate,
            s.error_correcting_mode != 0,
        )
    });
    Some(FaxOutcome {
        success: code == 0,
        pages: u32::try_from(pages).unwrap_or(0),
        bit_rate: u32::try_from(bit_rate).unwrap_or(0),
        ecm,
        result: ffi::completion_code_to_str(code),
        code,
    })
}

/// A simulated analog fax machine (spandsp `fax_state_t`: T.30 plus the V.21,
/// V.27ter, V.29 and V.17 modems), the thing on the far side of an FXS port.
/// The sender is the calling party (sends CNG), the receiver answers (CED).
pub struct FaxMachine {
    // Field order is drop order: the spandsp state goes first.
    fax: spandsp::fax::FaxState,
    phase_e: Shared<PhaseE>,
    log: Option<Shared<LogSink>>,
    sender: bool,
    scratch: Vec<i16>,
}

impl fmt::Debug for FaxMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaxMachine")
            .field("sender", &self.sender)
            .field("outcome", &self.outcome())
            .finish_non_exhaustive()
    }
}

impl FaxMachine {
    /// A calling machine that sends the pages of `tiff`.
    pub fn sender(tiff: &Path, opts: &MachineOptions) -> Result<Self> {
        Self::new(tiff, true, opts)
    }

    /// An answering machine that writes what it receives to `tiff_out`.
    pub fn receiver(tiff_out: &Path, opts: &MachineOptions) -> Result<Self> {
        Self::new(tiff_out, false, opts)
    }

    fn new(doc: &Path, sender: bool, opts: &MachineOptions) -> Result<Self> {
        let fax =
            spandsp::fax::FaxState::new(sender).map_err(|_| FaxError::Init("fax terminal"))?;
        fax.set_transmit_on_idle(true);
        let phase_e = Shared::new(PhaseE::default());
        {
            let t30 = fax
                .get_t30_state()
                .map_err(|_| FaxError::Init("T.30 engine"))?;
            configure_t30(&t30, doc, sender, opts, &phase_e)?;
        }
        Ok(Self {
            fax,
            phase_e,
            log: None,
            sender,
            scratch: Vec::with_capacity(160),
        })
    }

    /// Audio the machine hears (8 kHz linear).
    pub fn rx_audio(&mut self, samples: &[i16]) {
        self.scratch.clear();
        self.scratch.extend_from_slice(samples);
        self.fax.rx(&mut self.scratch);
    }

    /// Audio the machine sends: always fills `out`.
    pub fn tx_audio(&mut self, out: &mut [i16]) {
        let n = self.fax.tx(out).min(out.len());
        out[n..].fill(0);
    }

    /// How the call ended, once T.30 phase E has run.
    pub fn outcome(&self) -> Option<FaxOutcome> {
        outcome(
            self.fax.get_t30_state().ok(),
            self.phase_e.get(),
            self.sender,
        )
    }

    /// Routes spandsp's log lines (fax front end and T.30) to `handler`.
    pub fn set_log_handler(&mut self, level: LogLevel, handler: impl FnMut(&str) + Send + 'static) {
        let sink = Shared::new(LogSink {
            handler: Box::new(handler),
        });
        ffi::route_logs(&ffi::fax_log_states(&self.fax), level.raw(), Some(&sink));
        self.log = Some(sink);
    }
}

/// A T.38 terminal (spandsp `t38_terminal_state_t`): a fax endpoint that speaks
/// IFP directly, the far end of interop tests.
pub struct T38Terminal {
    // Field order is drop order: the spandsp state goes first.
    term: spandsp::t38_terminal::T38Terminal,
    queue: Shared<IfpQueue>,
    phase_e: Shared<PhaseE>,
    log: Option<Shared<LogSink>>,
    sender: bool,
}

impl fmt::Debug for T38Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("T38Terminal")
            .field("sender", &self.sender)
            .field("queued", &self.queue.get().packets.len())
            .field("outcome", &self.outcome())
            .finish_non_exhaustive()
    }
}

impl T38Terminal {
    /// A calling T.38 terminal that sends the pages of `tiff`.
    pub fn sender(tiff: &Path, opts: &MachineOptions) -> Result<Self> {
        Self::new(tiff, true, opts)
    }

    /// An answering T.38 terminal that writes what it receives to `tiff_out`.
    pub fn receiver(tiff_out: &Path, opts: &MachineOptions) -> Result<Self> {
        Self::new(tiff_out, false, opts)
    }

    fn new(doc: &Path, sender: bool, opts: &MachineOptions) -> Result<Self> {
        let queue = Shared::new(IfpQueue::default());
        #[allow(unsafe_code)]
        // SAFETY: the handler matches `t38_tx_packet_handler_t`; its user data is
        // `queue`, owned by the returned object and freed after the terminal.
        let term = unsafe {
            spandsp::t38_terminal::T38Terminal::new_raw(
                sender,
                Some(ffi::tx_packet_handler),
                queue.user_data(),
            )
        }
        .map_err(|_| FaxError::Init("T.38 terminal"))?;
        let phase_e = Shared::new(PhaseE::default());
        {
            let t30 = term
                .get_t30_state()
                .map_err(|_| FaxError::Init("T.30 engine"))?;
            configure_t30(&t30, doc, sender, opts, &phase_e)?;
        }
        Ok(Self {
            term,
            queue,
            phase_e,
            log: None,
            sender,
        })
    }

    /// Sets `T38FaxVersion` (0..=3) for the IFP encoding; 0 by default.
    pub fn set_t38_version(&mut self, version: u8) {
        if let Ok(core) = self.term.get_t38_core_state() {
            core.set_t38_version(t38_version(version));
        }
    }

    /// An IFP packet from the network, in sequence order.
    pub fn ifp_from_network(&mut self, seq: u16, ifp: &[u8]) -> Result<()> {
        let ok = crate::gateway::indicator_well_formed(ifp)
            && match self.term.get_t38_core_state() {
                Ok(core) => core.rx_ifp_packet(ifp, seq).is_ok(),
                Err(_) => false,
            };
        if ok {
            Ok(())
        } else {
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

    /// Advances the terminal's clock by `samples` (8 kHz), which also paces its
    /// transmission (`t38_terminal_send_timeout`).
    pub fn advance(&mut self, samples: usize) {
        let samples = i32::try_from(samples).unwrap_or(i32::MAX);
        self.term.send_timeout(samples);
    }

    /// How the call ended, once T.30 phase E has run.
    pub fn outcome(&self) -> Option<FaxOutcome> {
        outcome(
            self.term.get_t30_state().ok(),
            self.phase_e.get(),
            self.sender,
        )
    }

    /// Routes spandsp's log lines (terminal, T.30, T.38 core) to `handler`.
    pub fn set_log_handler(&mut self, level: LogLevel, handler: impl FnMut(&str) + Send + 'static) {
        let sink = Shared::new(LogSink {
            handler: Box::new(handler),
        });
        ffi::route_logs(
            &ffi::terminal_log_states(&self.term),
            level.raw(),
            Some(&sink),
        );
        self.log = Some(sink);
    }
}
