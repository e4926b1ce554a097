//! Integration tests of tipring-fax: gateway pairs, terminals, baselines,
//! malformed input, independent TIFF checks. All in virtual time.

mod common;

mod audio_baseline;
mod gateway_pair;
mod ifp_loss;
mod malformed_ifp;
mod terminal_interop;
mod tiff_checks;
