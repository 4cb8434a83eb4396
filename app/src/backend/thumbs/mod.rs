//! Thumbnails: embedded-image extraction, our own mesh rasteriser, and
//! WebP/AVIF encoding of what the vault stores.

pub mod embedded;
pub mod encode;
pub mod render;
