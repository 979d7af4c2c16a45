//! Every environment variable the bot reads, parsed and validated once at start.

use secrecy::SecretString;
use thiserror::Error;

use std::net::SocketAddr;
use std::time::Duration;

use crate::oauth::DEFAULT_OAUTH_URL;
use crate::storage::crypto::Key;
use crate::telemost::{self, RetryPolicy};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://telemost-bot.db";
/// Updates handled at once unless `MAX_CONCURRENT_UPDATES` says otherwise. Each update in flight
/// holds its handler and its HTTP connections: at 256 they were most of the memory a burst of a
/// thousand chats took (peak RSS 40-42 MB, against 32-34 at 128), and on two cores no faster.
/// Telegram lets a bot send about 30 messages a second, so 128 in flight keeps up with it even
/// while Telemost takes seconds to answer.
pub const DEFAULT_MAX_CONCURRENT_UPDATES: usize = 128;
/// Days a meeting stays in /history unless `HISTORY_DAYS` says otherwise.
pub const DEFAULT_HISTORY_DAYS: u32 = 365;
/// The time zone of a chat that has not chosen one, unless `DEFAULT_TIMEZONE` says otherwise.
pub const DEFAULT_TIMEZONE: &str = "Europe/Moscow";
/// Where the webhook is served unless `WEBHOOK_LISTEN` says otherwise.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "0.0.0.0:8080";

#[derive(Debug)]
pub struct Config {
    /// `TELOXIDE_TOKEN`: the bot's token from @BotFather.
    pub bot_token: SecretString,
    /// `TELOXIDE_API_URL`: the Bot API base URL; `None` means Telegram's own.
    pub telegram_api_url: Option<reqwest::Url>,
    /// `TELEMOST_API_URL`: the Telemost API base; the bot POSTs to `{this}/conferences`.
    pub telemost_api_url: String,
    /// `DATABASE_URL`: a `sqlite:` URL or a file path, or a `postgres://` URL.
    pub database_url: String,
    /// `TELEGRAM_RATE_LIMIT`: keep to Telegram's sending limits (on unless set to `off`, which
    /// only benchmarks against a fake Bot API should do).
    pub telegram_rate_limit: bool,
    /// `MAX_CONCURRENT_UPDATES`: how many updates are handled at once; the rest wait their turn
    /// in arrival order. Bounds the memory a burst takes.
    pub max_concurrent_updates: usize,
    /// `HISTORY_DAYS`: how many days a created meeting is kept (for /history and its buttons)
    /// before it is removed.
    pub history_days: u32,
    /// How Telemost calls are retried; not an environment variable (tests shorten the waits).
    pub telemost_retry: RetryPolicy,
    /// `TOKEN_ENCRYPTION_KEY`: the key sealing stored tokens; `None` means the key file beside
    /// the database.
    pub token_encryption_key: Option<Key>,
    /// `YANDEX_CLIENT_ID` (+ `YANDEX_CLIENT_SECRET`, `YANDEX_OAUTH_URL`): the OAuth app for
    /// /login and refreshes; `None` turns both off.
    pub yandex: Option<YandexApp>,
    /// How long one "second" of the device flow's polling intervals lasts; not an environment
    /// variable (tests shorten it).
    pub oauth_time_unit: Duration,
    /// `WEBHOOK_URL` (+ `WEBHOOK_LISTEN`, `WEBHOOK_SECRET`): receive updates by webhook instead
    /// of long polling.
    pub webhook: Option<Webhook>,
    /// `METRICS_LISTEN`: where the probes and metrics are served (in webhook mode, `/metrics`
    /// is then served there instead of on the webhook's listener).
    pub metrics_listen: Option<SocketAddr>,
    /// `WEBAPP_URL` (+ `WEBAPP_SHORT_NAME`): the planner Mini App, served on the webhook's
    /// listener or `METRICS_LISTEN`; `None` leaves it off.
    pub webapp: Option<WebApp>,
    /// `DEFAULT_TIMEZONE`: the IANA time zone of chats that have not chosen one in /settings.
    pub default_timezone: jiff::tz::TimeZone,
    /// What time it is, for scheduled meetings; not an environment variable (tests move a
    /// manual clock).
    pub clock: crate::clock::Clock,
}

/// Webhook mode's settings.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The public HTTPS URL Telegram posts to; its path is the route served.
    pub url: reqwest::Url,
    /// The address served on.
    pub listen: SocketAddr,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: SecretString,
}

