//! The fleet simulator against the provisioner in this process.

mod bootstrap;
mod connreq;
mod firmware;
