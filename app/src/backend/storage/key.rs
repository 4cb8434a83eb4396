//! Storage keys: the only way to name an object in a [`BlobStore`].
//!
//! A key is never built from user text by concatenation. It is either derived
//! from a SHA-256 digest ([`StorageKey::blob`], [`StorageKey::thumb`]) or
//! parsed from its stored text ([`StorageKey::parse`]), and parsing accepts
//! exactly the two canonical shapes:
//!
//! ```text
//! blobs/ab/cd/abcd…(64 lowercase hex)
//! thumbs/ab/abcd…(64 lowercase hex)-<variant>.<webp|avif|png>
//! ```
//!
//! Because every byte of a valid key is from `[a-z0-9/.-]` and the structure is
//! fixed, a key can be joined onto a backend root as a relative path (or used as
//! an S3 object name) without any chance of traversal (`..`), absolute paths,
//! empty segments or case-folding collisions.
//!
//! [`BlobStore`]: super::BlobStore

use std::fmt;
use std::str::FromStr;

use super::StorageError;

/// Length of a SHA-256 digest in lowercase hex.
const SHA256_HEX_LEN: usize = 64;
/// Longest accepted thumbnail variant name.
const MAX_VARIANT_LEN: usize = 24;
const BLOB_PREFIX: &str = "blobs/";
const THUMB_PREFIX: &str = "thumbs/";

/// A SHA-256 digest as 64 lowercase hex characters (the byte hash of a file).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Encodes a raw 32-byte digest.
    pub fn from_digest(digest: &[u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(SHA256_HEX_LEN);
        for b in digest {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        Self(s)
    }

    /// Parses 64 lowercase hex characters; anything else (uppercase, wrong
    /// length, other characters) is rejected so one digest has one spelling.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        if is_sha256_hex(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(StorageError::invalid_key(
                text,
                "expected 64 lowercase hex characters",
            ))
        }
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hex({})", self.0)
    }
}

impl FromStr for Sha256Hex {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The image format of a thumbnail object (also its file extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThumbFormat {
    /// WebP: every new thumbnail.
    Webp,
    /// AVIF: optional smaller encoding.
    Avif,
    /// PNG: legacy thumbnails imported from the original system.
    Png,
}

impl ThumbFormat {
    /// The file extension (without dot).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Avif => "avif",
            Self::Png => "png",
        }
    }

    /// The MIME type to serve it with.
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Avif => "image/avif",
            Self::Png => "image/png",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        match ext {
            "webp" => Some(Self::Webp),
            "avif" => Some(Self::Avif),
            "png" => Some(Self::Png),
            _ => None,
        }
    }
}

/// Which namespace a key lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `blobs/…`: original file bytes; the key's digest IS the content's digest,
    /// so identical bytes are stored once and a present object is never rewritten.
    Blob,
    /// `thumbs/…`: derived images keyed by the *source* file's digest and a
    /// variant; re-rendering replaces the object atomically.
    Thumb,
}

/// A validated, canonical object name (see the module docs for the shapes).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey {
    text: String,
}

impl StorageKey {
    /// The key of the original bytes whose SHA-256 is `sha`:
    /// `blobs/<sha[0..2]>/<sha[2..4]>/<sha>`.
    pub fn blob(sha: &Sha256Hex) -> Self {
        let s = sha.as_str();
        Self {
            text: format!("{BLOB_PREFIX}{}/{}/{s}", &s[..2], &s[2..4]),
        }
    }

    /// The key of a thumbnail of the file whose byte SHA-256 is `sha`:
    /// `thumbs/<sha[0..2]>/<sha>-<variant>.<ext>`. `variant` is a short name such
    /// as `grid` or `detail`: 1–24 characters from `[a-z0-9_]`.
    pub fn thumb(
        sha: &Sha256Hex,
        variant: &str,
        format: ThumbFormat,
    ) -> Result<Self, StorageError> {
        if !is_variant(variant) {
            return Err(StorageError::invalid_key(
                variant,
                "a thumbnail variant is 1-24 characters of a-z, 0-9 or _",
            ));
        }
        let s = sha.as_str();
        Ok(Self {
            text: format!(
                "{THUMB_PREFIX}{}/{s}-{variant}.{}",
                &s[..2],
                format.extension()
            ),
        })
    }

