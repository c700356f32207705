//! The generator model shared by the property tests, the fuzz targets and
//! `sqsdump gen` (enabled by the default `testkit` feature).
//!
//! One model, three drivers: every type here implements
//! [`arbitrary::Arbitrary`]. Fuzz targets read it from libFuzzer's bytes,
//! proptest strategies read it from a random byte vector (so shrinking the
//! vector shrinks the model), and [`seeded`] reads it from a seeded
//! SplitMix64 stream for reproducible snapshots.
//!
//! - [`keys`]: valid key components for every family, legacy and
//!   partitioned, and adversarial keys with the result each must give.
//! - [`values`]: live queue-meta and message records written the way Go's
//!   `encoding/json` writes them ([`gowrite`]), Go-quirk spellings that
//!   must read the same, invalid spellings that must be rejected, gen
//!   values.
//! - [`snapshot`]: whole snapshots with MVCC histories, stale
//!   generations, orphans, side records, operational and foreign keys,
//!   adversarial entries; their `.fsm` bytes ([`frame`]), their latest
//!   visible state, and the output a correct decoder produces.
//! - [`node`]: raft data directories laid out as a node lays them out,
//!   with byte-built etcd snap files and `.fsm` files with their footer.
//! - [`check`]: the checks of a decoded dump against that expected output.
//! - [`replay`]: the fixed snapshot replayed into SQS by
//!   `scripts/replay-sqs-test`.
//! - [`seeded`]: the deterministic seeded driver and the streaming
//!   snapshot writer behind `sqsdump gen`.

pub mod check;
pub mod frame;
pub mod gowrite;
pub mod keys;
pub mod node;
pub mod replay;
pub mod seeded;
pub mod snapshot;
pub mod values;
