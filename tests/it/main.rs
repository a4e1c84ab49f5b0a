//! The integration suites, one module per concern, in one test binary (one
//! link instead of one per suite). Run one suite with a filter on its
//! module path: `cargo test --test it -- gradcheck::`.
//!
//! `catalogue` registers every element-wise loss once; the suites iterate
//! it. `tests/outside_pool.rs` stays a binary of its own: it sizes rayon's
//! global pool before anything else in the process touches it.

mod catalogue;
mod common;

mod atomicity;
mod boxes;
mod checkpoint;
mod contract;
mod ctc;
mod definitions;
mod errors;
mod gradcheck;
mod lanes;
mod large;
mod no_alloc;
mod optim_convergence;
mod overlap;
mod parity_catalogue;
mod parity_losses;
mod parity_metrics;
mod parity_optim;
mod parity_schedules;
mod ranking;
mod reliability;
mod robustness;
mod surface;
