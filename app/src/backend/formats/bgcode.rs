//! Prusa binary G-code (`.bgcode`, libbgcode format version 1).
//!
//! Layout: a 10-byte file header (magic `GCDE`, u32 version, u16 checksum
//! type) followed by blocks in a fixed order — file metadata, printer
//! metadata, thumbnails, print metadata, slicer metadata, then G-code blocks.
//! Each block is a header (u16 type, u16 compression, u32 uncompressed size,
//! u32 compressed size only when compressed), parameters (u16 encoding, or
//! u16 format + u16 width + u16 height for thumbnails), the data as stored,
//! and a CRC32 over header + parameters + data when the file header asks for
//! checksums. All integers are little-endian.
//!
//! [`BgcodeReader`] walks blocks without reading their data; payloads are
//! read on demand, their CRC verified ([`FormatError::ChecksumMismatch`]),
//! and decompressed (none, Deflate, Heatshrink 11/4 and 12/4 — see
//! [`heatshrink`]) and, for G-code, MeatPack-decoded ([`meatpack`]). Every
//! decoded byte counts against [`Limits::max_decompressed_bytes`].
//!
//! [`read_bgcode_metadata`] reads only the blocks before the first G-code
//! block (metadata and thumbnails) and maps them through the same
//! [`map_metadata`] as text G-code; [`stream_gcode`] decodes the G-code one
//! block at a time into a sink, never holding more than one block.

pub mod heatshrink;
pub mod meatpack;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use serde::Serialize;

use super::slicer_meta::{ConfigMap, RawSlicerFacts, SlicerMetadata, map_metadata, parse_ini};
use super::{FormatError, LimitKind, Limits};
use crate::backend::thumbs::embedded::{EmbeddedThumbnail, ImageFormat};

const FORMAT: &str = "binary G-code";

/// The four magic bytes every `.bgcode` file starts with.
pub const MAGIC: &[u8; 4] = b"GCDE";

/// Size of the file header.
const FILE_HEADER_LEN: u64 = 10;

/// Whether blocks carry a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumType {
    /// No checksums.
    None,
    /// CRC32 (IEEE/zlib polynomial) after every block.
    Crc32,
}

/// Block types of format version 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Generic file metadata (`Producer=…`).
    FileMetadata,
    /// A chunk of G-code.
    Gcode,
    /// The slicer's full configuration.
    SlicerMetadata,
    /// Metadata for the printer (model, nozzle, temperatures, estimates).
    PrinterMetadata,
    /// Print statistics (filament used, estimated times).
    PrintMetadata,
    /// One embedded image.
    Thumbnail,
}

impl BlockKind {
    fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::FileMetadata,
            1 => Self::Gcode,
            2 => Self::SlicerMetadata,
            3 => Self::PrinterMetadata,
            4 => Self::PrintMetadata,
            5 => Self::Thumbnail,
            _ => return None,
        })
    }
}

/// Block compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    /// Stored as is.
    None,
    /// zlib-wrapped Deflate.
    Deflate,
    /// Heatshrink, window 2^11, lookahead 2^4.
    Heatshrink11_4,
    /// Heatshrink, window 2^12, lookahead 2^4.
    Heatshrink12_4,
}

impl Compression {
    fn from_u16(v: u16) -> Option<Self> {
        Some(match v {
            0 => Self::None,
            1 => Self::Deflate,
            2 => Self::Heatshrink11_4,
            3 => Self::Heatshrink12_4,
            _ => return None,
        })
    }
}

/// Block parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockParams {
    /// Metadata encoding (0 = INI) or G-code encoding (0 none, 1 MeatPack,
    /// 2 MeatPack keeping comments).
    Encoding(u16),
    /// Thumbnail image format (0 PNG, 1 JPG, 2 QOI) and size.
    Thumbnail {
        /// Image format code.
        format: u16,
        /// Width in pixels.
        width: u16,
        /// Height in pixels.
        height: u16,
    },
}

