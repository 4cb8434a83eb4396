//! The fake Klipper host: Klippy state, the print job state machine and its
//! progress through the file, and heaters that approach their targets with noise.
//!
//! State changes only in [`Printer::step`] (called once per update tick) and in
//! the command methods, so between ticks a query returns exactly what the last
//! batch of status updates described.

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::SimError;
use super::files::{DATA_DIR, StoredFile, unix_now};
use super::gcode::GcodeInfo;

/// Share of `print_seconds` spent heating before the file position moves.
const HEAT_FRACTION: f64 = 0.15;
/// Room temperature the heaters cool towards, °C.
const AMBIENT_C: f64 = 22.0;
/// Cooling time constant, seconds (independent of the print speed).
const COOL_TAU_S: f64 = 8.0;
/// Default targets when the G-code sets none.
const DEFAULT_EXTRUDER_C: f64 = 210.0;
const DEFAULT_BED_C: f64 = 60.0;
/// Filament per byte of G-code, mm, when the slicer did not announce a total.
const FILAMENT_MM_PER_BYTE: f64 = 0.05;

/// Klippy's state as `webhooks.state` and `server.info.klippy_state` report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KlippyState {
    Ready,
    Startup,
    Shutdown,
}

impl KlippyState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Startup => "startup",
            Self::Shutdown => "shutdown",
        }
    }
}

/// `print_stats.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrintState {
    Standby,
    Printing,
    Paused,
    Complete,
    Cancelled,
    Error,
}

impl PrintState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Standby => "standby",
            Self::Printing => "printing",
            Self::Paused => "paused",
            Self::Complete => "complete",
            Self::Cancelled => "cancelled",
            Self::Error => "error",
        }
    }
}

/// A heater (`extruder`, `heater_bed`).
#[derive(Debug, Clone)]
pub(crate) struct Heater {
    /// The smooth simulated temperature.
    actual: f64,
    /// What Klipper reports: `actual` plus sensor noise, two decimals.
    pub temperature: f64,
    pub target: f64,
    pub power: f64,
}

impl Heater {
    fn new() -> Self {
        Self {
            actual: AMBIENT_C,
            temperature: AMBIENT_C,
            target: 0.0,
            power: 0.0,
        }
    }

    fn step(&mut self, dt: f64, heat_tau: f64, noise: &mut Noise) {
        let (goal, tau) = if self.target > 0.0 {
            (self.target, heat_tau)
        } else {
            (AMBIENT_C, COOL_TAU_S)
        };
        self.actual += (goal - self.actual) * (1.0 - (-dt / tau).exp());
        self.temperature = round_to(self.actual + noise.next_signed() * 0.15, 2);
        self.power = if self.target <= 0.0 {
            0.0
        } else if self.actual < self.target - 3.0 {
            1.0
        } else {
            round_to((0.35 + noise.next_signed() * 0.05).clamp(0.0, 1.0), 3)
        };
    }
}

/// `print_stats` fields.
#[derive(Debug, Clone)]
pub(crate) struct PrintStats {
    pub filename: String,
    pub total_duration: f64,
    pub print_duration: f64,
    pub filament_used: f64,
    pub state: PrintState,
    pub message: String,
    pub total_layer: Option<usize>,
    pub current_layer: Option<usize>,
}

impl Default for PrintStats {
    fn default() -> Self {
        Self {
            filename: String::new(),
            total_duration: 0.0,
            print_duration: 0.0,
            filament_used: 0.0,
            state: PrintState::Standby,
            message: String::new(),
            total_layer: None,
            current_layer: None,
        }
    }
}

/// `virtual_sdcard` fields (progress is derived).
#[derive(Debug, Clone, Default)]
pub(crate) struct SdCard {
    pub file_path: Option<String>,
    pub file_position: u64,
    pub file_size: u64,
    pub is_active: bool,
}

impl SdCard {
    pub(crate) fn progress(&self) -> f64 {
        if self.file_size == 0 {
            0.0
        } else {
            self.file_position as f64 / self.file_size as f64
        }
    }
}

