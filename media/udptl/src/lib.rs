//! UDPTL (skeleton).
