//! The fields of the dump's JSON objects, declared once: for each field of
//! a `_queue.json` (REQ-OUT-4) and of a `messages.jsonl` line (REQ-OUT-5)
//! its JSON name, its place in the order, its type and when it is left
//! out. SPEC.md's "Fields:" tables state the same; the tables here are
//! what the code uses:
//!
//! - the dump writer (`jsonout::queue_json`, `jsonout::write_message_line`)
//!   walks [`QUEUE`] and [`MESSAGE`] in order and leaves a field out as its
//!   [`Omit`] says;
//! - `encode`'s dump reader (`encode::model`) takes the known names, the
//!   required fields (those never omitted) and the names its errors list
//!   from the same tables;
//! - `encode`'s row builder (`encode::rows`) walks [`LIVE_QUEUE`] and
//!   [`LIVE_MESSAGE`], the live records a dump restores to, which name the
//!   dump field each value comes from.
//!
//! Three copies are kept apart on purpose, as independent oracles, and
//! the unit tests below check each against these tables: `gate::verify`'s
//! field tables (its own reading of SPEC.md), `testkit::check`'s
//! `MESSAGE_FIELDS` (the checker of generated dumps), and
//! `testkit::values` (a Go-style writer of the live records). `value`
//! reads the live records with Go's rules; its field lists are the live
//! names of [`LIVE_QUEUE`] and [`LIVE_MESSAGE`], which the tests check
//! too.

/// The JSON type of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    /// The number `1` (`format_version`).
    One,
    /// A string.
    Str,
    /// `true`; the field is left out when false.
    True,
    /// A signed 64-bit integer.
    I64,
    /// An unsigned 32-bit integer.
    U32,
    /// An unsigned 64-bit integer.
    U64,
    /// `body`: a string, or `{"base64": …}` for bytes that are not UTF-8
    /// (REQ-OUT-6).
    Body,
    /// `message_attributes`: an object of raw JSON values, keys sorted
    /// (REQ-JSON-13).
    Attrs,
    /// `current_receipt_token`: bytes as padded standard base64
    /// (REQ-JSON-14).
    Token,
    /// `tags`: an object of strings, keys sorted (REQ-VAL-4).
    Tags,
}

/// When a field is left out of its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Omit {
    /// Always written, zero values included; a reader requires it.
    Never,
    /// Left out when it holds Go's zero value: `false`, `0`, `""`, or an
    /// empty object or byte string (Go's `omitempty`).
    Zero,
    /// Left out when there is no value at all: `partition` of a message
    /// read from a legacy (unpartitioned) key (REQ-DEC-6). A value of 0 is
    /// written.
    NoValue,
}

/// One field of a dump object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field<Id> {
    /// Which field this is, for the code that reads or writes its value.
    pub id: Id,
    /// The JSON name.
    pub name: &'static str,
    /// The JSON type.
    pub ty: Type,
    /// When it is left out.
    pub omit: Omit,
}

/// The fields of `_queue.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueueField {
    FormatVersion,
    Name,
    Fifo,
    ContentBasedDeduplication,
    VisibilityTimeoutSeconds,
    MessageRetentionSeconds,
    DelaySeconds,
    ReceiveMessageWaitSeconds,
    MaximumMessageSize,
    RedrivePolicy,
    RedriveAllowPolicy,
    PartitionCount,
    FifoThroughputLimit,
    DeduplicationScope,
    Tags,
}

/// The fields of a `messages.jsonl` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageField {
    MessageId,
    Body,
    Md5OfBody,
    Md5OfMessageAttributes,
    MessageAttributes,
    SenderId,
    SendTimestampMillis,
    AvailableAtMillis,
    VisibleAtMillis,
    ReceiveCount,
    FirstReceiveMillis,
    CurrentReceiptToken,
    QueueGeneration,
    MessageGroupId,
    MessageDeduplicationId,
    SequenceNumber,
    DeadLetterSourceArn,
    Partition,
}

const fn field<Id>(id: Id, name: &'static str, ty: Type, omit: Omit) -> Field<Id> {
    Field { id, name, ty, omit }
}

