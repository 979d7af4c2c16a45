//! Secrets at rest: OAuth tokens are sealed with XChaCha20-Poly1305 before they reach the
//! database. Each value gets a fresh random 192-bit nonce, and the row's identity (what the value
//! is and which chat it belongs to) is the associated data, so a sealed token copied into another
//! chat's row fails to open instead of working there.
//!
//! Stored form: `v1.<base64(nonce ‖ ciphertext ‖ tag)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use thiserror::Error;

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;
pub const KEY_LEN: usize = 32;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the encryption key must be {KEY_LEN} bytes, base64-encoded")]
    BadKey,
    #[error("a stored secret is not in the expected format")]
    Malformed,
    /// The key is not the one the value was sealed with, or the value was moved or altered.
    #[error("a stored secret does not open with this key (wrong TOKEN_ENCRYPTION_KEY?)")]
    WrongKey,
}

/// A 256-bit key, zeroised on drop and never printed.
pub struct Key(SecretBox<[u8; KEY_LEN]>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// Parses a base64 key (standard alphabet, padding optional; surrounding space ignored).
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let s = s.trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(s)
            .map_err(|_| CryptoError::BadKey)?;
        let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(SecretBox::new(Box::new(arr))))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut arr = [0u8; KEY_LEN];
        arr.copy_from_slice(&key);
        Self(SecretBox::new(Box::new(arr)))
    }

    /// The key in base64, for writing the key file.
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(B64.encode(self.0.expose_secret()))
    }
}

/// Seals and opens secrets bound to a context string.
pub struct Cipher(XChaCha20Poly1305);

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(..)")
    }
}

impl Cipher {
    pub fn new(key: &Key) -> Self {
        Self(XChaCha20Poly1305::new(key.0.expose_secret().into()))
    }

    /// Seals `secret`; `context` names the row it belongs to (e.g. `token/chat/42`).
    pub fn seal(&self, context: &str, secret: &SecretString) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: context.as_bytes(),
        };
        // Encryption only fails for inputs beyond 256 GiB.
        let sealed = self.0.encrypt(&nonce, payload).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", B64.encode(out))
    }

    /// Opens a value sealed by `seal` with the same `context`.
    pub fn open(&self, context: &str, stored: &str) -> Result<SecretString, CryptoError> {
        let body = stored.strip_prefix(PREFIX).ok_or(CryptoError::Malformed)?;
        let bytes = B64.decode(body).map_err(|_| CryptoError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Malformed)?;
        let payload = Payload {
            msg: sealed,
            aad: context.as_bytes(),
        };
        let plain = self
            .0
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Malformed)
    }

    /// Whether `stored` looks sealed (as opposed to a plain value from an older version).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::new(&Key::generate())
    }

    #[test]
    fn round_trip_with_fresh_nonces() {
        let c = cipher();
        let secret = SecretString::from("y0_AgAAAAB-secret");
        let a = c.seal("token/chat/1", &secret);
        let b = c.seal("token/chat/1", &secret);
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("secret"));
        assert_eq!(
            c.open("token/chat/1", &a).unwrap().expose_secret(),
            "y0_AgAAAAB-secret"
        );
    }

    #[test]
    fn bound_to_its_row() {
        let c = cipher();
        let sealed = c.seal("token/chat/1", &SecretString::from("t"));
        assert_eq!(
            c.open("token/chat/2", &sealed).unwrap_err(),
            CryptoError::WrongKey
        );
    }

    #[test]
    fn wrong_key_and_tampering_are_errors() {
        let sealed = cipher().seal("ctx", &SecretString::from("t"));
        assert_eq!(
            cipher().open("ctx", &sealed).unwrap_err(),
            CryptoError::WrongKey
        );
        let c = cipher();
        let mut sealed = c.seal("ctx", &SecretString::from("t")).into_bytes();
        let last = sealed.len() - 3;
        sealed[last] = if sealed[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(sealed).unwrap();
        assert!(c.open("ctx", &tampered).is_err());
        assert_eq!(c.open("ctx", "plain").unwrap_err(), CryptoError::Malformed);
        assert_eq!(c.open("ctx", "v1.@@@").unwrap_err(), CryptoError::Malformed);
        assert_eq!(
            c.open("ctx", "v1.AAAA").unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn keys_parse_from_base64() {
        let k = Key::generate();
        let text = k.to_base64();
        let again = Key::from_base64(text.expose_secret()).unwrap();
        let sealed = Cipher::new(&k).seal("c", &SecretString::from("x"));
        assert!(Cipher::new(&again).open("c", &sealed).is_ok());
        assert!(Key::from_base64("  ").is_err());
        assert!(
            Key::from_base64("c2hvcnQ=").is_err(),
            "5 bytes is not a key"
        );
        assert!(Key::from_base64("not base64!").is_err());
    }
}
