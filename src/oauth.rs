//! Yandex OAuth: the device-code flow (log in without copying a token) and token refresh, as
//! `../shared/reference/telemost-api.md` describes them. Knows nothing of Telegram or storage.

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use thiserror::Error;

pub const DEFAULT_OAUTH_URL: &str = "https://oauth.yandex.ru";

/// The scopes the bot needs; sent with the device-code request.
const SCOPES: &str =
    "telemost-api:conferences.create telemost-api:conferences.read telemost-api:conferences.update";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Error)]
pub enum OAuthError {
    /// The user said no on Yandex's page.
    #[error("the user denied access")]
    Denied,
    /// The code expired before the user entered it.
    #[error("the device code expired")]
    Expired,
    /// The app's client id or secret is wrong, or the grant was revoked.
    #[error("Yandex refused the request: {0}")]
    Rejected(String),
    #[error("Yandex OAuth is unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected answer from Yandex OAuth: {0}")]
    Malformed(String),
}

/// What `/device/code` returns: show `user_code` and `verification_url` to the user.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceCode {
    pub device_code: SecretString,
    pub user_code: String,
    pub verification_url: String,
    #[serde(default = "default_interval")]
    pub interval: u64,
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
}

fn default_interval() -> u64 {
    5
}

fn default_expires_in() -> u64 {
    300
}

/// Tokens Yandex issued.
#[derive(Debug, Clone, Deserialize)]
pub struct Grant {
    pub access_token: SecretString,
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds from now.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// One poll of the token endpoint during the device flow.
#[derive(Debug)]
pub enum Poll {
    Granted(Grant),
    /// Not yet: poll again after the interval.
    Pending,
    /// Not yet, and poll less often: add 5 s to the interval.
    SlowDown,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Clone, Debug)]
pub struct YandexOAuth {
    http: reqwest::Client,
    base_url: String,
    client_id: String,
    client_secret: Option<SecretString>,
}

impl YandexOAuth {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        client_id: String,
        client_secret: Option<SecretString>,
    ) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
        }
    }

    /// Starts the device flow; `device_name` is what Yandex shows the user.
    pub async fn device_code(&self, device_name: &str) -> Result<DeviceCode, OAuthError> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("device_name", device_name),
            ("scope", SCOPES),
        ];
        let (status, body) = self.post("/device/code", &form).await?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| OAuthError::Malformed(e.to_string()));
        }
        Err(final_error(status, &body))
    }

    /// Polls the token endpoint once for `code` (the device code).
    pub async fn poll(&self, code: &SecretString) -> Result<Poll, OAuthError> {
        let mut form = vec![
            ("grant_type", "device_code"),
            ("code", code.expose_secret()),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose_secret()));
        }
        let (status, body) = self.post("/token", &form).await?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map(Poll::Granted)
                .map_err(|e| OAuthError::Malformed(e.to_string()));
        }
        let parsed: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        match parsed.as_ref().map(|e| e.error.as_str()) {
            Some("authorization_pending") => Ok(Poll::Pending),
            Some("slow_down") => Ok(Poll::SlowDown),
            _ => Err(final_error(status, &body)),
        }
    }

    /// Exchanges a refresh token for new tokens.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<Grant, OAuthError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose_secret()));
        }
        let (status, body) = self.post("/token", &form).await?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| OAuthError::Malformed(e.to_string()));
        }
        Err(final_error(status, &body))
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<(StatusCode, Vec<u8>), OAuthError> {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .form(form)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(describe(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| OAuthError::Unavailable(describe(&e)))?;
        Ok((status, body.to_vec()))
    }
}

/// reqwest's errors carry the URL; ours has no secret in it, but the form might one day.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "transport error".into()
    }
}

fn final_error(status: StatusCode, body: &[u8]) -> OAuthError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().map(|e| e.error.as_str()).unwrap_or("");
    match code {
        "access_denied" => OAuthError::Denied,
        "expired_token" => OAuthError::Expired,
        "" if status.is_server_error() => OAuthError::Unavailable(format!("HTTP {status}")),
        "" => OAuthError::Malformed(format!("HTTP {status} without an error code")),
        other => OAuthError::Rejected(
            match parsed.as_ref().and_then(|e| e.error_description.as_deref()) {
                Some(d) => format!("{other}: {d}"),
                None => other.to_owned(),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_classified() {
        let e = |s: u16, b: &str| final_error(StatusCode::from_u16(s).unwrap(), b.as_bytes());
        assert!(matches!(
            e(400, r#"{"error":"access_denied"}"#),
            OAuthError::Denied
        ));
        assert!(matches!(
            e(400, r#"{"error":"expired_token"}"#),
            OAuthError::Expired
        ));
        assert!(matches!(
            e(400, r#"{"error":"invalid_client","error_description":"no such app"}"#),
            OAuthError::Rejected(m) if m == "invalid_client: no such app"
        ));
        assert!(matches!(e(502, "<html>"), OAuthError::Unavailable(_)));
    }

    #[test]
    fn device_code_defaults() {
        let d: DeviceCode = serde_json::from_str(
            r#"{"device_code":"dc","user_code":"ABCD-EFGH","verification_url":"https://ya.ru/device"}"#,
        )
        .unwrap();
        assert_eq!(d.interval, 5);
        assert_eq!(d.user_code, "ABCD-EFGH");
        assert!(
            !format!("{d:?}").contains("dc\""),
            "the device code is not printed"
        );
    }
}
