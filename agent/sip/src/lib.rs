//! Sans-IO SIP user agent for Tipring (in progress).
#![forbid(unsafe_code)]
pub mod rng;
pub mod timers;
pub mod transaction;