/// `display_status` fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct DisplayStatus {
    pub progress: f64,
    pub message: Option<String>,
}

/// The job being printed (or paused).
#[derive(Debug)]
struct ActiveJob {
    id: u64,
    gcode: Arc<GcodeInfo>,
    metadata: Value,
    heat_elapsed: f64,
    /// Share of the file done, 0–1, before rounding to a byte position.
    progress: f64,
    start_time: f64,
}

/// The whole simulated Klipper host.
#[derive(Debug)]
pub(crate) struct Printer {
    pub klippy: KlippyState,
    pub state_message: String,
    pub stats: PrintStats,
    pub sdcard: SdCard,
    pub display: DisplayStatus,
    pub extruder: Heater,
    pub bed: Heater,
    /// Wall-clock seconds from start to complete (see `MoonrakerSimConfig::print_seconds`).
    pub print_seconds: f64,
    job: Option<ActiveJob>,
    next_job_id: u64,
    noise: Noise,
}

impl Printer {
    pub(crate) fn new(print_seconds: f64) -> Self {
        Self {
            klippy: KlippyState::Ready,
            state_message: "Printer is ready".to_owned(),
            stats: PrintStats::default(),
            sdcard: SdCard::default(),
            display: DisplayStatus::default(),
            extruder: Heater::new(),
            bed: Heater::new(),
            print_seconds,
            job: None,
            next_job_id: 1,
            noise: Noise(0x9e37_79b9_7f4a_7c15),
        }
    }

    /// The file being printed or paused, relative to the `gcodes` root.
    pub(crate) fn busy_with(&self) -> Option<&str> {
        self.job.as_ref().map(|_| self.stats.filename.as_str())
    }

    fn require_ready(&self) -> Result<(), SimError> {
        match self.klippy {
            KlippyState::Ready => Ok(()),
            KlippyState::Startup => Err(SimError::Unavailable("Klippy not ready (startup)".into())),
            KlippyState::Shutdown => Err(SimError::Unavailable("Klippy is shutdown".into())),
        }
    }

    /// `printer.print.start`: returns the history job (`notify_history_changed` "added").
    pub(crate) fn start(&mut self, filename: &str, file: &StoredFile) -> Result<Value, SimError> {
        self.require_ready()?;
        if let Some(current) = self.busy_with() {
            return Err(SimError::BadRequest(format!(
                "Print already in progress: {current}"
            )));
        }
        let gcode = file.gcode.clone().unwrap_or_default();
        let layers = gcode.layer_offsets.len();
        let has_layers = layers > 0;
        self.stats = PrintStats {
            filename: filename.to_owned(),
            state: PrintState::Printing,
            total_layer: has_layers.then_some(layers),
            current_layer: has_layers.then_some(0),
            ..PrintStats::default()
        };
        self.sdcard = SdCard {
            file_path: Some(format!("{DATA_DIR}/gcodes/{filename}")),
            file_position: 0,
            file_size: file.data.len() as u64,
            is_active: true,
        };
        self.display = DisplayStatus::default();
        self.extruder.target = gcode.extruder_temp.unwrap_or(DEFAULT_EXTRUDER_C);
        self.bed.target = gcode.bed_temp.unwrap_or(DEFAULT_BED_C);
        let mut metadata = gcode.metadata.clone();
        metadata.insert("size".into(), json!(file.data.len()));
        metadata.insert("modified".into(), json!(file.modified));
        let job = ActiveJob {
            id: self.next_job_id,
            gcode,
            metadata: Value::Object(metadata),
            heat_elapsed: 0.0,
            progress: 0.0,
            start_time: unix_now(),
        };
        self.next_job_id += 1;
        let record = self.job_record(&job, "in_progress", None);
        self.job = Some(job);
        Ok(record)
    }

