//! Wavefront OBJ: read, then stats, canonical hash and render.

#![no_main]

mod common;

use app::backend::formats::obj::read_obj;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mesh) = read_obj(data, &common::limits()) {
        common::exercise_mesh(mesh.triangles());
    }
});
