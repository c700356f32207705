//! The plain engine (`--engine plain`): deliberately simple and held
//! entirely in memory. It is the oracle the streaming engine is compared
//! with (REQ-ENG-1).
//!
//! [`mvcc`] resolves every version in a hash map, [`decode`] buffers every
//! message line per queue and sorts at the end, [`snapshot`] chains them.
//! The modules are re-exported at the crate root (`crate::decode`, …).

pub mod decode;
pub mod mvcc;
pub mod snapshot;
