//! Every `unsafe` of the crate: the callbacks spandsp calls back into, the heap
//! cells handed to C as their `user_data`, the few spandsp-sys calls the safe
//! `spandsp` wrappers do not cover, and the libtiff reader.
//!
//! Rules kept here:
//! * a callback's `user_data` is a [`Shared`] cell, owned by the Rust object that
//!   also owns the spandsp object; that object declares the spandsp handle
//!   *before* the cell, so the C state is freed first and no callback can run
//!   against a freed cell;
//! * spandsp only calls back from inside a call made through `&mut self` of the
//!   owner, and the owner holds no reference into the cell across such a call,
//!   so the `&mut` a callback creates is the only live reference;
//! * callbacks never unwind into C (panics in a log handler are caught).

use std::collections::VecDeque;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use spandsp_sys as sys;

use crate::OutIfp;

// ---------------------------------------------------------------------------
// Heap cells handed to C
// ---------------------------------------------------------------------------

/// A heap value whose address is given to spandsp as callback `user_data`.
///
/// It is a raw allocation rather than a `Box` field so that a callback's
/// `&mut` does not alias a `Box` the owner holds (Box asserts uniqueness).
pub(crate) struct Shared<T> {
    ptr: NonNull<T>,
}

impl<T> Shared<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            ptr: NonNull::from(Box::leak(Box::new(value))),
        }
    }

    /// The address to register with spandsp.
    pub(crate) fn user_data(&self) -> *mut c_void {
        self.ptr.as_ptr().cast()
    }

    #[allow(unsafe_code)]
    pub(crate) fn get(&self) -> &T {
        // SAFETY: the allocation lives until `drop`; callbacks only write to it
        // during a `&mut self` call of the owner, which cannot overlap this `&self`.
        unsafe { self.ptr.as_ref() }
    }

    #[allow(unsafe_code)]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        // SAFETY: as in `get`; `&mut self` excludes every other Rust reference and
        // no spandsp call (hence no callback) is running while it is held.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for Shared<T> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `Box::leak` in `new` and is freed only here. The
        // owner frees the spandsp object (which holds the address) before this.
        drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
    }
}

// SAFETY: a `Shared<T>` owns its `T` exactly like a `Box<T>`; moving it to another
// thread moves that ownership. It is not `Sync` (no `&T` sharing across threads).
#[allow(unsafe_code)]
unsafe impl<T: Send> Send for Shared<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

// ---------------------------------------------------------------------------
// T.38 transmit: spandsp -> queue of IFP packets
// ---------------------------------------------------------------------------

/// Where a T.38 core (gateway or terminal) puts the IFP packets it emits.
#[derive(Debug, Default)]
pub(crate) struct IfpQueue {
    pub(crate) packets: VecDeque<OutIfp>,
    pub(crate) sent: u64,
    pub(crate) largest: usize,
    pub(crate) max_datagram: usize,
    pub(crate) oversize: u64,
}

/// `t38_tx_packet_handler_t`: called by spandsp for every IFP packet to send.
#[allow(unsafe_code)]
pub(crate) unsafe extern "C" fn tx_packet_handler(
    _s: *mut sys::t38_core_state_t,
    user_data: *mut c_void,
    buf: *const u8,
    len: c_int,
    count: c_int,
) -> c_int {
    let Ok(len) = usize::try_from(len) else {
        return -1;
    };
    if user_data.is_null() || buf.is_null() {
        return -1;
    }
    // SAFETY: `user_data` is the `Shared<IfpQueue>` registered at init, alive
    // until after the spandsp object is freed (see module docs); no other
    // reference to it is live while spandsp runs.
    let queue = unsafe { &mut *user_data.cast::<IfpQueue>() };
    // SAFETY: spandsp passes `len` valid octets at `buf` for the duration of the call.
    let data = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
    queue.sent += 1;
    queue.largest = queue.largest.max(len);
    if queue.max_datagram > 0 && len > queue.max_datagram {
        queue.oversize += 1;
    }
    queue.packets.push_back(OutIfp {
        data,
        repeats: u8::try_from(count.max(1)).unwrap_or(u8::MAX),
    });
    0
}

