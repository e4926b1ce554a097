//! Scenario tests of the jitter buffers, driven in virtual time (one binary, modules by
//! behaviour).

mod common;

mod clock_drift;
mod dtx_and_reset;
mod fixed_baseline;
mod loss_and_late;
mod ordering;
mod robustness;
mod target_delay;
