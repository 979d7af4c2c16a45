//! Load benchmark: the real release binary against in-process fakes of the Telegram Bot API (real
//! long polling) and of Telemost (201 at once, or after `--telemost-delay-ms`), with N private
//! chats each running a full /meet dialogue at once; then the same load against a floor (a
//! minimal teloxide bot, examples/floor.rs). Run by hand, not in CI:
//!
//! ```sh
//! cargo build --release --examples && cargo build --release
//! cargo run --release --example loadtest -- --chats 1,100,1000 --repeat 3
//! ```
//!
//! `--repeat K` runs each size (and the floor) K times and shows medians; `--flow defaults` does
//! /meet and Create only; `--telemost-delay-ms D` makes the fake Telemost answer after D ms.
//! `LOADTEST_BOT=path` measures another build of the bot (one saved before a change, say), and
//! `CARGO_TARGET_DIR` is honoured when looking for the builds. `--mode webhook` has the fake
//! Telegram post each update to the bot's webhook (with its secret, again after a non-2xx answer)
//! instead of long polling; `--postgres postgres://…/db` runs the bot on a new database made on
//! that server for each start (and dropped after) and adds PostgreSQL's CPU per meeting (every
//! `postgres` process on the machine, from /proc). `--replicas K` (webhook mode on PostgreSQL)
//! starts K processes on that one database, each on a listener of its own, and the fake
//! Telegram posts the updates to them in turn, as a round-robin load balancer would; CPU is then
//! the sum over the replicas, and peak RSS the largest of them.
//!
//! `--flood U,C` instead measures a backlog: U updates from C chats (a /token, then /meet now
//! again and again) queued at the fake Telegram before the bot starts, as after downtime; it
//! reports the time until every update is answered, peak RSS, and whether each chat's answers came
//! in order, with the default bound on updates taken and, for comparison, with the bound lifted
//! (`MAX_CONCURRENT_UPDATES=100000`):
//!
//! ```sh
//! cargo run --release --example loadtest -- --flood 30000,3000
//! ```
//!
//! Prints, per N: meetings per second, p50/p95/p99 from pressing the last button to the link,
//! the bot's CPU per meeting (from /proc), Bot API calls per meeting by method, peak RSS; and
//! once: idle RSS after start, start to first getUpdates, the floor's CPU per update and the
//! ratio, and one run with the bot's Telegram rate limiter on.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

/// What the fake Telegram tells the driver of a chat.
#[derive(Debug)]
struct Shown {
    text: String,
    message_id: i64,
    data: Vec<String>,
}

#[derive(Default)]
struct TgInner {
    queue: VecDeque<Value>,
    next_update: i64,
    next_message: i64,
    calls: BTreeMap<String, u64>,
    first_poll: Option<Instant>,
    chats: HashMap<i64, mpsc::UnboundedSender<Shown>>,
}

#[derive(Clone, Default)]
struct FakeTg {
    inner: Arc<Mutex<TgInner>>,
    wake: Arc<Notify>,
    /// Webhook mode: where each update is posted (the bot's listener, standing in for the
    /// public URL a proxy would forward), with the secret; polling mode when `None`.
    deliver_to: Option<Arc<Delivery>>,
}

/// How the fake Telegram posts updates in webhook mode: each at once on a connection of the
/// pool, posted again after a non-2xx answer or a failure, as Telegram does.
struct Delivery {
    /// One per replica, taken in turn.
    urls: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
    secret: String,
    http: reqwest::Client,
}

/// The webhook secret the benchmark gives the bot.
const SECRET: &str = "bench-secret";

impl FakeTg {
    fn webhook(listens: &[String]) -> Self {
        Self {
            deliver_to: Some(Arc::new(Delivery {
                urls: listens
                    .iter()
                    .map(|listen| format!("http://{listen}/hook"))
                    .collect(),
                next: Default::default(),
                secret: SECRET.to_owned(),
                http: reqwest::Client::new(),
            })),
            ..Self::default()
        }
    }

