//! Images that slicers embed in the files they write: base64 comment blocks
//! in text G-code (`; thumbnail begin WxH LEN`, `thumbnail_JPG`,
//! `thumbnail_QOI`), thumbnail blocks of binary G-code, and the PNG parts of
//! 3MF projects (`Metadata/thumbnail.png`, `Metadata/plate_N.png`,
//! `Metadata/plate_N_small.png`).
//!
//! Every image is identified by its magic bytes (the tag is only a hint) and
//! its real width/height are read from the image header when possible.
//! [`pick_largest`] chooses the one to display; [`decode_rgba`] turns any of
//! them into RGBA pixels (PNG/JPEG through the `image` crate, QOI through the
//! small decoder in this module, written from the QOI specification).

use std::io::{Read, Seek};

use base64::Engine as _;
use serde::Serialize;

use crate::backend::formats::package::{Package, REL_TYPE_THUMBNAIL, resolve_target};
use crate::backend::formats::{FormatError, LimitKind, Limits};

/// Largest base64 payload accepted for one G-code thumbnail block.
const MAX_BASE64_CHARS: usize = 32 * 1024 * 1024;
/// Largest 3MF image part read as a thumbnail.
const MAX_PACKAGE_IMAGE_BYTES: u64 = 32 * 1024 * 1024;

/// Encoding of an embedded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// QOI ("Quite OK Image").
    Qoi,
}

impl ImageFormat {
    /// Format from magic bytes: PNG `89 50 4E 47`, JPEG `FF D8`, QOI `qoif`.
    pub fn sniff(data: &[u8]) -> Option<Self> {
        if data.starts_with(&[0x89, b'P', b'N', b'G']) {
            Some(Self::Png)
        } else if data.starts_with(&[0xFF, 0xD8]) {
            Some(Self::Jpeg)
        } else if data.starts_with(b"qoif") {
            Some(Self::Qoi)
        } else {
            None
        }
    }
}

/// One embedded image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmbeddedThumbnail {
    /// Image encoding (from magic bytes, else from the container's tag).
    pub format: ImageFormat,
    /// Width in pixels (from the image header, else as declared by the container).
    pub width: u32,
    /// Height in pixels (from the image header, else as declared by the container).
    pub height: u32,
    /// Size of the encoded image in bytes.
    pub byte_len: usize,
    /// Where it came from: `gcode`, `bgcode`, or the 3MF part name.
    pub source: String,
    /// The encoded image bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl EmbeddedThumbnail {
    /// Builds a thumbnail from image bytes, preferring the sniffed format and
    /// the dimensions in the image header over the declared ones.
    pub fn from_bytes(
        data: Vec<u8>,
        declared: Option<(ImageFormat, u32, u32)>,
        source: &str,
    ) -> Option<Self> {
        let format = ImageFormat::sniff(&data).or(declared.map(|d| d.0))?;
        let (width, height) = probe_dimensions(format, &data).or(declared.map(|d| (d.1, d.2)))?;
        Some(Self {
            format,
            width,
            height,
            byte_len: data.len(),
            source: source.to_owned(),
            data,
        })
    }

    /// Pixel count, used to rank thumbnails.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// The largest image by pixel area (ties: the larger file, then the first).
pub fn pick_largest(thumbs: &[EmbeddedThumbnail]) -> Option<&EmbeddedThumbnail> {
    thumbs.iter().rev().max_by_key(|t| (t.area(), t.byte_len))
}

/// Reads width and height from a PNG, JPEG or QOI header.
pub fn probe_dimensions(format: ImageFormat, data: &[u8]) -> Option<(u32, u32)> {
    let be32 = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    match format {
        ImageFormat::Png if data.get(12..16) == Some(b"IHDR") => Some((be32(16)?, be32(20)?)),
        ImageFormat::Png => None,
        ImageFormat::Qoi => Some((be32(4)?, be32(8)?)),
        ImageFormat::Jpeg => jpeg_dimensions(data),
    }
}

