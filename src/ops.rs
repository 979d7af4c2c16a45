//! What operators and their load balancers ask the process over HTTP: `/healthz` (alive),
//! `/readyz` (the database answers and the process is not stopping) and `/metrics` (Prometheus'
//! text format), and the listener that serves them: each connection carries one request, whose
//! headers it is given a few seconds to send, and a listener serves a bounded number at once,
//! with room kept for the probes.
//! Knows nothing of Telegram: the bot adds its webhook route to this router.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::storage::Db;

/// How long `/readyz` waits for the database before it says not ready.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections a listener serves at once: far above the 40 Telegram opens, and below the 1024
/// open files a process is commonly allowed.
const CONNECTIONS: usize = 512;

/// Beyond `CONNECTIONS`, this many more are served, the probes only (the rest get 503) and with
/// less time for their headers, so that a load balancer still hears from a process whose
/// connections are all taken. Beyond those, connections wait to be accepted until one closes.
const PROBE_ROOM: usize = 16;

/// How long a connection may take to send its request's headers, from its opening; then it is
/// closed.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The same for a connection in the probes' room.
const PROBE_HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection's read buffer at most: far more than the headers of any request we serve, and
/// what bounds the memory one that sends them slowly holds.
const READ_BUFFER: usize = 16 * 1024;

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

/// `/healthz` and `/readyz`.
pub fn probes(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(probes)
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router(probes: Probes) -> Router {
    self::probes(probes.clone()).merge(
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(probes),
    )
}

async fn ready(State(p): State<Probes>) -> impl IntoResponse {
    match readiness(&p).await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why),
    }
}

/// Whether the process is ready, or why not (`/readyz`'s answer, and the `ready` gauge's).
async fn readiness(p: &Probes) -> Result<(), &'static str> {
    if p.stopping.is_set() {
        return Err("stopping\n");
    }
    if !p.started.is_set() {
        return Err("starting\n");
    }
    match tokio::time::timeout(PING_TIMEOUT, p.db.ping()).await {
        Ok(Ok(())) => Ok(()),
        _ => Err("database unreachable\n"),
    }
}

async fn scrape(State(p): State<Probes>) -> impl IntoResponse {
    (p.before_scrape)();
    let ready = readiness(&p).await.is_ok();
    metrics::gauge!(crate::metrics::READY).set(if ready { 1.0 } else { 0.0 });
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(&p.metrics),
    )
}

/// How many connections a listener serves: in full, and in the probes' room.
#[derive(Clone, Copy)]
struct Room {
    full: usize,
    probes: usize,
}

/// Serves `app` on `listener` until the process ends (or the task is aborted): at most
/// `CONNECTIONS` connections at once, then `PROBE_ROOM` more served `probes` only (see there).
/// A connection carries one request (its answer says `Connection: close`), so none is kept
/// open idle, and a client is never caught sending on one just as it is closed for idling;
/// one that takes longer than `HEADER_TIMEOUT` to send its headers is closed.
pub fn serve(listener: TcpListener, app: Router, probes: Router) -> tokio::task::JoinHandle<()> {
    let room = Room {
        full: CONNECTIONS,
        probes: PROBE_ROOM,
    };
    tokio::spawn(accept(listener, (app, probes), room))
}

async fn accept(mut listener: TcpListener, (app, probes): (Router, Router), room: Room) {
    let full = Arc::new(Semaphore::new(room.full));
    let spare = Arc::new(Semaphore::new(room.probes));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(READ_BUFFER)
        .keep_alive(false);
    let mut brief = http.clone();
    brief.header_read_timeout(PROBE_HEADER_TIMEOUT);
    let probes = probes.fallback(|| async { StatusCode::SERVICE_UNAVAILABLE });
    loop {
        // A place before the connection: with none free it waits in the listen backlog, costing
        // nothing here. (Neither semaphore is ever closed.)
        let (place, in_full) = tokio::select! {
            biased;
            Ok(p) = Arc::clone(&full).acquire_owned() => (p, true),
            Ok(p) = Arc::clone(&spare).acquire_owned() => (p, false),
            else => return,
        };
        let (stream, _) = axum::serve::Listener::accept(&mut listener).await;
        // A full place may have come free while this one waited.
        let (place, in_full) = match in_full {
            true => (place, true),
            false => Arc::clone(&full)
                .try_acquire_owned()
                .map_or((place, false), |p| (p, true)),
        };
        let (builder, service) = match in_full {
            true => (&http, app.clone()),
            false => (&brief, probes.clone()),
        };
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        tokio::spawn(async move {
            let _place = place;
            // A timeout or a client gone: nothing to tell an operator.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// With every place taken by connections that began their headers and never ended them, a
    /// load balancer's probe is still answered, in the probes' room, which serves nothing else;
    /// once `HEADER_TIMEOUT` has closed those connections, the app is served again.
    #[tokio::test]
    async fn the_probes_are_answered_while_every_place_is_taken() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ready = || async { "ready" };
        let app = Router::new()
            .route("/hook", get(|| async { "hook" }))
            .route("/readyz", get(ready));
        let probes = Router::new().route("/readyz", get(ready));
        let room = Room { full: 2, probes: 1 };
        let server = tokio::spawn(accept(listener, (app, probes), room));

        let mut stalled = Vec::new();
        for _ in 0..room.full {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET /hook HTTP/1.1\r\n").await.unwrap();
            stalled.push(stream);
        }
        assert_eq!(ask(addr, "/readyz").await, "HTTP/1.1 200 OK ready");
        assert!(ask(addr, "/hook").await.starts_with("HTTP/1.1 503"));
        for stream in &stalled {
            let still_open = stream.try_read(&mut [0; 1]).err();
            assert_eq!(
                still_open.map(|e| e.kind()),
                Some(std::io::ErrorKind::WouldBlock),
                "answered while every place was taken"
            );
        }

        for stream in &mut stalled {
            let mut rest = Vec::new();
            let closed =
                tokio::time::timeout(HEADER_TIMEOUT * 2, stream.read_to_end(&mut rest)).await;
            assert!(closed.is_ok(), "still open after twice HEADER_TIMEOUT");
        }
        assert_eq!(ask(addr, "/hook").await, "HTTP/1.1 200 OK hook");
        server.abort();
    }

    /// `GET path` on a connection of its own, read until the listener closes it (which the answer
    /// must say): the status line and the body, as one line.
    async fn ask(addr: std::net::SocketAddr, path: &str) -> String {
        let exchange = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            answer
        };
        let answer = tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .unwrap_or_else(|_| panic!("no answer to GET {path} within 10 s"));
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.contains("connection: close"), "{head}");
        format!("{} {body}", head.lines().next().unwrap_or(""))
    }
}
