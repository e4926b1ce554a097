//! SIP transports for the Tipring agent shell (work in progress).