/// Walks JPEG markers up to the first start-of-frame segment.
fn jpeg_dimensions(data: &[u8]) -> Option<(u32, u32)> {
    let mut pos = 2;
    loop {
        while *data.get(pos)? != 0xFF {
            pos += 1;
        }
        while *data.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *data.get(pos)?;
        pos += 1;
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]));
        let is_sof = (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let h = u16::from_be_bytes([*data.get(pos + 3)?, *data.get(pos + 4)?]);
            let w = u16::from_be_bytes([*data.get(pos + 5)?, *data.get(pos + 6)?]);
            return Some((u32::from(w), u32::from(h)));
        }
        if marker == 0xD9 || len < 2 {
            return None;
        }
        pos += len;
    }
}

/// An open `; thumbnail… begin` block.
struct OpenBlock {
    tag: String,
    declared: (ImageFormat, u32, u32),
    base64: String,
}

/// Collects base64 thumbnail blocks from G-code comment lines fed one at a
/// time (the G-code reader feeds it its head window).
#[derive(Default)]
pub struct GcodeThumbnailCollector {
    open: Option<OpenBlock>,
    done: Vec<EmbeddedThumbnail>,
}

impl GcodeThumbnailCollector {
    /// A collector with no blocks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a block has begun but not ended.
    pub fn in_block(&self) -> bool {
        self.open.is_some()
    }

    /// Drops a block that has begun but not ended (keeps finished ones).
    pub fn abandon_open(&mut self) {
        self.open = None;
    }

    /// Feeds one line (without its newline); returns true when the line was
    /// part of a thumbnail block (begin, payload or end).
    pub fn push_line(&mut self, line: &str) -> bool {
        let Some(body) = line.trim_end().strip_prefix(';') else {
            // A non-comment line inside a block means the block is broken.
            self.open = None;
            return false;
        };
        let body = body.trim();
        if let Some(open) = &mut self.open {
            if body.strip_suffix(" end") == Some(open.tag.as_str()) {
                if let Some(open) = self.open.take() {
                    self.close(open);
                }
                return true;
            }
            if open.base64.len() + body.len() > MAX_BASE64_CHARS {
                self.open = None;
                return true;
            }
            open.base64.push_str(body);
            return true;
        }
        if let Some(block) = parse_begin(body) {
            self.open = Some(block);
            return true;
        }
        false
    }

    fn close(&mut self, open: OpenBlock) {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(open.base64.as_bytes())
        else {
            return;
        };
        if let Some(thumb) = EmbeddedThumbnail::from_bytes(bytes, Some(open.declared), "gcode") {
            self.done.push(thumb);
        }
    }

    /// The completed thumbnails, in file order.
    pub fn finish(self) -> Vec<EmbeddedThumbnail> {
        self.done
    }
}

/// Parses `thumbnail begin 220x124 4840` (also `thumbnail_JPG`/`_QOI`/`_PNG`).
fn parse_begin(body: &str) -> Option<OpenBlock> {
    let mut words = body.split_whitespace();
    let tag = words.next()?;
    let format = match tag {
        "thumbnail" | "thumbnail_PNG" => ImageFormat::Png,
        "thumbnail_JPG" | "thumbnail_JPEG" => ImageFormat::Jpeg,
        "thumbnail_QOI" => ImageFormat::Qoi,
        _ => return None,
    };
    if words.next()? != "begin" {
        return None;
    }
    let (w, h) = words.next()?.split_once('x')?;
    let (width, height) = (w.parse().ok()?, h.parse().ok()?);
    Some(OpenBlock {
        tag: tag.to_owned(),
        declared: (format, width, height),
        base64: String::new(),
    })
}

/// Extracts every thumbnail block from G-code text.
pub fn gcode_thumbnails(text: &str) -> Vec<EmbeddedThumbnail> {
    let mut collector = GcodeThumbnailCollector::new();
    for line in text.lines() {
        collector.push_line(line);
    }
    collector.finish()
}

/// Thumbnail blocks of a binary G-code file (reads only the blocks before
/// the G-code; checksums verified).
pub fn bgcode_thumbnails<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<Vec<EmbeddedThumbnail>, FormatError> {
    Ok(crate::backend::formats::bgcode::read_bgcode_metadata(reader, limits)?.thumbnails)
}

