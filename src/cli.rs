//! The command line: every setting is a flag and an environment variable at once (the
//! variable, or `.env`, as always; a flag wins over both), `--help` documents each, `--version`
//! says which build this is, and subcommands serve deploys. The values are validated in one
//! place, `config`, whichever way they came.

use std::collections::HashMap;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::config::{
    DEFAULT_DATABASE_URL, DEFAULT_HISTORY_DAYS, DEFAULT_MAX_CONCURRENT_UPDATES, DEFAULT_TIMEZONE,
    DEFAULT_WEBHOOK_LISTEN,
};

/// The version, with the git commit it was built from when built from a checkout.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("TELEMOST_BOT_COMMIT"),
    ")"
);

/// Creates Yandex Telemost meetings and live streams from Telegram chats.
///
/// With no subcommand, runs the bot. Every setting below is also read from the environment
/// variable named with it, and from `.env` in the working directory.
#[derive(Debug, Parser)]
// A variable's value is never shown (`[env: NAME]`): an unset one would read as set to empty,
// and a set one as the default; each setting's help says its default instead.
#[command(name = "telemost-bot", version = VERSION, mut_args(|a| a.hide_env_values(true)))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations and exit (an init step before replicas start).
    Migrate,
    /// Check the configuration, the database (creating and changing nothing: it says what a
    /// start would create or apply), Telegram and Telemost, say what was found (never a
    /// secret); exit 0 when all is well, 1 otherwise.
    Check,
    /// Show, set or remove the Telegram webhook.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// What Telegram has: the URL, updates waiting, the last delivery error.
    Info,
    /// Set it to WEBHOOK_URL with WEBHOOK_SECRET and the update kinds the bot handles.
    Set,
    /// Remove it (for going back to long polling).
    Delete,
}

