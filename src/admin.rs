//! The subcommands for deploys (see `cli`): apply the migrations, check a configuration, and
//! show, set or remove the webhook. Each prints what it found, never a secret.

use secrecy::ExposeSecret;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;

use crate::bot::{MAX_CONNECTIONS, UPDATE_KINDS, redacted};
use crate::config::{Config, Database};
use crate::storage::{Db, Inspection, KeyCheck, KeySource};

/// `println!`, except that a closed standard output (`telemost-bot check | head -1`) is not a
/// panic: what is said is for whoever still reads, and the outcome is the exit code.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// How `main` ends after a subcommand: 0, 1 (something checked failed), 2 (the configuration).
pub enum Outcome {
    Done,
    Failed,
    BadSetup,
}

fn key_source(key: Option<crate::storage::crypto::Key>) -> KeySource {
    match key {
        Some(key) => KeySource::Given(key),
        None => KeySource::FileBesideDatabase,
    }
}

/// `migrate`: opens the database, which applies what migrations it lacks, and closes it.
pub async fn migrate(db: Database) -> Outcome {
    match Db::open(&db.url, key_source(db.key)).await {
        Ok(opened) => {
            say!("{}: migrations applied", opened.backend_name());
            opened.close().await;
            Outcome::Done
        }
        Err(e) => {
            eprintln!("telemost-bot: {e}");
            Outcome::BadSetup
        }
    }
}

fn bot_of(config: &Config) -> Result<Bot, String> {
    let http = teloxide::net::default_reqwest_settings()
        .build()
        .map_err(|e| e.to_string())?;
    let mut bot = Bot::with_client(config.bot_token.expose_secret(), http);
    if let Some(url) = config.telegram_api_url.clone() {
        bot = bot.set_api_url(url);
    }
    Ok(bot)
}

/// `check`: the configuration (already valid when this runs), the database, Telegram and
/// Telemost's host, one line each.
pub async fn check(mut config: Config) -> Outcome {
    let mut ok = true;
    let mode = match &config.webhook {
        Some(w) => format!("webhook at {}", w.url.host_str().unwrap_or("?")),
        None => "long polling".to_owned(),
    };
    say!(
        "configuration: valid ({mode}; /login {})",
        if config.yandex.is_some() { "on" } else { "off" }
    );
    let key = config.token_encryption_key.take();
    match Db::inspect(&config.database_url, key_source(key)).await {
        Ok(found) => {
            let (line, fine) = inspected(&found);
            ok &= fine;
            say!("{line}");
        }
        Err(e) => {
            ok = false;
            say!("database: {e}");
        }
    }
    match bot_of(&config) {
        Ok(bot) => match bot.get_me().await {
            Ok(me) => say!(
                "telegram: the token is @{}'s",
                me.username.as_deref().unwrap_or("?")
            ),
            Err(e) => {
                ok = false;
                say!("telegram: {}", redacted(&e));
            }
        },
        Err(e) => {
            ok = false;
            say!("telegram: {e}");
        }
    }
    // Any HTTP answer means the host is there; the token is checked by the first meeting.
    let host = reqwest::Url::parse(&config.telemost_api_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let reached = reqwest::Client::new()
        .get(&config.telemost_api_url)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    match reached {
        Ok(answer) => say!(
            "telemost: {host} answers (HTTP {})",
            answer.status().as_u16()
        ),
        Err(e) => {
            ok = false;
            say!("telemost: {host} cannot be reached: {}", redacted(&e));
        }
    }
    if ok { Outcome::Done } else { Outcome::Failed }
}

/// `check`'s line on the database, and whether it is well.
fn inspected(found: &Inspection) -> (String, bool) {
    let Inspection {
        backend,
        applied,
        known,
        ..
    } = found;
    let mut fine = true;
    let mut line = match &found.missing_file {
        Some(file) => format!(
            "database: {backend} file {} does not exist yet; a start creates it",
            file.display()
        ),
        None if applied == known => {
            format!("database: {backend} reached, its {known} migrations applied")
        }
        None if applied < known => format!(
            "database: {backend} reached, {applied} of {known} migrations applied (a start \
             applies the rest)"
        ),
        None => format!(
            "database: {backend} reached, {applied} migrations applied: a newer build's (this \
             one has {known})"
        ),
    };
    match &found.key {
        KeyCheck::Fits => {}
        KeyCheck::Wrong => {
            fine = false;
            line.push_str(
                "; the key does not open its tokens (a different TOKEN_ENCRYPTION_KEY or key file)",
            );
        }
        KeyCheck::FileToCreate(path) if found.missing_file.is_some() => {
            line.push_str(&format!(", with its key file {}", path.display()));
        }
        KeyCheck::FileToCreate(path) => {
            line.push_str(&format!(
                "; a start creates its key file {}",
                path.display()
            ));
        }
        KeyCheck::FileMissing(path) => {
            fine = false;
            line.push_str(&format!(
                "; its key file {} is missing, so its tokens cannot be read (restore it from \
                 the backup)",
                path.display()
            ));
        }
    }
    (line, fine)
}

/// `webhook info|set|delete`.
pub async fn webhook(config: Config, what: crate::cli::WebhookCommand) -> Outcome {
    use crate::cli::WebhookCommand;
    let bot = match bot_of(&config) {
        Ok(bot) => bot,
        Err(e) => {
            eprintln!("telemost-bot: {e}");
            return Outcome::Failed;
        }
    };
    let done = match what {
        WebhookCommand::Info => bot.get_webhook_info().await.map(|info| {
            // The host only: operators sometimes put a secret in the path.
            match &info.url {
                Some(url) => say!(
                    "url: {}://{}/… (path not shown)",
                    url.scheme(),
                    url.host_str().unwrap_or("?")
                ),
                None => say!("url: none (the bot uses long polling)"),
            }
            say!("updates waiting: {}", info.pending_update_count);
            if let Some(n) = info.max_connections {
                say!("max connections: {n}");
            }
            if let Some(kinds) = &info.allowed_updates {
                say!("update kinds: {}", kind_names(kinds).join(", "));
            }
            if let Some(message) = &info.last_error_message {
                say!("last error: {message}");
            }
        }),
        WebhookCommand::Set => {
            let Some(hook) = &config.webhook else {
                eprintln!("telemost-bot: webhook set needs WEBHOOK_URL and WEBHOOK_SECRET");
                return Outcome::BadSetup;
            };
            use teloxide::payloads::SetWebhookSetters;
            bot.set_webhook(hook.url.clone())
                .secret_token(hook.secret.expose_secret().to_owned())
                .allowed_updates(UPDATE_KINDS.to_vec())
                .max_connections(MAX_CONNECTIONS)
                .await
                .map(|_| {
                    say!(
                        "webhook set to {} (host)",
                        hook.url.host_str().unwrap_or("?")
                    )
                })
        }
        WebhookCommand::Delete => bot
            .delete_webhook()
            .await
            .map(|_| say!("webhook removed; the bot may now use long polling")),
    };
    match done {
        Ok(()) => Outcome::Done,
        Err(e) => {
            say!("telegram: {}", redacted(&e));
            Outcome::Failed
        }
    }
}

fn kind_names(kinds: &[AllowedUpdate]) -> Vec<String> {
    kinds
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok()?.as_str().map(str::to_owned))
        .collect()
}
