//! Wiring: from the configuration to a running bot. Opens the database, builds the HTTP client
//! and the clients on it (Telegram, Telemost, Yandex OAuth), checks the bot token with Telegram,
//! then starts the intake (`bot::intake`: polling or the webhook), the background jobs
//! (`bot::jobs`) and the HTTP listeners (`ops`: the webhook route, probes and metrics). `Running`
//! takes it all down again, in order. `main.rs` calls this; so does the tests' harness.

use std::sync::Arc;

use secrecy::ExposeSecret;
use teloxide::prelude::*;
use thiserror::Error;
use tokio::task::JoinHandle;

use crate::bot::core::PlannerLink;
use crate::bot::intake::{self, Intake, Source};
use crate::bot::speak::outbox::Outbox;
use crate::bot::{self, Ctx, TgBot, commands, lifecycle, redacted};
use crate::config::Config;
use crate::metrics::{UPDATES_OLDEST_WAITING, UPDATES_WAITING};
use crate::oauth::YandexOAuth;
use crate::ops::{self, Probes, Started, Stopping};
use crate::storage::{Db, KeySource, StorageError};
use crate::telemost::TelemostClient;

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("could not build the HTTP client: {0}")]
    Http(String),
    #[error("Telegram did not accept the bot token or could not be reached: {0}")]
    Telegram(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        addr: std::net::SocketAddr,
        reason: String,
    },
}

impl StartError {
    /// Whether the fault is in the configuration or the environment it names (a database that
    /// cannot be reached, a port taken), which an operator fixes before trying again.
    pub fn is_setup(&self) -> bool {
        matches!(
            self,
            StartError::Listen { .. }
                | StartError::Storage(
                    StorageError::Unreachable { .. }
                        | StorageError::Url(_)
                        | StorageError::KeyRequired
                )
        )
    }
}

/// A running bot. Dropping it does not stop it; call `shutdown`.
pub struct Running {
    db: Db,
    intake: Intake,
    jobs: bot::jobs::Jobs,
    /// Set first when stopping: readiness fails and webhook posts are refused from then on.
    stopping: Stopping,
    /// The webhook's and METRICS_LISTEN's listeners, those there are.
    http: Vec<JoinHandle<()>>,
}

impl Running {
    /// Turns readiness off (and refuses new webhook posts, which Telegram resends to another
    /// process or later), stops the intake (the handlers in flight get `SHUTDOWN_GRACE`), stops
    /// the background jobs, closes the database.
    pub async fn shutdown(mut self) {
        self.stopping.set();
        self.intake.stop().await;
        self.jobs.stop().await;
        self.db.close().await;
        for http in self.http.drain(..) {
            http.abort();
        }
    }

    /// Resolves if the dispatcher stops by itself (it should not).
    pub async fn stopped(&mut self) {
        self.intake.stopped().await;
    }
}