/// Every setting. The field names are not used: the values are read back by their variables'
/// names (`lookup`) and validated by `config`.
#[derive(Debug, Args)]
pub struct Settings {
    /// The bot's token from @BotFather (required to run the bot).
    #[arg(long, env = "TELOXIDE_TOKEN", global = true)]
    bot_token: Option<String>,
    /// Bot API base URL, for a local Bot API server [default: Telegram's].
    #[arg(long, env = "TELOXIDE_API_URL", global = true)]
    telegram_api_url: Option<String>,
    /// Telemost API base URL; the bot POSTs to {this}/conferences.
    #[arg(long, env = "TELEMOST_API_URL", global = true,
          default_value = crate::telemost::DEFAULT_BASE_URL)]
    telemost_api_url: Option<String>,
    /// A SQLite file (a sqlite: URL or a path, created if missing) or a postgres:// URL.
    #[arg(long, env = "DATABASE_URL", global = true, default_value = DEFAULT_DATABASE_URL)]
    database_url: Option<String>,
    /// 32 random bytes, base64, encrypting the stored tokens [default: a key file beside a
    /// SQLite database]. Required with PostgreSQL.
    #[arg(long, env = "TOKEN_ENCRYPTION_KEY", global = true)]
    token_encryption_key: Option<String>,
    /// The ClientID of your Yandex OAuth app, for /login and token refresh [default: unset,
    /// /login off].
    #[arg(long, env = "YANDEX_CLIENT_ID", global = true)]
    yandex_client_id: Option<String>,
    /// The Yandex OAuth app's Client secret, if it has one [default: unset].
    #[arg(long, env = "YANDEX_CLIENT_SECRET", global = true)]
    yandex_client_secret: Option<String>,
    /// Yandex OAuth base URL (device codes, tokens).
    #[arg(long, env = "YANDEX_OAUTH_URL", global = true,
          default_value = crate::oauth::DEFAULT_OAUTH_URL)]
    yandex_oauth_url: Option<String>,
    /// How many updates are handled at once (1-100000); the rest wait their turn.
    #[arg(long, env = "MAX_CONCURRENT_UPDATES", global = true,
          default_value = DEFAULT_MAX_CONCURRENT_UPDATES.to_string())]
    max_concurrent_updates: Option<String>,
    /// How many days a created meeting is kept, for /history (1-36500).
    #[arg(long, env = "HISTORY_DAYS", global = true,
          default_value = DEFAULT_HISTORY_DAYS.to_string())]
    history_days: Option<String>,
    /// The IANA time zone of chats that have not chosen one in /settings (scheduled meetings).
    #[arg(long, env = "DEFAULT_TIMEZONE", global = true, default_value = DEFAULT_TIMEZONE)]
    default_timezone: Option<String>,
    /// The public https:// URL Telegram posts updates to; turns webhook mode on [default:
    /// unset, long polling].
    #[arg(long, env = "WEBHOOK_URL", global = true)]
    webhook_url: Option<String>,
    /// Address and port the webhook, /healthz and /readyz are served on, and /metrics unless
    /// METRICS_LISTEN is set (webhook mode).
    #[arg(long, env = "WEBHOOK_LISTEN", global = true, default_value = DEFAULT_WEBHOOK_LISTEN)]
    webhook_listen: Option<String>,
    /// 1-256 characters of A-Z a-z 0-9 _ - that Telegram sends with every update (required
    /// with WEBHOOK_URL).
    #[arg(long, env = "WEBHOOK_SECRET", global = true)]
    webhook_secret: Option<String>,
    /// An address and port to serve /healthz, /readyz and /metrics on; in webhook mode, /metrics
    /// is then served here only [default: unset].
    #[arg(long, env = "METRICS_LISTEN", global = true)]
    metrics_listen: Option<String>,
    /// The public https:// URL of the planner Mini App (e.g. https://bot.example.org/app/),
    /// served on the webhook's listener or METRICS_LISTEN [default: unset, no planner].
    #[arg(long, env = "WEBAPP_URL", global = true)]
    webapp_url: Option<String>,
    /// The planner's short name from @BotFather's /newapp, for its link in groups [default:
    /// unset, private chats only].
    #[arg(long, env = "WEBAPP_SHORT_NAME", global = true)]
    webapp_short_name: Option<String>,
    /// `off` sends replies as fast as asked (benchmarks against a fake Bot API only).
    #[arg(long, env = "TELEGRAM_RATE_LIMIT", global = true, default_value = "on")]
    telegram_rate_limit: Option<String>,
    /// Log filter, e.g. debug or telemost_bot=debug. Logs go to stderr, never with tokens.
    #[arg(long = "log", env = "RUST_LOG", global = true, default_value = "info")]
    rust_log: Option<String>,
    /// `text` (lines for people) or `json` (one object a line: timestamp, level, target,
    /// message and fields, for log aggregators).
    #[arg(long, env = "LOG_FORMAT", global = true, default_value = "text")]
    log_format: Option<String>,
}

/// The command line as given (and the environment), or clap's own exit: `--help` and
/// `--version` print and exit 0; a malformed command line prints one message and exits 2.
pub fn parse() -> (Cli, HashMap<String, String>) {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    (cli, values(&matches))
}

/// Each setting's value by its variable's name, as given by flag, environment or default.
fn values(matches: &clap::ArgMatches) -> HashMap<String, String> {
    // A global argument's value is on the innermost subcommand's matches.
    let mut innermost = matches;
    while let Some((_, sub)) = innermost.subcommand() {
        innermost = sub;
    }
    Cli::command()
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_env()?.to_str()?.to_owned();
            let value = innermost
                .try_get_one::<String>(arg.get_id().as_str())
                .ok()
                .flatten()?;
            Some((name, value.clone()))
        })
        .collect()
}

/// A setting as `--help` documents it.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Its environment variable.
    pub variable: String,
    /// Its flag, without the dashes.
    pub flag: String,
    /// Its default, if it has one.
    pub default: Option<String>,
}

