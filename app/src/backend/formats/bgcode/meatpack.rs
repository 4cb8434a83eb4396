//! MeatPack decoding for binary G-code blocks (encodings 1 and 2).
//!
//! MeatPack packs the 15 most frequent G-code characters (`0`–`9`, `.`,
//! space — or `E` in "no spaces" mode —, newline, `G`, `X`) into 4-bit
//! codes, two per byte, low nibble first; the code `0b1111` means "a full
//! 8-bit character follows" (when both nibbles are `0b1111`, two full
//! characters follow, low first; when only the low one is, the full
//! character comes before the packed high one). A low nibble decoding to a
//! newline ends the pair (the high nibble is padding). `0xFF 0xFF <cmd>`
//! switches modes: 251 enable packing, 250 disable packing (comment lines
//! are stored raw), 249 reset, 247/246 enable/disable no-spaces mode.
//!
//! The encoder strips spaces from `G` lines; like Prusa's own decoder this
//! one puts a space back before each parameter letter of lines starting
//! with `G`, and collapses blank lines. Each block is decoded with fresh
//! state.

/// Parameter letters before which a space is restored in `G` lines.
const PARAMETER_LETTERS: &[u8] = b"XYZEFIJRGPWHCA";

const SIGNAL: u8 = 0xFF;

fn unpack(code: u8, no_spaces: bool) -> u8 {
    match code {
        0..=9 => b'0' + code,
        10 => b'.',
        11 if no_spaces => b'E',
        11 => b' ',
        12 => b'\n',
        13 => b'G',
        _ => b'X',
    }
}

/// Output stage: restores spaces in `G` lines and drops repeated newlines.
struct Output {
    text: Vec<u8>,
    in_g_line: bool,
    budget: u64,
    over_budget: bool,
}

impl Output {
    fn emit(&mut self, c: u8) {
        let last = self.text.last().copied();
        let starts_g_line = c == b'G' && (last.is_none() || last == Some(b'\n'));
        if starts_g_line {
            self.in_g_line = true;
        } else if c == b'\n' {
            self.in_g_line = false;
        }
        if !starts_g_line && self.in_g_line && last != Some(b' ') && PARAMETER_LETTERS.contains(&c)
        {
            self.push(b' ');
        }
        if c != b'\n' || last != Some(b'\n') {
            self.push(c);
        }
    }

    fn push(&mut self, c: u8) {
        if self.text.len() as u64 >= self.budget {
            self.over_budget = true;
            return;
        }
        self.text.push(c);
    }
}

/// Decodes one block's MeatPack stream. Returns `None` when the output would
/// exceed `budget` bytes.
pub fn decode(input: &[u8], budget: u64) -> Option<Vec<u8>> {
    let mut out = Output {
        text: Vec::with_capacity(input.len().saturating_mul(2).min(64 * 1024 * 1024)),
        in_g_line: false,
        budget,
        over_budget: false,
    };
    let mut packing = false;
    let mut no_spaces = false;
    let mut signals = 0u8;
    let mut command_next = false;
    let mut full_chars_pending = 0u8;
    let mut held: Option<u8> = None;

    let mut receive = |c: u8, packing: bool, no_spaces: bool, out: &mut Output| {
        if !packing {
            out.emit(c);
        } else if full_chars_pending > 0 {
            out.emit(c);
            if let Some(h) = held.take() {
                out.emit(h);
            }
            full_chars_pending -= 1;
        } else {
            let (low, high) = (c & 0x0F, c >> 4);
            if low == 0x0F {
                full_chars_pending += 1;
                if high == 0x0F {
                    full_chars_pending += 1;
                } else {
                    held = Some(unpack(high, no_spaces));
                }
            } else {
                let first = unpack(low, no_spaces);
                out.emit(first);
                if first != b'\n' {
                    if high == 0x0F {
                        full_chars_pending += 1;
                    } else {
                        out.emit(unpack(high, no_spaces));
                    }
                }
            }
        }
    };

    for &b in input {
        if b == SIGNAL {
            if signals > 0 {
                command_next = true;
                signals = 0;
            } else {
                signals = 1;
            }
            continue;
        }
        if command_next {
            command_next = false;
            match b {
                251 => packing = true,
                250 | 249 => packing = false,
                247 => no_spaces = true,
                246 => no_spaces = false,
                _ => {}
            }
            continue;
        }
        if signals > 0 {
            signals = 0;
            receive(SIGNAL, packing, no_spaces, &mut out);
        }
        receive(b, packing, no_spaces, &mut out);
        if out.over_budget {
            return None;
        }
    }
    (!out.over_budget).then_some(out.text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn code(c: u8, no_spaces: bool) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'.' => Some(10),
            b' ' if !no_spaces => Some(11),
            b'E' if no_spaces => Some(11),
            b'\n' => Some(12),
            b'G' => Some(13),
            b'X' => Some(14),
            _ => None,
        }
    }

    /// Test-only encoder: comments raw (packing off), G lines without
    /// spaces in no-spaces mode, everything else packed.
    pub(crate) fn encode(text: &str, no_spaces: bool) -> Vec<u8> {
        let mut out = vec![SIGNAL, SIGNAL, 251];
        if no_spaces {
            out.extend_from_slice(&[SIGNAL, SIGNAL, 247]);
        }
        let mut packing = true;
        for line in text.lines() {
            if line.starts_with(';') {
                if packing {
                    out.extend_from_slice(&[SIGNAL, SIGNAL, 250]);
                    packing = false;
                }
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                continue;
            }
            if !packing {
                out.extend_from_slice(&[SIGNAL, SIGNAL, 251]);
                packing = true;
            }
            let mut l: Vec<u8> = if line.starts_with('G') {
                line.bytes().filter(|&b| b != b' ').collect()
            } else {
                line.bytes().collect()
            };
            l.push(b'\n');
            let mut i = 0;
            while i < l.len() {
                let a = l[i];
                let b = l.get(i + 1).copied().unwrap_or(b'\n');
                match (code(a, no_spaces), code(b, no_spaces)) {
                    (Some(x), Some(y)) => out.push(x | (y << 4)),
                    (Some(x), None) => out.extend_from_slice(&[x | 0xF0, b]),
                    (None, Some(y)) => out.extend_from_slice(&[0x0F | (y << 4), a]),
                    (None, None) => out.extend_from_slice(&[0xFF, a, b]),
                }
                i += 2;
            }
        }
        out
    }

    #[test]
    fn round_trips_with_and_without_spaces() {
        let text = "G1 X10.5 Y20 E0.12345 F1800\nM104 S215\n; a comment: with stuff\nG28\nG1 Z.2\nM73 P5 R17\nT0\nG92 E0\n";
        for no_spaces in [false, true] {
            let decoded = decode(&encode(text, no_spaces), u64::MAX).expect("decode");
            assert_eq!(
                String::from_utf8_lossy(&decoded),
                text,
                "no_spaces={no_spaces}"
            );
        }
    }

    #[test]
    fn budget_is_enforced() {
        let enc = encode("G1 X1 Y2\nG1 X3 Y4\n", false);
        assert!(decode(&enc, 5).is_none());
        assert!(decode(&enc, 1000).is_some());
    }
}
