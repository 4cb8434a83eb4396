//! The fake printer's machine state: job phases, temperatures and progress advanced by elapsed time, and the full `print` status snapshot built from them.

use serde_json::{Map, Value, json};

/// Room temperature the heaters cool down to, °C.
const AMBIENT: f64 = 25.0;
/// Cooling rates, °C per second.
const NOZZLE_COOLING: f64 = 8.0;
const BED_COOLING: f64 = 1.5;
/// Layers of every simulated job.
const TOTAL_LAYERS: u64 = 120;
/// `print_error` after a user stop: 0300_400C, "the task was cancelled".
pub const PRINT_ERROR_CANCELLED: u64 = 0x0300_400C;

/// What the printer reports as `gcode_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcodeState {
    /// No job since power-on.
    Idle,
    /// Heating and levelling before the first layer.
    Prepare,
    /// Printing.
    Running,
    /// Paused by the user.
    Pause,
    /// The last job completed.
    Finish,
    /// The last job was stopped (this simulator reports `FAILED` after `stop`, as some
    /// firmware does; others go back to `IDLE`).
    Failed,
}

impl GcodeState {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "IDLE",
            Self::Prepare => "PREPARE",
            Self::Running => "RUNNING",
            Self::Pause => "PAUSE",
            Self::Finish => "FINISH",
            Self::Failed => "FAILED",
        }
    }

    /// Whether a job is in progress (stoppable, not startable).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Prepare | Self::Running | Self::Pause)
    }
}

/// Timing of the fake jobs.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Seconds of heating before printing starts.
    pub prepare_seconds: f64,
    /// Seconds from the first layer to the last at standard speed.
    pub print_seconds: f64,
}

/// A print job the printer was asked to run.
#[derive(Clone, Debug)]
pub struct JobRequest {
    /// The job name (`subtask_name`).
    pub subtask_name: String,
    /// The file being printed (`gcode_file`).
    pub gcode_file: String,
    /// Unix seconds the job started at.
    pub start_time: u64,
    /// Whether the AMS feeds the filament.
    pub use_ams: bool,
}

#[derive(Clone, Debug)]
struct Job {
    request: JobRequest,
    prepare_elapsed: f64,
    print_elapsed: f64,
}

/// The simulated machine. Pure state: callers advance it with elapsed time.
#[derive(Debug)]
pub struct Printer {
    timing: Timing,
    state: GcodeState,
    paused_from: GcodeState,
    job: Option<Job>,
    nozzle: f64,
    bed: f64,
    nozzle_target: f64,
    bed_target: f64,
    print_error: u64,
    spd_lvl: u8,
    ticks: u64,
}

