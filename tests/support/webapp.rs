//! Telegram's side of a Mini App: `initData` signed for the bot exactly as Telegram signs it
//! (what `Telegram.WebApp.initData` holds when the page opens), and forgeries of it.
#![allow(dead_code)]

use ring::hmac;
use serde_json::{Value, json};

/// `chat_instance` of signed data that names a chat type (a constant: the bot does not read it).
pub const CHAT_INSTANCE: &str = "-4872923157836106411";

/// A user as Telegram puts it in `initData`; `lang` is their app's language (`language_code`),
/// the one the page is in until the server says otherwise.
pub fn user(id: i64, first_name: &str, lang: &str) -> Value {
    json!({
        "id": id,
        "first_name": first_name,
        "username": format!("user{id}"),
        "language_code": lang,
        "allows_write_to_pm": true,
    })
}

/// One `key=value` of a query string, percent-encoded as Telegram encodes it (a space as
/// `%20`; `form_urlencoded` writes `+`, and a literal `+` as `%2B`, so every `+` is a space).
fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The query string of `pairs`, in their order.
fn query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The hex HMAC-SHA256 of `pairs`' data-check string (each `key=value`, decoded, sorted by key,
/// joined with `\n`) under the key derived from `bot_token` (HMAC-SHA256 of the token, keyed
/// with `WebAppData`).
fn hash(bot_token: &str, pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let check = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let secret = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, b"WebAppData"),
        bot_token.as_bytes(),
    );
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()),
        check.as_bytes(),
    );
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `initData` as Telegram builds it for a Mini App opened by `user` at `auth_date` (unix
/// seconds): `user` (its JSON), then, for a direct link, `chat_instance` and `chat_type` (when
/// `chat_type` is given) and `start_param`, then `auth_date` and `hash`, signed for the bot
/// whose token is `bot_token`. (No `query_id`, which only inline-keyboard launches carry, and no
/// `signature`, Telegram's own Ed25519 one, which the bot does not check.)
pub fn sign_init_data(
    bot_token: &str,
    user: &Value,
    auth_date: i64,
    start_param: Option<&str>,
    chat_type: Option<&str>,
) -> String {
    let mut pairs = vec![("user".to_owned(), user.to_string())];
    if let Some(chat_type) = chat_type {
        pairs.push(("chat_instance".to_owned(), CHAT_INSTANCE.to_owned()));
        pairs.push(("chat_type".to_owned(), chat_type.to_owned()));
    }
    if let Some(start_param) = start_param {
        pairs.push(("start_param".to_owned(), start_param.to_owned()));
    }
    pairs.push(("auth_date".to_owned(), auth_date.to_string()));
    let hash = hash(bot_token, &pairs);
    pairs.push(("hash".to_owned(), hash));
    query(&pairs)
}

/// `init_data` with the field `key` set to `new_value` (added before `hash` if it was absent)
/// and the old hash kept: a forgery the server must refuse.
pub fn tamper(init_data: &str, key: &str, new_value: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(init_data.as_bytes())
        .into_owned()
        .collect();
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = new_value.to_owned(),
        None => {
            let at = pairs
                .iter()
                .position(|(k, _)| k == "hash")
                .unwrap_or(pairs.len());
            pairs.insert(at, (key.to_owned(), new_value.to_owned()));
        }
    }
    query(&pairs)
}
