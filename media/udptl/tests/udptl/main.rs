//! Integration tests of tipring-udptl: robustness under mutation, and tshark's T.38
//! dissector as an independent decoder of what the encoder writes.

mod robustness;
mod tshark;
