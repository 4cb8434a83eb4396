//! Printers as the API and the UI see them: the configured printer, its live
//! status (what the printer hub knows right now), the messages of the live
//! websocket, print jobs, files on a printer and the send-to-printer
//! preflight.

use serde::{Deserialize, Serialize};

/// How PrintStash talks to a printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrinterProvider {
    /// Klipper through Moonraker (HTTP + websocket JSON-RPC).
    Moonraker,
    /// Bambu Lab in LAN mode (MQTT over TLS + implicit FTPS).
    Bambu,
}

impl PrinterProvider {
    /// The stored/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Moonraker => "moonraker",
            Self::Bambu => "bambu",
        }
    }

    /// Parses the stored/wire name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "moonraker" => Some(Self::Moonraker),
            "bambu" => Some(Self::Bambu),
            _ => None,
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Moonraker => "Klipper (Moonraker)",
            Self::Bambu => "Bambu Lab (LAN mode)",
        }
    }
}

/// A configured printer (its secret is never sent back, only whether one is set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PrinterView {
    /// Printer id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// How PrintStash talks to it.
    pub provider: PrinterProvider,
    /// Host name or IP address.
    pub host: String,
    /// Port (default: 7125 for Moonraker, 8883/990 for Bambu).
    pub port: Option<u16>,
    /// Bambu serial number (MQTT topics).
    pub serial: Option<String>,
    /// Whether an API key (Moonraker) or access code (Bambu) is stored.
    pub has_secret: bool,
    /// Whether the hub keeps a connection to it.
    pub enabled: bool,
    /// Printer model as slicers name it (for the preflight), e.g. "Voron 2.4".
    pub model: Option<String>,
    /// Nozzle diameter in mm (for the preflight).
    pub nozzle_diameter_mm: Option<f64>,
    /// Bed width (X) in mm (for the preflight).
    pub bed_x_mm: Option<f64>,
    /// Bed depth (Y) in mm (for the preflight).
    pub bed_y_mm: Option<f64>,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

/// Whether the hub reaches the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Connecting (or reconnecting after a drop).
    Connecting,
    /// Connected; the status is live.
    Online,
    /// Not reachable; the hub retries with backoff.
    Offline,
    /// Switched off in the printer's settings.
    Disabled,
}

impl ConnectionState {
    /// The word for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Connecting => "Connecting",
            Self::Online => "Online",
            Self::Offline => "Offline",
            Self::Disabled => "Disabled",
        }
    }
}

/// What the printer is doing, in one vocabulary for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrintState {
    /// Ready, nothing printing.
    Idle,
    /// Heating, levelling or loading before the first layer.
    Preparing,
    /// Printing.
    Printing,
    /// Paused.
    Paused,
    /// The last print finished.
    Complete,
    /// The last print was cancelled.
    Cancelled,
    /// The last print failed, or the printer is in an error state.
    Failed,
    /// Not known (offline, or a state this provider reports that we do not map).
    Unknown,
}

impl PrintState {
    /// The word for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Preparing => "Preparing",
            Self::Printing => "Printing",
            Self::Paused => "Paused",
            Self::Complete => "Complete",
            Self::Cancelled => "Cancelled",
            Self::Failed => "Failed",
            Self::Unknown => "Unknown",
        }
    }

    /// Whether a job is underway (printing, preparing or paused).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Preparing | Self::Printing | Self::Paused)
    }
}

/// A heater's current and target temperature (°C).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Temperature {
    /// Measured, °C.
    pub current: f64,
    /// Target, °C (0 = off).
    pub target: f64,
}

/// A printer's live status as the hub knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PrinterStatus {
    /// Printer id.
    pub printer_id: i32,
    /// Whether the hub reaches it.
    pub connection: ConnectionState,
    /// What it is doing.
    pub state: PrintState,
    /// Progress of the current job, 0.0–1.0.
    pub progress: Option<f64>,
    /// Job name (file name without the folder).
    pub job_name: Option<String>,
    /// Estimated seconds left.
    pub remaining_s: Option<i64>,
    /// Current layer.
    pub layer: Option<u32>,
    /// Total layers.
    pub total_layers: Option<u32>,
    /// Hotend temperature.
    pub nozzle: Option<Temperature>,
    /// Bed temperature.
    pub bed: Option<Temperature>,
    /// Chamber temperature (some printers).
    pub chamber: Option<Temperature>,
    /// A message from the printer (display text, error text).
    pub message: Option<String>,
    /// The last connection or protocol error, in words.
    pub last_error: Option<String>,
    /// When the printer last said anything (RFC 3339).
    pub last_seen_at: Option<String>,
}

impl PrinterStatus {
    /// A printer the hub has not heard from yet.
    pub fn unknown(printer_id: i32, connection: ConnectionState) -> Self {
        Self {
            printer_id,
            connection,
            state: PrintState::Unknown,
            progress: None,
            job_name: None,
            remaining_s: None,
            layer: None,
            total_layers: None,
            nozzle: None,
            bed: None,
            chamber: None,
            message: None,
            last_error: None,
            last_seen_at: None,
        }
    }
}

