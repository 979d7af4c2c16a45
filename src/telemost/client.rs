//! The Telemost API client: the calls the bot makes (create, read and change a conference, its
//! cohosts), with retries of what may be retried, a timeout per request and an overall limit.
//! Knows nothing of Telegram.

use crate::metrics::TELEMOST_REQUESTS;
use std::time::{Duration, Instant, SystemTime};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::error::TelemostError;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::model::{CohostRef, Conference, CreateConference, ErrorBody, UpdateConference};

/// The production base URL; tests and staging point `TELEMOST_API_URL` elsewhere.
pub const DEFAULT_BASE_URL: &str = "https://cloud-api.yandex.net/v1/telemost-api";

/// How the client retries: 429 after `Retry-After`, 500/502/503/504 and refused connections
/// with exponential backoff and jitter, all within `total` time. A 4xx other than 429 is final,
/// and so is a timeout: the request may have reached Telemost, and a retry could create the
/// meeting twice.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; each later one doubles it.
    pub base_delay: Duration,
    /// No single wait (backoff or `Retry-After`) is longer.
    pub max_delay: Duration,
    /// Everything, waits and requests, ends within this.
    pub total: Duration,
    /// One attempt's limit, connection included.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            total: Duration::from_secs(30),
            request_timeout: Duration::from_secs(15),
        }
    }
}

/// A client of the Telemost REST API. Cheap to clone (the HTTP pool is shared).
#[derive(Clone, Debug)]
pub struct TelemostClient {
    http: reqwest::Client,
    base_url: String,
    retry: RetryPolicy,
}

/// The outcome of one attempt that did not produce a conference.
enum Failure {
    Final(TelemostError),
    /// Worth another try, after `after` if the server said so.
    Transient {
        error: TelemostError,
        after: Option<Duration>,
    },
}