    /// Parses stored key text, accepting only the canonical shapes.
    pub fn parse(text: &str) -> Result<Self, StorageError> {
        match classify(text) {
            Ok(_) => Ok(Self {
                text: text.to_owned(),
            }),
            Err(reason) => Err(StorageError::invalid_key(text, reason)),
        }
    }

    /// The key text (what the database stores; also the relative path / object name).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The namespace of this key.
    pub fn kind(&self) -> KeyKind {
        if self.text.starts_with(BLOB_PREFIX) {
            KeyKind::Blob
        } else {
            KeyKind::Thumb
        }
    }

    /// The SHA-256 (hex) the key is derived from: the content digest for a blob,
    /// the source file's digest for a thumbnail.
    pub fn sha256(&self) -> &str {
        let start = match self.kind() {
            KeyKind::Blob => BLOB_PREFIX.len() + 6,
            KeyKind::Thumb => THUMB_PREFIX.len() + 3,
        };
        // Validated at construction: the slice is in bounds and on ASCII boundaries.
        self.text
            .get(start..start + SHA256_HEX_LEN)
            .unwrap_or_default()
    }

    /// For thumbnails, the image format; `None` for blobs.
    pub fn thumb_format(&self) -> Option<ThumbFormat> {
        match self.kind() {
            KeyKind::Blob => None,
            KeyKind::Thumb => self
                .text
                .rsplit_once('.')
                .and_then(|(_, ext)| ThumbFormat::from_extension(ext)),
        }
    }
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageKey({})", self.text)
    }
}