    /// `printer.print.pause`: pausing a paused print is a no-op, like Klipper's PAUSE.
    pub(crate) fn pause(&mut self) -> Result<(), SimError> {
        self.require_ready()?;
        match self.stats.state {
            PrintState::Printing => {
                self.stats.state = PrintState::Paused;
                self.sdcard.is_active = false;
                Ok(())
            }
            PrintState::Paused => Ok(()),
            _ => Err(SimError::BadRequest("No active print to pause".into())),
        }
    }

    /// `printer.print.resume`: resuming a running print is a no-op.
    pub(crate) fn resume(&mut self) -> Result<(), SimError> {
        self.require_ready()?;
        match self.stats.state {
            PrintState::Paused => {
                self.stats.state = PrintState::Printing;
                self.sdcard.is_active = true;
                Ok(())
            }
            PrintState::Printing => Ok(()),
            _ => Err(SimError::BadRequest("No paused print to resume".into())),
        }
    }

    /// `printer.print.cancel`: returns the finished history job.
    pub(crate) fn cancel(&mut self) -> Result<Value, SimError> {
        self.require_ready()?;
        let job = self
            .job
            .take()
            .ok_or_else(|| SimError::BadRequest("No active print to cancel".into()))?;
        self.stats.state = PrintState::Cancelled;
        // CANCEL_PRINT resets the virtual SD card file.
        self.sdcard = SdCard::default();
        self.display = DisplayStatus::default();
        self.heaters_off();
        Ok(self.job_record(&job, "cancelled", Some(unix_now())))
    }

    /// `printer.emergency_stop`: Klippy shuts down; returns the aborted job, if any.
    pub(crate) fn emergency_stop(&mut self) -> Option<Value> {
        self.klippy = KlippyState::Shutdown;
        self.state_message = "Shutdown due to webhooks request".to_owned();
        self.heaters_off();
        self.sdcard.is_active = false;
        let job = self.job.take()?;
        self.stats.state = PrintState::Error;
        self.stats.message = self.state_message.clone();
        Some(self.job_record(&job, "klippy_shutdown", Some(unix_now())))
    }

    /// A Klippy restart begins: everything but the heaters' real temperature
    /// resets; returns the aborted job, if any.
    pub(crate) fn restart(&mut self) -> Option<Value> {
        self.klippy = KlippyState::Startup;
        self.state_message = "Klipper is starting up".to_owned();
        self.stats = PrintStats::default();
        self.sdcard = SdCard::default();
        self.display = DisplayStatus::default();
        self.heaters_off();
        let job = self.job.take()?;
        Some(self.job_record(&job, "klippy_disconnect", Some(unix_now())))
    }

    /// Klippy reached `ready` after a restart.
    pub(crate) fn ready(&mut self) {
        self.klippy = KlippyState::Ready;
        self.state_message = "Printer is ready".to_owned();
    }

    fn heaters_off(&mut self) {
        self.extruder.target = 0.0;
        self.bed.target = 0.0;
    }

    /// Advances the simulation by `dt` seconds; returns the job that completed, if any.
    pub(crate) fn step(&mut self, dt: f64) -> Option<Value> {
        let heat_seconds = self.print_seconds * HEAT_FRACTION;
        let heat_tau = (heat_seconds / 4.0).max(0.05);
        self.extruder.step(dt, heat_tau, &mut self.noise);
        self.bed.step(dt, heat_tau, &mut self.noise);
        match self.stats.state {
            PrintState::Paused => self.stats.total_duration += dt,
            PrintState::Printing => return self.advance_print(dt, heat_seconds),
            _ => {}
        }
        None
    }

