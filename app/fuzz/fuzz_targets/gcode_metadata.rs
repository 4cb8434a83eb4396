//! Plain G-code: head/tail/config metadata and embedded thumbnails, read
//! whole (the in-memory path) and through tiny windows (head, tail, forward
//! extension and widened tail all exercised on small inputs).

#![no_main]

mod common;

use std::io::Cursor;

use app::backend::formats::gcode::{ScanWindows, read_gcode_bytes, read_gcode_with};
use app::backend::thumbs::embedded::gcode_thumbnails;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(summary) = read_gcode_bytes(data) {
        assert!(summary.bytes_read <= data.len() as u64);
        let _ = serde_json::to_string(&summary);
        common::exercise_thumbnails(&summary.thumbnails);
    }
    let windows = ScanWindows {
        head_bytes: 2048,
        tail_bytes: 2048,
        max_extension_bytes: 8192,
    };
    if let Ok(summary) = read_gcode_with(&mut Cursor::new(data), &windows) {
        assert!(summary.bytes_read <= data.len() as u64);
        let _ = serde_json::to_string(&summary);
    }
    let _ = gcode_thumbnails(&String::from_utf8_lossy(data));
});
