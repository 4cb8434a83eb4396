//! Secrets: random session and API-token values, their stored SHA-256, and
//! argon2id password hashes (computed off the async threads).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::backend::config::AuthSettings;
use crate::backend::error::ServiceError;

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// A new random secret: `prefix` then 32 random bytes as lowercase hex.
pub fn new_secret(prefix: &str) -> Result<String, ServiceError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| ServiceError::Internal(format!("no randomness: {err}")))?;
    let mut text = String::with_capacity(prefix.len() + 64);
    text.push_str(prefix);
    for b in bytes {
        text.push_str(&format!("{b:02x}"));
    }
    Ok(text)
}

/// The stored form of a high-entropy secret: hex SHA-256. (A fast hash is
/// right here: the secret has 256 random bits; lookups are by equality.)
pub fn secret_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a new password against the length rules.
pub fn check_password_rules(field: &'static str, password: &str) -> Result<(), ServiceError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ServiceError::Invalid {
            field,
            reason: format!("Use at least {MIN_PASSWORD_CHARS} characters for the password."),
        });
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(ServiceError::Invalid {
            field,
            reason: format!("Use at most {MAX_PASSWORD_CHARS} characters for the password."),
        });
    }
    Ok(())
}

fn hasher(settings: &AuthSettings) -> Result<Argon2<'static>, ServiceError> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        settings.argon2_parallelism,
        None,
    )
    .map_err(|err| ServiceError::Internal(format!("argon2 parameters: {err}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub async fn hash_password(
    settings: &AuthSettings,
    password: &str,
) -> Result<String, ServiceError> {
    let argon = hasher(settings)?;
    let password = password.to_owned();
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|err| ServiceError::Internal(format!("no randomness: {err}")))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt)
            .map_err(|err| ServiceError::Internal(format!("salt: {err}")))?;
        argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|err| ServiceError::Internal(format!("argon2: {err}")))
    })
    .await
    .map_err(|err| ServiceError::Internal(format!("hashing task: {err}")))?
}

/// Whether `password` matches the stored hash (constant-time inside argon2).
/// With no stored hash it still spends the time of one check, so the answer
/// time does not reveal whether an account exists.
pub async fn verify_password(
    settings: &AuthSettings,
    stored: Option<&str>,
    password: &str,
) -> Result<bool, ServiceError> {
    let argon = hasher(settings)?;
    let stored = stored.map(str::to_owned);
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => match PasswordHash::new(&stored) {
            Ok(parsed) => argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        },
        None => {
            let salt = SaltString::encode_b64(&[0u8; 16]);
            if let Ok(salt) = salt {
                let _ = argon.hash_password(password.as_bytes(), &salt);
            }
            false
        }
    })
    .await
    .map_err(|err| ServiceError::Internal(format!("hashing task: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> AuthSettings {
        let mut s = crate::backend::config::Settings::from_lookup(|_| None)
            .expect("defaults")
            .auth;
        s.argon2_memory_kib = 8192;
        s.argon2_iterations = 1;
        s
    }

    #[tokio::test]
    async fn a_password_verifies_and_a_wrong_one_does_not() {
        let s = cheap();
        let hash = hash_password(&s, "correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password(&s, Some(&hash), "correct horse")
                .await
                .expect("verify")
        );
        assert!(
            !verify_password(&s, Some(&hash), "correct hors")
                .await
                .expect("verify")
        );
        assert!(
            !verify_password(&s, None, "correct horse")
                .await
                .expect("verify")
        );
        assert!(
            !verify_password(&s, Some("garbage"), "x")
                .await
                .expect("verify")
        );
    }

    #[test]
    fn secrets_are_random_and_digests_are_hex() {
        let a = new_secret("ps_").expect("secret");
        let b = new_secret("ps_").expect("secret");
        assert_ne!(a, b);
        assert_eq!(a.len(), 3 + 64);
        assert_eq!(secret_digest(&a).len(), 64);
        assert!(check_password_rules("password", "short").is_err());
        assert!(check_password_rules("password", "long enough").is_ok());
    }
}
