//! Sans-IO SIP user agent for Tipring (in progress).
#![forbid(unsafe_code)]
mod auth;
pub mod config;
pub mod media;
pub mod rng;
pub mod timers;
pub mod transaction;
pub mod ua;
pub use config::{Account, Peer, RegistrationPolicy, Secret, TransportKind, UaConfig};
pub use ua::{
    AccountId, CallEvent, Command, Event, Input, Output, RegistrationFailure, RegistrationState,
    UserAgent,
};
