//! Thumbnail encoding: RGBA → WebP (what the vault stores for everything
//! new), the smaller grid variant for browse cards, decoding of legacy PNG
//! thumbnails, and AVIF behind the optional `avif` cargo feature.
//!
//! WebP is lossless: that is what the pure-Rust encoder in `image` 0.25
//! writes, and rendered thumbnails (flat colours, transparent background)
//! compress well losslessly. AVIF (via `ravif`) is off by default because
//! the AV1 encoder is a heavy build.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{ImageEncoder, RgbaImage};

use crate::backend::formats::{FormatError, LimitKind, Limits};

/// Default size of the grid (browse card) variant.
pub const GRID_SIZE: (u32, u32) = (320, 240);

/// Encoding a thumbnail failed (never caused by user input; a bug or OOM).
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The encoder rejected the image.
    #[error("could not encode the thumbnail as {format}: {detail}")]
    Encoder {
        /// Target format.
        format: &'static str,
        /// Encoder message.
        detail: String,
    },
}

/// Encodes RGBA pixels as lossless WebP.
pub fn encode_webp(image: &RgbaImage) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| EncodeError::Encoder {
            format: "WebP",
            detail: e.to_string(),
        })?;
    Ok(out)
}

/// Encodes RGBA pixels as PNG (for `server thumbnail -o x.png` and evidence;
/// the vault itself stores WebP).
pub fn encode_png(image: &RgbaImage) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| EncodeError::Encoder {
            format: "PNG",
            detail: e.to_string(),
        })?;
    Ok(out)
}

/// Scales an image down to fit in `max_width`×`max_height`, keeping its
/// aspect ratio (never scales up).
pub fn fit_within(image: &RgbaImage, max_width: u32, max_height: u32) -> RgbaImage {
    let (w, h) = image.dimensions();
    if w <= max_width && h <= max_height {
        return image.clone();
    }
    let scale = (f64::from(max_width) / f64::from(w)).min(f64::from(max_height) / f64::from(h));
    let nw = ((f64::from(w) * scale).round() as u32).clamp(1, max_width.max(1));
    let nh = ((f64::from(h) * scale).round() as u32).clamp(1, max_height.max(1));
    image::imageops::resize(image, nw, nh, FilterType::CatmullRom)
}

/// The browse-card variant ([`GRID_SIZE`], aspect kept) as WebP.
pub fn encode_grid_webp(image: &RgbaImage) -> Result<Vec<u8>, EncodeError> {
    encode_webp(&fit_within(image, GRID_SIZE.0, GRID_SIZE.1))
}

/// Decodes a stored thumbnail (legacy PNG; WebP and JPEG are accepted too)
/// to RGBA, refusing images whose pixels would exceed
/// [`Limits::max_decompressed_bytes`].
pub fn decode_thumbnail(bytes: &[u8], limits: &Limits) -> Result<RgbaImage, FormatError> {
    let malformed = |detail: String| FormatError::Malformed {
        format: "image",
        detail,
    };
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Png | image::ImageFormat::WebP | image::ImageFormat::Jpeg)
    ) {
        return Err(FormatError::Unrecognised);
    }
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| malformed(e.to_string()))?;
    if u64::from(w) * u64::from(h) * 4 > limits.max_decompressed_bytes {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::MaxDecompressedBytes,
            limit_value: limits.max_decompressed_bytes,
        });
    }
    reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_decompressed_bytes);
    reader.limits(image_limits);
    Ok(reader
        .decode()
        .map_err(|e| malformed(e.to_string()))?
        .to_rgba8())
}

/// Encodes RGBA pixels as AVIF (quality 70, fast speed).
#[cfg(feature = "avif")]
pub fn encode_avif(image: &RgbaImage) -> Result<Vec<u8>, EncodeError> {
    let pixels: Vec<ravif::RGBA8> = image
        .as_raw()
        .chunks_exact(4)
        .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
        .collect();
    let width = image.width() as usize;
    let height = image.height() as usize;
    ravif::Encoder::new()
        .with_quality(70.0)
        .with_alpha_quality(70.0)
        .with_speed(8)
        .encode_rgba(ravif::Img::new(pixels.as_slice(), width, height))
        .map(|encoded| encoded.avif_file)
        .map_err(|e| EncodeError::Encoder {
            format: "AVIF",
            detail: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::thumbs::render::{RenderOptions, render_mesh};

    fn sample() -> RgbaImage {
        let tris = [[[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 5.0]]];
        render_mesh(&tris, &RenderOptions::default())
    }

    #[test]
    fn webp_round_trips_losslessly() {
        let img = sample();
        let webp = encode_webp(&img).expect("webp");
        assert_eq!(&webp[..4], b"RIFF");
        assert_eq!(&webp[8..12], b"WEBP");
        let back = decode_thumbnail(&webp, &Limits::default()).expect("decode");
        assert_eq!(back, img);
    }

    #[test]
    fn grid_variant_keeps_aspect() {
        let img = sample();
        let small = fit_within(&img, GRID_SIZE.0, GRID_SIZE.1);
        assert_eq!(small.dimensions(), (320, 240));
        let tall = RgbaImage::new(100, 400);
        assert_eq!(fit_within(&tall, 320, 240).dimensions(), (60, 240));
        let tiny = RgbaImage::new(10, 10);
        assert_eq!(fit_within(&tiny, 320, 240).dimensions(), (10, 10));
        let webp = encode_grid_webp(&img).expect("grid");
        assert_eq!(
            decode_thumbnail(&webp, &Limits::default())
                .expect("decode")
                .dimensions(),
            (320, 240)
        );
    }

    #[test]
    fn decodes_legacy_png_and_rejects_garbage() {
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/3mf/cube_20mm_prusa_project.3mf"
        ))
        .expect("fixture");
        let mut pkg =
            crate::backend::formats::package::Package::from_bytes(&png, &Limits::default())
                .expect("zip");
        let thumb = pkg.read("Metadata/thumbnail.png").expect("png");
        let img = decode_thumbnail(&thumb, &Limits::default()).expect("png");
        assert_eq!(img.dimensions(), (256, 256));
        let tight = Limits {
            max_decompressed_bytes: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            decode_thumbnail(&thumb, &tight),
            Err(FormatError::LimitExceeded { .. })
        ));
        assert!(decode_thumbnail(b"not an image", &Limits::default()).is_err());
        for len in (0..thumb.len()).step_by(97) {
            let _ = decode_thumbnail(&thumb[..len], &Limits::default());
        }
    }

    #[cfg(feature = "avif")]
    #[test]
    fn avif_encodes() {
        let small = fit_within(&sample(), 64, 48);
        let avif = encode_avif(&small).expect("avif");
        assert_eq!(&avif[4..8], b"ftyp");
    }
}
