//! The per-queue state machine: resolved SQS records → dump model
//! (REQ-DEC-*).

use crate::dump::DumpModel;
use crate::Error;

/// Decode flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `--preserve-visibility`: keep live visibility state (REQ-DEC-5).
    pub preserve_visibility: bool,
    /// `--include-sqs-side-records`: write side records (REQ-DEC-8).
    pub include_side_records: bool,
}

/// Buffers SQS records per encoded queue segment and builds the dump at
/// [`SqsDecoder::finish`].
#[derive(Debug, Default)]
pub struct SqsDecoder {
    opts: Options,
}

impl SqsDecoder {
    /// A decoder with the given flags.
    pub fn new(opts: Options) -> Self {
        SqsDecoder { opts }
    }

    /// Feed one resolved record: a user key starting with `!sqs|` and its
    /// value body (flags and expiry already stripped).
    pub fn push(&mut self, user_key: &[u8], value: &[u8]) -> Result<(), Error> {
        let _ = (user_key, value, self.opts);
        todo!("core decoder")
    }

    /// Resolve names, filter, sort and render every queue.
    pub fn finish(self) -> Result<DumpModel, Error> {
        todo!("core decoder")
    }
}
