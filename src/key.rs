//! SQS keys.
/// Prefix shared by every SQS key.
pub const SQS_PREFIX: &[u8] = b"!sqs|";
/// True when a user key belongs to the SQS keyspace.
pub fn is_sqs_key(user_key: &[u8]) -> bool {
    user_key.starts_with(SQS_PREFIX)
}
