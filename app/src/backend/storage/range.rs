//! HTTP byte ranges (RFC 9110 §14): parsing a `Range` header value into a
//! [`ByteRange`] request, resolving it against an object's size into a
//! [`ResolvedRange`], and formatting `Content-Range` values.
//!
//! The split exists so a download handler makes one storage call: it parses the
//! header (no size needed), passes the request to [`BlobStore::get`], and the
//! backend resolves it against the size it actually reads (for S3, in the same
//! request). Policy, following RFC 9110:
//!
//! - a header that is malformed, uses another unit, or has an inverted
//!   `first-last` pair is *ignored* (`None` → full body, 200);
//! - more than one range is valid but unsupported here → `None` → full body;
//! - a single range whose start is at or past the end, a zero-length suffix,
//!   or any range on an empty object is *unsatisfiable* (→ 416 with
//!   [`unsatisfied_content_range`]);
//! - a `last` past the end is clamped; a suffix longer than the object selects
//!   all of it.
//!
//! [`BlobStore::get`]: super::BlobStore::get

use std::fmt;

/// A single byte range as the client asked for it, before the size is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last` (inclusive; `last` may lie past the end).
    FromTo {
        /// First byte offset.
        first: u64,
        /// Last byte offset, inclusive.
        last: u64,
    },
    /// `bytes=first-`: from `first` to the end.
    From {
        /// First byte offset.
        first: u64,
    },
    /// `bytes=-len`: the last `len` bytes.
    Suffix {
        /// How many bytes from the end.
        len: u64,
    },
}

/// A range resolved against a size: `first <= last < size`, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolvedRange {
    first: u64,
    last: u64,
}

/// The range cannot be served from an object of `size` bytes (HTTP 416).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsatisfiable {
    /// The object's size in bytes.
    pub size: u64,
}

impl ByteRange {
    /// Resolves the request against an object of `size` bytes.
    pub fn resolve(self, size: u64) -> Result<ResolvedRange, Unsatisfiable> {
        let unsat = Unsatisfiable { size };
        if size == 0 {
            return Err(unsat);
        }
        let end = size - 1;
        let (first, last) = match self {
            Self::FromTo { first, last } if first <= last => (first, last.min(end)),
            // Inverted pairs are filtered out by the parser; a caller building
            // one by hand gets the same answer as for an out-of-bounds start.
            Self::FromTo { .. } => return Err(unsat),
            Self::From { first } => (first, end),
            Self::Suffix { len: 0 } => return Err(unsat),
            Self::Suffix { len } => (size.saturating_sub(len), end),
        };
        if first > end {
            return Err(unsat);
        }
        Ok(ResolvedRange { first, last })
    }
}

impl ResolvedRange {
    /// First byte offset (inclusive).
    pub fn first(&self) -> u64 {
        self.first
    }

    /// Last byte offset (inclusive).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// Number of bytes in the range (at least 1).
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a resolved range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value for a 206 response: `bytes first-last/total`.
    pub fn content_range(&self, total_size: u64) -> String {
        format!("bytes {}-{}/{total_size}", self.first, self.last)
    }
}

impl fmt::Display for ResolvedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// The `Content-Range` value for a 416 response: `bytes */size`.
pub fn unsatisfied_content_range(size: u64) -> String {
    format!("bytes */{size}")
}

