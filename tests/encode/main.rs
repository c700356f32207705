//! Encoding: `sqsdump encode` restores a dump into a `.fsm`; its errors,
//! its sidecar and self-test, spilling within a memory budget, the
//! round trip with decode and upstream's restore checks.

#[path = "../common/mod.rs"]
mod common;

mod encode;
mod encode_errors;
mod encode_info;
mod encode_props;
mod encode_spill;
mod prepare_restore;
mod restorable;
mod restore_runbook;
