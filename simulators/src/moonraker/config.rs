//! The simulator's configuration: network, auth, print timing and printer facts.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};

/// How a [`MoonrakerSim`](super::MoonrakerSim) behaves. Build with struct update
/// syntax: `MoonrakerSimConfig { print_seconds: 2.0, ..Default::default() }`.
#[derive(Clone)]
pub struct MoonrakerSimConfig {
    /// Listen address; `127.0.0.1:0` (a random free port) by default.
    pub bind: SocketAddr,
    /// When set, every HTTP request (except `/access/info` and `/_sim/*`) needs
    /// `X-Api-Key`, and a websocket must pass `api_key` to `server.connection.identify`.
    pub api_key: Option<String>,
    /// Wall-clock seconds from `printer.print.start` to `complete`, heat-up included
    /// (the first 15 % heats, the rest walks through the file). Default 30.
    pub print_seconds: f64,
    /// `notify_status_update` batches per second per subscriber. Default 4 (Klipper's 250 ms).
    pub updates_per_second: f64,
    /// Printer model, reported by `/_sim/state` and used for `printer.info`'s hostname.
    pub printer_model: String,
    /// Bed size X × Y in mm (`configfile.settings.stepper_{x,y}.position_max`).
    pub bed_size_mm: (f64, f64),
    /// Maximum Z height in mm (`configfile.settings.stepper_z.position_max`).
    pub max_height_mm: f64,
    /// Nozzle diameter in mm (`configfile.settings.extruder.nozzle_diameter`).
    pub nozzle_diameter_mm: f64,
    /// Klipper kinematics (`configfile.settings.printer.kinematics`). Default `corexy`.
    pub kinematics: String,
    /// How long Klippy stays in `startup` after a restart. Default 0.5 s.
    pub klippy_restart_seconds: f64,
    /// Largest accepted upload body in bytes (Moonraker's `max_upload_size`). Default 1 GiB.
    pub max_upload_bytes: usize,
}

impl Default for MoonrakerSimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_key: None,
            print_seconds: 30.0,
            updates_per_second: 4.0,
            printer_model: "Voron 2.4".to_owned(),
            bed_size_mm: (350.0, 350.0),
            max_height_mm: 340.0,
            nozzle_diameter_mm: 0.4,
            kinematics: "corexy".to_owned(),
            klippy_restart_seconds: 0.5,
            max_upload_bytes: 1024 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for MoonrakerSimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MoonrakerSimConfig")
            .field("bind", &self.bind)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("print_seconds", &self.print_seconds)
            .field("updates_per_second", &self.updates_per_second)
            .field("printer_model", &self.printer_model)
            .field("bed_size_mm", &self.bed_size_mm)
            .field("max_height_mm", &self.max_height_mm)
            .field("nozzle_diameter_mm", &self.nozzle_diameter_mm)
            .field("kinematics", &self.kinematics)
            .field("klippy_restart_seconds", &self.klippy_restart_seconds)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .finish()
    }
}

/// Clamps a print duration to something the simulation can run (at least 50 ms).
pub(crate) fn sane_print_seconds(secs: f64) -> f64 {
    if secs.is_finite() {
        secs.max(0.05)
    } else {
        30.0
    }
}

/// Clamps an update rate to 0.1–100 per second.
pub(crate) fn sane_updates_per_second(rate: f64) -> f64 {
    if rate.is_finite() {
        rate.clamp(0.1, 100.0)
    } else {
        4.0
    }
}
