//! Webhook mode: Telegram posts each update to `WEBHOOK_URL`, which a reverse proxy forwards to
//! the route served here. An update is stored (the inbox, see `storage`) before Telegram hears
//! it arrived, so a process that stops before handling it loses nothing (the next start handles
//! what is left), and a resend of one already stored is dropped. The updates then go through the
//! same admission, lanes and handlers as polled ones, as an `UpdateListener`.
//!
//! An update with a chat then waits its turn in the chat's queue (see `turns`), so that a
//! chat's updates go one at a time, in order, whichever process received them; one with no chat
//! goes to the dispatcher at once.
//!
//! The webhook itself is set at start only when Telegram's differs from ours (the same settings
//! from a second process change nothing), and never deleted: with several processes behind one
//! URL, one stopping must not cut the others off.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use futures_util::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use teloxide::prelude::*;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::{StatefulListener, UpdateListener};
use tokio::sync::mpsc;

use super::turns::{Chats, LEASE_SECS};
use crate::bot::core::redacted;
use crate::config::Webhook;
use crate::metrics::UPDATES_DUPLICATE;
use crate::ops::{Started, Stopping};
use crate::storage::{Db, unix_now};

/// How many connections Telegram may open to post updates at once.
pub const MAX_CONNECTIONS: u8 = 40;

/// The header carrying the secret Telegram was given with the webhook.
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// The largest body taken: an update, even a message at Telegram's longest with its entities,
/// is a small fraction of it.
const MAX_BODY: usize = 1024 * 1024;

/// How long a post's body may take to arrive, once its headers have: then it is answered 408
/// and the connection closed.
const BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// Updates received and not yet taken by the dispatcher; a post waits for room (Telegram holds
/// the rest).
pub const QUEUE: usize = 256;

/// How many updates a dead process left are claimed at once.
const BACKLOG_PAGE: u32 = 500;

/// How often this process renews its leases (see `turns::LEASE_SECS`) and looks for what dead
/// processes left.
const RENEW_EVERY: Duration = Duration::from_secs(2);

/// An update left unhandled this long (its process died and nothing took it over) is dropped
/// rather than acted on: its user has long moved on.
const STALE_SECS: i64 = 3600;

/// What the webhook route needs.
#[derive(Clone)]
struct Inbox {
    db: Db,
    secret: Arc<SecretString>,
    stopping: Stopping,
    /// Set once what stopped processes left is queued: posts wait (503, and `/readyz` says
    /// so) until then, so a chat's older updates go before its newer ones.
    started: Started,
    queue: mpsc::Sender<Update>,
    chats: Arc<Chats>,
    /// This process, as the holder of leases on the updates it stores.
    taker: i64,
}

