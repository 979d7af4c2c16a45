//! Telegram's `initData`: what a Mini App page sends with every call, signed by Telegram with a
//! key only Telegram and the bot hold. The user, the start parameter and the time in it are
//! believed only once the signature checks, exactly as Telegram specifies:
//!
//! 1. parse it as a URL query string and take `hash` out;
//! 2. the data-check string is every other `key=value` pair (values decoded), sorted by key,
//!    joined with `\n`;
//! 3. the secret key is HMAC-SHA256 of the bot token, keyed with `WebAppData`;
//! 4. `hash` must be the hex HMAC-SHA256 of the data-check string under the secret key,
//!    compared in constant time;
//! 5. `auth_date` must be recent: signed data can otherwise be replayed for as long as it is
//!    accepted.
//!
//! Nothing here knows the bot, Telegram's API or the database: a string in, a verified user out.

use ring::hmac;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use thiserror::Error;

/// How old signed data may be by default (seconds): an hour.
pub const MAX_AGE_SECS: i64 = 3600;

/// The longest `initData` looked at: Telegram's are a few hundred bytes.
const MAX_LEN: usize = 8 * 1024;

/// The user a Mini App was opened by, as Telegram signed it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WebUser {
    pub id: u64,
    pub first_name: String,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
}

/// `initData` whose signature and age were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    pub user: WebUser,
    /// When Telegram signed it (unix seconds).
    pub auth_date: i64,
    /// The `startapp` parameter of a direct link (names the group the page was opened for).
    pub start_param: Option<String>,
    /// Where it was opened: `private`, `group`, `supergroup`, `sender`… (direct links only).
    pub chat_type: Option<String>,
}

/// Why `initData` was refused. The page is told only that it was (401); the kind is for logs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InitDataError {
    #[error("initData is not a query string of the expected form")]
    Malformed,
    #[error("initData carries no hash")]
    NoHash,
    #[error("initData's hash does not match: not signed for this bot, or altered")]
    BadHash,
    #[error("initData was signed {age} s ago, longer than {max_age} s")]
    Expired { age: i64, max_age: i64 },
    #[error("initData names no user")]
    NoUser,
}