/// One block's header, as found while walking the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockHeader {
    /// Byte offset of the block in the file.
    pub offset: u64,
    /// Block type.
    pub kind: BlockKind,
    /// Compression of the stored data.
    pub compression: Compression,
    /// Size of the data after decompression (for G-code: still MeatPack-encoded).
    pub uncompressed_size: u32,
    /// Size of the data as stored.
    pub stored_size: u32,
    /// Block parameters.
    pub params: BlockParams,
    /// Raw header + parameter bytes (the start of the CRC input).
    #[serde(skip)]
    raw_head: Vec<u8>,
}

impl BlockHeader {
    fn data_offset(&self) -> u64 {
        self.offset + self.raw_head.len() as u64
    }
}

/// Walks the blocks of a binary G-code file.
pub struct BgcodeReader<R> {
    inner: R,
    /// Format version from the file header.
    pub version: u32,
    /// Checksum type from the file header.
    pub checksum: ChecksumType,
    file_len: u64,
    next_offset: u64,
    limits: Limits,
    decoded_total: u64,
}

impl<R: Read + Seek> BgcodeReader<R> {
    /// Checks the file header (magic, version 1, checksum type).
    pub fn open(mut inner: R, limits: &Limits) -> Result<Self, FormatError> {
        let file_len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        if file_len < FILE_HEADER_LEN {
            return Err(truncated("file header is incomplete"));
        }
        let mut head = [0u8; FILE_HEADER_LEN as usize];
        inner.read_exact(&mut head)?;
        if &head[0..4] != MAGIC {
            return Err(malformed("missing GCDE magic"));
        }
        let version = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if version != 1 {
            return Err(malformed(&format!("unsupported version {version}")));
        }
        let checksum = match u16::from_le_bytes([head[8], head[9]]) {
            0 => ChecksumType::None,
            1 => ChecksumType::Crc32,
            other => return Err(malformed(&format!("unknown checksum type {other}"))),
        };
        Ok(Self {
            inner,
            version,
            checksum,
            file_len,
            next_offset: FILE_HEADER_LEN,
            limits: limits.clone(),
            decoded_total: 0,
        })
    }

    fn checksum_len(&self) -> u64 {
        match self.checksum {
            ChecksumType::None => 0,
            ChecksumType::Crc32 => 4,
        }
    }

    /// The next block's header, or `None` at the end of the file. The block
    /// must fit in the file; its data is not read.
    pub fn next_block(&mut self) -> Result<Option<BlockHeader>, FormatError> {
        let offset = self.next_offset;
        if offset >= self.file_len {
            return Ok(None);
        }
        self.inner.seek(SeekFrom::Start(offset))?;
        let mut raw_head = vec![0u8; 8];
        self.read_exact_or_truncated(&mut raw_head, offset)?;
        let kind_code = u16::from_le_bytes([raw_head[0], raw_head[1]]);
        let kind = BlockKind::from_u16(kind_code).ok_or_else(|| {
            malformed(&format!("unknown block type {kind_code} at byte {offset}"))
        })?;
        let comp_code = u16::from_le_bytes([raw_head[2], raw_head[3]]);
        let compression = Compression::from_u16(comp_code).ok_or_else(|| {
            malformed(&format!("unknown compression {comp_code} at byte {offset}"))
        })?;
        let uncompressed_size =
            u32::from_le_bytes([raw_head[4], raw_head[5], raw_head[6], raw_head[7]]);
        let mut stored_size = uncompressed_size;
        if compression != Compression::None {
            let mut size = [0u8; 4];
            self.read_exact_or_truncated(&mut size, offset)?;
            raw_head.extend_from_slice(&size);
            stored_size = u32::from_le_bytes(size);
        }
        let params_len = if kind == BlockKind::Thumbnail { 6 } else { 2 };
        let mut params = vec![0u8; params_len];
        self.read_exact_or_truncated(&mut params, offset)?;
        raw_head.extend_from_slice(&params);
        let le = |i: usize| u16::from_le_bytes([params[i], params[i + 1]]);
        let params = if kind == BlockKind::Thumbnail {
            BlockParams::Thumbnail {
                format: le(0),
                width: le(2),
                height: le(4),
            }
        } else {
            BlockParams::Encoding(le(0))
        };
        let end = offset + raw_head.len() as u64 + u64::from(stored_size) + self.checksum_len();
        if end > self.file_len {
            return Err(truncated(&format!(
                "block at byte {offset} runs past the end of the file"
            )));
        }
        self.next_offset = end;
        Ok(Some(BlockHeader {
            offset,
            kind,
            compression,
            uncompressed_size,
            stored_size,
            params,
            raw_head,
        }))
    }

