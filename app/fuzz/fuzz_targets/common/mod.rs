//! Shared by every target: tight limits so a hostile input fails with a
//! typed error long before it can exhaust the fuzzer's memory, and the
//! follow-up work the vault does with whatever a reader returns.

#![allow(dead_code)]

use app::backend::formats::Limits;
use app::backend::formats::mesh::{Triangle, bounds, canonical_hash, geometry_stats};
use app::backend::thumbs::embedded::{EmbeddedThumbnail, decode_rgba, pick_largest};
use app::backend::thumbs::render::{RenderOptions, render_mesh};

/// Far below the production defaults: 100 k triangles, 16 MiB decoded.
pub fn limits() -> Limits {
    Limits {
        max_triangles: 100_000,
        max_decompressed_bytes: 16 * 1024 * 1024,
        max_zip_entries: 64,
        max_compression_ratio: 200,
        max_xml_depth: 32,
    }
}

/// Statistics, canonical hash and a small render of a mesh, as ingestion does.
pub fn exercise_mesh(triangles: &[Triangle]) {
    let stats = geometry_stats(triangles);
    let _ = serde_json::to_string(&stats);
    let _ = bounds(triangles);
    let hash = canonical_hash(triangles);
    assert_eq!(hash.len(), 64);
    let options = RenderOptions {
        width: 48,
        height: 36,
        ..RenderOptions::default()
    };
    let image = render_mesh(triangles, &options);
    assert_eq!((image.width(), image.height()), (48, 36));
}

/// Decodes every embedded image (the largest one is what the vault shows).
pub fn exercise_thumbnails(thumbs: &[EmbeddedThumbnail]) {
    let limits = limits();
    let _ = pick_largest(thumbs);
    for thumb in thumbs {
        let _ = serde_json::to_string(thumb);
        let _ = decode_rgba(thumb, &limits);
    }
}
