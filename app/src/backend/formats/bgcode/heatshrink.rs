//! Heatshrink decompression (LZSS with a bit-level stream), as used by
//! binary G-code blocks with window 2^11 or 2^12 and lookahead 2^4.
//!
//! The stream is read most-significant bit first. A `1` tag bit is followed
//! by an 8-bit literal; a `0` tag bit by a back-reference: `window_bits` bits
//! of (distance − 1) and `lookahead_bits` bits of (length − 1). The
//! decoder's window starts zero-filled, so a reference before the start of
//! the output yields zero bytes. Trailing bits that cannot form a whole
//! token are padding. Blocks are compressed independently.

use crate::backend::formats::FormatError;

/// Most-significant-bit-first reader over a byte slice.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u8,
}

impl BitReader<'_> {
    /// Reads `count` (≤ 16) bits, or `None` when fewer remain.
    fn bits(&mut self, count: u8) -> Option<u16> {
        let remaining = (self.data.len() - self.pos) * 8 - usize::from(self.bit);
        if remaining < usize::from(count) {
            return None;
        }
        let mut value = 0u16;
        for _ in 0..count {
            let byte = self.data[self.pos];
            value = (value << 1) | u16::from((byte >> (7 - self.bit)) & 1);
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Some(value)
    }
}

/// Decompresses `input` and requires exactly `expected_len` output bytes
/// (the block header's uncompressed size).
pub fn decompress(
    input: &[u8],
    window_bits: u8,
    lookahead_bits: u8,
    expected_len: usize,
) -> Result<Vec<u8>, FormatError> {
    let too_long = || FormatError::Malformed {
        format: "binary G-code",
        detail: format!("heatshrink data decodes to more than the declared {expected_len} bytes"),
    };
    let mut out: Vec<u8> = Vec::with_capacity(expected_len);
    let mut bits = BitReader {
        data: input,
        pos: 0,
        bit: 0,
    };
    while let Some(tag) = bits.bits(1) {
        if tag == 1 {
            let Some(byte) = bits.bits(8) else { break };
            if out.len() >= expected_len {
                return Err(too_long());
            }
            out.push(byte as u8);
            continue;
        }
        let Some(index) = bits.bits(window_bits) else {
            break;
        };
        let Some(count) = bits.bits(lookahead_bits) else {
            break;
        };
        let distance = usize::from(index) + 1;
        let count = usize::from(count) + 1;
        if out.len() + count > expected_len {
            return Err(too_long());
        }
        for _ in 0..count {
            let byte = out.len().checked_sub(distance).map_or(0, |i| out[i]);
            out.push(byte);
        }
    }
    if out.len() != expected_len {
        return Err(FormatError::Malformed {
            format: "binary G-code",
            detail: format!(
                "heatshrink data decodes to {} bytes, header says {expected_len}",
                out.len()
            ),
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Greedy test-only encoder producing the stream format `decompress` reads.
    pub(crate) fn compress(input: &[u8], window_bits: u8, lookahead_bits: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut nbits) = (0u32, 0u8);
        let mut put = |value: u32, count: u8, out: &mut Vec<u8>| {
            for i in (0..count).rev() {
                acc = (acc << 1) | ((value >> i) & 1);
                nbits += 1;
                if nbits == 8 {
                    out.push(acc as u8);
                    acc = 0;
                    nbits = 0;
                }
            }
        };
        let window = 1usize << window_bits;
        let max_len = 1usize << lookahead_bits;
        let mut pos = 0;
        while pos < input.len() {
            let mut best = (0usize, 0usize);
            for start in pos.saturating_sub(window)..pos {
                let len = (0..max_len.min(input.len() - pos))
                    .take_while(|&k| input[start + k] == input[pos + k])
                    .count();
                if len > best.1 {
                    best = (pos - start, len);
                }
            }
            if best.1 >= 2 {
                put(0, 1, &mut out);
                put((best.0 - 1) as u32, window_bits, &mut out);
                put((best.1 - 1) as u32, lookahead_bits, &mut out);
                pos += best.1;
            } else {
                put(1, 1, &mut out);
                put(u32::from(input[pos]), 8, &mut out);
                pos += 1;
            }
        }
        // Pad the last byte with zero bits.
        put(0, 7, &mut out);
        out
    }

    #[test]
    fn round_trips_both_window_sizes() {
        let mut data = Vec::new();
        for i in 0..3000u32 {
            data.extend_from_slice(
                format!("G1 X{}.{} Y{} E{}\n", i % 97, i % 7, i % 13, i / 3).as_bytes(),
            );
        }
        data.extend((0..2000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        for window in [11, 12] {
            let packed = compress(&data, window, 4);
            assert!(packed.len() < data.len());
            assert_eq!(
                decompress(&packed, window, 4, data.len()).expect("decode"),
                data
            );
            assert!(decompress(&packed, window, 4, data.len() - 1).is_err());
            assert!(decompress(&packed, window, 4, data.len() + 1).is_err());
        }
    }

    #[test]
    fn reference_before_start_reads_zeros() {
        // tag 0, index 0 (distance 1), count 2 (length 3) with window 11 / lookahead 4.
        let mut bits = String::from("0");
        bits.push_str(&format!("{:011b}", 0));
        bits.push_str(&format!("{:04b}", 2));
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 2).unwrap_or(0))
            .collect();
        assert_eq!(decompress(&bytes, 11, 4, 3).expect("decode"), vec![0, 0, 0]);
    }
}