impl TelemostClient {
    /// `http` is shared with the rest of the process (one connection pool, one TLS stack).
    pub fn new(http: reqwest::Client, base_url: &str, retry: RetryPolicy) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            retry,
        }
    }

    /// `POST /conferences`: creates a meeting, with a live stream when `req.live_stream` is set.
    pub async fn create_conference(
        &self,
        token: &SecretString,
        req: &CreateConference,
    ) -> Result<Conference, TelemostError> {
        let body = self
            .call(
                "create_conference",
                Method::POST,
                "/conferences".into(),
                token,
                Some(req),
            )
            .await?;
        conference_from(&body)
    }

    /// `GET /conferences/{id}`: the meeting's current settings.
    pub async fn get_conference(
        &self,
        token: &SecretString,
        id: &str,
    ) -> Result<Conference, TelemostError> {
        let body = self
            .call(
                "get_conference",
                Method::GET,
                format!("/conferences/{}", path_segment(id)),
                token,
                None::<&()>,
            )
            .await?;
        conference_from(&body)
    }

    /// `PATCH /conferences/{id}`: changes only the fields `update` carries.
    pub async fn update_conference(
        &self,
        token: &SecretString,
        id: &str,
        update: &UpdateConference,
    ) -> Result<Conference, TelemostError> {
        let body = self
            .call(
                "update_conference",
                Method::PATCH,
                format!("/conferences/{}", path_segment(id)),
                token,
                Some(update),
            )
            .await?;
        conference_from(&body)
    }

    /// `GET /conferences/{id}/cohosts` (the first 256; a meeting has at most 30).
    pub async fn get_cohosts(
        &self,
        token: &SecretString,
        id: &str,
    ) -> Result<Vec<String>, TelemostError> {
        let path = format!("/conferences/{}/cohosts?limit=256", path_segment(id));
        let body = self
            .call("get_cohosts", Method::GET, path, token, None::<&()>)
            .await?;
        let list: CohostList =
            serde_json::from_slice(&body).map_err(|e| TelemostError::Malformed(e.to_string()))?;
        Ok(list.cohosts.into_iter().map(|c| c.email).collect())
    }

    /// `PATCH /conferences/{id}/cohosts` adds cohosts; `PUT` (`replace`) replaces the whole list,
    /// an empty one removing them all.
    pub async fn set_cohosts(
        &self,
        token: &SecretString,
        id: &str,
        emails: &[String],
        replace: bool,
    ) -> Result<(), TelemostError> {
        let body = CohostList {
            cohosts: emails
                .iter()
                .map(|e| CohostRef { email: e.clone() })
                .collect(),
        };
        let method = if replace { Method::PUT } else { Method::PATCH };
        let path = format!("/conferences/{}/cohosts", path_segment(id));
        let endpoint = if replace {
            "replace_cohosts"
        } else {
            "add_cohosts"
        };
        self.call(endpoint, method, path, token, Some(&body))
            .await?;
        Ok(())
    }

    /// One API call with the retry policy; the successful answer's body.
    async fn call<B: Serialize + ?Sized>(
        &self,
        endpoint: &'static str,
        method: Method,
        path: String,
        token: &SecretString,
        body: Option<&B>,
    ) -> Result<Vec<u8>, TelemostError> {
        let policy = &self.retry;
        let deadline = Instant::now() + policy.total;
        let mut attempt = 1;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = policy.request_timeout.min(left);
            let failure = match self
                .attempt(endpoint, &method, &path, token, body, timeout)
                .await
            {
                Ok(body) => return Ok(body),
                Err(f) => f,
            };
            let (error, after) = match failure {
                Failure::Final(e) => return Err(e),
                Failure::Transient { error, after } => (error, after),
            };
            let wait = after
                .unwrap_or_else(|| backoff(policy.base_delay, attempt))
                .min(policy.max_delay);
            if attempt >= policy.max_attempts || Instant::now() + wait >= deadline {
                return Err(error);
            }
            tracing::info!(attempt, ?wait, error = %error, "Telemost call failed, retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt<B: Serialize + ?Sized>(
        &self,
        endpoint: &'static str,
        method: &Method,
        path: &str,
        token: &SecretString,
        body: Option<&B>,
        timeout: Duration,
    ) -> Result<Vec<u8>, Failure> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header(reqwest::header::AUTHORIZATION, authorization(token))
            .timeout(timeout);
        if let Some(body) = body {
            request = request.json(body);
        }
        let counted = |status: String| {
            metrics::counter!(TELEMOST_REQUESTS, "endpoint" => endpoint, "status" => status)
                .increment(1);
        };
        let response = match request.send().await {
            Ok(r) => {
                counted(r.status().as_u16().to_string());
                r
            }
            Err(e) => {
                counted("error".to_owned());
                // Refused or reset before the request went out: safe to try again.
                return Err(if e.is_connect() {
                    Failure::Transient {
                        error: transport_error(e),
                        after: None,
                    }
                } else {
                    Failure::Final(transport_error(e))
                });
            }
        };
        let status = response.status();
        // Only a 429 or a 5xx is waited out; any other answer's header is none of our business.
        let retry_after = (status.as_u16() == 429 || status.is_server_error())
            .then(|| response.headers().get(reqwest::header::RETRY_AFTER))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response
            .bytes()
            .await
            .map_err(|e| Failure::Final(transport_error(e)))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let error = classify(status, &body);
        match status.as_u16() {
            429 => Err(Failure::Transient {
                error,
                after: Some(retry_after.unwrap_or(DEFAULT_RETRY_AFTER)),
            }),
            500 | 502 | 503 | 504 => Err(Failure::Transient {
                error,
                after: retry_after,
            }),
            _ => Err(Failure::Final(error)),
        }
    }
}

/// A conference from a 2xx body, which must at least name the meeting and its link.
fn conference_from(body: &[u8]) -> Result<Conference, TelemostError> {
    let conference: Conference =
        serde_json::from_slice(body).map_err(|e| TelemostError::Malformed(e.to_string()))?;
    if conference.join_url.trim().is_empty() {
        return Err(TelemostError::Malformed("empty join_url".into()));
    }
    Ok(conference)
}

/// Conference ids are digits; anything else is percent-encoded rather than trusted in a path.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `OAuth <token>`, marked sensitive so that no HTTP layer ever logs it.
fn authorization(token: &SecretString) -> reqwest::header::HeaderValue {
    let mut value =
        reqwest::header::HeaderValue::from_str(&format!("OAuth {}", token.expose_secret()))
            // Tokens are checked to be printable ASCII when set; anything else cannot be sent.
            .unwrap_or_else(|_| reqwest::header::HeaderValue::from_static("OAuth invalid"));
    value.set_sensitive(true);
    value
}

