//! A JSON reader with the semantics of Go's `encoding/json` v1 (REQ-JSON-*).
