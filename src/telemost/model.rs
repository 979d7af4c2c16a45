//! Requests, responses and limits of the Telemost API, as `../shared/reference/telemost-api.md`
//! documents them. Values of the newtypes here are valid by construction: once a `Title` exists,
//! it fits the API, so nothing downstream checks lengths again.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The API's documented limits, in characters (Unicode scalar values), not bytes.
pub mod limits {
    pub const TITLE_MAX_CHARS: usize = 1024;
    pub const DESCRIPTION_MAX_CHARS: usize = 2048;
    pub const COHOSTS_MAX: usize = 30;
    /// RFC 5321 caps a forward path at 254 octets; nobody has a longer address.
    pub const EMAIL_MAX_CHARS: usize = 254;
}

/// Who waits in the waiting room before being let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaitingRoomLevel {
    /// No waiting room: everyone with the link joins at once.
    #[default]
    Public,
    /// People outside the organisation wait.
    Organization,
    /// Everyone but the organiser and cohosts waits.
    Admins,
}

/// Who may watch a live stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamAccess {
    #[default]
    Public,
    Organization,
}

impl WaitingRoomLevel {
    pub const ALL: [Self; 3] = [Self::Public, Self::Organization, Self::Admins];

    /// The API's spelling, also used in callback data.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Organization => "ORGANIZATION",
            Self::Admins => "ADMINS",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl StreamAccess {
    pub const ALL: [Self; 2] = [Self::Public, Self::Organization];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "PUBLIC",
            Self::Organization => "ORGANIZATION",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Why a user-supplied value was refused. The bot turns each into a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidInput {
    #[error("the title is empty")]
    EmptyTitle,
    #[error("the title has {chars} characters, more than {max}", max = limits::TITLE_MAX_CHARS)]
    TitleTooLong { chars: usize },
    #[error("the description has {chars} characters, more than {max}", max = limits::DESCRIPTION_MAX_CHARS)]
    DescriptionTooLong { chars: usize },
    #[error("no email addresses given")]
    NoCohosts,
    #[error("{count} cohosts, more than {max}", max = limits::COHOSTS_MAX)]
    TooManyCohosts { count: usize },
    #[error("not email addresses: {0:?}")]
    BadEmails(Vec<String>),
}

/// A live stream's title: 1..=1024 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim();
        let chars = s.chars().count();
        if chars == 0 {
            Err(InvalidInput::EmptyTitle)
        } else if chars > limits::TITLE_MAX_CHARS {
            Err(InvalidInput::TitleTooLong { chars })
        } else {
            Ok(Self(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A live stream's description: up to 2048 characters after trimming, never empty (an empty
/// description is `None`, not a `Description`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    /// `Ok(None)` for blank input: a blank description is no description.
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidInput> {
        let s = raw.trim();
        let chars = s.chars().count();
        if chars == 0 {
            Ok(None)
        } else if chars > limits::DESCRIPTION_MAX_CHARS {
            Err(InvalidInput::DescriptionTooLong { chars })
        } else {
            Ok(Some(Self(s.to_owned())))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A syntactically valid email address. Whether it is a Yandex account only the API knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no spaces, one `@`, a dot-separated domain of non-empty
    /// labels (letters, digits, hyphens, any non-ASCII letter for IDNs) and a local part of
    /// printable characters without `<>()[],;:\"`. Deliberately simpler than RFC 5322: quoted
    /// local parts and IP literals are not Yandex accounts anyway.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        if s.is_empty() || s.chars().count() > limits::EMAIL_MAX_CHARS {
            return None;
        }
        let (local, domain) = s.split_once('@')?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| {
                !c.is_whitespace()
                    && !c.is_control()
                    && !is_invisible(c)
                    && !"<>()[],;:\\\"@".contains(c)
            });
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
        (local_ok && domain_ok).then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Zero-width and direction-control characters: invisible in a chat, never part of an address.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// A non-empty list of at most 30 distinct cohosts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<Email>", into = "Vec<Email>")]
pub struct Cohosts(Vec<Email>);

impl Cohosts {
    /// Parses emails separated by commas, semicolons, spaces or new lines. Duplicates (compared
    /// case-insensitively) are dropped. Every token that is not an email is reported at once,
    /// so the user can fix them all in one go.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let mut good: Vec<Email> = Vec::new();
        let mut bad = Vec::new();
        for token in raw
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            match Email::parse(token) {
                Some(e) => {
                    if !good
                        .iter()
                        .any(|g| g.as_str().eq_ignore_ascii_case(e.as_str()))
                    {
                        good.push(e);
                    }
                }
                None => bad.push(token.to_owned()),
            }
        }
        if !bad.is_empty() {
            return Err(InvalidInput::BadEmails(bad));
        }
        Self::try_from(good)
    }

    pub fn emails(&self) -> &[Email] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<Vec<Email>> for Cohosts {
    type Error = InvalidInput;
    fn try_from(v: Vec<Email>) -> Result<Self, InvalidInput> {
        if v.is_empty() {
            Err(InvalidInput::NoCohosts)
        } else if v.len() > limits::COHOSTS_MAX {
            Err(InvalidInput::TooManyCohosts { count: v.len() })
        } else {
            Ok(Self(v))
        }
    }
}

impl From<Cohosts> for Vec<Email> {
    fn from(c: Cohosts) -> Self {
        c.0
    }
}

macro_rules! string_newtype_conversions {
    ($t:ty, $parse:expr) => {
        impl TryFrom<String> for $t {
            type Error = InvalidInput;
            fn try_from(s: String) -> Result<Self, InvalidInput> {
                $parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

string_newtype_conversions!(Title, Title::parse);
string_newtype_conversions!(Description, |s: &str| Description::parse(s)?
    .ok_or(InvalidInput::EmptyTitle));
string_newtype_conversions!(Email, |s: &str| Email::parse(s)
    .ok_or_else(|| InvalidInput::BadEmails(vec![s.to_owned()])));

/// The body of `POST /conferences`. The deprecated `access_level` has no field here, so it can
/// never be sent. It reads back from what it wrote (a recurring meeting keeps it to make each
/// occurrence), validated as when it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateConference {
    pub waiting_room_level: WaitingRoomLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_stream: Option<LiveStream>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cohosts: Vec<CohostRef>,
    /// Start automatic meeting notes; sent only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_auto_summarization_enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveStream {
    pub access_level: StreamAccess,
    pub title: Title,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohostRef {
    pub email: String,
}

impl CreateConference {
    pub fn new(
        waiting_room_level: WaitingRoomLevel,
        cohosts: Option<&Cohosts>,
        live_stream: Option<LiveStream>,
    ) -> Self {
        Self {
            waiting_room_level,
            live_stream,
            cohosts: cohosts
                .map(|c| {
                    c.emails()
                        .iter()
                        .map(|e| CohostRef {
                            email: e.as_str().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            is_auto_summarization_enabled: None,
        }
    }
}

/// The body of `PATCH /conferences/{id}`: only the fields to change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateConference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_room_level: Option<WaitingRoomLevel>,
}

/// What the API answers for a conference. Unknown fields are ignored, and so are unknown values
/// of the fields we read (a level added to the API later is `None` here, not an error).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Conference {
    pub id: String,
    pub join_url: String,
    #[serde(default)]
    pub live_stream: Option<LiveStreamInfo>,
    #[serde(default, deserialize_with = "lenient")]
    pub waiting_room_level: Option<WaitingRoomLevel>,
    #[serde(default)]
    pub is_auto_summarization_enabled: Option<bool>,
}

/// Deserialises an optional enum, taking an unknown value as absent.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LiveStreamInfo {
    #[serde(default)]
    pub watch_url: Option<String>,
}

impl Conference {
    pub fn watch_url(&self) -> Option<&str> {
        self.live_stream.as_ref()?.watch_url.as_deref()
    }
}

/// The API's error body; every field may be missing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub details: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_limits_count_characters_not_bytes() {
        let cyr = "ж".repeat(1024);
        assert_eq!(Title::parse(&cyr).unwrap().as_str(), cyr);
        assert_eq!(
            Title::parse(&"ж".repeat(1025)),
            Err(InvalidInput::TitleTooLong { chars: 1025 })
        );
        assert_eq!(Title::parse("   "), Err(InvalidInput::EmptyTitle));
        assert_eq!(Title::parse("  Demo  ").unwrap().as_str(), "Demo");
    }

    #[test]
    fn description_limits_count_characters() {
        assert!(Description::parse(&"ё".repeat(2048)).unwrap().is_some());
        assert_eq!(
            Description::parse(&"ё".repeat(2049)),
            Err(InvalidInput::DescriptionTooLong { chars: 2049 })
        );
        assert_eq!(Description::parse(" \n "), Ok(None));
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.ru",
            "first.last+tag@yandex.ru",
            "иван@почта.рф",
            "x_y-z@sub.example.com",
        ] {
            assert!(Email::parse(ok).is_some(), "{ok} should be valid");
        }
        for bad in [
            "", "a", "a@", "@b.ru", "a@b", "a@b.", "a@.ru", "a@@b.ru", "a b@c.ru", "a@b..ru",
            ".a@b.ru", "a.@b.ru", "a@-b.ru", "a@b.r", "<a@b.ru>", "a@b_c.ru",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?} should be invalid");
        }
        assert!(Email::parse(&format!("{}@b.ru", "a".repeat(65))).is_none());
    }

    #[test]
    fn cohosts_split_on_commas_spaces_and_newlines_and_dedupe() {
        let c = Cohosts::parse("a@b.ru, c@d.ru\nE@f.ru;a@B.RU  ").unwrap();
        let got: Vec<&str> = c.emails().iter().map(Email::as_str).collect();
        assert_eq!(got, ["a@b.ru", "c@d.ru", "E@f.ru"]);
    }

    #[test]
    fn cohosts_report_every_bad_token() {
        assert_eq!(
            Cohosts::parse("a@b.ru nope, also@bad"),
            Err(InvalidInput::BadEmails(vec![
                "nope".into(),
                "also@bad".into()
            ]))
        );
        assert_eq!(Cohosts::parse(" ,\n"), Err(InvalidInput::NoCohosts));
    }

    #[test]
    fn cohosts_at_most_thirty() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("u{i}@ya.ru"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(Cohosts::parse(&list(30)).unwrap().emails().len(), 30);
        assert_eq!(
            Cohosts::parse(&list(31)),
            Err(InvalidInput::TooManyCohosts { count: 31 })
        );
    }

    #[test]
    fn create_body_is_minimal_and_uses_admins() {
        let body = CreateConference::new(WaitingRoomLevel::Admins, None, None);
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"waiting_room_level": "ADMINS"})
        );
        let cohosts = Cohosts::parse("a@b.ru").unwrap();
        let stream = LiveStream {
            access_level: StreamAccess::Organization,
            title: Title::parse("T").unwrap(),
            description: None,
        };
        let body = CreateConference::new(WaitingRoomLevel::Public, Some(&cohosts), Some(stream));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "waiting_room_level": "PUBLIC",
                "live_stream": {"access_level": "ORGANIZATION", "title": "T"},
                "cohosts": [{"email": "a@b.ru"}]
            })
        );
    }

    #[test]
    fn conference_ignores_unknown_fields() {
        let c: Conference = serde_json::from_str(
            r#"{"id":"1","join_url":"https://telemost.yandex.ru/j/1","sip_id":"x",
                "live_stream":{"watch_url":"https://telemost.yandex.ru/live/ab","extra":1}}"#,
        )
        .unwrap();
        assert_eq!(c.watch_url(), Some("https://telemost.yandex.ru/live/ab"));
    }
}
