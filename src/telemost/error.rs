//! What can go wrong with a Telemost call, one variant per case the user is told about.

use thiserror::Error;

/// Everything that can go wrong with a Telemost call, one variant per case the user is told
/// about differently. Never carries the token.
#[derive(Debug, Error)]
pub enum TelemostError {
    /// 401: the token is missing, invalid, expired or revoked.
    #[error("the OAuth token was rejected (401)")]
    Unauthorized,
    /// 402 `PaymentRequiredToUseLiveStreams`.
    #[error("the organisation's plan has no live streams (402)")]
    PaymentRequired,
    /// 403 `ApiRestrictedToOrganizations` (or another 403: wrong scope, not on the domain).
    #[error("the API is restricted to Yandex 360 for business organisations (403)")]
    Forbidden { message: Option<String> },
    /// 404 `NoSuchUserPrincipalsFound`: these cohost emails are not Yandex accounts.
    #[error("unknown cohost accounts: {emails:?}")]
    UnknownCohosts { emails: Vec<String> },
    /// 404 `ConferenceNotFound`: the meeting is gone (or never existed).
    #[error("no such conference (404)")]
    ConferenceNotFound,
    /// Any other 4xx; `message` is the API's human text, when it sent one.
    #[error("the API refused the request ({status}, {code:?})")]
    Rejected {
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// 5xx, 429 after retries, a timeout or a connection failure.
    #[error("Telemost is unavailable ({0})")]
    Unavailable(String),
    /// A 2xx answer that is not the conference we asked for.
    #[error("unexpected answer from Telemost: {0}")]
    Malformed(String),
}