/// A message on the live websocket (`/api/v1/printers/live`): first one
/// `snapshot` of every printer the user may see, then `changed` with only
/// the fields that changed (a JSON merge patch of [`PrinterStatus`]) and
/// `removed` when a printer goes away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Every visible printer's full status.
    Snapshot {
        /// The statuses.
        printers: Vec<PrinterStatus>,
    },
    /// Some fields of one printer's status changed.
    Changed {
        /// Which printer.
        printer_id: i32,
        /// The changed fields, to merge into the status (RFC 7386 merge patch).
        changes: serde_json::Map<String, serde_json::Value>,
        /// When the server sent it (Unix milliseconds; delivery latency).
        #[serde(default)]
        at_ms: i64,
    },
    /// A printer was deleted or is no longer visible.
    Removed {
        /// Which printer.
        printer_id: i32,
    },
}

/// How a print job ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Uploaded, waiting to start.
    Uploaded,
    /// Printing (or paused).
    Printing,
    /// Finished.
    Complete,
    /// Cancelled.
    Cancelled,
    /// Failed.
    Failed,
}

impl JobState {
    /// The stored/wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Printing => "printing",
            Self::Complete => "complete",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored/wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "uploaded" => Self::Uploaded,
            "printing" => Self::Printing,
            "complete" => Self::Complete,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Whether the job is over.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Complete | Self::Cancelled | Self::Failed)
    }
}

/// One print of a revision on a printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PrintJobView {
    /// Job id.
    pub id: i32,
    /// The printer (absent once the printer was deleted).
    pub printer_id: Option<i32>,
    /// The printer's name when the job was sent.
    pub printer_name: String,
    /// The model.
    pub model_id: i32,
    /// The revision (G-code file) printed.
    pub file_id: i32,
    /// Who sent it.
    pub sent_by: Option<String>,
    /// The name it has on the printer.
    pub remote_name: String,
    /// Where it is.
    pub state: JobState,
    /// When it was sent (RFC 3339).
    pub created_at: String,
    /// When printing started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub ended_at: Option<String>,
    /// Whether someone recorded how the print went (on the revision).
    pub outcome_recorded: bool,
}

/// A file on a printer, linked to the vault revision it came from when its
/// SHA-256 matches one PrintStash uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PrinterFileView {
    /// Path on the printer.
    pub name: String,
    /// Size in bytes, if the printer says.
    pub size_bytes: Option<i64>,
    /// Last change on the printer (RFC 3339), if it says.
    pub modified_at: Option<String>,
    /// The vault revision with the same bytes, if PrintStash sent it.
    pub revision: Option<LinkedRevision>,
}

/// A vault revision a printer file was matched to (by SHA-256).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct LinkedRevision {
    /// The model.
    pub model_id: i32,
    /// The model's name.
    pub model_name: String,
    /// The G-code file.
    pub file_id: i32,
}

/// One check of the send-to-printer preflight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PreflightCheck {
    /// What is compared ("Printer model", "Nozzle", "Bed size", "G-code flavour").
    pub what: String,
    /// What the G-code says (or "not in the file").
    pub gcode: String,
    /// What the printer is (or "not known").
    pub printer: String,
    /// Whether they agree (`None`: could not compare).
    pub ok: Option<bool>,
    /// What to do about a mismatch.
    pub advice: Option<String>,
}

/// The preflight of sending one revision to one printer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Preflight {
    /// The checks, in order.
    pub checks: Vec<PreflightCheck>,
    /// Whether nothing mismatched (unknowns do not count against).
    pub ok: bool,
}

#[cfg(feature = "ssr")]
mod build {
    use super::*;
    use crate::backend::db::entities::{print_jobs, printers};
    use crate::views::models::time_text;

    impl PrinterView {
        /// The view of a printer row (the secret only as `has_secret`).
        pub fn build(row: &printers::Model) -> Self {
            Self {
                id: row.id,
                name: row.name.clone(),
                provider: PrinterProvider::parse(&row.provider)
                    .unwrap_or(PrinterProvider::Moonraker),
                host: row.host.clone(),
                port: row.port.and_then(|p| u16::try_from(p).ok()),
                serial: row.serial.clone(),
                has_secret: row.secret_ciphertext.is_some(),
                enabled: row.enabled,
                model: row.model.clone(),
                nozzle_diameter_mm: row.nozzle_diameter_mm,
                bed_x_mm: row.bed_x_mm,
                bed_y_mm: row.bed_y_mm,
                created_at: time_text(&row.created_at),
            }
        }
    }

    impl PrintJobView {
        /// The view of a print job row; `sent_by` is the sender's username.
        pub fn build(row: print_jobs::Model, sent_by: Option<String>) -> Self {
            Self {
                id: row.id,
                printer_id: row.printer_id,
                printer_name: row.printer_name,
                model_id: row.model_id,
                file_id: row.file_id,
                sent_by,
                remote_name: row.remote_name,
                state: JobState::parse(&row.state).unwrap_or(JobState::Uploaded),
                created_at: time_text(&row.created_at),
                started_at: row.started_at.as_ref().map(time_text),
                ended_at: row.ended_at.as_ref().map(time_text),
                outcome_recorded: row.outcome_recorded,
            }
        }
    }
}