/// `_queue.json` (REQ-OUT-4), in order.
pub(crate) const QUEUE: [Field<QueueField>; 15] = {
    use Omit::*;
    use QueueField as Q;
    use Type::*;
    [
        field(Q::FormatVersion, "format_version", One, Never),
        field(Q::Name, "name", Str, Never),
        field(Q::Fifo, "fifo", True, Zero),
        field(
            Q::ContentBasedDeduplication,
            "content_based_deduplication",
            True,
            Zero,
        ),
        field(
            Q::VisibilityTimeoutSeconds,
            "visibility_timeout_seconds",
            I64,
            Never,
        ),
        field(
            Q::MessageRetentionSeconds,
            "message_retention_seconds",
            I64,
            Never,
        ),
        field(Q::DelaySeconds, "delay_seconds", I64, Never),
        field(
            Q::ReceiveMessageWaitSeconds,
            "receive_message_wait_seconds",
            I64,
            Zero,
        ),
        field(Q::MaximumMessageSize, "maximum_message_size", I64, Zero),
        field(Q::RedrivePolicy, "redrive_policy", Str, Zero),
        field(Q::RedriveAllowPolicy, "redrive_allow_policy", Str, Zero),
        field(Q::PartitionCount, "partition_count", U32, Zero),
        field(Q::FifoThroughputLimit, "fifo_throughput_limit", Str, Zero),
        field(Q::DeduplicationScope, "deduplication_scope", Str, Zero),
        field(Q::Tags, "tags", Tags, Zero),
    ]
};

/// A `messages.jsonl` line (REQ-OUT-5), in order.
pub(crate) const MESSAGE: [Field<MessageField>; 18] = {
    use MessageField as M;
    use Omit::*;
    use Type::*;
    [
        field(M::MessageId, "message_id", Str, Never),
        field(M::Body, "body", Body, Never),
        field(M::Md5OfBody, "md5_of_body", Str, Zero),
        field(
            M::Md5OfMessageAttributes,
            "md5_of_message_attributes",
            Str,
            Zero,
        ),
        field(M::MessageAttributes, "message_attributes", Attrs, Zero),
        field(M::SenderId, "sender_id", Str, Zero),
        field(M::SendTimestampMillis, "send_timestamp_millis", I64, Never),
        field(M::AvailableAtMillis, "available_at_millis", I64, Never),
        field(M::VisibleAtMillis, "visible_at_millis", I64, Never),
        field(M::ReceiveCount, "receive_count", I64, Never),
        field(M::FirstReceiveMillis, "first_receive_millis", I64, Zero),
        field(M::CurrentReceiptToken, "current_receipt_token", Token, Zero),
        field(M::QueueGeneration, "queue_generation", U64, Never),
        field(M::MessageGroupId, "message_group_id", Str, Zero),
        field(
            M::MessageDeduplicationId,
            "message_deduplication_id",
            Str,
            Zero,
        ),
        field(M::SequenceNumber, "sequence_number", U64, Zero),
        field(M::DeadLetterSourceArn, "dead_letter_source_arn", Str, Zero),
        field(M::Partition, "partition", U32, NoValue),
    ]
};

/// The names of `fields`, in order.
const fn names<Id: Copy, const N: usize>(fields: &[Field<Id>; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = fields[i].name;
        i += 1;
    }
    out
}

/// The names of [`QUEUE`], in order (the list a reader's "unknown field"
/// error gives).
pub(crate) const QUEUE_NAMES: [&str; 15] = names(&QUEUE);
/// The names of [`MESSAGE`], in order.
pub(crate) const MESSAGE_NAMES: [&str; 18] = names(&MESSAGE);

/// One field of a live record that `encode` writes: its name in the live
/// record, the dump field its value comes from, and when the live
/// record's Go struct leaves it out (its `omitempty` tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LiveField<Id> {
    /// The dump field the value comes from; `None` for a value the dump
    /// does not hold (`generation`, which a restore sets).
    pub from: Option<Id>,
    /// The JSON name in the live record.
    pub name: &'static str,
    /// When the live record leaves it out.
    pub omit: Omit,
}

