//! Secrets at rest: printer API keys and access codes are sealed with
//! AES-256-GCM under one vault key — `VAULT_SECRET_KEY` (32 bytes, base64)
//! or, without it, a key file made on first boot in the data directory
//! (ADR 0011). Sealed text is `v1:` + base64(nonce ‖ ciphertext ‖ tag).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "secret.key";
const VERSION: &str = "v1:";
const KEY_LEN: usize = 32;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The configured key is not 32 bytes of base64.
    #[error(
        "VAULT_SECRET_KEY must be 32 random bytes in base64 (for example the output of `openssl rand -base64 32`)"
    )]
    BadKey,
    /// The key file could not be read or written.
    #[error("could not read or create the secret key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The system random source failed.
    #[error("the system's random source failed")]
    Random,
    /// A sealed value does not open under this key.
    #[error(
        "a stored printer secret could not be decrypted: the vault's secret key changed or the value is damaged; enter the secret again"
    )]
    Undecryptable,
}

/// Seals and opens secrets with the vault key.
#[derive(Clone)]
pub struct SecretBox {
    key: Arc<LessSafeKey>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// A box for a raw 32-byte key.
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::BadKey);
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| CryptoError::BadKey)?;
        Ok(Self {
            key: Arc::new(LessSafeKey::new(unbound)),
        })
    }

    /// A box for a base64 key (as `VAULT_SECRET_KEY` holds it).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| CryptoError::BadKey)?;
        Self::from_key_bytes(&bytes)
    }

    /// The configured key (`VAULT_SECRET_KEY`), else the data directory's
    /// key file, created (mode 0600) with a fresh random key if missing.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Self, CryptoError> {
        if let Some(text) = configured {
            return Self::from_base64(text);
        }
        let path = data_dir.join(KEY_FILE);
        let key_file = |source| CryptoError::KeyFile {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; KEY_LEN];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| CryptoError::Random)?;
                std::fs::create_dir_all(data_dir).map_err(key_file)?;
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(key_file)?;
                file.write_all(STANDARD.encode(bytes).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(key_file)?;
                Self::from_key_bytes(&bytes)
            }
            Err(err) => Err(key_file(err)),
        }
    }

    /// Seals `plaintext`; `context` binds it to its use (it must be given
    /// again to open it).
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CryptoError::Random)?;
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| CryptoError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", STANDARD.encode(out)))
    }

    /// Opens a value made by [`seal`](Self::seal) with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(CryptoError::Undecryptable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Undecryptable)?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut body)
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_context() {
        let dir = tempfile::tempdir().expect("tempdir");
        let vault = SecretBox::load(None, dir.path()).expect("key file made");
        let sealed = vault.seal("12345678", "printer").expect("seal");
        assert!(sealed.starts_with("v1:") && !sealed.contains("12345678"));
        assert_ne!(
            sealed,
            vault.seal("12345678", "printer").expect("seal"),
            "fresh nonce"
        );
        assert_eq!(vault.open(&sealed, "printer").expect("open"), "12345678");
        assert!(matches!(
            vault.open(&sealed, "other"),
            Err(CryptoError::Undecryptable)
        ));
        // The key file is reused on the next boot; another key cannot open it.
        let again = SecretBox::load(None, dir.path()).expect("key file read");
        assert_eq!(again.open(&sealed, "printer").expect("open"), "12345678");
        let other = SecretBox::load(Some(&STANDARD.encode([7u8; 32])), dir.path()).expect("key");
        assert!(matches!(
            other.open(&sealed, "printer"),
            Err(CryptoError::Undecryptable)
        ));
        assert!(matches!(
            SecretBox::load(Some("short"), dir.path()),
            Err(CryptoError::BadKey)
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