/// The planner Mini App's settings.
#[derive(Debug, Clone)]
pub struct WebApp {
    /// The public HTTPS URL Telegram opens; its path (ending in `/`) is where the page is
    /// served, and its API under `{path}api/`.
    pub url: reqwest::Url,
    /// The app's short name registered with @BotFather (`/newapp`): groups get the direct link
    /// `t.me/<bot>/<short name>?startapp=…`; without it, the planner opens in private chats only.
    pub short_name: Option<String>,
}

impl WebApp {
    /// The path the page is served at (`/app/`).
    pub fn path(&self) -> &str {
        self.url.path()
    }
}

/// A registered Yandex OAuth app.
#[derive(Debug, Clone)]
pub struct YandexApp {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub oauth_url: String,
}

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error(
        "TELOXIDE_TOKEN is not set: put the token @BotFather gave you in .env (see .env.example)"
    )]
    MissingBotToken,
    #[error(
        "TOKEN_ENCRYPTION_KEY must be 32 bytes in base64 (e.g. from `openssl rand -base64 32`)"
    )]
    BadEncryptionKey,
    #[error("YANDEX_CLIENT_SECRET is set but YANDEX_CLIENT_ID is not")]
    SecretWithoutClientId,
    #[error("TELEGRAM_RATE_LIMIT must be `on` or `off`, not {0:?}")]
    BadRateLimit(String),
    #[error("MAX_CONCURRENT_UPDATES must be a whole number from 1 to 100000, not {0:?}")]
    BadConcurrency(String),
    #[error("HISTORY_DAYS must be a whole number of days from 1 to 36500, not {0:?}")]
    BadHistoryDays(String),
    #[error(
        "DEFAULT_TIMEZONE must be an IANA time zone name such as Europe/Moscow or Asia/Yekaterinburg, \
         not {0:?}"
    )]
    BadTimezone(String),
    #[error("{name} is not a valid http(s) URL: {value:?}")]
    BadUrl { name: &'static str, value: String },
    #[error(
        "TOKEN_ENCRYPTION_KEY is required with a PostgreSQL DATABASE_URL (make one with \
         `openssl rand -base64 32` and keep it apart from the database's backups)"
    )]
    KeyRequired,
    #[error(
        "WEBHOOK_URL must be an https:// URL (Telegram posts only over HTTPS) whose path has only \
         letters, digits and / - _ . ~, and is not /healthz, /readyz or /metrics"
    )]
    BadWebhookUrl,
    #[error(
        "WEBHOOK_SECRET is required with WEBHOOK_URL: 1 to 256 characters of A-Z, a-z, 0-9, _ \
         and - (e.g. from `openssl rand -hex 32`)"
    )]
    MissingWebhookSecret,
    #[error("WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")]
    BadWebhookSecret,
    #[error(
        "WEBAPP_URL must be an https:// URL (Telegram opens Mini Apps only over HTTPS) whose path has \
         only letters, digits and / - _ . ~, is not the webhook's, and does not hold /healthz, \
         /readyz or /metrics"
    )]
    BadWebAppUrl,
    #[error(
        "WEBAPP_URL needs a listener to be served on: set WEBHOOK_URL (webhook mode) or \
         METRICS_LISTEN (polling mode)"
    )]
    WebAppWithoutListener,
    #[error(
        "WEBAPP_SHORT_NAME must be the Mini App's short name from @BotFather: 3 to 30 characters of \
         A-Z, a-z, 0-9 and _, not {0:?}"
    )]
    BadWebAppShortName(String),
    #[error("{name} must be an address and port such as 0.0.0.0:8080, not {value:?}")]
    BadListen { name: &'static str, value: String },
    #[error("LOG_FORMAT must be `text` or `json`, not {0:?}")]
    BadLogFormat(String),
}

/// How log lines are written (`LOG_FORMAT`): read first, for every command, since the logs
/// start before the rest is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people (the default).
    Text,
    /// One JSON object a line, for log aggregators.
    Json,
}

impl LogFormat {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match get("LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(ConfigError::BadLogFormat(other.to_owned())),
        }
    }
}

/// Where the data is: what `migrate` needs, and the bot too.
#[derive(Debug)]
pub struct Database {
    /// `DATABASE_URL`.
    pub url: String,
    /// `TOKEN_ENCRYPTION_KEY`; `None` means the key file beside the database.
    pub key: Option<Key>,
}

