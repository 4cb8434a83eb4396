//! Inputs for printers: add/edit a printer, control a print, send a
//! revision, record how a print went.

use serde::{Deserialize, Serialize};

use crate::views::models::Outcome;
use crate::views::printers::PrinterProvider;

/// `POST /api/v1/printers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CreatePrinterParams {
    /// Display name.
    pub name: String,
    /// How PrintStash talks to it.
    pub provider: PrinterProvider,
    /// Host name or IP address.
    pub host: String,
    /// Port (default: 7125 for Moonraker; 8883 MQTT / 990 FTPS for Bambu).
    #[serde(default)]
    pub port: Option<u16>,
    /// Bambu: the printer's serial number.
    #[serde(default)]
    pub serial: Option<String>,
    /// Moonraker API key, or Bambu LAN access code (stored encrypted).
    #[serde(default)]
    pub secret: Option<String>,
    /// Keep a connection (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Printer model as slicers name it (preflight).
    #[serde(default)]
    pub model: Option<String>,
    /// Nozzle diameter, mm (preflight).
    #[serde(default)]
    pub nozzle_diameter_mm: Option<f64>,
    /// Bed width X, mm (preflight).
    #[serde(default)]
    pub bed_x_mm: Option<f64>,
    /// Bed depth Y, mm (preflight).
    #[serde(default)]
    pub bed_y_mm: Option<f64>,
}

/// `PATCH /api/v1/printers/{id}`: absent fields are unchanged; `secret: ""`
/// removes the stored secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdatePrinterParams {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New host.
    #[serde(default)]
    pub host: Option<String>,
    /// New port (`0`: the default).
    #[serde(default)]
    pub port: Option<u16>,
    /// New serial.
    #[serde(default)]
    pub serial: Option<String>,
    /// New secret (`""` clears it).
    #[serde(default)]
    pub secret: Option<String>,
    /// Switch the connection on or off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Printer model.
    #[serde(default)]
    pub model: Option<String>,
    /// Nozzle diameter, mm.
    #[serde(default)]
    pub nozzle_diameter_mm: Option<f64>,
    /// Bed width X, mm.
    #[serde(default)]
    pub bed_x_mm: Option<f64>,
    /// Bed depth Y, mm.
    #[serde(default)]
    pub bed_y_mm: Option<f64>,
}

/// Pause, resume or cancel the current print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrintAction {
    /// Pause the print.
    Pause,
    /// Resume a paused print.
    Resume,
    /// Cancel the print.
    Cancel,
}

/// `POST /api/v1/printers/{id}/control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ControlParams {
    /// What to do.
    pub action: PrintAction,
}

/// `POST /api/v1/printers/{id}/send`: put a revision on the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SendParams {
    /// The G-code revision (file id).
    pub file_id: i32,
    /// Start printing once uploaded.
    #[serde(default)]
    pub start: bool,
}

/// `POST /api/v1/print-jobs/{id}/outcome`: how the print went; sets the
/// revision's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct JobOutcomeParams {
    /// The outcome to record on the revision.
    pub outcome: Outcome,
}

/// `GET /api/v1/printers/{id}/preflight` query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PreflightQuery {
    /// The G-code revision (file id) to check.
    pub file_id: i32,
}

/// `GET /api/v1/print-jobs` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PrintJobsQuery {
    /// A revision's history; without it, your finished prints awaiting an outcome.
    #[serde(default)]
    pub file_id: Option<i32>,
}