    fn advance_print(&mut self, dt: f64, heat_seconds: f64) -> Option<Value> {
        let job = self.job.as_mut()?;
        self.stats.total_duration += dt;
        if job.heat_elapsed < heat_seconds {
            job.heat_elapsed += dt;
            return None;
        }
        self.stats.print_duration += dt;
        let print_phase = (self.print_seconds - heat_seconds).max(0.01);
        job.progress = (job.progress + dt / print_phase).min(1.0);
        let size = self.sdcard.file_size;
        self.sdcard.file_position = ((job.progress * size as f64) as u64).min(size);
        let position = self.sdcard.file_position;
        let gcode = &job.gcode;
        if self.stats.total_layer.is_some() {
            self.stats.current_layer = Some(gcode.layer_at(position));
        }
        let filament_total = gcode
            .filament_total()
            .unwrap_or(size as f64 * FILAMENT_MM_PER_BYTE);
        self.stats.filament_used = round_to(filament_total * job.progress, 2);
        self.display.progress = gcode
            .m73_at(position)
            .map_or_else(|| self.sdcard.progress(), |p| p / 100.0);
        self.display.message = gcode.message_at(position).map(str::to_owned);
        if job.progress < 1.0 {
            return None;
        }
        let job = self.job.take()?;
        self.stats.state = PrintState::Complete;
        self.sdcard.is_active = false;
        // Klipper closes the file at the end; position and size stay.
        self.sdcard.file_path = None;
        self.display.progress = 1.0;
        self.heaters_off();
        Some(self.job_record(&job, "completed", Some(unix_now())))
    }

    /// A `notify_history_changed` job object.
    fn job_record(&self, job: &ActiveJob, status: &str, end_time: Option<f64>) -> Value {
        json!({
            "job_id": format!("{:06X}", job.id),
            "user": null,
            "filename": self.stats.filename,
            "exists": true,
            "status": status,
            "start_time": job.start_time,
            "end_time": end_time,
            "print_duration": round_to(self.stats.print_duration, 3),
            "total_duration": round_to(self.stats.total_duration, 3),
            "filament_used": self.stats.filament_used,
            "metadata": job.metadata,
            "auxiliary_data": [],
        })
    }
}

/// Rounds to `digits` decimals (Klipper reports temperatures with two).
pub(crate) fn round_to(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

/// A tiny deterministic xorshift generator for sensor noise.
#[derive(Debug)]
struct Noise(u64);

impl Noise {
    /// Uniform in [-1, 1].
    fn next_signed(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn file(text: &'static [u8]) -> StoredFile {
        StoredFile::prepare("a.gcode", Bytes::from_static(text), 0.0)
    }

    #[test]
    fn a_print_heats_then_walks_the_file_to_complete() {
        let mut p = Printer::new(1.0);
        let f = file(b"M190 S70\nM109 S230\n;LAYER_CHANGE\nG1 X1\n;LAYER_CHANGE\nG1 X2\n");
        p.start("a.gcode", &f).expect("start");
        assert_eq!(p.extruder.target, 230.0);
        assert_eq!(p.bed.target, 70.0);
        assert_eq!(p.stats.total_layer, Some(2));
        let mut finished = None;
        for _ in 0..200 {
            if let Some(job) = p.step(0.01) {
                finished = Some(job);
                break;
            }
        }
        let job = finished.expect("print completes");
        assert_eq!(job["status"], "completed");
        assert_eq!(p.stats.state, PrintState::Complete);
        assert_eq!(p.stats.current_layer, Some(2));
        assert_eq!(p.sdcard.progress(), 1.0);
        assert!(p.extruder.temperature > 200.0);
        assert_eq!(p.extruder.target, 0.0);
    }

    #[test]
    fn pause_resume_cancel_follow_klipper() {
        let mut p = Printer::new(10.0);
        assert!(p.pause().is_err());
        p.start("a.gcode", &file(b"G1\n")).expect("start");
        assert!(p.start("a.gcode", &file(b"G1\n")).is_err());
        p.pause().expect("pause");
        p.pause().expect("pause twice is a no-op");
        assert_eq!(p.stats.state, PrintState::Paused);
        p.resume().expect("resume");
        assert_eq!(p.stats.state, PrintState::Printing);
        let job = p.cancel().expect("cancel");
        assert_eq!(job["status"], "cancelled");
        assert_eq!(p.stats.state, PrintState::Cancelled);
        assert!(p.cancel().is_err());
    }
}