/// The key `initData` is signed with for the bot whose token is `bot_token`.
fn secret_key(bot_token: &SecretString) -> hmac::Key {
    let derived = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, b"WebAppData"),
        bot_token.expose_secret().as_bytes(),
    );
    hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks `initData` for one bot, with the secret key derived from its token once (a server
/// checks every call a page makes).
pub struct Verifier {
    key: hmac::Key,
}

impl Verifier {
    pub fn for_bot(bot_token: &SecretString) -> Self {
        Self {
            key: secret_key(bot_token),
        }
    }

    /// Checks `raw` (the page's `Telegram.WebApp.initData`) for this bot at `now` (unix
    /// seconds), accepting data signed at most `max_age` seconds ago.
    pub fn verify(&self, raw: &str, now: i64, max_age: i64) -> Result<InitData, InitDataError> {
        verify_with(raw, &self.key, now, max_age)
    }
}

fn verify_with(
    raw: &str,
    key: &hmac::Key,
    now: i64,
    max_age: i64,
) -> Result<InitData, InitDataError> {
    if raw.len() > MAX_LEN {
        return Err(InitDataError::Malformed);
    }
    // Each key and value percent-decoded (`+` as a space), as Telegram signed them.
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let at = pairs
        .iter()
        .position(|(k, _)| k == "hash")
        .ok_or(InitDataError::NoHash)?;
    let (_, hash) = pairs.remove(at);
    if pairs.iter().any(|(k, _)| k == "hash") {
        return Err(InitDataError::Malformed);
    }
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let check = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let tag = unhex(&hash).ok_or(InitDataError::BadHash)?;
    // `verify` compares in constant time.
    hmac::verify(key, check.as_bytes(), &tag).map_err(|_| InitDataError::BadHash)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let auth_date: i64 = get("auth_date")
        .and_then(|d| d.parse().ok())
        .ok_or(InitDataError::Malformed)?;
    let age = now - auth_date;
    if age > max_age {
        return Err(InitDataError::Expired { age, max_age });
    }
    let user = get("user")
        .and_then(|u| serde_json::from_str::<WebUser>(&u).ok())
        .ok_or(InitDataError::NoUser)?;
    Ok(InitData {
        user,
        auth_date,
        start_param: get("start_param"),
        chat_type: get("chat_type"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:ABC-test-token";
    const NOW: i64 = 1_800_000_000;

    fn token() -> SecretString {
        SecretString::from(TOKEN.to_owned())
    }

    fn verify(
        raw: &str,
        bot_token: &SecretString,
        now: i64,
        max_age: i64,
    ) -> Result<InitData, InitDataError> {
        Verifier::for_bot(bot_token).verify(raw, now, max_age)
    }

    /// `initData` as Telegram would send it: `fields` (encoded as given) and their hash, signed
    /// for the bot with token `signer`.
    fn signed(fields: &[(&str, &str)], signer: &str) -> String {
        let mut sorted: Vec<_> = fields.to_vec();
        sorted.sort();
        let check = sorted
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("\n");
        let key = secret_key(&SecretString::from(signer.to_owned()));
        let tag = hmac::sign(&key, check.as_bytes());
        let hash: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        let mut query: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            })
            .collect();
        query.push(format!("hash={hash}"));
        query.join("&")
    }

    const USER: &str = r#"{"id":42,"first_name":"Анна","username":"anna","language_code":"ru"}"#;

    #[test]
    fn data_signed_for_this_bot_is_believed() {
        let auth = (NOW - 60).to_string();
        let raw = signed(
            &[
                ("auth_date", &auth),
                ("user", USER),
                ("start_param", "g-100123"),
                ("chat_type", "supergroup"),
            ],
            TOKEN,
        );
        let data = verify(&raw, &token(), NOW, MAX_AGE_SECS).unwrap();
        assert_eq!(data.user.id, 42);
        assert_eq!(data.user.first_name, "Анна");
        assert_eq!(data.user.language_code.as_deref(), Some("ru"));
        assert_eq!(data.auth_date, NOW - 60);
        assert_eq!(data.start_param.as_deref(), Some("g-100123"));
        assert_eq!(data.chat_type.as_deref(), Some("supergroup"));
    }

    /// A known answer, computed apart from this code (Python's `hmac` and `hashlib`), so that a
    /// mistake made twice (in the signer above and in `verify`) cannot pass.
    #[test]
    fn a_hash_computed_elsewhere_is_accepted() {
        let raw = "auth_date=1800000000&query_id=AAE&user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Anna%22%7D&hash=KNOWN";
        let raw = raw.replace("KNOWN", KNOWN_HASH);
        let data = verify(&raw, &token(), NOW, MAX_AGE_SECS).unwrap();
        assert_eq!(data.user.id, 42);
    }

    const KNOWN_HASH: &str = "a297c44230d7ea9448f927fc3352b74186291d3b7066c13611ef919e3ff66eed";

    #[test]
    fn altered_or_foreign_data_is_refused() {
        let auth = NOW.to_string();
        let raw = signed(&[("auth_date", &auth), ("user", USER)], TOKEN);
        // Another user's id put in.
        let forged = raw.replace("%3A42", "%3A43");
        assert_ne!(forged, raw);
        assert_eq!(
            verify(&forged, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::BadHash)
        );
        // Signed for another bot.
        let foreign = signed(&[("auth_date", &auth), ("user", USER)], "999:other");
        assert_eq!(
            verify(&foreign, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::BadHash)
        );
        // A field added after signing.
        let added = format!("start_param=g-1&{raw}");
        assert_eq!(
            verify(&added, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::BadHash)
        );
        // No hash, a hash that is not hex, two hashes.
        let unsigned = raw.split("&hash=").next().unwrap().to_owned();
        assert_eq!(
            verify(&unsigned, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::NoHash)
        );
        let garbled = format!("{unsigned}&hash=zz");
        assert_eq!(
            verify(&garbled, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::BadHash)
        );
        let twice = format!("{raw}&hash=00");
        assert_eq!(
            verify(&twice, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::Malformed)
        );
    }

    #[test]
    fn old_data_is_refused() {
        let old = (NOW - MAX_AGE_SECS - 1).to_string();
        let raw = signed(&[("auth_date", &old), ("user", USER)], TOKEN);
        assert_eq!(
            verify(&raw, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::Expired {
                age: MAX_AGE_SECS + 1,
                max_age: MAX_AGE_SECS
            })
        );
        let just = (NOW - MAX_AGE_SECS).to_string();
        let raw = signed(&[("auth_date", &just), ("user", USER)], TOKEN);
        assert!(verify(&raw, &token(), NOW, MAX_AGE_SECS).is_ok());
    }

    #[test]
    fn signed_data_without_a_user_or_a_date_is_refused() {
        let auth = NOW.to_string();
        let no_user = signed(&[("auth_date", &auth)], TOKEN);
        assert_eq!(
            verify(&no_user, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::NoUser)
        );
        let no_date = signed(&[("user", USER)], TOKEN);
        assert_eq!(
            verify(&no_date, &token(), NOW, MAX_AGE_SECS),
            Err(InitDataError::Malformed)
        );
    }

    #[test]
    fn garbage_never_panics() {
        for raw in [
            "",
            "&&&",
            "=",
            "hash",
            "hash=%",
            "hash=%zz",
            "user=%E2%82&hash=00",
            "a=b=c&hash=",
            &"x".repeat(MAX_LEN + 1),
        ] {
            assert!(verify(raw, &token(), NOW, MAX_AGE_SECS).is_err(), "{raw:?}");
        }
    }
}