// ---------------------------------------------------------------------------
// T.30 phase E: the completion code
// ---------------------------------------------------------------------------

/// `t30_phase_e_handler_t` user data: the completion code, once phase E ran.
#[derive(Debug, Default)]
pub(crate) struct PhaseE {
    pub(crate) completion: Option<i32>,
}

/// `t30_phase_e_handler_t`: records the T.30 completion code.
#[allow(unsafe_code)]
pub(crate) unsafe extern "C" fn phase_e_handler(user_data: *mut c_void, completion_code: c_int) {
    if user_data.is_null() {
        return;
    }
    // SAFETY: `user_data` is the owner's `Shared<PhaseE>` (see module docs).
    let state = unsafe { &mut *user_data.cast::<PhaseE>() };
    state.completion = Some(completion_code);
}

/// Registers [`phase_e_handler`] on a T.30 engine.
#[allow(unsafe_code)]
pub(crate) fn set_phase_e(t30: &spandsp::t30::T30State<'_>, cell: &Shared<PhaseE>) {
    // SAFETY: the handler matches `t30_phase_e_handler_t`; `cell` outlives the
    // T.30 engine because its owner frees the spandsp object first.
    unsafe { t30.set_phase_e_handler_raw(Some(phase_e_handler), cell.user_data()) };
}