/// The route Telegram posts to (at `config.url`'s path), the listener the dispatcher takes its
/// updates from, and the task that keeps this process's leases and takes over what dead
/// processes left: at once (posts wait, and the process is not ready, until that is queued, so
/// a chat's older updates go first), then every `RENEW_EVERY` (what it finds then is queued
/// beside new posts). When the dispatcher starts, the listener makes sure the webhook is set
/// (`ensure_webhook`) with the update kinds the dispatcher asked for.
pub fn receive(
    config: &Webhook,
    bot: Bot,
    db: Db,
    (stopping, started): (Stopping, Started),
    taker: i64,
    (chats, queue, updates): (Arc<Chats>, mpsc::Sender<Update>, mpsc::Receiver<Update>),
) -> (
    Router,
    impl UpdateListener<Err = std::convert::Infallible> + 'static,
    tokio::task::JoinHandle<()>,
) {
    let inbox = Inbox {
        db: db.clone(),
        secret: Arc::new(config.secret.clone()),
        stopping,
        started: started.clone(),
        queue: queue.clone(),
        chats: Arc::clone(&chats),
        taker,
    };
    let router = Router::new()
        .route(
            config.url.path(),
            post(on_post).layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .with_state(inbox);
    // Apart, so that renewing never waits behind a full dispatcher queue.
    let renewing = renew_leases(Arc::clone(&chats));
    let keeping = keep_leases(db.clone(), taker, (queue, chats), started);
    let keeper = tokio::spawn(async move {
        tokio::join!(renewing, keeping);
    });
    let config = config.clone();
    let on_start = move |allowed| {
        tokio::spawn(ensure_webhook(bot, db, config, allowed));
    };
    (router, listener(updates, Box::new(on_start)), keeper)
}

/// Every `RENEW_EVERY`: renews this process's leases (see `Chats::renew`).
async fn renew_leases(chats: Arc<Chats>) {
    let mut ticks = tokio::time::interval(RENEW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = chats.renew().await {
            tracing::warn!(error = %e, "could not renew the leases on stored updates");
        }
    }
}

/// Every `RENEW_EVERY`: queues the updates with no chat that dead processes left, and kicks the
/// chats with updates waiting and nobody at them.
async fn keep_leases(
    db: Db,
    taker: i64,
    (queue, chats): (mpsc::Sender<Update>, Arc<Chats>),
    started: Started,
) {
    let mut ticks = tokio::time::interval(RENEW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = unix_now();
        loop {
            let claimed = db
                .claim_abandoned(taker, now, now + LEASE_SECS, now - STALE_SECS, BACKLOG_PAGE)
                .await;
            let (page, dropped) = match claimed {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for updates left unhandled");
                    break;
                }
            };
            if dropped > 0 {
                tracing::info!(
                    count = dropped,
                    "dropped updates left unhandled for over an hour"
                );
            }
            if page.is_empty() {
                break;
            }
            tracing::info!(
                count = page.len(),
                "handling updates a stopped process left"
            );
            for (id, payload) in page {
                match serde_json::from_str::<Update>(&payload) {
                    Ok(update) => {
                        if queue.send(update).await.is_err() {
                            return;
                        }
                    }
                    // Stored only after it parsed, so only a later teloxide could fail here:
                    // nothing to handle, and it must not come back.
                    Err(_) => chats.unreadable(id),
                }
            }
        }
        let waiting = chats.kick_waiting().await;
        if waiting > 0 && !started.is_set() {
            tracing::info!(
                count = waiting,
                "handling the chats' updates a stopped process left"
            );
        }
        started.set();
    }
}

/// A post is judged by its headers before a byte of its body is read: without the secret it is
/// answered 401 at once (and its connection closed, the body unread), so that one who is not
/// Telegram costs a connection's buffer, never a body's. The body is then taken up to `MAX_BODY`
/// (beyond, 413) within `BODY_TIMEOUT` (beyond, 408).
async fn on_post(State(inbox): State<Inbox>, request: Request) -> StatusCode {
    let given = request
        .headers()
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, inbox.secret.expose_secret().as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    if inbox.stopping.is_set() || !inbox.started.is_set() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Bytes::from_request(request, &())).await {
        Ok(Ok(body)) => body,
        // Too large (413), or the connection broke (400).
        Ok(Err(rejection)) => return rejection.status(),
        Err(_) => return StatusCode::REQUEST_TIMEOUT,
    };
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(payload) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let id = i64::from(update.id.0);
    let chat = update.chat().map(|c| c.id.0);
    let lease = unix_now() + LEASE_SECS;
    match inbox
        .db
        .receive_update(id, chat, payload, inbox.taker, lease)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            metrics::counter!(UPDATES_DUPLICATE).increment(1);
            return StatusCode::OK;
        }
        Err(e) => {
            tracing::warn!(error = %e, update_id = id, "could not store an update; Telegram will resend it");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    // Stored: from here it is handled even if this process stops before it (another process,
    // or the next start, takes it over when the lease runs out), so a closed queue is no
    // failure.
    match chat {
        Some(chat) => inbox.chats.kick(chat),
        None => {
            let _ = inbox.queue.send(update).await;
        }
    }
    StatusCode::OK
}