#[derive(Serialize, Deserialize)]
struct CohostList {
    #[serde(default)]
    cohosts: Vec<CohostRef>,
}

/// A 429 without `Retry-After` waits this long.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// `base * 2^(attempt-1)`, scaled by a random factor in [0.5, 1) so that clients failing together
/// do not retry together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    exp.mul_f64(0.5 + jitter() / 2.0)
}

/// A number in [0, 1), random enough for jitter, without a random-number crate: std's
/// `RandomState` is seeded per instance from the OS.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A failure before any status arrived. The URL in reqwest's error is ours, not a secret, but it
/// is left out anyway: the user only needs to know Telemost did not answer.
fn transport_error(e: reqwest::Error) -> TelemostError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    TelemostError::Unavailable(what.to_owned())
}

/// Maps a non-2xx answer to the error the user will hear about.
pub(crate) fn classify(status: StatusCode, body: &[u8]) -> TelemostError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let code = parsed.error.as_deref();
    match (status.as_u16(), code) {
        (401, _) => TelemostError::Unauthorized,
        (402, _) => TelemostError::PaymentRequired,
        (403, _) => TelemostError::Forbidden {
            message: parsed.message,
        },
        (404, Some("NoSuchUserPrincipalsFound")) => TelemostError::UnknownCohosts {
            emails: rejected_emails(parsed.details.as_ref()),
        },
        (404, Some("ConferenceNotFound")) => TelemostError::ConferenceNotFound,
        (s, _) if status.is_server_error() || s == 429 => {
            TelemostError::Unavailable(format!("HTTP {s}"))
        }
        (s, _) => TelemostError::Rejected {
            status: s,
            code: parsed.error,
            message: parsed.message.or(parsed.description),
        },
    }
}

/// `details.emails` is documented as a `;`-joined string; accept a JSON array too.
fn rejected_emails(details: Option<&serde_json::Value>) -> Vec<String> {
    match details.and_then(|d| d.get("emails")) {
        Some(serde_json::Value::String(s)) => s
            .split([';', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn retry_after_in_seconds_or_http_date() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", UNIX_EPOCH),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after(
                "Sat, 29 Feb 2020 12:00:10 GMT",
                UNIX_EPOCH + Duration::from_secs(1_582_977_600)
            ),
            Some(Duration::from_secs(10))
        );
        for junk in [
            "",
            "soon",
            "-1",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 300000000000 08:49:37 GMT",
            "Sun, 06 Nov 18446744073709551615 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk:?}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 1..=5 {
            let full = base * (1 << (attempt - 1));
            let got = backoff(base, attempt);
            assert!(got >= full / 2 && got < full, "attempt {attempt}: {got:?}");
        }
    }

    #[test]
    fn classifies_documented_errors() {
        let c = |s: u16, b: &str| classify(StatusCode::from_u16(s).unwrap(), b.as_bytes());
        assert!(matches!(c(401, ""), TelemostError::Unauthorized));
        assert!(matches!(
            c(402, r#"{"error":"PaymentRequiredToUseLiveStreams"}"#),
            TelemostError::PaymentRequired
        ));
        assert!(matches!(
            c(403, r#"{"error":"ApiRestrictedToOrganizations"}"#),
            TelemostError::Forbidden { .. }
        ));
        match c(
            404,
            r#"{"error":"NoSuchUserPrincipalsFound","details":{"emails":"a@b.ru;c@d.ru"}}"#,
        ) {
            TelemostError::UnknownCohosts { emails } => assert_eq!(emails, ["a@b.ru", "c@d.ru"]),
            other => panic!("{other:?}"),
        }
        match c(400, r#"{"error":"BadRequest","message":"Bad title"}"#) {
            TelemostError::Rejected {
                status, message, ..
            } => {
                assert_eq!(status, 400);
                assert_eq!(message.as_deref(), Some("Bad title"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(c(503, "<html>"), TelemostError::Unavailable(_)));
        assert!(matches!(c(429, ""), TelemostError::Unavailable(_)));
    }
}
