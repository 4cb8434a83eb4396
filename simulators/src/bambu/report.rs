//! `push_status` envelopes: full reports (`msg: 0`) and incremental ones (`msg: 1`) holding only what changed since the last report sent.

use serde_json::{Map, Value, json};

/// Remembers what subscribers were last told, to send only changes.
#[derive(Debug, Default)]
pub struct Reporter {
    last: Map<String, Value>,
    sequence: u64,
}

/// The fields of `new` that differ from `old`; nested objects are compared recursively
/// (clients merge them key by key), arrays and scalars are sent whole.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut changed = Map::new();
    for (key, value) in new {
        match (old.get(key), value) {
            (Some(Value::Object(before)), Value::Object(after)) => {
                let inner = diff(before, after);
                if !inner.is_empty() {
                    changed.insert(key.clone(), Value::Object(inner));
                }
            }
            (Some(before), after) if before == after => {}
            _ => {
                changed.insert(key.clone(), value.clone());
            }
        }
    }
    changed
}

impl Reporter {
    fn envelope(&mut self, msg: u8, fields: Map<String, Value>) -> Value {
        self.sequence += 1;
        let mut print = Map::new();
        print.insert("command".into(), json!("push_status"));
        print.insert("msg".into(), json!(msg));
        print.insert("sequence_id".into(), json!(self.sequence.to_string()));
        print.extend(fields);
        json!({ "print": print })
    }

    /// A complete report (the answer to `pushall`).
    pub fn full(&mut self, snapshot: Map<String, Value>) -> Value {
        self.last = snapshot.clone();
        self.envelope(0, snapshot)
    }

    /// An incremental report with only the fields changed since the previous report.
    pub fn incremental(&mut self, snapshot: Map<String, Value>) -> Value {
        let changed = diff(&self.last, &snapshot);
        self.last = snapshot;
        self.envelope(1, changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn incremental_reports_carry_only_changes() {
        let mut reporter = Reporter::default();
        let full = reporter.full(map(json!({"a": 1, "b": {"x": 1, "y": 2}, "h": [1]})));
        assert_eq!(full["print"]["msg"], 0);
        assert_eq!(full["print"]["a"], 1);
        let inc = reporter.incremental(map(json!({"a": 1, "b": {"x": 1, "y": 3}, "h": [2]})));
        assert_eq!(inc["print"]["msg"], 1);
        assert_eq!(inc["print"]["sequence_id"], "2");
        assert!(inc["print"].get("a").is_none());
        assert_eq!(inc["print"]["b"], json!({"y": 3}));
        assert_eq!(inc["print"]["h"], json!([2]));
    }
}