/// Every setting, in `--help`'s order.
pub fn settings() -> Vec<Setting> {
    Cli::command()
        .get_arguments()
        .filter_map(|arg| {
            Some(Setting {
                variable: arg.get_env()?.to_str()?.to_owned(),
                flag: arg.get_long()?.to_owned(),
                default: arg
                    .get_default_values()
                    .first()
                    .and_then(|v| v.to_str())
                    .map(str::to_owned),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn parse_from(args: &[&str]) -> Result<(Cli, HashMap<String, String>), clap::Error> {
        let matches = Cli::command().try_get_matches_from(args)?;
        Ok((Cli::from_arg_matches(&matches)?, values(&matches)))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// `parse_from` with the environment left out (the test's may set any variable): what the
    /// command line alone gives.
    fn parse_alone(args: &[&str]) -> Result<BTreeMap<String, String>, clap::Error> {
        let matches = Cli::command()
            .mut_args(|a| a.env(None::<&'static str>))
            .try_get_matches_from(args)?;
        Ok(values(&matches).into_iter().collect())
    }

    #[test]
    fn flags_and_defaults_come_back_by_their_variables_names() {
        // Each default, written out: changing one is a change to this test too. A setting
        // without a default has no value.
        let defaults: BTreeMap<String, String> = [
            (
                "TELEMOST_API_URL",
                "https://cloud-api.yandex.net/v1/telemost-api",
            ),
            ("DATABASE_URL", "sqlite://telemost-bot.db"),
            ("YANDEX_OAUTH_URL", "https://oauth.yandex.ru"),
            ("MAX_CONCURRENT_UPDATES", "128"),
            ("HISTORY_DAYS", "365"),
            ("DEFAULT_TIMEZONE", "Europe/Moscow"),
            ("WEBHOOK_LISTEN", "0.0.0.0:8080"),
            ("TELEGRAM_RATE_LIMIT", "on"),
            ("RUST_LOG", "info"),
            ("LOG_FORMAT", "text"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(parse_alone(&["telemost-bot"]).unwrap(), defaults);

        // Flags replace their settings' defaults, or give the ones without; the rest keep theirs.
        let flags = [
            "telemost-bot",
            "--bot-token",
            "1:x",
            "--history-days",
            "30",
            "--webhook-listen",
            "127.0.0.1:9",
        ];
        let mut expected = defaults;
        for (name, value) in [
            ("TELOXIDE_TOKEN", "1:x"),
            ("HISTORY_DAYS", "30"),
            ("WEBHOOK_LISTEN", "127.0.0.1:9"),
        ] {
            expected.insert(name.to_owned(), value.to_owned());
        }
        assert_eq!(parse_alone(&flags).unwrap(), expected);

        // With the process environment, whatever it sets: the flags given win over it.
        let (cli, values) = parse_from(&flags).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(values["TELOXIDE_TOKEN"], "1:x");
        assert_eq!(values["HISTORY_DAYS"], "30");
        assert_eq!(values["WEBHOOK_LISTEN"], "127.0.0.1:9");
    }

    #[test]
    fn settings_are_global_to_the_subcommands() {
        let (cli, values) =
            parse_from(&["telemost-bot", "webhook", "info", "--bot-token", "2:y"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Webhook(WebhookCommand::Info))
        ));
        assert_eq!(values["TELOXIDE_TOKEN"], "2:y");
        let (cli, _) = parse_from(&["telemost-bot", "migrate"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Migrate)));
    }

    #[test]
    fn a_malformed_command_line_is_an_error_not_a_panic() {
        for args in [
            &["telemost-bot", "--no-such-flag"][..],
            &["telemost-bot", "webhook"],
            &["telemost-bot", "webhook", "frobnicate"],
            &["telemost-bot", "--history-days"],
        ] {
            let e = parse_from(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}: {e}");
        }
    }

    #[test]
    fn help_names_each_default_or_that_there_is_none_and_never_a_value() {
        // Whatever the environment of the test holds.
        let help = Cli::command().render_long_help().to_string();
        assert!(!help.contains("=]"), "{help}");
        for arg in Cli::command().get_arguments() {
            let Some(env) = arg.get_env() else { continue };
            let env = env.to_string_lossy();
            assert!(help.contains(&format!("[env: {env}]")), "{env}: {help}");
            let about = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string());
            let about = about.unwrap_or_default();
            assert!(
                !arg.get_default_values().is_empty()
                    || about.contains("[default:")
                    || about.contains("required"),
                "{env} says neither its default nor that it is required: {about:?}"
            );
        }
    }

    #[test]
    fn every_variable_is_a_setting_once() {
        let names: Vec<String> = settings().into_iter().map(|s| s.variable).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(names.contains(&"WEBHOOK_SECRET".to_owned()));
    }
}