/// Parses a `Range` header value. `None` means "ignore it and send the full
/// body": malformed, another unit, an inverted pair, or several ranges.
pub fn parse_range_header(value: &str) -> Option<ByteRange> {
    let (unit, set) = value.trim().split_once('=')?;
    if !unit.trim_end().eq_ignore_ascii_case("bytes") {
        return None;
    }
    // A list may contain empty elements (RFC 9110 §5.6.1), which recipients skip.
    let mut specs = set
        .split(',')
        .map(|s| s.trim_matches([' ', '\t']))
        .filter(|s| !s.is_empty());
    let spec = specs.next()?;
    if specs.next().is_some() {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    match (a.is_empty(), b.is_empty()) {
        (true, true) => None,
        (true, false) => Some(ByteRange::Suffix {
            len: parse_digits(b)?,
        }),
        (false, true) => Some(ByteRange::From {
            first: parse_digits(a)?,
        }),
        (false, false) => {
            let (first, last) = (parse_digits(a)?, parse_digits(b)?);
            (first <= last).then_some(ByteRange::FromTo { first, last })
        }
    }
}

/// `1*DIGIT`, saturating at `u64::MAX` (a position that large is past any end).
fn parse_digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn resolve(h: &str, size: u64) -> Option<Result<(u64, u64), u64>> {
        parse_range_header(h).map(|r| {
            r.resolve(size)
                .map(|r| (r.first(), r.last()))
                .map_err(|u| u.size)
        })
    }

    #[test]
    fn single_ranges_resolve_per_rfc_9110() {
        assert_eq!(resolve("bytes=0-0", 10), Some(Ok((0, 0))));
        assert_eq!(resolve("bytes=2-5", 10), Some(Ok((2, 5))));
        assert_eq!(resolve("bytes=2-500", 10), Some(Ok((2, 9))));
        assert_eq!(resolve("bytes=7-", 10), Some(Ok((7, 9))));
        assert_eq!(resolve("bytes=-3", 10), Some(Ok((7, 9))));
        assert_eq!(resolve("bytes=-30", 10), Some(Ok((0, 9))));
        assert_eq!(resolve("BYTES = 1-2", 10), Some(Ok((1, 2))));
        assert_eq!(resolve("bytes=1-2, ", 10), Some(Ok((1, 2))));
        assert_eq!(
            resolve("bytes=0-99999999999999999999999", 10),
            Some(Ok((0, 9)))
        );
    }

    #[test]
    fn out_of_bounds_ranges_are_unsatisfiable() {
        assert_eq!(resolve("bytes=10-", 10), Some(Err(10)));
        assert_eq!(resolve("bytes=10-20", 10), Some(Err(10)));
        assert_eq!(resolve("bytes=-0", 10), Some(Err(10)));
        assert_eq!(resolve("bytes=0-", 0), Some(Err(0)));
        assert_eq!(resolve("bytes=-5", 0), Some(Err(0)));
    }

    #[test]
    fn malformed_or_multiple_ranges_are_ignored() {
        for h in [
            "",
            "bytes",
            "bytes=",
            "bytes=-",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=1-2-3",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=0-1, -5",
            "bytes=--1",
            "bytes=0x1-2",
        ] {
            assert_eq!(parse_range_header(h), None, "{h:?}");
        }
    }

    #[test]
    fn content_range_texts() {
        let r = ByteRange::FromTo {
            first: 0,
            last: 499,
        }
        .resolve(1234)
        .unwrap();
        assert_eq!(r.content_range(1234), "bytes 0-499/1234");
        assert_eq!(r.len(), 500);
        assert_eq!(unsatisfied_content_range(1234), "bytes */1234");
    }

    proptest! {
        #[test]
        fn arbitrary_headers_never_panic_and_stay_in_bounds(h in "\\PC{0,40}", size in any::<u64>()) {
            if let Some(Ok(r)) = parse_range_header(&h).map(|r| r.resolve(size)) {
                prop_assert!(r.first() <= r.last() && r.last() < size);
            }
        }

        #[test]
        fn well_formed_headers_resolve_inside_the_blob(
            a in proptest::option::of(0u64..2000),
            b in proptest::option::of(0u64..2000),
            size in 0u64..1500,
        ) {
            let h = format!("bytes={}-{}", a.map(|v| v.to_string()).unwrap_or_default(), b.map(|v| v.to_string()).unwrap_or_default());
            match parse_range_header(&h) {
                None => prop_assert!(a.is_none() && b.is_none() || matches!((a, b), (Some(x), Some(y)) if x > y)),
                Some(req) => match req.resolve(size) {
                    Ok(r) => {
                        prop_assert!(r.first() <= r.last() && r.last() < size);
                        prop_assert_eq!(r.len(), r.last() - r.first() + 1);
                        if let Some(first) = a { prop_assert_eq!(r.first(), first); }
                    }
                    Err(u) => {
                        prop_assert_eq!(u.size, size);
                        prop_assert!(size == 0 || a.is_some_and(|x| x >= size) || (a.is_none() && b == Some(0)));
                    }
                },
            }
        }
    }
}