/// `t30_completion_code_to_str`.
#[allow(unsafe_code)]
pub(crate) fn completion_code_to_str(code: i32) -> String {
    // SAFETY: spandsp returns a pointer to a static NUL-terminated string for
    // every code (an "unknown" string for codes it does not know).
    let ptr = unsafe { sys::t30_completion_code_to_str(code) };
    if ptr.is_null() {
        return format!("completion code {code}");
    }
    // SAFETY: non-null, NUL-terminated and static (see above).
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// `t30_set_tx_ident` (TSI/CSI, at most 20 characters; longer is truncated).
#[allow(unsafe_code)]
pub(crate) fn set_tx_ident(t30: &spandsp::t30::T30State<'_>, ident: &str) {
    let ident: String = ident.chars().filter(|c| *c != '\0').take(20).collect();
    let Ok(c) = CString::new(ident) else { return };
    // SAFETY: `t30` is a live engine; spandsp copies the string.
    unsafe { sys::t30_set_tx_ident(t30.as_ptr(), c.as_ptr()) };
}

// ---------------------------------------------------------------------------
// Calls the wrappers lack
// ---------------------------------------------------------------------------

/// T.38 core settings the `spandsp` wrapper does not expose.
#[allow(unsafe_code)]
pub(crate) fn core_set_fill_bit_removal(core: &spandsp::t38_core::T38Core<'_>, remove: bool) {
    // SAFETY: `core` is a live T.38 core borrowed from its owner.
    unsafe { sys::t38_set_fill_bit_removal(core.as_ptr(), remove) };
}

/// `t38_set_max_datagram_size` and `t38_set_tx_packet_interval`.
#[allow(unsafe_code)]
pub(crate) fn core_set_datagram(
    core: &spandsp::t38_core::T38Core<'_>,
    max_datagram: usize,
    interval_us: u32,
) {
    let max = c_int::try_from(max_datagram).unwrap_or(c_int::MAX);
    let us = c_int::try_from(interval_us).unwrap_or(c_int::MAX);
    // SAFETY: `core` is a live T.38 core borrowed from its owner.
    unsafe {
        sys::t38_set_max_datagram_size(core.as_ptr(), max);
        sys::t38_set_tx_packet_interval(core.as_ptr(), us);
    }
}

/// `t38_gateway_set_fill_bit_removal`.
#[allow(unsafe_code)]
pub(crate) fn gateway_set_fill_bit_removal(gw: &spandsp::t38_gateway::T38Gateway, remove: bool) {
    // SAFETY: `gw` is a live gateway.
    unsafe { sys::t38_gateway_set_fill_bit_removal(gw.as_ptr(), remove) };
}

/// The logging states of a gateway (its own and its T.38 core's).
#[allow(unsafe_code)]
pub(crate) fn gateway_log_states(
    gw: &spandsp::t38_gateway::T38Gateway,
) -> Vec<*mut sys::logging_state_t> {
    // SAFETY: `gw` is live; the getters return pointers into it.
    unsafe {
        let core = sys::t38_gateway_get_t38_core_state(gw.as_ptr());
        vec![
            sys::t38_gateway_get_logging_state(gw.as_ptr()),
            sys::t38_core_get_logging_state(core),
        ]
    }
}

/// The logging states of an audio fax terminal (fax_state_t and its T.30).
#[allow(unsafe_code)]
pub(crate) fn fax_log_states(fax: &spandsp::fax::FaxState) -> Vec<*mut sys::logging_state_t> {
    // SAFETY: `fax` is live; the getters return pointers into it.
    unsafe {
        let t30 = sys::fax_get_t30_state(fax.as_ptr());
        vec![
            sys::fax_get_logging_state(fax.as_ptr()),
            sys::t30_get_logging_state(t30),
        ]
    }
}

/// The logging states of a T.38 terminal (its own, its T.30's, its core's).
#[allow(unsafe_code)]
pub(crate) fn terminal_log_states(
    t: &spandsp::t38_terminal::T38Terminal,
) -> Vec<*mut sys::logging_state_t> {
    // SAFETY: `t` is live; the getters return pointers into it.
    unsafe {
        let t30 = sys::t38_terminal_get_t30_state(t.as_ptr());
        let core = sys::t38_terminal_get_t38_core_state(t.as_ptr());
        vec![
            sys::t38_terminal_get_logging_state(t.as_ptr()),
            sys::t30_get_logging_state(t30),
            sys::t38_core_get_logging_state(core),
        ]
    }
}

// ---------------------------------------------------------------------------
// Logging: spandsp messages -> an optional Rust closure
// ---------------------------------------------------------------------------

/// The closure spandsp's log lines go to.
pub(crate) struct LogSink {
    pub(crate) handler: Box<dyn FnMut(&str) + Send>,
}

impl std::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogSink")
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn log_trampoline(user_data: *mut c_void, _level: c_int, text: *const c_char) {
    if user_data.is_null() || text.is_null() {
        return;
    }
    // SAFETY: `user_data` is the owner's `Shared<LogSink>` (see module docs).
    let sink = unsafe { &mut *user_data.cast::<LogSink>() };
    // SAFETY: spandsp passes a NUL-terminated message valid for the call.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    let line = text.trim_end_matches('\n');
    // Never unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(|| (sink.handler)(line)));
}

/// Points every given logging state at `sink` with `level` (a `SPAN_LOG_*`
/// severity), or back to silence (`SPAN_LOG_NONE`) when `sink` is `None`.
#[allow(unsafe_code)]
pub(crate) fn route_logs(
    states: &[*mut sys::logging_state_t],
    level: i32,
    sink: Option<&Shared<LogSink>>,
) {
    for &state in states {
        if state.is_null() {
            continue;
        }
        // SAFETY: `state` points into a live spandsp object of the caller; the
        // sink outlives it (declared after the spandsp handle in the owner).
        unsafe {
            match sink {
                Some(sink) => {
                    sys::span_log_set_message_handler(
                        state,
                        Some(log_trampoline),
                        sink.user_data(),
                    );
                    sys::span_log_set_level(state, level);
                }
                None => {
                    sys::span_log_set_level(state, sys::SPAN_LOG_NONE as i32);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// libtiff: reading pages back (libtiff is linked by spandsp-sys)
// ---------------------------------------------------------------------------

#[repr(C)]
struct Tiff {
    _opaque: [u8; 0],
}

#[repr(C)]
struct TiffOpenOptions {
    _opaque: [u8; 0],
}

type TiffErrorHandlerExtR = unsafe extern "C" fn(
    tif: *mut Tiff,
    user_data: *mut c_void,
    module: *const c_char,
    fmt: *const c_char,
    ap: *mut c_void,
) -> c_int;

#[allow(unsafe_code)]
unsafe extern "C" {
    fn TIFFOpenOptionsAlloc() -> *mut TiffOpenOptions;
    fn TIFFOpenOptionsFree(opts: *mut TiffOpenOptions);
    fn TIFFOpenOptionsSetErrorHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: Option<TiffErrorHandlerExtR>,
        user_data: *mut c_void,
    );
    fn TIFFOpenOptionsSetWarningHandlerExtR(
        opts: *mut TiffOpenOptions,
        handler: Option<TiffErrorHandlerExtR>,
        user_data: *mut c_void,
    );
    fn TIFFOpenExt(
        name: *const c_char,
        mode: *const c_char,
        opts: *mut TiffOpenOptions,
    ) -> *mut Tiff;
    fn TIFFClose(tif: *mut Tiff);
    fn TIFFReadDirectory(tif: *mut Tiff) -> c_int;
    fn TIFFGetField(tif: *mut Tiff, tag: u32, ...) -> c_int;
    fn TIFFScanlineSize64(tif: *mut Tiff) -> u64;
    fn TIFFReadScanline(tif: *mut Tiff, buf: *mut c_void, row: u32, sample: u16) -> c_int;
}

const TIFFTAG_IMAGEWIDTH: u32 = 256;
const TIFFTAG_IMAGELENGTH: u32 = 257;
const TIFFTAG_BITSPERSAMPLE: u32 = 258;
const TIFFTAG_PHOTOMETRIC: u32 = 262;
const TIFFTAG_SAMPLESPERPIXEL: u32 = 277;
const TIFFTAG_XRESOLUTION: u32 = 282;
const TIFFTAG_YRESOLUTION: u32 = 283;
const TIFFTAG_RESOLUTIONUNIT: u32 = 296;
const PHOTOMETRIC_MINISBLACK: u16 = 1;
const RESUNIT_CENTIMETER: u16 = 3;

/// libtiff error/warning handler for one open file: keeps the first error's
/// module and format string (the arguments are a `va_list`, not read here), and
/// drops warnings, so nothing reaches stderr.
#[allow(unsafe_code)]
unsafe extern "C" fn tiff_error(
    _tif: *mut Tiff,
    user_data: *mut c_void,
    module: *const c_char,
    fmt: *const c_char,
    _ap: *mut c_void,
) -> c_int {
    if user_data.is_null() {
        return 1;
    }
    // SAFETY: `user_data` is the `Option<String>` on `read_tiff_pages`' stack,
    // alive for as long as the file is open.
    let slot = unsafe { &mut *user_data.cast::<Option<String>>() };
    if slot.is_none() {
        let text = |p: *const c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: libtiff passes NUL-terminated strings.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        *slot = Some(format!("{}: {}", text(module), text(fmt)));
    }
    1
}

#[allow(unsafe_code)]
unsafe extern "C" fn tiff_warning(
    _tif: *mut Tiff,
    _user_data: *mut c_void,
    _module: *const c_char,
    _fmt: *const c_char,
    _ap: *mut c_void,
) -> c_int {
    1
}

/// One bilevel page as read by libtiff: rows packed MSB first, 1 = black.
pub(crate) struct RawPage {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) x_res_dpi: f32,
    pub(crate) y_res_dpi: f32,
    pub(crate) bits: Vec<u8>,
}

/// Reads every directory of a bilevel TIFF through libtiff (any compression
/// libtiff decodes: none, CCITT T.4 1D/2D, T.6, ...).
#[allow(unsafe_code)]
pub(crate) fn read_tiff_pages(path: &CStr) -> Result<Vec<RawPage>, String> {
    let mut first_error: Option<String> = None;
    let slot: *mut Option<String> = &mut first_error;
    // SAFETY: plain libtiff calls on a file we open and close here; the handlers'
    // user data (`slot`) outlives the open file; every buffer handed to
    // TIFFGetField has the type libtiff documents for that tag (uint32 for the
    // dimensions, uint16 for the shorts, float for the resolutions), and
    // TIFFReadScanline gets a buffer of TIFFScanlineSize64 bytes.
    unsafe {
        let opts = TIFFOpenOptionsAlloc();
        if opts.is_null() {
            return Err("libtiff could not allocate options".into());
        }
        TIFFOpenOptionsSetErrorHandlerExtR(opts, Some(tiff_error), slot.cast());
        TIFFOpenOptionsSetWarningHandlerExtR(opts, Some(tiff_warning), std::ptr::null_mut());
        let tif = TIFFOpenExt(path.as_ptr(), c"r".as_ptr(), opts);
        TIFFOpenOptionsFree(opts);
        if tif.is_null() {
            return Err((*slot).take().unwrap_or_else(|| "cannot open".into()));
        }
        let mut pages = Vec::new();
        let result = loop {
            let mut width: u32 = 0;
            let mut height: u32 = 0;
            let mut bps: u16 = 1;
            let mut spp: u16 = 1;
            let mut photometric: u16 = 0;
            let mut unit: u16 = 2;
            let mut xres: f32 = 0.0;
            let mut yres: f32 = 0.0;
            TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &mut width as *mut u32);
            TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &mut height as *mut u32);
            TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &mut bps as *mut u16);
            TIFFGetField(tif, TIFFTAG_SAMPLESPERPIXEL, &mut spp as *mut u16);
            TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &mut photometric as *mut u16);
            TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &mut unit as *mut u16);
            TIFFGetField(tif, TIFFTAG_XRESOLUTION, &mut xres as *mut f32);
            TIFFGetField(tif, TIFFTAG_YRESOLUTION, &mut yres as *mut f32);
            if bps != 1 || spp != 1 {
                break Err(format!(
                    "page {}: not bilevel ({bps} bits x {spp} samples)",
                    pages.len() + 1
                ));
            }
            let stride = width.div_ceil(8) as usize;
            let line = TIFFScanlineSize64(tif) as usize;
            if line < stride {
                break Err(format!("page {}: short scanline", pages.len() + 1));
            }
            let mut buf = vec![0u8; line];
            let mut bits = Vec::with_capacity(stride * height as usize);
            let mut failed = None;
            for row in 0..height {
                if TIFFReadScanline(tif, buf.as_mut_ptr().cast(), row, 0) < 0 {
                    failed = Some(row);
                    break;
                }
                bits.extend_from_slice(&buf[..stride]);
            }
            if let Some(row) = failed {
                let why = (*slot).take().unwrap_or_default();
                break Err(format!("page {} row {row}: {why}", pages.len() + 1));
            }
            if photometric == PHOTOMETRIC_MINISBLACK {
                bits.iter_mut().for_each(|b| *b = !*b);
                // Keep the padding bits past `width` white.
                let tail = (width % 8) as usize;
                if tail != 0 {
                    let mask = !(0xFFu8 >> tail);
                    for r in 0..height as usize {
                        bits[r * stride + stride - 1] &= mask;
                    }
                }
            }
            let scale = if unit == RESUNIT_CENTIMETER {
                2.54
            } else {
                1.0
            };
            pages.push(RawPage {
                width,
                height,
                x_res_dpi: xres * scale,
                y_res_dpi: yres * scale,
                bits,
            });
            if TIFFReadDirectory(tif) == 0 {
                break Ok(());
            }
        };
        TIFFClose(tif);
        result.map(|()| pages)
    }
}