/// Whether a 3MF part name is a thumbnail (not a top/pick/no-light render).
pub fn is_package_thumbnail_name(name: &str) -> bool {
    let Some(file) = name.strip_prefix("Metadata/") else {
        return false;
    };
    if file.eq_ignore_ascii_case("thumbnail.png") {
        return true;
    }
    let Some(stem) = file
        .strip_prefix("plate_")
        .and_then(|f| f.strip_suffix(".png"))
    else {
        return false;
    };
    let digits = stem.strip_suffix("_small").unwrap_or(stem);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Thumbnails of a 3MF package: `Metadata/thumbnail.png`, per-plate
/// `Metadata/plate_N.png` / `plate_N_small.png`, and the package thumbnail
/// relationship's target. Unreadable or non-image parts are skipped.
pub fn package_thumbnails<R: Read + Seek>(
    pkg: &mut Package<R>,
) -> Result<Vec<EmbeddedThumbnail>, FormatError> {
    let mut names: Vec<String> = pkg
        .names()
        .filter(|n| is_package_thumbnail_name(n))
        .map(str::to_owned)
        .collect();
    for rel in pkg.relationships("/")? {
        if rel.rel_type == REL_TYPE_THUMBNAIL
            && let Some(stored) = pkg.resolve(&resolve_target("/", &rel.target))
            && !names.iter().any(|n| n == stored)
        {
            names.push(stored.to_owned());
        }
    }
    let mut out = Vec::new();
    for name in names {
        match pkg.read_at_most(&name, MAX_PACKAGE_IMAGE_BYTES) {
            Ok(bytes) => out.extend(EmbeddedThumbnail::from_bytes(bytes, None, &name)),
            Err(e @ FormatError::LimitExceeded { .. }) => return Err(e),
            Err(_) => {}
        }
    }
    Ok(out)
}

/// Decodes any embedded image to RGBA8, refusing images whose pixel buffer
/// would exceed [`Limits::max_decompressed_bytes`].
pub fn decode_rgba(
    thumb: &EmbeddedThumbnail,
    limits: &Limits,
) -> Result<image::RgbaImage, FormatError> {
    check_pixel_budget(thumb.width, thumb.height, limits)?;
    match thumb.format {
        ImageFormat::Qoi => decode_qoi(&thumb.data, limits),
        ImageFormat::Png | ImageFormat::Jpeg => {
            let format = if thumb.format == ImageFormat::Png {
                image::ImageFormat::Png
            } else {
                image::ImageFormat::Jpeg
            };
            let mut reader =
                image::ImageReader::with_format(std::io::Cursor::new(&thumb.data), format);
            let mut image_limits = image::Limits::default();
            image_limits.max_alloc = Some(limits.max_decompressed_bytes);
            reader.limits(image_limits);
            let img = reader.decode().map_err(|e| FormatError::Malformed {
                format: "image",
                detail: e.to_string(),
            })?;
            Ok(img.to_rgba8())
        }
    }
}

fn check_pixel_budget(width: u32, height: u32, limits: &Limits) -> Result<(), FormatError> {
    let bytes = u64::from(width)
        .saturating_mul(u64::from(height))
        .saturating_mul(4);
    if bytes > limits.max_decompressed_bytes {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::MaxDecompressedBytes,
            limit_value: limits.max_decompressed_bytes,
        });
    }
    Ok(())
}

