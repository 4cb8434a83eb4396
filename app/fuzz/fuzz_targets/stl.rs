//! STL (binary and ASCII): read, then stats, canonical hash and render.

#![no_main]

mod common;

use app::backend::formats::stl::read_stl;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mesh) = read_stl(data, &common::limits()) {
        common::exercise_mesh(mesh.triangles());
    }
});