    fn read_exact_or_truncated(&mut self, buf: &mut [u8], offset: u64) -> Result<(), FormatError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                truncated(&format!("block header at byte {offset} is incomplete"))
            }
            _ => FormatError::Io(e),
        })
    }

    /// The block's data as stored, after verifying its CRC32 (if any).
    pub fn read_stored(&mut self, block: &BlockHeader) -> Result<Vec<u8>, FormatError> {
        if u64::from(block.stored_size) > self.limits.max_decompressed_bytes {
            return Err(self.limit_error());
        }
        self.inner.seek(SeekFrom::Start(block.data_offset()))?;
        // `next_block` checked that the data fits in the file.
        let mut data = vec![0u8; block.stored_size as usize];
        self.inner.read_exact(&mut data)?;
        if self.checksum == ChecksumType::Crc32 {
            let mut stored = [0u8; 4];
            self.inner.read_exact(&mut stored)?;
            let expected = u32::from_le_bytes(stored);
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(&block.raw_head);
            hasher.update(&data);
            let actual = hasher.finalize();
            if actual != expected {
                return Err(FormatError::ChecksumMismatch {
                    format: FORMAT,
                    offset: block.offset,
                    expected,
                    actual,
                });
            }
        }
        Ok(data)
    }

    /// The block's data decompressed (CRC verified first). G-code blocks are
    /// also MeatPack-decoded into plain G-code text.
    pub fn read_decoded(&mut self, block: &BlockHeader) -> Result<Vec<u8>, FormatError> {
        let stored = self.read_stored(block)?;
        self.charge(u64::from(block.uncompressed_size))?;
        let expected = block.uncompressed_size as usize;
        let data = match block.compression {
            Compression::None => stored,
            Compression::Deflate => {
                let mut out = Vec::with_capacity(expected);
                flate2::read::ZlibDecoder::new(stored.as_slice())
                    .take(u64::from(block.uncompressed_size) + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| {
                        malformed(&format!(
                            "deflate data of block at byte {}: {e}",
                            block.offset
                        ))
                    })?;
                out
            }
            Compression::Heatshrink11_4 => heatshrink::decompress(&stored, 11, 4, expected)?,
            Compression::Heatshrink12_4 => heatshrink::decompress(&stored, 12, 4, expected)?,
        };
        if data.len() != expected {
            return Err(malformed(&format!(
                "block at byte {} decompresses to {} bytes, header says {expected}",
                block.offset,
                data.len()
            )));
        }
        match (block.kind, block.params) {
            (BlockKind::Gcode, BlockParams::Encoding(0)) => Ok(data),
            (BlockKind::Gcode, BlockParams::Encoding(1 | 2)) => {
                let budget = self
                    .limits
                    .max_decompressed_bytes
                    .saturating_sub(self.decoded_total);
                let text = meatpack::decode(&data, budget).ok_or_else(|| self.limit_error())?;
                self.charge(text.len().saturating_sub(data.len()) as u64)?;
                Ok(text)
            }
            (BlockKind::Gcode, BlockParams::Encoding(other)) => Err(malformed(&format!(
                "unknown G-code encoding {other} at byte {}",
                block.offset
            ))),
            _ => Ok(data),
        }
    }

    fn limit_error(&self) -> FormatError {
        FormatError::LimitExceeded {
            limit: LimitKind::MaxDecompressedBytes,
            limit_value: self.limits.max_decompressed_bytes,
        }
    }

    fn charge(&mut self, bytes: u64) -> Result<(), FormatError> {
        let total = self.decoded_total.saturating_add(bytes);
        if total > self.limits.max_decompressed_bytes {
            return Err(self.limit_error());
        }
        self.decoded_total = total;
        Ok(())
    }

    /// Rewinds to the first block.
    pub fn rewind(&mut self) {
        self.next_offset = FILE_HEADER_LEN;
    }
}

fn truncated(detail: &str) -> FormatError {
    FormatError::Truncated {
        format: FORMAT,
        detail: detail.to_owned(),
    }
}