const fn live<Id>(from: Id, name: &'static str, omit: Omit) -> LiveField<Id> {
    LiveField {
        from: Some(from),
        name,
        omit,
    }
}

/// The live queue catalog record that `encode` restores a `_queue.json`
/// to (REQ-ENC-1, tags REQ-ENC-9), in the Go struct's order: upstream
/// `adapter/sqs_catalog.go:73-151` at d9a031d0. Two names differ from
/// the dump's (`is_fifo`, `content_based_dedup`), `tags` comes before
/// `partition_count`, `generation` is not in the dump, and the wait time
/// and maximum size are always written.
pub(crate) const LIVE_QUEUE: [LiveField<QueueField>; 15] = {
    use Omit::*;
    use QueueField as Q;
    [
        live(Q::Name, "name", Never),
        LiveField {
            from: None,
            name: "generation",
            omit: Never,
        },
        live(Q::Fifo, "is_fifo", Zero),
        live(Q::ContentBasedDeduplication, "content_based_dedup", Zero),
        live(
            Q::VisibilityTimeoutSeconds,
            "visibility_timeout_seconds",
            Never,
        ),
        live(
            Q::MessageRetentionSeconds,
            "message_retention_seconds",
            Never,
        ),
        live(Q::DelaySeconds, "delay_seconds", Never),
        live(
            Q::ReceiveMessageWaitSeconds,
            "receive_message_wait_seconds",
            Never,
        ),
        live(Q::MaximumMessageSize, "maximum_message_size", Never),
        live(Q::RedrivePolicy, "redrive_policy", Zero),
        live(Q::RedriveAllowPolicy, "redrive_allow_policy", Zero),
        live(Q::Tags, "tags", Zero),
        live(Q::PartitionCount, "partition_count", Zero),
        live(Q::FifoThroughputLimit, "fifo_throughput_limit", Zero),
        live(Q::DeduplicationScope, "deduplication_scope", Zero),
    ]
};