/// Speed magnitude (%) of a speed level 1–4.
fn speed_magnitude(level: u8) -> u64 {
    match level {
        1 => 50,
        3 => 124,
        4 => 166,
        _ => 100,
    }
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn move_towards(current: f64, goal: f64, max_step: f64) -> f64 {
    if (goal - current).abs() <= max_step {
        goal
    } else if goal > current {
        current + max_step
    } else {
        current - max_step
    }
}

impl Printer {
    /// An idle, cold printer.
    pub fn new(timing: Timing) -> Self {
        Self {
            timing,
            state: GcodeState::Idle,
            paused_from: GcodeState::Running,
            job: None,
            nozzle: AMBIENT,
            bed: AMBIENT,
            nozzle_target: 0.0,
            bed_target: 0.0,
            print_error: 0,
            spd_lvl: 2,
            ticks: 0,
        }
    }

    /// The current `gcode_state`.
    pub fn state(&self) -> GcodeState {
        self.state
    }

    /// Starts a job: heating first, then printing.
    pub fn start(&mut self, request: JobRequest) {
        self.job = Some(Job {
            request,
            prepare_elapsed: 0.0,
            print_elapsed: 0.0,
        });
        self.state = GcodeState::Prepare;
        self.print_error = 0;
        self.nozzle_target = 220.0;
        self.bed_target = 55.0;
    }

    /// Pauses an active job; false when nothing is printing.
    pub fn pause(&mut self) -> bool {
        match self.state {
            GcodeState::Prepare | GcodeState::Running => {
                self.paused_from = self.state;
                self.state = GcodeState::Pause;
                true
            }
            _ => false,
        }
    }

    /// Resumes a paused job; false when not paused.
    pub fn resume(&mut self) -> bool {
        if self.state != GcodeState::Pause {
            return false;
        }
        self.state = self.paused_from;
        true
    }

    /// Cancels the active job (state `FAILED`, `print_error` 0300_400C); false when idle.
    pub fn stop(&mut self) -> bool {
        if !self.state.is_active() {
            return false;
        }
        self.state = GcodeState::Failed;
        self.print_error = PRINT_ERROR_CANCELLED;
        self.cool_down();
        true
    }

    /// Sets the speed level 1 (silent) to 4 (ludicrous); false for other levels.
    pub fn set_speed(&mut self, level: u8) -> bool {
        if !(1..=4).contains(&level) {
            return false;
        }
        self.spd_lvl = level;
        true
    }

    fn cool_down(&mut self) {
        self.nozzle_target = 0.0;
        self.bed_target = 0.0;
    }

    fn heat_rate(&self, target: f64) -> f64 {
        let seconds = self.timing.prepare_seconds.max(0.1);
        ((target - AMBIENT) / seconds).max(1.0)
    }

    /// Advances heaters and the job by `dt` seconds.
    pub fn advance(&mut self, dt: f64) {
        let dt = if dt.is_finite() { dt.max(0.0) } else { 0.0 };
        self.ticks = self.ticks.wrapping_add(1);

        let (nozzle_goal, nozzle_rate) = if self.nozzle_target > 0.0 {
            (self.nozzle_target, self.heat_rate(self.nozzle_target))
        } else {
            (AMBIENT, NOZZLE_COOLING)
        };
        let (bed_goal, bed_rate) = if self.bed_target > 0.0 {
            (self.bed_target, self.heat_rate(self.bed_target))
        } else {
            (AMBIENT, BED_COOLING)
        };
        self.nozzle = move_towards(self.nozzle, nozzle_goal, nozzle_rate * dt);
        self.bed = move_towards(self.bed, bed_goal, bed_rate * dt);

        let speed = speed_magnitude(self.spd_lvl) as f64 / 100.0;
        let timing = self.timing.clone();
        let Some(job) = self.job.as_mut() else {
            return;
        };
        match self.state {
            GcodeState::Prepare => {
                job.prepare_elapsed += dt;
                if job.prepare_elapsed >= timing.prepare_seconds {
                    self.nozzle = self.nozzle_target;
                    self.bed = self.bed_target;
                    self.state = GcodeState::Running;
                }
            }
            GcodeState::Running => {
                job.print_elapsed += dt * speed;
                if job.print_elapsed >= timing.print_seconds {
                    job.print_elapsed = timing.print_seconds;
                    self.state = GcodeState::Finish;
                    self.nozzle_target = 0.0;
                    self.bed_target = 0.0;
                }
            }
            _ => {}
        }
    }

    /// Fraction of the print done, 0–1.
    fn fraction(&self) -> f64 {
        match &self.job {
            Some(job) if self.timing.print_seconds > 0.0 => {
                (job.print_elapsed / self.timing.print_seconds).clamp(0.0, 1.0)
            }
            Some(_) if self.state == GcodeState::Finish => 1.0,
            _ => 0.0,
        }
    }

    /// Small deterministic wobble so reported temperatures look measured.
    fn jitter(&self, phase: f64, amplitude: f64) -> f64 {
        amplitude * (self.ticks as f64 * 0.9 + phase).sin()
    }

    /// Every `print` status field, as a full `push_status` carries them.
    pub fn snapshot(&self, model: &str) -> Map<String, Value> {
        let fraction = self.fraction();
        let job = self.job.as_ref();
        let total_layers = if job.is_some() { TOTAL_LAYERS } else { 0 };
        let percent = (fraction * 100.0).floor() as u64;
        let layer = match self.state {
            GcodeState::Idle | GcodeState::Prepare => 0,
            _ => ((fraction * TOTAL_LAYERS as f64).ceil() as u64).clamp(1, TOTAL_LAYERS),
        };
        let remaining_minutes = match (self.state, job) {
            (GcodeState::Finish | GcodeState::Failed | GcodeState::Idle, _) | (_, None) => 0,
            (_, Some(job)) => {
                let left = (self.timing.print_seconds - job.print_elapsed).max(0.0);
                (left / 60.0).ceil() as u64
            }
        };
        let (stg_cur, print_stage) = match self.state {
            GcodeState::Prepare => (2, "1"),
            GcodeState::Running => (0, "2"),
            GcodeState::Pause => (16, "2"),
            _ => (255, "1"),
        };
        let printing = matches!(self.state, GcodeState::Running | GcodeState::Pause);
        let tray_now = match job {
            Some(job) if self.state.is_active() && job.request.use_ams => "0",
            _ => "255",
        };
        let fan = if printing { "15" } else { "0" };

        let ams = json!({
            "ams": [{
                "id": "0",
                "humidity": "4",
                "temp": "24.8",
                "tray": [
                    {"id": "0", "tray_type": "PLA", "tray_sub_brands": "PLA Basic", "tray_color": "FFFFFFFF", "remain": 86, "nozzle_temp_min": "190", "nozzle_temp_max": "230"},
                    {"id": "1", "tray_type": "PLA", "tray_sub_brands": "PLA Basic", "tray_color": "000000FF", "remain": 41, "nozzle_temp_min": "190", "nozzle_temp_max": "230"},
                    {"id": "2", "tray_type": "PETG", "tray_sub_brands": "PETG HF", "tray_color": "FF6A13FF", "remain": 100, "nozzle_temp_min": "230", "nozzle_temp_max": "260"},
                    {"id": "3"}
                ]
            }],
            "ams_exist_bits": "1",
            "tray_exist_bits": "7",
            "tray_is_bbl_bits": "7",
            "tray_now": tray_now,
            "tray_tar": tray_now,
            "insert_flag": true,
            "power_on_flag": false,
            "version": 4
        });
        let value = json!({
            "gcode_state": self.state.as_str(),
            "mc_percent": percent,
            "mc_remaining_time": remaining_minutes,
            "layer_num": layer,
            "total_layer_num": total_layers,
            "nozzle_temper": round1(self.nozzle + self.jitter(0.0, 0.3)),
            "nozzle_target_temper": self.nozzle_target,
            "bed_temper": round1(self.bed + self.jitter(1.0, 0.2)),
            "bed_target_temper": self.bed_target,
            "chamber_temper": round1(AMBIENT + 3.0 * fraction + self.jitter(2.0, 0.1)),
            "subtask_name": job.map_or("", |j| j.request.subtask_name.as_str()),
            "gcode_file": job.map_or("", |j| j.request.gcode_file.as_str()),
            "gcode_start_time": job.map_or(0, |j| j.request.start_time).to_string(),
            "gcode_file_prepare_percent": if job.is_some() { "100" } else { "0" },
            "print_type": if job.is_some() { "local" } else { "idle" },
            "print_error": self.print_error,
        });
        let details = json!({
            "mc_print_error_code": "0",
            "mc_print_stage": print_stage,
            "mc_print_sub_stage": 0,
            "stg": [],
            "stg_cur": stg_cur,
            "hms": [],
            "spd_lvl": self.spd_lvl,
            "spd_mag": speed_magnitude(self.spd_lvl),
            "wifi_signal": "-45dBm",
            "sdcard": true,
            "nozzle_diameter": "0.4",
            "nozzle_type": "stainless_steel",
            "cooling_fan_speed": fan,
            "heatbreak_fan_speed": if self.nozzle > 50.0 { "15" } else { "0" },
            "big_fan1_speed": "0",
            "big_fan2_speed": "0",
            "project_id": "0",
            "profile_id": "0",
            "task_id": "0",
            "subtask_id": "0",
            "lifecycle": "product",
            "printer_type": model,
            "ams_status": 0,
            "ams": ams,
            "upload": {"status": "idle", "progress": 0, "message": ""},
            "lights_report": [{"node": "chamber_light", "mode": "on"}],
            "online": {"ahb": false, "rfid": false, "version": 7}
        });
        let mut map = Map::new();
        for part in [value, details] {
            if let Value::Object(fields) = part {
                map.extend(fields);
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer() -> Printer {
        Printer::new(Timing {
            prepare_seconds: 2.0,
            print_seconds: 10.0,
        })
    }

    fn job() -> JobRequest {
        JobRequest {
            subtask_name: "cube".into(),
            gcode_file: "cube.gcode.3mf".into(),
            start_time: 1_700_000_000,
            use_ams: false,
        }
    }

    #[test]
    fn a_job_heats_prints_and_finishes() {
        let mut p = printer();
        p.start(job());
        assert_eq!(p.state(), GcodeState::Prepare);
        p.advance(2.5);
        assert_eq!(p.state(), GcodeState::Running);
        p.advance(5.0);
        let snap = p.snapshot("P1S");
        assert_eq!(snap["mc_percent"], 50);
        assert_eq!(snap["layer_num"], 60);
        assert_eq!(snap["gcode_state"], "RUNNING");
        p.advance(6.0);
        assert_eq!(p.state(), GcodeState::Finish);
        assert_eq!(p.snapshot("P1S")["mc_percent"], 100);
    }

    #[test]
    fn paused_jobs_do_not_progress_and_stop_fails_them() {
        let mut p = printer();
        p.start(job());
        p.advance(3.0);
        assert!(p.pause());
        p.advance(100.0);
        assert_eq!(p.state(), GcodeState::Pause);
        assert!(p.resume());
        assert!(p.stop());
        assert_eq!(p.state(), GcodeState::Failed);
        assert_eq!(
            p.snapshot("P1S")["print_error"],
            Value::from(PRINT_ERROR_CANCELLED)
        );
        assert!(!p.stop());
    }

    #[test]
    fn a_full_snapshot_has_every_documented_field() {
        let snap = printer().snapshot("P1S");
        for key in [
            "gcode_state",
            "mc_percent",
            "mc_remaining_time",
            "layer_num",
            "total_layer_num",
            "nozzle_temper",
            "nozzle_target_temper",
            "bed_temper",
            "bed_target_temper",
            "chamber_temper",
            "subtask_name",
            "gcode_file",
            "gcode_start_time",
            "print_type",
            "print_error",
            "hms",
            "spd_lvl",
            "wifi_signal",
            "sdcard",
            "ams",
            "upload",
        ] {
            assert!(snap.contains_key(key), "missing {key}");
        }
    }
}
