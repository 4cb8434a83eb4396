//! What the hub asks of every printer protocol: keep one session open and
//! report status, upload a file, start a print, pause/resume/cancel, list the
//! printer's files. Boxed futures so the hub holds drivers as trait objects.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use tokio::sync::watch;

use crate::params::printers::PrintAction;
use crate::views::printers::PrinterStatus;

/// A boxed, sendable future (drivers are used as `dyn PrinterDriver`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a printer operation failed, in words a user can act on.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DriverError {
    /// The printer could not be reached.
    #[error("cannot reach the printer: {0}")]
    Unreachable(String),
    /// The printer refused our credentials.
    #[error("the printer refused the credentials: {0}")]
    Unauthorized(String),
    /// The printer answered something we could not use.
    #[error("the printer answered unexpectedly: {0}")]
    Protocol(String),
    /// The printer said no (busy, unknown file, …).
    #[error("the printer refused: {0}")]
    Refused(String),
    /// No session is open for a command that needs one.
    #[error("the printer is not connected; wait until it is online")]
    NotConnected,
    /// It took too long.
    #[error("the printer did not answer in time ({0})")]
    Timeout(String),
}

/// A file on the printer's storage.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteFile {
    /// Path as the printer names it.
    pub name: String,
    /// Size in bytes, if known.
    pub size: Option<i64>,
    /// Last change, if known.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// Upload progress: (bytes sent, total bytes).
pub type Progress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Where a driver's session reports status.
pub trait StatusSink: Send + Sync {
    /// The printer's full current status (the hub works out what changed).
    fn publish(&self, status: PrinterStatus);
}

/// One printer protocol.
pub trait PrinterDriver: Send + Sync + 'static {
    /// Connects and reports status to `sink` until the connection ends
    /// (`Err` says why) or `stop` becomes true (`Ok`).
    fn session<'a>(
        &'a self,
        sink: &'a dyn StatusSink,
        stop: watch::Receiver<bool>,
    ) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Uploads `local` as `remote_name`; returns the name the printer stored it under.
    fn upload<'a>(
        &'a self,
        local: &'a Path,
        remote_name: &'a str,
        sha256: &'a str,
        progress: Progress,
    ) -> BoxFuture<'a, Result<String, DriverError>>;

    /// Starts printing a file already on the printer.
    fn start_print<'a>(&'a self, remote_name: &'a str) -> BoxFuture<'a, Result<(), DriverError>>;

    /// Pauses, resumes or cancels the current print.
    fn control(&self, action: PrintAction) -> BoxFuture<'_, Result<(), DriverError>>;

    /// The printer's files (G-code storage).
    fn list_files(&self) -> BoxFuture<'_, Result<Vec<RemoteFile>, DriverError>>;
}

/// Merges `patch` into `target` the way printers send partial updates: objects
/// merge key by key (recursively), anything else (numbers, strings, arrays)
/// replaces. A key that is absent is unchanged, never "deleted".
pub fn deep_merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (key, value) in p {
                match t.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        t.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Reads a number that printers sometimes send as a string.
pub fn lenient_f64(value: Option<&serde_json::Value>) -> Option<f64> {
    match value? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_updates_merge_deeply_and_absent_keys_stay() {
        let mut state = json!({"print_stats": {"state": "printing", "info": {"current_layer": 3, "total_layer": 90}}, "extruder": {"temperature": 200.0, "target": 210.0}});
        deep_merge(
            &mut state,
            &json!({"print_stats": {"info": {"current_layer": 4}}, "extruder": {"temperature": 205.5}, "hms": [1, 2]}),
        );
        assert_eq!(state["print_stats"]["state"], "printing");
        assert_eq!(
            state["print_stats"]["info"],
            json!({"current_layer": 4, "total_layer": 90})
        );
        assert_eq!(
            state["extruder"],
            json!({"temperature": 205.5, "target": 210.0})
        );
        deep_merge(&mut state, &json!({"hms": []}));
        assert_eq!(state["hms"], json!([]), "arrays replace wholesale");
    }

    #[test]
    fn numbers_may_come_as_strings() {
        assert_eq!(lenient_f64(Some(&json!("42.5"))), Some(42.5));
        assert_eq!(lenient_f64(Some(&json!(7))), Some(7.0));
        assert_eq!(lenient_f64(Some(&json!("n/a"))), None);
        assert_eq!(lenient_f64(None), None);
    }
}
