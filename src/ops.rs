//! What operators and their load balancers ask the process over HTTP: `/healthz` (alive),
//! `/readyz` (the database answers and the process is not stopping) and `/metrics` (Prometheus'
//! text format). Knows nothing of Telegram: the bot adds its webhook route to this router.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::storage::Db;

/// How long `/readyz` waits for the database before it says not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// A moment in the process's life, set once: `Stopping` (from then on it is not ready and takes
/// no new work) or `Started` (until then it is not ready either).
#[derive(Clone, Default)]
pub struct Flag(Arc<AtomicBool>);

impl Flag {
    /// A flag already set.
    pub fn set_already() -> Self {
        let flag = Self::default();
        flag.set();
        flag
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub type Stopping = Flag;
pub type Started = Flag;

/// What the probes read.
#[derive(Clone)]
pub struct Probes {
    pub db: Db,
    pub stopping: Stopping,
    /// Set when the process takes work (in webhook mode, once what stopped processes left is
    /// queued).
    pub started: Started,
    pub metrics: PrometheusHandle,
    /// Sets the gauges read at each scrape (how many updates wait, and for how long).
    pub before_scrape: Arc<dyn Fn() + Send + Sync>,
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(scrape))
        .with_state(probes)
}

async fn ready(State(p): State<Probes>) -> impl IntoResponse {
    if p.stopping.is_set() {
        return (StatusCode::SERVICE_UNAVAILABLE, "stopping\n");
    }
    if !p.started.is_set() {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n");
    }
    match tokio::time::timeout(PING_TIMEOUT, p.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n"),
    }
}

async fn scrape(State(p): State<Probes>) -> impl IntoResponse {
    (p.before_scrape)();
    p.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        p.metrics.render(),
    )
}

/// Serves `app` on `listener` until the process ends; an error is logged.
pub fn serve(listener: tokio::net::TcpListener, app: Router) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the HTTP listener stopped");
        }
    })
}