/// The live message record that `encode` restores a message line to
/// (REQ-ENC-1): upstream `adapter/sqs_messages.go:96-120` at d9a031d0.
/// The same names in the same order as [`MESSAGE`] without `partition`
/// (the key holds it); `md5_of_body` and `current_receipt_token` are
/// always written.
pub(crate) const LIVE_MESSAGE: [LiveField<MessageField>; 17] = {
    use MessageField as M;
    use Omit::*;
    [
        live(M::MessageId, "message_id", Never),
        live(M::Body, "body", Never),
        live(M::Md5OfBody, "md5_of_body", Never),
        live(M::Md5OfMessageAttributes, "md5_of_message_attributes", Zero),
        live(M::MessageAttributes, "message_attributes", Zero),
        live(M::SenderId, "sender_id", Zero),
        live(M::SendTimestampMillis, "send_timestamp_millis", Never),
        live(M::AvailableAtMillis, "available_at_millis", Never),
        live(M::VisibleAtMillis, "visible_at_millis", Never),
        live(M::ReceiveCount, "receive_count", Never),
        live(M::FirstReceiveMillis, "first_receive_millis", Zero),
        live(M::CurrentReceiptToken, "current_receipt_token", Never),
        live(M::QueueGeneration, "queue_generation", Never),
        live(M::MessageGroupId, "message_group_id", Zero),
        live(M::MessageDeduplicationId, "message_deduplication_id", Zero),
        live(M::SequenceNumber, "sequence_number", Zero),
        live(M::DeadLetterSourceArn, "dead_letter_source_arn", Zero),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    /// verify's presence rule for an [`Omit`].
    fn presence(omit: Omit) -> crate::gate::verify::Presence {
        use crate::gate::verify::Presence;
        match omit {
            Omit::Never => Presence::Required,
            Omit::Zero => Presence::Omitted,
            Omit::NoValue => Presence::Optional,
        }
    }

    /// verify's kind for a [`Type`].
    fn kind(ty: Type) -> crate::gate::verify::Kind {
        use crate::gate::verify::Kind;
        match ty {
            Type::One => Kind::One,
            Type::Str => Kind::Str,
            Type::True => Kind::True,
            Type::I64 => Kind::I64,
            Type::U32 => Kind::U32,
            Type::U64 => Kind::U64,
            Type::Body => Kind::Body,
            Type::Attrs => Kind::Attrs,
            Type::Token => Kind::Token,
            Type::Tags => Kind::Tags,
        }
    }

    fn as_verify<Id>(
        table: &[Field<Id>],
    ) -> Vec<(
        &'static str,
        crate::gate::verify::Kind,
        crate::gate::verify::Presence,
    )> {
        table
            .iter()
            .map(|f| (f.name, kind(f.ty), presence(f.omit)))
            .collect()
    }

    // REQ-OUT-4, REQ-OUT-5
    #[test]
    fn the_tables_list_each_field_once_and_ids_follow_the_order() {
        for (i, f) in QUEUE.iter().enumerate() {
            assert_eq!(f.id as usize, i, "{}", f.name);
        }
        for (i, f) in MESSAGE.iter().enumerate() {
            assert_eq!(f.id as usize, i, "{}", f.name);
        }
        assert_eq!(QUEUE_NAMES.to_vec(), QUEUE.map(|f| f.name).to_vec());
        assert_eq!(MESSAGE_NAMES.to_vec(), MESSAGE.map(|f| f.name).to_vec());
        // The live records take every dump field but the ones a restore
        // does not store in them, each once.
        let from_q: Vec<_> = LIVE_QUEUE.iter().filter_map(|f| f.from).collect();
        let mut dump_q: Vec<_> = QUEUE.iter().map(|f| f.id).collect();
        dump_q.retain(|id| *id != QueueField::FormatVersion);
        for id in &dump_q {
            assert_eq!(from_q.iter().filter(|f| *f == id).count(), 1, "{id:?}");
        }
        assert_eq!(from_q.len(), dump_q.len());
        let from_m: Vec<_> = LIVE_MESSAGE.iter().filter_map(|f| f.from).collect();
        let dump_m: Vec<_> = MESSAGE
            .iter()
            .map(|f| f.id)
            .filter(|id| *id != MessageField::Partition)
            .collect();
        assert_eq!(from_m, dump_m);
    }

    /// The member names of a JSON object, in order.
    fn keys(json: &[u8]) -> Vec<String> {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(json)
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn declared<Id>(table: &[Field<Id>], keep: impl Fn(&Field<Id>) -> bool) -> Vec<String> {
        table
            .iter()
            .filter(|f| keep(f))
            .map(|f| f.name.to_string())
            .collect()
    }

    // REQ-OUT-4, REQ-OUT-5
    #[test]
    fn the_writer_writes_the_declared_fields_in_order_and_omits_as_declared() {
        use crate::jsonout::{message_line, queue_json};
        use crate::value::{Message, QueueMeta};
        // Every value set: every field, in the declared order.
        let full = Message {
            message_id: "m".into(),
            body: b"b".to_vec(),
            md5_of_body: "x".into(),
            md5_of_message_attributes: "x".into(),
            message_attributes: [("a".to_string(), b"1".to_vec())].into(),
            sender_id: "s".into(),
            send_timestamp_millis: 1,
            available_at_millis: 1,
            visible_at_millis: 1,
            receive_count: 1,
            first_receive_millis: 1,
            current_receipt_token: b"t".to_vec(),
            queue_generation: 1,
            message_group_id: "g".into(),
            message_deduplication_id: "d".into(),
            sequence_number: 1,
            dead_letter_source_arn: "a".into(),
        };
        assert_eq!(keys(&message_line(&full, Some(3))), MESSAGE_NAMES);
        // Every value zero: the fields never omitted, and `partition`
        // exactly when there is one, 0 included.
        let zero = Message::default();
        let never = declared(&MESSAGE, |f| f.omit == Omit::Never);
        assert_eq!(keys(&message_line(&zero, None)), never);
        let mut with_partition = never.clone();
        with_partition.push("partition".into());
        assert_eq!(keys(&message_line(&zero, Some(0))), with_partition);

        let full = QueueMeta {
            name: "q".into(),
            is_fifo: true,
            content_based_dedup: true,
            visibility_timeout_seconds: 1,
            message_retention_seconds: 1,
            delay_seconds: 1,
            receive_message_wait_seconds: 1,
            maximum_message_size: 1,
            redrive_policy: "r".into(),
            redrive_allow_policy: "r".into(),
            partition_count: 2,
            fifo_throughput_limit: "f".into(),
            deduplication_scope: "d".into(),
            tags: [("k".to_string(), "v".to_string())].into(),
        };
        assert_eq!(keys(&queue_json(&full, b"q")), QUEUE_NAMES);
        let zero = QueueMeta::default();
        assert_eq!(
            keys(&queue_json(&zero, b"")),
            declared(&QUEUE, |f| f.omit == Omit::Never)
        );
    }

    /// The dump reader `parse` refuses `line` (which holds exactly the
    /// fields of `table` never omitted) without any one of them, naming
    /// it; refuses an `unknown` field, listing the declared `names` in
    /// order; and refuses an `array` in place of the object, naming the
    /// struct `line_type`.
    fn reads_as_the_table<Id, T: std::fmt::Debug>(
        parse: impl Fn(&[u8]) -> Result<T, String>,
        line: &str,
        table: &[Field<Id>],
        names: &[&str],
        unknown: (&str, &str),
        array: &[u8],
        line_type: &str,
    ) {
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let required = declared(table, |f| f.omit == Omit::Never);
        assert_eq!(value.keys().cloned().collect::<Vec<_>>(), required);
        for name in &required {
            let mut v = value.clone();
            v.remove(name);
            let e = parse(serde_json::to_string(&v).unwrap().as_bytes()).unwrap_err();
            assert!(
                e.starts_with(&format!("missing field `{name}`")),
                "{name}: {e}"
            );
        }
        let (field, member) = unknown;
        let listed = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let e = parse(line.replace("}", &format!(",{member}}}")).as_bytes()).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "unknown field `{field}`, expected one of {listed}"
            )),
            "{e}"
        );
        // Member names are what make a line: an array is refused.
        let e = parse(array).unwrap_err();
        assert!(
            e.starts_with(&format!(
                "invalid type: sequence, expected struct {line_type}"
            )),
            "{e}"
        );
    }

    // REQ-ENC-4
    #[test]
    fn the_dump_reader_takes_names_and_required_fields_from_the_tables() {
        use crate::encode::model::{parse_message, parse_queue};
        let line = r#"{"message_id":"m","body":"b","send_timestamp_millis":1,"available_at_millis":1,"visible_at_millis":0,"receive_count":0,"queue_generation":1}"#;
        let m = parse_message(line.as_bytes()).unwrap();
        assert_eq!((m.message_id.as_str(), m.body.as_slice()), ("m", &b"b"[..]));
        reads_as_the_table(
            parse_message,
            line,
            &MESSAGE,
            &MESSAGE_NAMES,
            ("colour", r#""colour":1"#),
            br#"["m","b","","",null,"",1,1,0,0,0,null,1]"#,
            "Line",
        );
        let e = parse_message(line.replace("}", r#","message_id":"n"}"#).as_bytes()).unwrap_err();
        assert!(e.starts_with("duplicate field `message_id`"), "{e}");

        let queue = r#"{"format_version":1,"name":"q","visibility_timeout_seconds":30,"message_retention_seconds":60,"delay_seconds":0}"#;
        let q = parse_queue(queue.as_bytes()).unwrap();
        assert_eq!((q.name.as_str(), q.visibility_timeout_seconds), ("q", 30));
        reads_as_the_table(
            parse_queue,
            queue,
            &QUEUE,
            &QUEUE_NAMES,
            ("is_fifo", r#""is_fifo":true"#),
            br#"[1,"q",false,false,30,60,0]"#,
            "QueueConfig",
        );
    }

    // REQ-OUT-4, REQ-OUT-5, REQ-CONF-7
    #[test]
    fn verify_reads_the_fields_the_tables_declare() {
        // verify keeps its own tables (an independent reading of SPEC.md,
        // which tests/spec_coverage.rs compares with SPEC.md's tables);
        // they must say the same as these, field by field.
        use crate::gate::verify::{MESSAGE_FIELDS, QUEUE_FIELDS};
        assert_eq!(as_verify(&QUEUE), QUEUE_FIELDS.to_vec());
        assert_eq!(as_verify(&MESSAGE), MESSAGE_FIELDS.to_vec());
    }

    // REQ-OUT-5
    #[cfg(feature = "testkit")]
    #[test]
    fn the_testkit_checker_orders_message_fields_as_declared() {
        assert_eq!(
            crate::testkit::check::MESSAGE_FIELDS.to_vec(),
            MESSAGE_NAMES.to_vec()
        );
    }

    // REQ-ENC-1, REQ-VAL-3, REQ-VAL-5
    #[cfg(feature = "testkit")]
    #[test]
    fn the_live_tables_match_the_testkit_go_writer_and_the_value_reader() {
        use crate::gojson::Target;
        use crate::testkit::values::{LiveAttr, LiveMessage, LiveQueueMeta, Throttle};
        // testkit's Go writer with every field set writes every field of
        // the live message record, in the Go struct's order.
        let m = LiveMessage {
            message_id: "m".into(),
            body: Some(b"b".to_vec()),
            md5_of_body: "x".into(),
            md5_of_message_attributes: "x".into(),
            message_attributes: [(
                "a".to_string(),
                LiveAttr {
                    data_type: "String".into(),
                    string_value: "v".into(),
                    binary_value: Vec::new(),
                },
            )]
            .into(),
            sender_id: "s".into(),
            send_timestamp_millis: 1,
            available_at_millis: 1,
            visible_at_millis: 1,
            receive_count: 1,
            first_receive_millis: 1,
            current_receipt_token: Some(b"t".to_vec()),
            queue_generation: 1,
            message_group_id: "g".into(),
            message_deduplication_id: "d".into(),
            sequence_number: 1,
            dead_letter_source_arn: "a".into(),
        };
        let written: Vec<String> = m.fields().into_iter().map(|f| f.name).collect();
        let live_m: Vec<&str> = LIVE_MESSAGE.iter().map(|f| f.name).collect();
        assert_eq!(written, live_m);
        // The live queue record holds fields sqsdump ignores; the declared
        // ones appear among them in the same order.
        let q = LiveQueueMeta {
            name: "q".into(),
            generation: 1,
            created_at_hlc: 1,
            is_fifo: true,
            content_based_dedup: true,
            visibility_timeout_seconds: 1,
            message_retention_seconds: 1,
            delay_seconds: 1,
            receive_message_wait_seconds: 1,
            maximum_message_size: 1,
            redrive_policy: "r".into(),
            redrive_allow_policy: "r".into(),
            tags: [("k".to_string(), "v".to_string())].into(),
            last_purged_at_millis: 1,
            created_at_millis: 1,
            last_modified_at_millis: 1,
            throttle: Some(Throttle {
                fields: [Some("1"); 6],
            }),
            partition_count: 2,
            fifo_throughput_limit: "f".into(),
            deduplication_scope: "d".into(),
        };
        let written: Vec<String> = q.fields().into_iter().map(|f| f.name).collect();
        let live_q: Vec<&str> = LIVE_QUEUE.iter().map(|f| f.name).collect();
        let declared: Vec<&str> = written
            .iter()
            .map(String::as_str)
            .filter(|n| live_q.contains(n))
            .collect();
        assert_eq!(declared, live_q);
        // value.rs reads the live names (all but `generation`, which it
        // ignores), in any order: Go matches fields by name.
        let sorted = |mut v: Vec<&'static str>| {
            v.sort_unstable();
            v
        };
        assert_eq!(
            sorted(crate::value::QueueMeta::FIELDS.to_vec()),
            sorted(live_q.into_iter().filter(|n| *n != "generation").collect())
        );
        assert_eq!(
            sorted(crate::value::MessageTarget::FIELDS.to_vec()),
            sorted(live_m)
        );
    }
}