/// Opens the database, checks the bot token with Telegram, registers the command menu, and
/// starts the intake, the background jobs and the listeners.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let keys = match config.token_encryption_key {
        Some(key) => KeySource::Given(key),
        None => KeySource::FileBesideDatabase,
    };
    let db = Db::open(&config.database_url, keys).await?;
    let http = teloxide::net::default_reqwest_settings()
        .build()
        .map_err(|e| StartError::Http(e.to_string()))?;
    let mut telegram = Bot::with_client(config.bot_token.expose_secret(), http.clone());
    if let Some(url) = config.telegram_api_url.clone() {
        telegram = telegram.set_api_url(url);
    }
    let telemost = TelemostClient::new(
        http.clone(),
        &config.telemost_api_url,
        config.telemost_retry.clone(),
    );

    let me = telegram
        .get_me()
        .await
        .map_err(|e| StartError::Telegram(redacted(&e)))?;
    tracing::info!(
        username = me.username.as_deref().unwrap_or_default(),
        "connected to Telegram"
    );
    commands::register_commands(&telegram).await;
    tracing::info!(database = db.backend_name(), "database ready");

    let ctx = Arc::new(Ctx {
        db: db.clone(),
        telemost,
        oauth: config.yandex.map(|app| {
            YandexOAuth::new(
                http.clone(),
                &app.oauth_url,
                app.client_id,
                app.client_secret,
            )
        }),
        oauth_time_unit: config.oauth_time_unit,
        login_due: Default::default(),
        refreshing: Default::default(),
        clock: config.clock.clone(),
        default_zone: config.default_timezone.clone(),
        schedules_due: Default::default(),
        votes_due: Default::default(),
        members: Default::default(),
        planner: config.webapp.as_ref().map(|app| PlannerLink {
            url: app.url.clone(),
            direct: app.short_name.as_ref().and_then(|short| {
                let bot = me.username.as_deref()?;
                Some(format!("https://t.me/{bot}/{short}"))
            }),
        }),
    });
    if let Some(planner) = &ctx.planner {
        commands::register_menu_button(&telegram, planner).await;
    }
    let outbox = Outbox::new(telegram.clone(), config.telegram_rate_limit)
        .telling(Arc::new(lifecycle::Events(db.clone())));
    // Other processes may send for the bot too (PostgreSQL): the flood limits are kept there.
    let outbox: TgBot = Arc::new(match db.is_shared() {
        true => outbox.shared_through(db.clone()),
        false => outbox,
    });
    let stopping = Stopping::default();
    // In webhook mode, not before what stopped processes left is queued (see `bot::intake`).
    let started = match config.webhook {
        Some(_) => Started::default(),
        None => Started::set_already(),
    };
    // This process, as the holder of leases (on stored updates, logins, scheduled meetings).
    let taker = crate::storage::process_id();
    let source = match &config.webhook {
        Some(hook) => Source::Webhook {
            config: hook,
            started: started.clone(),
            taker,
        },
        None => Source::Polling,
    };
    let (intake, hook_route) = intake::start(
        bot::schema(),
        dptree::deps![Arc::clone(&ctx), db.clone(), outbox.clone()],
        (telegram, outbox.clone()),
        &db,
        config.max_concurrent_updates,
        source,
        &stopping,
    )
    .await;

    // The probes (and metrics) are served whenever there is a listener: webhook mode's,
    // METRICS_LISTEN's, or both.
    let probes = (config.webhook.is_some() || config.metrics_listen.is_some()).then(|| {
        let backlog = intake.backlog();
        Probes {
            db: db.clone(),
            stopping: stopping.clone(),
            started: started.clone(),
            metrics: crate::metrics::install(),
            before_scrape: Arc::new(move || {
                let (waiting, oldest) = backlog();
                metrics::gauge!(UPDATES_WAITING).set(waiting as f64);
                metrics::gauge!(UPDATES_OLDEST_WAITING).set(oldest.as_secs_f64());
            }),
        }
    });
    // The planner, on the webhook's listener (or METRICS_LISTEN's when polling).
    let planner = config.webapp.as_ref().map(|app| {
        bot::planner::router(
            Arc::clone(&ctx),
            outbox.clone(),
            config.bot_token.clone(),
            app.path(),
        )
    });
    let http = match probes {
        Some(probes) => match serve(
            config.webhook.as_ref().zip(hook_route),
            config.metrics_listen,
            planner,
            probes,
        )
        .await
        {
            Ok(http) => http,
            Err(e) => {
                intake.stop().await;
                return Err(e);
            }
        },
        None => Vec::new(),
    };
    let jobs = bot::jobs::start(outbox, ctx, taker, config.history_days);
    Ok(Running {
        db,
        intake,
        jobs,
        stopping,
        http,
    })
}

/// Binds every listener, then serves each: in webhook mode, `WEBHOOK_LISTEN` serves the webhook
/// route, the probes and the planner, and `/metrics` too unless `METRICS_LISTEN` is set;
/// `METRICS_LISTEN` serves the probes and `/metrics`, and the planner when polling.
async fn serve(
    webhook: Option<(&crate::config::Webhook, axum::Router)>,
    metrics_listen: Option<std::net::SocketAddr>,
    planner: Option<axum::Router>,
    probes: Probes,
) -> Result<Vec<JoinHandle<()>>, StartError> {
    let mut apps = Vec::new();
    let mut planner = planner;
    if let Some(addr) = metrics_listen {
        let mut app = ops::router(probes.clone());
        let mut what = "/healthz, /readyz and /metrics";
        if webhook.is_none()
            && let Some(planner) = planner.take()
        {
            app = app.merge(planner);
            what = "/healthz, /readyz, /metrics and the planner";
        }
        apps.push((addr, app, what));
    }
    if let Some((hook, route)) = webhook {
        let (app, what) = match metrics_listen {
            Some(_) => (
                ops::probes(probes.clone()),
                "the webhook, /healthz and /readyz",
            ),
            None => (
                ops::router(probes.clone()),
                "the webhook, /healthz, /readyz and /metrics",
            ),
        };
        let mut app = app.merge(route);
        let mut what = what;
        if let Some(planner) = planner.take() {
            app = app.merge(planner);
            what = match metrics_listen {
                Some(_) => "the webhook, /healthz, /readyz and the planner",
                None => "the webhook, /healthz, /readyz, /metrics and the planner",
            };
        }
        apps.push((hook.listen, app, what));
    }
    // All bound before any is served: a port taken stops the start with nothing left running.
    let mut bound = Vec::new();
    for (addr, app, what) in apps {
        let listener =
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| StartError::Listen {
                    addr,
                    reason: e.to_string(),
                })?;
        bound.push((addr, listener, app, what));
    }
    Ok(bound
        .into_iter()
        .map(|(addr, listener, app, what)| {
            tracing::info!(%addr, "serving {what}");
            ops::serve(listener, app, ops::probes(probes.clone()))
        })
        .collect())
}
