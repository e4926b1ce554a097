//! FXS port boundary (in progress).