    fn push(&self, mut update: Value) {
        let mut i = self.inner.lock().unwrap();
        i.next_update += 1;
        update["update_id"] = json!(i.next_update);
        if let Some(d) = &self.deliver_to {
            drop(i);
            let d = Arc::clone(d);
            tokio::spawn(async move {
                loop {
                    let turn = d.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let sent = d
                        .http
                        .post(&d.urls[turn % d.urls.len()])
                        .header("X-Telegram-Bot-Api-Secret-Token", &d.secret)
                        .json(&update)
                        .send()
                        .await;
                    if sent.is_ok_and(|r| r.status().is_success()) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            });
            return;
        }
        i.queue.push_back(update);
        drop(i);
        self.wake.notify_waiters();
    }

    fn subscribe(&self, chat: i64) -> mpsc::UnboundedReceiver<Shown> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.lock().unwrap().chats.insert(chat, tx);
        rx
    }

    fn take_counts(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut self.inner.lock().unwrap().calls)
    }

    fn message(&self, chat: i64, text: &str) {
        // Stamped now, as Telegram does: the bot does not act on a message older than a day.
        let date_now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        };
        let id = {
            let mut i = self.inner.lock().unwrap();
            i.next_message += 1;
            i.next_message
        };
        self.push(json!({"message": {
            "message_id": id, "date": date_now(),
            "chat": {"id": chat, "type": "private", "first_name": "U"},
            "from": {"id": chat, "is_bot": false, "first_name": "U", "language_code": "en"},
            "text": text,
        }}));
    }

    fn press(&self, chat: i64, message_id: i64, data: &str) {
        self.push(json!({"callback_query": {
            "id": format!("q{chat}-{message_id}-{data}"),
            "from": {"id": chat, "is_bot": false, "first_name": "U", "language_code": "en"},
            "chat_instance": "ci", "data": data,
            "message": {"message_id": message_id, "date": 1_700_000_000,
                        "chat": {"id": chat, "type": "private", "first_name": "U"},
                        "from": {"id": 1, "is_bot": true, "first_name": "B"}, "text": "panel"},
        }}));
    }
}

fn ok(result: Value) -> axum::response::Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