fn malformed(detail: &str) -> FormatError {
    FormatError::Malformed {
        format: FORMAT,
        detail: detail.to_owned(),
    }
}

/// Metadata, configuration and thumbnails of a binary G-code file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BgcodeSummary {
    /// Typed slicer facts (same mapper as text G-code).
    pub metadata: SlicerMetadata,
    /// Full slicer configuration (the slicer metadata block).
    pub config: ConfigMap,
    /// Thumbnail blocks, in file order.
    pub thumbnails: Vec<EmbeddedThumbnail>,
    /// File metadata block (`Producer`, …).
    pub file_metadata: BTreeMap<String, String>,
    /// Printer metadata block.
    pub printer_metadata: BTreeMap<String, String>,
    /// Print metadata block.
    pub print_metadata: BTreeMap<String, String>,
}

/// Reads every block before the first G-code block (the format fixes that
/// order), verifying their checksums; G-code blocks are not read.
pub fn read_bgcode_metadata<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<BgcodeSummary, FormatError> {
    let mut r = BgcodeReader::open(reader, limits)?;
    let mut out = BgcodeSummary::default();
    while let Some(block) = r.next_block()? {
        let target = match block.kind {
            BlockKind::Gcode => break,
            BlockKind::Thumbnail => {
                let data = r.read_decoded(&block)?;
                if let BlockParams::Thumbnail {
                    format,
                    width,
                    height,
                } = block.params
                {
                    let declared = match format {
                        0 => Some(ImageFormat::Png),
                        1 => Some(ImageFormat::Jpeg),
                        2 => Some(ImageFormat::Qoi),
                        _ => None,
                    }
                    .map(|f| (f, u32::from(width), u32::from(height)));
                    out.thumbnails
                        .extend(EmbeddedThumbnail::from_bytes(data, declared, "bgcode"));
                }
                continue;
            }
            BlockKind::FileMetadata => &mut out.file_metadata,
            BlockKind::PrinterMetadata => &mut out.printer_metadata,
            BlockKind::PrintMetadata => &mut out.print_metadata,
            BlockKind::SlicerMetadata => &mut out.config,
        };
        if block.params != BlockParams::Encoding(0) {
            return Err(malformed(&format!(
                "metadata block at byte {} is not INI-encoded",
                block.offset
            )));
        }
        let data = r.read_decoded(&block)?;
        target.extend(parse_ini(&String::from_utf8_lossy(&data)));
    }
    let mut stats = BTreeMap::new();
    for map in [
        &out.file_metadata,
        &out.printer_metadata,
        &out.print_metadata,
    ] {
        stats.extend(map.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let facts = RawSlicerFacts {
        generator: out.file_metadata.get("Producer").cloned(),
        stats,
        config: out.config.clone(),
        ..RawSlicerFacts::default()
    };
    out.metadata = map_metadata(&facts);
    Ok(out)
}

/// Decodes all G-code blocks into `sink`, one block at a time, verifying
/// checksums. The block structure of the whole file is walked first, so a
/// truncated or structurally broken file fails before anything is written.
/// Returns the number of bytes written.
pub fn stream_gcode<R: Read + Seek, W: Write>(
    reader: R,
    sink: &mut W,
    limits: &Limits,
) -> Result<u64, FormatError> {
    let mut r = BgcodeReader::open(reader, limits)?;
    while r.next_block()?.is_some() {}
    r.rewind();
    let mut written = 0u64;
    while let Some(block) = r.next_block()? {
        if block.kind != BlockKind::Gcode {
            continue;
        }
        let text = r.read_decoded(&block)?;
        sink.write_all(&text)?;
        written += text.len() as u64;
    }
    Ok(written)
}

/// Lists every block header, verifying every checksum (no decompression).
pub fn verify_blocks<R: Read + Seek>(
    reader: R,
    limits: &Limits,
) -> Result<Vec<BlockHeader>, FormatError> {
    let mut r = BgcodeReader::open(reader, limits)?;
    let mut blocks = Vec::new();
    while let Some(block) = r.next_block()? {
        r.read_stored(&block)?;
        blocks.push(block);
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests;