impl Database {
    /// Reads `DATABASE_URL` and `TOKEN_ENCRYPTION_KEY` through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let url = non_empty("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let key = non_empty("TOKEN_ENCRYPTION_KEY")
            .map(|k| Key::from_base64(&k).map_err(|_| ConfigError::BadEncryptionKey))
            .transpose()?;
        if crate::storage::is_postgres(&url) && key.is_none() {
            return Err(ConfigError::KeyRequired);
        }
        Ok(Self { url, key })
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get`, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let bot_token = non_empty("TELOXIDE_TOKEN")
            .map(|t| SecretString::from(t.trim().to_owned()))
            .ok_or(ConfigError::MissingBotToken)?;
        let telegram_api_url = non_empty("TELOXIDE_API_URL")
            .map(|v| parse_url("TELOXIDE_API_URL", &v))
            .transpose()?;
        let telemost_api_url = match non_empty("TELEMOST_API_URL") {
            Some(v) => parse_url("TELEMOST_API_URL", &v)?.to_string(),
            None => telemost::DEFAULT_BASE_URL.to_owned(),
        };

        let telegram_rate_limit = match non_empty("TELEGRAM_RATE_LIMIT").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(ConfigError::BadRateLimit(other.to_owned())),
        };
        let max_concurrent_updates = match non_empty("MAX_CONCURRENT_UPDATES") {
            None => DEFAULT_MAX_CONCURRENT_UPDATES,
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or(ConfigError::BadConcurrency(v))?,
        };
        let history_days = match non_empty("HISTORY_DAYS") {
            None => DEFAULT_HISTORY_DAYS,
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=36_500).contains(n))
                .ok_or(ConfigError::BadHistoryDays(v))?,
        };
        let default_timezone = {
            let name = non_empty("DEFAULT_TIMEZONE").unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
            jiff::tz::TimeZone::get(name.trim()).map_err(|_| ConfigError::BadTimezone(name))?
        };
        let client_secret =
            non_empty("YANDEX_CLIENT_SECRET").map(|s| SecretString::from(s.trim().to_owned()));
        let yandex = match non_empty("YANDEX_CLIENT_ID") {
            Some(id) => Some(YandexApp {
                client_id: id.trim().to_owned(),
                client_secret,
                oauth_url: match non_empty("YANDEX_OAUTH_URL") {
                    Some(v) => parse_url("YANDEX_OAUTH_URL", &v)?.to_string(),
                    None => DEFAULT_OAUTH_URL.to_owned(),
                },
            }),
            None if client_secret.is_some() => return Err(ConfigError::SecretWithoutClientId),
            None => None,
        };
        let Database {
            url: database_url,
            key: token_encryption_key,
        } = Database::from_lookup(&get)?;
        let listen = |name: &'static str, value: String| {
            value
                .trim()
                .parse::<SocketAddr>()
                .map_err(|_| ConfigError::BadListen { name, value })
        };
        let webhook = match non_empty("WEBHOOK_URL") {
            None => None,
            Some(v) => {
                // The path is served as it is: plain characters only, and none of the probes'.
                let plain = |path: &str| {
                    path.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b))
                        && !["/healthz", "/readyz", "/metrics"].contains(&path)
                };
                let url = reqwest::Url::parse(v.trim())
                    .ok()
                    .filter(|u| u.scheme() == "https" && plain(u.path()))
                    .ok_or(ConfigError::BadWebhookUrl)?;
                let secret = get("WEBHOOK_SECRET").ok_or(ConfigError::MissingWebhookSecret)?;
                let secret = secret.trim();
                let valid = (1..=256).contains(&secret.len())
                    && secret
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !valid {
                    return Err(if secret.is_empty() {
                        ConfigError::MissingWebhookSecret
                    } else {
                        ConfigError::BadWebhookSecret
                    });
                }
                Some(Webhook {
                    url,
                    listen: listen(
                        "WEBHOOK_LISTEN",
                        non_empty("WEBHOOK_LISTEN")
                            .unwrap_or_else(|| DEFAULT_WEBHOOK_LISTEN.to_owned()),
                    )?,
                    secret: SecretString::from(secret.to_owned()),
                })
            }
        };
        let metrics_listen = non_empty("METRICS_LISTEN")
            .map(|v| listen("METRICS_LISTEN", v))
            .transpose()?;
        let webapp = match non_empty("WEBAPP_URL") {
            None => None,
            Some(v) => {
                let hook_path = webhook.as_ref().map(|w| w.url.path());
                let mut url = reqwest::Url::parse(v.trim())
                    .ok()
                    .filter(|u| u.scheme() == "https" && u.query().is_none())
                    .ok_or(ConfigError::BadWebAppUrl)?;
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                let path = url.path();
                let plain = path
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
                let probe = ["/healthz", "/readyz", "/metrics"]
                    .iter()
                    .any(|p| path.starts_with(&format!("{p}/")));
                let hook =
                    hook_path.is_some_and(|h| h == path || h.starts_with(&format!("{path}api/")));
                if !plain || probe || hook {
                    return Err(ConfigError::BadWebAppUrl);
                }
                if webhook.is_none() && metrics_listen.is_none() {
                    return Err(ConfigError::WebAppWithoutListener);
                }
                let short_name = non_empty("WEBAPP_SHORT_NAME")
                    .map(|name| {
                        let name = name.trim();
                        let valid = (3..=30).contains(&name.len())
                            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                        valid
                            .then(|| name.to_owned())
                            .ok_or_else(|| ConfigError::BadWebAppShortName(name.to_owned()))
                    })
                    .transpose()?;
                Some(WebApp { url, short_name })
            }
        };
        Ok(Self {
            bot_token,
            telegram_api_url,
            telemost_api_url,
            database_url,
            telegram_rate_limit,
            max_concurrent_updates,
            history_days,
            telemost_retry: RetryPolicy::default(),
            token_encryption_key,
            yandex,
            oauth_time_unit: Duration::from_secs(1),
            webhook,
            metrics_listen,
            webapp,
            default_timezone,
            clock: crate::clock::Clock::system(),
        })
    }
}

fn parse_url(name: &'static str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let bad = || ConfigError::BadUrl {
        name,
        value: value.to_owned(),
    };
    let url = reqwest::Url::parse(value.trim()).map_err(|_| bad())?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn token_is_required() {
        assert_eq!(cfg(&[]).unwrap_err(), ConfigError::MissingBotToken);
        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "  ")]).unwrap_err(),
            ConfigError::MissingBotToken
        );
    }

    #[test]
    fn defaults() {
        let c = cfg(&[("TELOXIDE_TOKEN", "1:abc")]).unwrap();
        assert_eq!(c.bot_token.expose_secret(), "1:abc");
        assert_eq!(c.telemost_api_url, telemost::DEFAULT_BASE_URL);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert!(c.telegram_api_url.is_none());
        assert!(c.telegram_rate_limit);
        assert_eq!(c.max_concurrent_updates, DEFAULT_MAX_CONCURRENT_UPDATES);
        assert_eq!(c.history_days, DEFAULT_HISTORY_DAYS);
        assert_eq!(DEFAULT_HISTORY_DAYS, 365);
    }

    #[test]
    fn the_default_time_zone_is_moscow_unless_another_real_zone_is_named() {
        let c = cfg(&[("TELOXIDE_TOKEN", "t")]).unwrap();
        assert_eq!(c.default_timezone.iana_name(), Some("Europe/Moscow"));
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "t"),
            ("DEFAULT_TIMEZONE", " Asia/Yekaterinburg "),
        ])
        .unwrap();
        assert_eq!(c.default_timezone.iana_name(), Some("Asia/Yekaterinburg"));
        for bad in ["Mars/Olympus", "MSK", "+03:00", "Europe/"] {
            let err = cfg(&[("TELOXIDE_TOKEN", "t"), ("DEFAULT_TIMEZONE", bad)]).unwrap_err();
            assert!(
                matches!(&err, ConfigError::BadTimezone(v) if v == bad),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn history_days_is_a_whole_number_of_days_up_to_a_century() {
        for (given, days) in [("1", 1), (" 30 ", 30), ("36500", 36_500)] {
            let c = cfg(&[("TELOXIDE_TOKEN", "t"), ("HISTORY_DAYS", given)]).unwrap();
            assert_eq!(c.history_days, days, "{given:?}");
        }
        for bad in ["0", "-1", "1.5", "a year", "36501", "99999999999"] {
            let err = cfg(&[("TELOXIDE_TOKEN", "t"), ("HISTORY_DAYS", bad)]).unwrap_err();
            assert_eq!(err, ConfigError::BadHistoryDays(bad.into()));
            assert_eq!(
                err.to_string(),
                format!("HISTORY_DAYS must be a whole number of days from 1 to 36500, not {bad:?}")
            );
        }
        let unset = cfg(&[("TELOXIDE_TOKEN", "t"), ("HISTORY_DAYS", " ")]).unwrap();
        assert_eq!(unset.history_days, DEFAULT_HISTORY_DAYS, "blank is unset");
    }

    #[test]
    fn concurrency_is_a_positive_number() {
        let four = cfg(&[("TELOXIDE_TOKEN", "t"), ("MAX_CONCURRENT_UPDATES", " 4 ")]).unwrap();
        assert_eq!(four.max_concurrent_updates, 4);
        for bad in ["0", "-1", "many", "1.5", "100001"] {
            assert_eq!(
                cfg(&[("TELOXIDE_TOKEN", "t"), ("MAX_CONCURRENT_UPDATES", bad)]).unwrap_err(),
                ConfigError::BadConcurrency(bad.into())
            );
        }
    }

    #[test]
    fn rate_limit_can_be_turned_off_only_explicitly() {
        let off = cfg(&[("TELOXIDE_TOKEN", "t"), ("TELEGRAM_RATE_LIMIT", "off")]).unwrap();
        assert!(!off.telegram_rate_limit);
        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("TELEGRAM_RATE_LIMIT", "no")]).unwrap_err(),
            ConfigError::BadRateLimit("no".into())
        );
    }

    #[test]
    fn urls_are_validated() {
        assert!(matches!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("TELEMOST_API_URL", "ftp://x")]),
            Err(ConfigError::BadUrl { .. })
        ));
        assert!(matches!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("TELOXIDE_API_URL", "not a url")]),
            Err(ConfigError::BadUrl { .. })
        ));
    }

    #[test]
    fn debug_does_not_print_secrets() {
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "123:SECRET"),
            ("TOKEN_ENCRYPTION_KEY", key),
            ("YANDEX_CLIENT_ID", "app"),
            ("YANDEX_CLIENT_SECRET", "CLIENTSECRET"),
        ])
        .unwrap();
        let printed = format!("{c:?}");
        for secret in ["SECRET", key, "CLIENTSECRET"] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
    }

    #[test]
    fn encryption_key_and_yandex_app() {
        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("TOKEN_ENCRYPTION_KEY", "short")]).unwrap_err(),
            ConfigError::BadEncryptionKey
        );
        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("YANDEX_CLIENT_SECRET", "s")]).unwrap_err(),
            ConfigError::SecretWithoutClientId
        );
        let c = cfg(&[("TELOXIDE_TOKEN", "t"), ("YANDEX_CLIENT_ID", "app")]).unwrap();
        let y = c.yandex.unwrap();
        assert_eq!(y.client_id, "app");
        assert_eq!(y.oauth_url, DEFAULT_OAUTH_URL);
        assert!(c.token_encryption_key.is_none());
    }

    #[test]
    fn postgres_needs_the_key() {
        let pg = "postgres://bot:pw@db.internal:5432/bot";
        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "t"), ("DATABASE_URL", pg)]).unwrap_err(),
            ConfigError::KeyRequired
        );
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "t"),
            ("DATABASE_URL", pg),
            ("TOKEN_ENCRYPTION_KEY", key),
        ])
        .unwrap();
        assert_eq!(c.database_url, pg);
        assert!(c.webhook.is_none(), "polling unless WEBHOOK_URL is set");
    }

    #[test]
    fn webhook_settings() {
        let url = ("WEBHOOK_URL", "https://bot.example.org/telegram/hook");
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "t"),
            url,
            ("WEBHOOK_SECRET", "s3cr-et_X"),
        ])
        .unwrap();
        let w = c.webhook.unwrap();
        assert_eq!(w.url.path(), "/telegram/hook");
        assert_eq!(w.listen.to_string(), DEFAULT_WEBHOOK_LISTEN);
        assert_eq!(w.secret.expose_secret(), "s3cr-et_X");
        let c = cfg(&[
            ("TELOXIDE_TOKEN", "t"),
            url,
            ("WEBHOOK_SECRET", "s"),
            ("WEBHOOK_LISTEN", "127.0.0.1:9000"),
        ])
        .unwrap();
        assert_eq!(c.webhook.unwrap().listen.port(), 9000);

        assert_eq!(
            cfg(&[("TELOXIDE_TOKEN", "t"), url]).unwrap_err(),
            ConfigError::MissingWebhookSecret
        );
        let long = "a".repeat(257);
        for bad in ["with space", "semi;colon", "ключ", long.as_str()] {
            assert_eq!(
                cfg(&[("TELOXIDE_TOKEN", "t"), url, ("WEBHOOK_SECRET", bad)]).unwrap_err(),
                ConfigError::BadWebhookSecret,
                "{bad}"
            );
        }
        for bad in [
            "http://bot.example.org/hook",
            "not a url",
            "https://bot.example.org/metrics",
            "https://bot.example.org/{id}",
            "https://bot.example.org/:hook",
        ] {
            assert_eq!(
                cfg(&[
                    ("TELOXIDE_TOKEN", "t"),
                    ("WEBHOOK_URL", bad),
                    ("WEBHOOK_SECRET", "s")
                ])
                .unwrap_err(),
                ConfigError::BadWebhookUrl,
                "{bad}"
            );
        }
        assert!(matches!(
            cfg(&[
                ("TELOXIDE_TOKEN", "t"),
                url,
                ("WEBHOOK_SECRET", "s"),
                ("WEBHOOK_LISTEN", "8080"),
            ]),
            Err(ConfigError::BadListen { .. })
        ));
        let m = cfg(&[
            ("TELOXIDE_TOKEN", "t"),
            ("METRICS_LISTEN", "127.0.0.1:9100"),
        ])
        .unwrap();
        assert_eq!(m.metrics_listen.unwrap().port(), 9100);
    }

    #[test]
    fn the_planner_is_served_where_there_is_a_listener() {
        let token = ("TELOXIDE_TOKEN", "t");
        let metrics = ("METRICS_LISTEN", "127.0.0.1:9100");
        let off = cfg(&[token, metrics]).unwrap();
        assert!(off.webapp.is_none(), "off unless WEBAPP_URL is set");

        let c = cfg(&[
            token,
            metrics,
            ("WEBAPP_URL", "https://bot.example.org/app"),
        ])
        .unwrap();
        let app = c.webapp.unwrap();
        assert_eq!(app.path(), "/app/", "the path is a folder");
        assert_eq!(app.short_name, None);
        let c = cfg(&[
            token,
            metrics,
            ("WEBAPP_URL", "https://bot.example.org/"),
            ("WEBAPP_SHORT_NAME", " planner_1 "),
        ])
        .unwrap();
        let app = c.webapp.unwrap();
        assert_eq!(app.path(), "/");
        assert_eq!(app.short_name.as_deref(), Some("planner_1"));

        assert_eq!(
            cfg(&[token, ("WEBAPP_URL", "https://bot.example.org/app/")]).unwrap_err(),
            ConfigError::WebAppWithoutListener
        );
        for bad in [
            "http://bot.example.org/app/",
            "https://bot.example.org/app/?x=1",
            "https://bot.example.org/metrics/",
            "https://bot.example.org/{app}/",
            "not a url",
        ] {
            assert_eq!(
                cfg(&[token, metrics, ("WEBAPP_URL", bad)]).unwrap_err(),
                ConfigError::BadWebAppUrl,
                "{bad}"
            );
        }
        // Not where Telegram posts updates: the page or its API would answer them.
        for (hook, app, clash) in [
            (
                "https://bot.example.org/tg/",
                "https://bot.example.org/tg/",
                true,
            ),
            (
                "https://bot.example.org/app/api/week",
                "https://bot.example.org/app",
                true,
            ),
            (
                "https://bot.example.org/tg/hook",
                "https://bot.example.org/tg/",
                false,
            ),
            (
                "https://bot.example.org/tg/hook",
                "https://bot.example.org/app/",
                false,
            ),
        ] {
            let c = cfg(&[
                token,
                ("WEBHOOK_URL", hook),
                ("WEBHOOK_SECRET", "s"),
                ("WEBAPP_URL", app),
            ]);
            match clash {
                true => assert_eq!(c.unwrap_err(), ConfigError::BadWebAppUrl, "{hook} {app}"),
                false => assert!(c.unwrap().webapp.is_some(), "{hook} {app}"),
            }
        }
        for bad in ["ab", "with space", "дом", &"x".repeat(31)] {
            assert_eq!(
                cfg(&[
                    token,
                    metrics,
                    ("WEBAPP_URL", "https://bot.example.org/app/"),
                    ("WEBAPP_SHORT_NAME", bad)
                ])
                .unwrap_err(),
                ConfigError::BadWebAppShortName(bad.into()),
            );
        }
    }
}