async fn telegram(
    State(tg): State<FakeTg>,
    UrlPath((_bot, method)): UrlPath<(String, String)>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let method = {
        let mut c = method.chars();
        c.next()
            .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    if method == "getUpdates" {
        let offset = body["offset"].as_i64().unwrap_or(0);
        let timeout = body["timeout"].as_u64().unwrap_or(0).min(1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
        loop {
            let wake = tg.wake.notified();
            let batch: Vec<Value> = {
                let mut i = tg.inner.lock().unwrap();
                i.first_poll.get_or_insert_with(Instant::now);
                while i
                    .queue
                    .front()
                    .is_some_and(|u| u["update_id"].as_i64().unwrap_or(0) < offset)
                {
                    i.queue.pop_front();
                }
                i.queue.iter().take(100).cloned().collect()
            };
            if !batch.is_empty() || tokio::time::timeout_at(deadline, wake).await.is_err() {
                return ok(Value::Array(batch));
            }
        }
    }
    let chat = body["chat_id"].as_i64().unwrap_or(0);
    let mut i = tg.inner.lock().unwrap();
    *i.calls.entry(method.clone()).or_default() += 1;
    match method.as_str() {
        // Webhook mode's first call after getMe: when the bot is up, as the first getUpdates is
        // in polling mode.
        "getWebhookInfo" => {
            i.first_poll.get_or_insert_with(Instant::now);
            ok(json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "getMe" => ok(
            json!({"id": 1, "is_bot": true, "first_name": "B", "username": "bench_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": true, "has_main_web_app": false}),
        ),
        "sendMessage" | "editMessageText" => {
            let id = if method == "sendMessage" {
                i.next_message += 1;
                i.next_message
            } else {
                body["message_id"].as_i64().unwrap_or(0)
            };
            let text = body["text"].as_str().unwrap_or("").to_owned();
            let data = body["reply_markup"]["inline_keyboard"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|row| row.as_array().into_iter().flatten())
                .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
                .collect();
            if let Some(tx) = i.chats.get(&chat) {
                let _ = tx.send(Shown {
                    text: text.clone(),
                    message_id: id,
                    data,
                });
            }
            ok(json!({"message_id": id, "date": 1_700_000_000,
                "chat": {"id": chat, "type": "private", "first_name": "U"},
                "from": {"id": 1, "is_bot": true, "first_name": "B"}, "text": text}))
        }
        _ => ok(json!(true)),
    }
}

#[derive(Clone)]
struct FakeTm {
    delay: Duration,
    next: Arc<Mutex<u64>>,
}

async fn telemost(State(tm): State<FakeTm>) -> axum::response::Response {
    if !tm.delay.is_zero() {
        tokio::time::sleep(tm.delay).await;
    }
    let n = {
        let mut n = tm.next.lock().unwrap();
        *n += 1;
        *n
    };
    (
        axum::http::StatusCode::CREATED,
        axum::Json(json!({"id": format!("{}", 10_000_000_000_000u64 + n),
            "join_url": format!("https://telemost.yandex.ru/j/{}", 10_000_000_000_000u64 + n)})),
    )
        .into_response()
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// CPU seconds (user + system) and RSS figures of a process, from /proc.
struct ProcStat {
    cpu: f64,
    rss_kb: u64,
    peak_kb: u64,
}

fn proc_stat(pid: u32) -> ProcStat {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
    let cpu = (ticks(11) + ticks(12)) / clock_ticks();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    ProcStat {
        cpu,
        rss_kb: kb("VmRSS:"),
        peak_kb: kb("VmHWM:"),
    }
}

/// CPU seconds of every PostgreSQL server process on the machine (its backends included).
fn postgres_cpu() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| proc_stat(pid).cpu)
        .sum()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

struct Proc {
    /// The bot's process (the first replica's).
    child: Child,
    /// The other replicas.
    more: Vec<Child>,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database made for this run: (server URL, name), dropped with it.
    pg: Option<(String, String)>,
}

impl Proc {
    fn pids(&self) -> Vec<u32> {
        std::iter::once(&self.child)
            .chain(&self.more)
            .map(Child::id)
            .collect()
    }
}

impl Drop for Proc {
    /// Stops the bots as an operator does, with SIGTERM, so that a bot run under a profiler
    /// (`LOADTEST_BOT` naming a wrapper such as `valgrind --tool=callgrind …`) writes its
    /// profile as it exits; one still running a minute later is killed.
    fn drop(&mut self) {
        for child in std::iter::once(&mut self.child).chain(&mut self.more) {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        for child in std::iter::once(&mut self.child).chain(&mut self.more) {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some((server, name)) = self.pg.take() {
            // A runtime of its own: this runs inside the benchmark's.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&server).await.ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await
                    .ok()
                })
            })
            .join();
        }
    }
}

/// Where and how the bot under test runs: polling or webhook (the fake Telegram posting to
/// `listen`), on SQLite or on a new database of the PostgreSQL server `postgres`.
#[derive(Clone, Default)]
struct Setup {
    webhook: bool,
    postgres: Option<String>,
    /// Processes sharing the database (webhook mode on PostgreSQL); 1 otherwise.
    replicas: usize,
}

impl Setup {
    fn describe(&self) -> String {
        format!(
            "{}{}, {}",
            if self.replicas > 1 {
                format!("{} replicas, ", self.replicas)
            } else {
                String::new()
            },
            if self.webhook {
                "webhook"
            } else {
                "long polling"
            },
            if self.postgres.is_some() {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        )
    }
}

/// A key for the bot's tokens (PostgreSQL needs one given).
const BENCH_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

async fn spawn(binary: &Path, f: &Fakes, rate_limit: bool) -> Proc {
    spawn_with(binary, f, rate_limit, &[]).await
}

async fn spawn_with(binary: &Path, f: &Fakes, rate_limit: bool, env: &[(&str, &str)]) -> Proc {
    let dir = tempfile::tempdir().unwrap();
    let mut common: Vec<(String, String)> = Vec::new();
    let mut pg = None;
    match &f.setup.postgres {
        Some(server) => {
            use sqlx::Connection;
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let name = format!(
                "loadtest_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            );
            let mut conn = sqlx::PgConnection::connect(server)
                .await
                .expect("--postgres names a reachable server");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = server.rsplit_once('/').expect("a postgres:// URL");
            common.push(("DATABASE_URL".into(), format!("{base}/{name}")));
            common.push(("TOKEN_ENCRYPTION_KEY".into(), BENCH_KEY.into()));
            pg = Some((server.clone(), name));
        }
        None => {
            let file = dir.path().join("bench.db");
            common.push(("DATABASE_URL".into(), file.display().to_string()));
        }
    }
    let listens: Vec<Option<&String>> = if f.listens.is_empty() {
        vec![None]
    } else {
        f.listens.iter().map(Some).collect()
    };
    let mut children = listens.into_iter().map(|listen| {
        let mut cmd = Command::new(binary);
        cmd.env_clear().envs(common.iter().map(|(k, v)| (k, v)));
        if let Some(listen) = listen {
            cmd.env("WEBHOOK_URL", "https://bench.invalid/hook")
                .env("WEBHOOK_SECRET", SECRET)
                .env("WEBHOOK_LISTEN", listen);
        }
        start(cmd, dir.path(), f, rate_limit, env, binary)
    });
    let child = children.next().expect("one process at least");
    let more = children.collect();
    for listen in &f.listens {
        wait_ready(listen).await;
    }
    Proc {
        child,
        more,
        _dir: dir,
        pg,
    }
}

/// Starts one process of the bot with `cmd`'s environment and the fakes'.
fn start(
    mut cmd: Command,
    dir: &Path,
    f: &Fakes,
    rate_limit: bool,
    env: &[(&str, &str)],
    binary: &Path,
) -> Child {
    cmd.current_dir(dir)
        .env("TELOXIDE_TOKEN", "1:bench")
        .env("TELOXIDE_API_URL", format!("{}/", f.tg_url))
        .env("TELEMOST_API_URL", format!("{}/v1/telemost-api", f.tm_url))
        .env("TELEGRAM_RATE_LIMIT", if rate_limit { "on" } else { "off" })
        .env("RUST_LOG", "warn")
        .envs(std::env::var("MALLOC_ARENA_MAX").map(|v| ("MALLOC_ARENA_MAX", v)))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}

/// Waits until the replica listening on `listen` answers `/readyz` with 200 (at most a minute).
async fn wait_ready(listen: &str) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let ready = http
            .get(format!("http://{listen}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the replica on {listen} was not ready within a minute");
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Shown>, what: &str) -> Shown {
    match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
        Ok(Some(s)) => s,
        _ => panic!("timed out waiting for {what}"),
    }
}

/// Waits for a message in the chat satisfying `pred`.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<Shown>,
    what: &str,
    pred: impl Fn(&Shown) -> bool,
) -> Shown {
    loop {
        let s = next(rx, what).await;
        if pred(&s) {
            return s;
        }
    }
}

struct Run {
    chats: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    cpu: f64,
    /// PostgreSQL's CPU seconds meanwhile (0 on SQLite).
    pg_cpu: f64,
    calls: BTreeMap<String, u64>,
    peak_kb: u64,
}

/// N chats set a token, then all at once: /meet, a waiting room button, "create without
/// cohosts" (`full`), or /meet and Create (`!full`).
async fn run_bot(tg: &FakeTg, pids: &[u32], chats: usize, base: i64, full: bool) -> Run {
    // Every replica's CPU, and the largest peak RSS.
    let stat = || {
        let stats: Vec<ProcStat> = pids.iter().map(|p| proc_stat(*p)).collect();
        (
            stats.iter().map(|s| s.cpu).sum::<f64>(),
            stats.iter().map(|s| s.peak_kb).max().unwrap_or(0),
        )
    };
    let mut rxs: Vec<(i64, mpsc::UnboundedReceiver<Shown>)> = (0..chats as i64)
        .map(|i| (base + i, tg.subscribe(base + i)))
        .collect();
    // Warm-up, not measured: every chat stores a token.
    let setups = rxs.drain(..).map(|(chat, mut rx)| {
        let tg = tg.clone();
        tokio::spawn(async move {
            tg.message(chat, &format!("/token y0_bench_{chat}"));
            until(&mut rx, "token saved", |s| s.text.contains("saved")).await;
            (chat, rx)
        })
    });
    let mut ready = Vec::new();
    for s in setups.collect::<Vec<_>>() {
        ready.push(s.await.unwrap());
    }
    tg.take_counts();
    let (cpu_before, _) = stat();
    let pg_before = postgres_cpu();
    let start = Instant::now();
    let drivers = ready.into_iter().map(|(chat, mut rx)| {
        let tg = tg.clone();
        tokio::spawn(async move {
            tg.message(chat, "/meet");
            let panel = until(&mut rx, "the panel", |s| {
                s.data.iter().any(|d| d == "create")
            })
            .await;
            let last = if full {
                tg.press(chat, panel.message_id, "wr:ORGANIZATION");
                until(&mut rx, "the cohosts step", |s| {
                    s.data.iter().any(|d| d == "skip")
                })
                .await;
                "skip"
            } else {
                "create"
            };
            let t0 = Instant::now();
            tg.press(chat, panel.message_id, last);
            until(&mut rx, "the link", |s| {
                s.text.contains("telemost.yandex.ru/j/")
            })
            .await;
            t0.elapsed()
        })
    });
    let mut latencies = Vec::new();
    for d in drivers.collect::<Vec<_>>() {
        latencies.push(d.await.unwrap());
    }
    let wall = start.elapsed();
    // Let trailing calls (answers to button presses) land before counting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (cpu_after, peak_kb) = stat();
    let pg_after = postgres_cpu();
    latencies.sort();
    Run {
        chats,
        wall,
        latencies,
        cpu: cpu_after - cpu_before,
        pg_cpu: pg_after - pg_before,
        calls: tg.take_counts(),
        peak_kb,
    }
}

/// The median of each figure over repeated runs at one size (the machine's noise is ±20%).
struct Summary {
    rate: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    /// CPU seconds per meeting: the median, and every run's.
    cpu: f64,
    cpus: Vec<f64>,
    /// PostgreSQL's CPU seconds per meeting (median).
    pg_cpu: f64,
    /// The highest peak: RSS only grows over the process's life.
    peak_kb: u64,
}

impl Summary {
    fn of(runs: &[Run]) -> Self {
        let med = |f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
        let secs = |f: &dyn Fn(&Run) -> Duration| {
            Duration::from_secs_f64(med(&|r: &Run| f(r).as_secs_f64()))
        };
        Self {
            rate: med(&|r| r.chats as f64 / r.wall.as_secs_f64()),
            p50: secs(&|r| pct(&r.latencies, 0.50)),
            p95: secs(&|r| pct(&r.latencies, 0.95)),
            p99: secs(&|r| pct(&r.latencies, 0.99)),
            cpu: med(&|r| r.cpu / r.chats as f64),
            cpus: runs.iter().map(|r| r.cpu / r.chats as f64).collect(),
            pg_cpu: med(&|r| r.pg_cpu / r.chats as f64),
            peak_kb: runs.iter().map(|r| r.peak_kb).max().unwrap_or(0),
        }
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// " (runs: a, b, c)" when there was more than one run, in units of `scale`.
fn spread(xs: &[f64], scale: f64) -> String {
    if xs.len() < 2 {
        return String::new();
    }
    let each: Vec<String> = xs.iter().map(|x| format!("{:.3}", x * scale)).collect();
    format!(" (runs: {})", each.join(", "))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The fakes one bot runs against, and how it is set up.
struct Fakes {
    tg: FakeTg,
    tg_url: String,
    tm_url: String,
    /// Webhook mode: the address each replica listens on.
    listens: Vec<String>,
    setup: Setup,
}

async fn fakes(delay: Duration, setup: &Setup) -> Fakes {
    let listens: Vec<String> = if setup.webhook {
        (0..setup.replicas.max(1))
            .map(|_| {
                // A free port for a replica's listener.
                let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                probe.local_addr().unwrap().to_string()
            })
            .collect()
    } else {
        Vec::new()
    };
    let tg = if setup.webhook {
        FakeTg::webhook(&listens)
    } else {
        FakeTg::default()
    };
    let tg_url = serve(
        Router::new()
            .route("/{bot}/{method}", post(telegram))
            .with_state(tg.clone()),
    )
    .await;
    let tm = FakeTm {
        delay,
        next: Arc::default(),
    };
    let tm_url = serve(
        Router::new()
            .route("/v1/telemost-api/conferences", post(telemost))
            .with_state(tm),
    )
    .await;
    Fakes {
        tg,
        tg_url,
        tm_url,
        listens,
        setup: setup.clone(),
    }
}

async fn wait_first_poll(tg: &FakeTg) -> Instant {
    loop {
        if let Some(t) = tg.inner.lock().unwrap().first_poll {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The floor's CPU per update: `updates` messages over `chats` chats, each answered once.
async fn floor_cost(binary: &Path, chats: usize, per_chat: usize) -> f64 {
    // The floor always polls, on its own (it keeps nothing).
    let f = fakes(Duration::ZERO, &Setup::default()).await;
    let tg = f.tg.clone();
    let proc = spawn(binary, &f, false).await;
    wait_first_poll(&tg).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut rxs: Vec<_> = (0..chats as i64)
        .map(|i| (i + 1, tg.subscribe(i + 1)))
        .collect();
    let before = proc_stat(proc.child.id());
    let drivers = rxs.drain(..).map(|(chat, mut rx)| {
        let tg = tg.clone();
        tokio::spawn(async move {
            for _ in 0..per_chat {
                tg.message(chat, "hi");
                next(&mut rx, "the floor's answer").await;
            }
        })
    });
    for d in drivers.collect::<Vec<_>>() {
        d.await.unwrap();
    }
    let after = proc_stat(proc.child.id());
    (after.cpu - before.cpu) / (chats * per_chat) as f64
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn release_binary(name: &str, example: bool) -> PathBuf {
    // Where cargo put them: CARGO_TARGET_DIR if set when the benchmark runs, else ./target.
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
            PathBuf::from,
        )
        .join("release");
    let path = if example {
        root.join("examples").join(name)
    } else {
        root.join(name)
    };
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --release --examples && cargo build --release` first",
        path.display()
    );
    path
}

/// A backlog of `updates` from `chats` chats queued before the bot starts; returns when every
/// update is answered.
async fn flood(binary: &Path, updates: usize, chats: usize, env: &[(&str, &str)]) {
    let f = fakes(Duration::ZERO, &Setup::default()).await;
    let tg = f.tg.clone();
    let per_chat = (updates / chats).max(2);
    let rxs: Vec<_> = (1..=chats as i64).map(|c| (c, tg.subscribe(c))).collect();
    // Round by round, so chats interleave as in a real backlog.
    for round in 0..per_chat {
        for chat in 1..=chats as i64 {
            if round == 0 {
                tg.message(chat, &format!("/token y0_flood_{chat}"));
            } else {
                tg.message(chat, "/meet now");
            }
        }
    }
    let started = Instant::now();
    let proc = spawn_with(binary, &f, false, env).await;
    let drivers = rxs.into_iter().map(|(_, mut rx)| {
        tokio::spawn(async move {
            // In order: the token is saved before any /meet now is answered, so none of them
            // finds the chat without one.
            let mut in_order = next(&mut rx, "the token saved")
                .await
                .text
                .contains("saved");
            for _ in 1..per_chat {
                let shown = next(&mut rx, "a link").await;
                in_order &= shown.text.contains("telemost.yandex.ru/j/");
            }
            in_order
        })
    });
    let mut in_order = true;
    for d in drivers.collect::<Vec<_>>() {
        in_order &= d.await.unwrap();
    }
    let wall = started.elapsed();
    let stat = proc_stat(proc.child.id());
    let total = per_chat * chats;
    println!(
        "| {} | {total} from {chats} chats | {:.1} s | {:.0} | {} MB | {} |",
        if env.is_empty() {
            "default (four times MAX_CONCURRENT_UPDATES taken at most)"
        } else {
            "bound lifted"
        },
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64(),
        stat.peak_kb / 1024,
        if in_order { "yes" } else { "NO" }
    );
}

#[tokio::main]
async fn main() {
    if let Some(spec) = arg("--flood") {
        let (updates, chats) = spec
            .split_once(',')
            .and_then(|(u, c)| Some((u.trim().parse().ok()?, c.trim().parse().ok()?)))
            .unwrap_or((30_000, 3_000));
        let bot = std::env::var_os("LOADTEST_BOT")
            .map_or_else(|| release_binary("telemost-bot", false), PathBuf::from);
        println!("flood: a backlog queued before start (a /token, then /meet now, per chat)\n");
        println!(
            "| bound | updates | all answered after | updates/s | peak RSS | each chat in order |"
        );
        println!("|---|---|---|---|---|---|");
        flood(&bot, updates, chats, &[]).await;
        flood(
            &bot,
            updates,
            chats,
            &[("MAX_CONCURRENT_UPDATES", "100000")],
        )
        .await;
        return;
    }

    let sizes: Vec<usize> = arg("--chats")
        .unwrap_or_else(|| "1,100,1000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let delay = Duration::from_millis(
        arg("--telemost-delay-ms")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    );
    let full = arg("--flow").as_deref() != Some("defaults");
    // Each size (and the floor) this many times; the table shows medians.
    let repeat: usize = arg("--repeat")
        .and_then(|s| s.parse().ok())
        .filter(|&k| k > 0)
        .unwrap_or(1);
    // LOADTEST_BOT=path compares another build of the bot (say, one saved before a change).
    let bot = std::env::var_os("LOADTEST_BOT")
        .map_or_else(|| release_binary("telemost-bot", false), PathBuf::from);
    let floor = release_binary("floor", true);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let setup = Setup {
        webhook: arg("--mode").as_deref() == Some("webhook"),
        postgres: arg("--postgres"),
        replicas: arg("--replicas")
            .and_then(|s| s.parse().ok())
            .filter(|&k| k > 0)
            .unwrap_or(1),
    };
    assert!(
        setup.replicas == 1 || (setup.webhook && setup.postgres.is_some()),
        "--replicas needs --mode webhook and --postgres"
    );
    println!(
        "machine: {cpus} CPUs; fakes in-process on loopback; Telemost delay {delay:?}; \
         medians of {repeat} run(s); the bot on {}",
        setup.describe()
    );
    println!(
        "flow: {}",
        if full {
            "/meet, waiting room button, create without cohosts (3 updates)"
        } else {
            "/meet, Create on the first panel (2 updates)"
        }
    );
    let updates_per_meeting = if full { 3.0 } else { 2.0 };

    // Start-up and idle, on a new database.
    let f = fakes(delay, &setup).await;
    let tg = f.tg.clone();
    let started = Instant::now();
    let proc = spawn(&bot, &f, false).await;
    let first_poll = wait_first_poll(&tg).await;
    println!(
        "start to first {} (new database, migrations): {}",
        if setup.webhook {
            "getWebhookInfo"
        } else {
            "getUpdates"
        },
        ms(first_poll - started)
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "idle RSS after start: {:.1} MB",
        proc_stat(proc.child.id()).rss_kb as f64 / 1024.0
    );

    let mut floors = Vec::new();
    for _ in 0..repeat {
        floors.push(floor_cost(&floor, 100, 50).await);
    }
    let floor_per_update = median(&mut floors);
    println!(
        "floor (minimal teloxide bot, one reply per update): {:.3} ms CPU per update{}",
        floor_per_update * 1000.0,
        spread(&floors, 1000.0)
    );

    let pg = setup.postgres.is_some();
    println!(
        "\n| chats | meetings/s | p50 | p95 | p99 | CPU/meeting | vs floor | {}peak RSS | Bot API calls per meeting |",
        if pg { "PostgreSQL CPU/meeting | " } else { "" }
    );
    println!(
        "|---|---|---|---|---|---|---|---|---|{}",
        if pg { "---|" } else { "" }
    );
    let mut base = 1_000_000;
    for &n in &sizes {
        let mut runs = Vec::new();
        for _ in 0..repeat {
            runs.push(run_bot(&tg, &proc.pids(), n, base, full).await);
            base += n as i64 + 1;
        }
        let r = Summary::of(&runs);
        let per_meeting: Vec<String> = runs[0]
            .calls
            .iter()
            .map(|(m, c)| format!("{m} {:.2}", *c as f64 / n as f64))
            .collect();
        // /proc counts CPU in clock ticks (10 ms): a handful of meetings is below resolution.
        let (cpu, ratio) = if r.cpu == 0.0 {
            ("below /proc resolution".to_owned(), "-".to_owned())
        } else {
            (
                format!("{:.3} ms{}", r.cpu * 1000.0, spread(&r.cpus, 1000.0)),
                format!("{:.2}x", r.cpu / (floor_per_update * updates_per_meeting)),
            )
        };
        let pg_cell = if pg {
            format!("{:.3} ms | ", r.pg_cpu * 1000.0)
        } else {
            String::new()
        };
        println!(
            "| {n} | {:.0} | {} | {} | {} | {cpu} | {ratio} | {pg_cell}{} MB | {} |",
            r.rate,
            ms(r.p50),
            ms(r.p95),
            ms(r.p99),
            r.peak_kb / 1024,
            per_meeting.join(", "),
        );
    }
    drop(proc);

    // With the Telegram rate limiter on: 100 simultaneous creates under Telegram's limits.
    let f = fakes(delay, &setup).await;
    let tg = f.tg.clone();
    let proc = spawn(&bot, &f, true).await;
    wait_first_poll(&tg).await;
    let r = run_bot(&tg, &proc.pids(), 100, 5_000_000, full).await;
    println!(
        "\nrate limiter on, 100 chats at once: all links after {:.1} s (p50 {}, p99 {})",
        r.wall.as_secs_f64(),
        ms(pct(&r.latencies, 0.50)),
        ms(pct(&r.latencies, 0.99))
    );
}
