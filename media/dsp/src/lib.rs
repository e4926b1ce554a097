//! Line-side DSP for Tipring (work in progress; see module docs).

#![forbid(unsafe_code)]

pub mod cadence;

/// Sample rate of the narrowband line path, in Hz.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 10 ms frame at [`SAMPLE_RATE`].
pub const FRAME_SAMPLES: usize = 80;
/// One 10 ms frame of 16-bit linear PCM at 8 kHz.
pub type Frame = [i16; FRAME_SAMPLES];