/// Compares the secrets in constant time for equal lengths (the length is no secret: Telegram
/// documents its range).
fn same_secret(given: &[u8], ours: &[u8]) -> bool {
    given.len() == ours.len()
        && given
            .iter()
            .zip(ours)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Run once the dispatcher starts, with the update kinds it asked for.
type OnStart = Box<dyn FnOnce(Vec<AllowedUpdate>) + Send>;

/// The dispatcher's listener over the queue. Stopping it ends the stream; what is still queued
/// is stored, and handled at the next start.
fn listener(
    updates: mpsc::Receiver<Update>,
    on_start: OnStart,
) -> impl UpdateListener<Err = std::convert::Infallible> + 'static {
    struct St {
        updates: Option<mpsc::Receiver<Update>>,
        flag: Option<StopFlag>,
        token: StopToken,
        allowed: Vec<AllowedUpdate>,
        on_start: Option<OnStart>,
    }
    let (token, flag) = mk_stop_token();
    StatefulListener::new_with_hints(
        St {
            updates: Some(updates),
            flag: Some(flag),
            token,
            allowed: Vec::new(),
            on_start: Some(on_start),
        },
        |st: &mut St| {
            if let Some(start) = st.on_start.take() {
                start(st.allowed.clone());
            }
            let (updates, flag) = (st.updates.take(), st.flag.take());
            futures_util::stream::unfold(updates, |rx| async move {
                let mut rx = rx?;
                let update = rx.recv().await?;
                Some((Ok(update), Some(rx)))
            })
            .take_until(async move {
                match flag {
                    Some(flag) => flag.await,
                    None => std::future::pending().await,
                }
            })
            .boxed()
        },
        |st: &mut St| st.token.clone(),
        Some(
            |st: &mut St, hint: &mut dyn Iterator<Item = AllowedUpdate>| {
                st.allowed = hint.collect();
            },
        ),
    )
}

/// What the webhook is set to, as this process would set it: compared with what Telegram reports
/// (and, for the secret, with what was last set, sealed in the database).
fn wanted(config: &Webhook, allowed: &[AllowedUpdate]) -> SecretString {
    SecretString::from(format!(
        "{}\n{}\n{}\n{MAX_CONNECTIONS}",
        config.url,
        config.secret.expose_secret(),
        kind_names(allowed).join(",")
    ))
}

/// The update kinds as the Bot API names them, sorted.
fn kind_names(allowed: &[AllowedUpdate]) -> Vec<String> {
    let mut names: Vec<String> = allowed
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok()?.as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Makes sure Telegram posts to `config.url` with our secret, the update kinds handled and
/// `MAX_CONNECTIONS`; sets it only if anything differs. Tries again (every few seconds, for as
/// long as it takes) when Telegram cannot be reached.
pub async fn ensure_webhook(bot: Bot, db: Db, config: Webhook, allowed: Vec<AllowedUpdate>) {
    let want = wanted(&config, &allowed);
    let mut wait = Duration::from_millis(500);
    loop {
        match set_if_different(&bot, &db, &config, &allowed, &want).await {
            Ok(true) => {
                // The host only: operators sometimes put a secret in the path.
                tracing::info!(
                    host = config.url.host_str().unwrap_or_default(),
                    "webhook set"
                );
                return;
            }
            Ok(false) => {
                tracing::info!(
                    host = config.url.host_str().unwrap_or_default(),
                    "webhook already set as configured"
                );
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, ?wait, "could not set the webhook; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}

async fn set_if_different(
    bot: &Bot,
    db: &Db,
    config: &Webhook,
    allowed: &[AllowedUpdate],
    want: &SecretString,
) -> Result<bool, String> {
    let info = bot.get_webhook_info().await.map_err(|e| redacted(&e))?;
    let theirs = kind_names(info.allowed_updates.as_deref().unwrap_or_default());
    let ours = kind_names(allowed);
    let last_set = db.webhook_settings().await.map_err(|e| e.to_string())?;
    let same = info.url.as_ref() == Some(&config.url)
        && theirs == ours
        && info.max_connections == Some(u32::from(MAX_CONNECTIONS))
        && last_set.is_some_and(|s| s.expose_secret() == want.expose_secret());
    if same {
        return Ok(false);
    }
    bot.set_webhook(config.url.clone())
        .secret_token(config.secret.expose_secret().to_owned())
        .allowed_updates(allowed.to_vec())
        .max_connections(MAX_CONNECTIONS)
        .await
        .map_err(|e| redacted(&e))?;
    db.set_webhook_settings(want)
        .await
        .map_err(|e| e.to_string())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_must_match_exactly() {
        assert!(same_secret(b"abc-_1", b"abc-_1"));
        assert!(!same_secret(b"abc-_2", b"abc-_1"));
        assert!(!same_secret(b"abc", b"abc-_1"));
        assert!(!same_secret(b"", b"abc-_1"));
    }
}