/// Decodes a QOI image (header `qoif`, big-endian width/height, channels,
/// colourspace; chunk stream; 8-byte end marker) to RGBA8.
pub fn decode_qoi(data: &[u8], limits: &Limits) -> Result<image::RgbaImage, FormatError> {
    let malformed = |detail: &str| FormatError::Malformed {
        format: "QOI",
        detail: detail.to_owned(),
    };
    let truncated = || FormatError::Truncated {
        format: "QOI",
        detail: "image data ends early".to_owned(),
    };
    if data.len() < 14 || !data.starts_with(b"qoif") {
        return Err(malformed("missing qoif header"));
    }
    let width = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    let height = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
    if !(3..=4).contains(&data[12]) || data[13] > 1 {
        return Err(malformed("bad channel count or colourspace"));
    }
    if width == 0 || height == 0 {
        return Err(malformed("zero-sized image"));
    }
    check_pixel_budget(width, height, limits)?;
    let pixel_count = u64::from(width) * u64::from(height);
    let pixel_count = usize::try_from(pixel_count).map_err(|_| malformed("image too large"))?;
    let mut out = Vec::with_capacity(pixel_count.saturating_mul(4));
    let mut index = [[0u8; 4]; 64];
    let mut px = [0u8, 0, 0, 255];
    let mut pos = 14;
    let mut written = 0usize;
    let next = |pos: &mut usize| -> Result<u8, FormatError> {
        let b = *data.get(*pos).ok_or_else(truncated)?;
        *pos += 1;
        Ok(b)
    };
    while written < pixel_count {
        let b = next(&mut pos)?;
        let mut run = 1usize;
        match b {
            0xFE => {
                px[0] = next(&mut pos)?;
                px[1] = next(&mut pos)?;
                px[2] = next(&mut pos)?;
            }
            0xFF => {
                for c in &mut px {
                    *c = next(&mut pos)?;
                }
            }
            _ => match b >> 6 {
                0 => px = index[usize::from(b & 0x3F)],
                1 => {
                    px[0] = px[0].wrapping_add(((b >> 4) & 3).wrapping_sub(2));
                    px[1] = px[1].wrapping_add(((b >> 2) & 3).wrapping_sub(2));
                    px[2] = px[2].wrapping_add((b & 3).wrapping_sub(2));
                }
                2 => {
                    let dg = (b & 0x3F).wrapping_sub(32);
                    let b2 = next(&mut pos)?;
                    px[0] = px[0].wrapping_add(dg.wrapping_add(b2 >> 4).wrapping_sub(8));
                    px[1] = px[1].wrapping_add(dg);
                    px[2] = px[2].wrapping_add(dg.wrapping_add(b2 & 0x0F).wrapping_sub(8));
                }
                _ => run = usize::from(b & 0x3F) + 1,
            },
        }
        let hash = (usize::from(px[0]) * 3
            + usize::from(px[1]) * 5
            + usize::from(px[2]) * 7
            + usize::from(px[3]) * 11)
            % 64;
        index[hash] = px;
        let n = run.min(pixel_count - written);
        for _ in 0..n {
            out.extend_from_slice(&px);
        }
        written += n;
    }
    image::RgbaImage::from_raw(width, height, out)
        .ok_or_else(|| malformed("pixel buffer size mismatch"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Minimal QOI encoder (test only) exercising every chunk type.
    pub(crate) fn encode_qoi(width: u32, height: u32, rgba: &[u8]) -> Vec<u8> {
        let mut out = b"qoif".to_vec();
        out.extend_from_slice(&width.to_be_bytes());
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&[4, 0]);
        let mut index = [[0u8; 4]; 64];
        let mut prev = [0u8, 0, 0, 255];
        let mut run = 0u8;
        let pixels: Vec<[u8; 4]> = rgba
            .chunks_exact(4)
            .map(|c| [c[0], c[1], c[2], c[3]])
            .collect();
        for (i, &px) in pixels.iter().enumerate() {
            if px == prev {
                run += 1;
                if run == 62 || i == pixels.len() - 1 {
                    out.push(0xC0 | (run - 1));
                    run = 0;
                }
                continue;
            }
            if run > 0 {
                out.push(0xC0 | (run - 1));
                run = 0;
            }
            let hash = (usize::from(px[0]) * 3
                + usize::from(px[1]) * 5
                + usize::from(px[2]) * 7
                + usize::from(px[3]) * 11)
                % 64;
            if index[hash] == px {
                out.push(hash as u8);
            } else {
                index[hash] = px;
                if px[3] == prev[3] {
                    let dr = px[0].wrapping_sub(prev[0]) as i8;
                    let dg = px[1].wrapping_sub(prev[1]) as i8;
                    let db = px[2].wrapping_sub(prev[2]) as i8;
                    let (dr_dg, db_dg) = (dr.wrapping_sub(dg), db.wrapping_sub(dg));
                    if (-2..2).contains(&dr) && (-2..2).contains(&dg) && (-2..2).contains(&db) {
                        out.push(
                            0x40 | (((dr + 2) as u8) << 4)
                                | (((dg + 2) as u8) << 2)
                                | ((db + 2) as u8),
                        );
                    } else if (-32..32).contains(&dg)
                        && (-8..8).contains(&dr_dg)
                        && (-8..8).contains(&db_dg)
                    {
                        out.push(0x80 | ((dg + 32) as u8));
                        out.push((((dr_dg + 8) as u8) << 4) | ((db_dg + 8) as u8));
                    } else {
                        out.extend_from_slice(&[0xFE, px[0], px[1], px[2]]);
                    }
                } else {
                    out.extend_from_slice(&[0xFF, px[0], px[1], px[2], px[3]]);
                }
            }
            prev = px;
        }
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        out
    }

    fn sample_rgba(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let a = if (x + y) % 7 == 0 { 128 } else { 255 };
                let c = if x < w / 3 {
                    [10, 20, 30, a]
                } else {
                    [(x * 3) as u8, (y * 5) as u8, ((x ^ y) * 40) as u8, a]
                };
                v.extend_from_slice(&c);
            }
        }
        v
    }

    #[test]
    fn qoi_round_trips_through_own_decoder() {
        let (w, h) = (37, 23);
        let rgba = sample_rgba(w, h);
        let encoded = encode_qoi(w, h, &rgba);
        let img = decode_qoi(&encoded, &Limits::default()).expect("decode");
        assert_eq!(img.dimensions(), (w, h));
        assert_eq!(img.into_raw(), rgba);
    }

    #[test]
    fn qoi_garbage_and_truncations_are_errors_not_panics() {
        let encoded = encode_qoi(16, 16, &sample_rgba(16, 16));
        for len in 0..encoded.len() - 8 {
            assert!(decode_qoi(&encoded[..len], &Limits::default()).is_err());
        }
        let mut huge = encoded.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_qoi(&huge, &Limits::default()),
            Err(FormatError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn gcode_qoi_block_is_found_and_decodes() {
        let encoded = encode_qoi(8, 4, &sample_rgba(8, 4));
        let b64 = base64::engine::general_purpose::STANDARD.encode(&encoded);
        let mut text = format!(
            "; generated by X\n;\n; thumbnail_QOI begin 8x4 {}\n",
            b64.len()
        );
        for chunk in b64.as_bytes().chunks(78) {
            text.push_str("; ");
            text.push_str(std::str::from_utf8(chunk).expect("ascii"));
            text.push('\n');
        }
        text.push_str("; thumbnail_QOI end\n;\nG1 X1\n");
        let thumbs = gcode_thumbnails(&text);
        assert_eq!(thumbs.len(), 1);
        assert_eq!(
            (thumbs[0].format, thumbs[0].width, thumbs[0].height),
            (ImageFormat::Qoi, 8, 4)
        );
        let img = decode_rgba(&thumbs[0], &Limits::default()).expect("decode");
        assert_eq!(img.dimensions(), (8, 4));
    }

    #[test]
    fn package_thumbnail_names() {
        assert!(is_package_thumbnail_name("Metadata/thumbnail.png"));
        assert!(is_package_thumbnail_name("Metadata/plate_1.png"));
        assert!(is_package_thumbnail_name("Metadata/plate_12_small.png"));
        assert!(!is_package_thumbnail_name("Metadata/top_1.png"));
        assert!(!is_package_thumbnail_name("Metadata/pick_1.png"));
        assert!(!is_package_thumbnail_name("Metadata/plate_no_light_1.png"));
        assert!(!is_package_thumbnail_name("Metadata/plate_.png"));
    }

    #[test]
    fn prusa_project_thumbnail_is_listed() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/3mf/cube_20mm_prusa_project.3mf"
        ))
        .expect("fixture");
        let mut pkg = Package::from_bytes(&bytes, &Limits::default()).expect("open");
        let thumbs = package_thumbnails(&mut pkg).expect("thumbs");
        assert_eq!(thumbs.len(), 1);
        let t = &thumbs[0];
        assert_eq!(
            (t.format, t.width, t.height, t.byte_len),
            (ImageFormat::Png, 256, 256, 4750)
        );
        assert_eq!(t.source, "Metadata/thumbnail.png");
        let img = decode_rgba(t, &Limits::default()).expect("decode png");
        assert_eq!(img.dimensions(), (256, 256));
    }
}
