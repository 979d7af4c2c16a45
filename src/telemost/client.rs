use std::time::Duration;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::error::TelemostError;
use super::model::{Conference, CreateConference, ErrorBody};

/// The production base URL; tests and staging point `TELEMOST_API_URL` elsewhere.
pub const DEFAULT_BASE_URL: &str = "https://cloud-api.yandex.net/v1/telemost-api";

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client of the Telemost REST API. Cheap to clone (the HTTP pool is shared).
#[derive(Clone, Debug)]
pub struct TelemostClient {
    http: reqwest::Client,
    base_url: String,
}

impl TelemostClient {
    /// `http` is shared with the rest of the process (one connection pool, one TLS stack).
    pub fn new(http: reqwest::Client, base_url: &str) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// A `reqwest::Client` with the timeouts this API needs.
    pub fn default_http() -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
    }

    /// `POST /conferences`: creates a meeting, with a live stream when `req.live_stream` is set.
    pub async fn create_conference(
        &self,
        token: &SecretString,
        req: &CreateConference,
    ) -> Result<Conference, TelemostError> {
        let response = self
            .http
            .post(format!("{}/conferences", self.base_url))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("OAuth {}", token.expose_secret()),
            )
            .json(req)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            let conference: Conference = serde_json::from_slice(&body)
                .map_err(|e| TelemostError::Malformed(e.to_string()))?;
            if conference.join_url.is_empty() {
                return Err(TelemostError::Malformed("empty join_url".into()));
            }
            return Ok(conference);
        }
        Err(classify(status, &body))
    }
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