impl FromStr for StorageKey {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == SHA256_HEX_LEN
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_variant(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_VARIANT_LEN
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks the full shape; the reason is shown to users, so it names no paths.
fn classify(text: &str) -> Result<KeyKind, &'static str> {
    if let Some(rest) = text.strip_prefix(BLOB_PREFIX) {
        // ab/cd/<sha>
        let mut parts = rest.split('/');
        let (Some(a), Some(b), Some(sha), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("a blob key is blobs/<2 hex>/<2 hex>/<sha256>");
        };
        if !is_sha256_hex(sha) {
            return Err("a blob key ends in 64 lowercase hex characters");
        }
        if a != &sha[..2] || b != &sha[2..4] {
            return Err("a blob key's folders must be the first four hex characters of its digest");
        }
        Ok(KeyKind::Blob)
    } else if let Some(rest) = text.strip_prefix(THUMB_PREFIX) {
        // ab/<sha>-<variant>.<ext>
        let Some((a, name)) = rest.split_once('/') else {
            return Err("a thumbnail key is thumbs/<2 hex>/<sha256>-<variant>.<ext>");
        };
        let Some(sha) = name.get(..SHA256_HEX_LEN) else {
            return Err("a thumbnail key names a 64 character digest");
        };
        if !is_sha256_hex(sha) {
            return Err("a thumbnail key names a digest of 64 lowercase hex characters");
        }
        if a != &sha[..2] {
            return Err(
                "a thumbnail key's folder must be the first two hex characters of its digest",
            );
        }
        let Some(tail) = name[SHA256_HEX_LEN..].strip_prefix('-') else {
            return Err("a thumbnail key has a -<variant> after its digest");
        };
        let Some((variant, ext)) = tail.split_once('.') else {
            return Err("a thumbnail key ends in .webp, .avif or .png");
        };
        if !is_variant(variant) {
            return Err("a thumbnail variant is 1-24 characters of a-z, 0-9 or _");
        }
        if ThumbFormat::from_extension(ext).is_none() {
            return Err("a thumbnail key ends in .webp, .avif or .png");
        }
        Ok(KeyKind::Thumb)
    } else {
        Err("a storage key starts with blobs/ or thumbs/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SHA: &str = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    fn sha() -> Sha256Hex {
        Sha256Hex::parse(SHA).unwrap()
    }

    #[test]
    fn blob_key_is_sharded_by_the_first_four_hex_characters() {
        let key = StorageKey::blob(&sha());
        assert_eq!(key.as_str(), format!("blobs/ab/cd/{SHA}"));
        assert_eq!(key.kind(), KeyKind::Blob);
        assert_eq!(key.sha256(), SHA);
        assert_eq!(StorageKey::parse(key.as_str()).unwrap(), key);
    }

    #[test]
    fn thumb_key_names_digest_variant_and_format() {
        let key = StorageKey::thumb(&sha(), "grid", ThumbFormat::Webp).unwrap();
        assert_eq!(key.as_str(), format!("thumbs/ab/{SHA}-grid.webp"));
        assert_eq!(key.kind(), KeyKind::Thumb);
        assert_eq!(key.sha256(), SHA);
        assert_eq!(key.thumb_format(), Some(ThumbFormat::Webp));
        assert_eq!(StorageKey::parse(key.as_str()).unwrap(), key);
    }

    #[test]
    fn bad_variants_are_rejected() {
        let long = "x".repeat(25);
        for v in ["", "Grid", "a/b", "..", "a.b", long.as_str(), "grid-2"] {
            assert!(
                StorageKey::thumb(&sha(), v, ThumbFormat::Png).is_err(),
                "{v:?}"
            );
        }
    }

    #[test]
    fn traversal_and_non_canonical_keys_are_rejected() {
        let bad = [
            String::new(),
            "blobs".into(),
            "blobs/".into(),
            format!("/blobs/ab/cd/{SHA}"),
            format!("blobs/ab/cd/{SHA}/"),
            format!("blobs/ab/cd/../{SHA}"),
            format!("blobs/../../etc/{SHA}"),
            format!("blobs/ab//cd/{SHA}"),
            format!("blobs/AB/CD/{}", SHA.to_uppercase()),
            format!("blobs/ab/ce/{SHA}"),
            format!("blobs/ab/cd/{SHA}0"),
            format!("blobs/ab/cd/{}", &SHA[..63]),
            format!("blobs\\ab\\cd\\{SHA}"),
            format!("thumbs/ab/{SHA}.webp"),
            format!("thumbs/ab/{SHA}-grid.gif"),
            format!("thumbs/ab/{SHA}-grid.webp.png"),
            format!("thumbs/ab/{SHA}-../x.webp"),
            format!("thumbs/ac/{SHA}-grid.webp"),
            format!("thumbs/ab/cd/{SHA}-grid.webp"),
            format!("other/ab/cd/{SHA}"),
            format!("blobs/ab/cd/{SHA}\0"),
        ];
        for k in &bad {
            assert!(
                matches!(StorageKey::parse(k), Err(StorageError::InvalidKey { .. })),
                "{k:?} was accepted"
            );
        }
    }

    #[test]
    fn sha_hex_encodes_lowercase_and_rejects_uppercase() {
        let d = [0xABu8; 32];
        assert_eq!(Sha256Hex::from_digest(&d).as_str(), "ab".repeat(32));
        assert!(Sha256Hex::parse(&"AB".repeat(32)).is_err());
        assert!(Sha256Hex::parse("abc").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepted_keys_are_safe_relative_paths(s in "\\PC{0,120}") {
            if let Ok(key) = StorageKey::parse(&s) {
                let k = key.as_str();
                prop_assert!(!k.starts_with('/'));
                prop_assert!(k.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."));
                prop_assert!(k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/._-".contains(&b)));
            }
        }

        #[test]
        fn derived_keys_always_parse_back(bytes in proptest::array::uniform32(any::<u8>()), variant in "[a-z0-9_]{1,24}") {
            let sha = Sha256Hex::from_digest(&bytes);
            let blob = StorageKey::blob(&sha);
            prop_assert_eq!(StorageKey::parse(blob.as_str()).unwrap(), blob.clone());
            prop_assert_eq!(blob.sha256(), sha.as_str());
            let thumb = StorageKey::thumb(&sha, &variant, ThumbFormat::Avif).unwrap();
            let parsed = StorageKey::parse(thumb.as_str()).unwrap();
            prop_assert_eq!(parsed.sha256(), sha.as_str());
        }
    }
}
