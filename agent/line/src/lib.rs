//! Per-port call control (in progress).
