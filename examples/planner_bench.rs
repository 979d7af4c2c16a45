//! The planner Mini App's benchmark: the page's weight, its first render in headless Chromium,
//! and its API's latency with many users creating at once. The bot is the release binary, in a
//! process of its own, serving the page on `METRICS_LISTEN`, against the tests' fake Telegram
//! and Telemost (which answer at once) running here with the users. Run by hand, not in CI:
//!
//! ```sh
//! cargo build --release && cargo build --release --example planner_bench
//! ./target/release/examples/planner_bench --users 100 --rounds 5 --renders 15
//! ```
//!
//! `PLANNER_BOT=path` measures another build of the bot (one saved before a change, say).
//!
//! Prints the page's size; the first contentful paint and the time until the form is drawn for
//! the chat (its `api/context` answered), median and worst of `--renders` loads in one browser;
//! then for `--rounds` rounds of `--users` users each creating a meeting at once (POST
//! `api/meetings`, "now", each with their own token: a Telemost request, a message to the chat
//! and a record), p50/p95/p99/max from the request's start to its answer, and the same for
//! `api/context` (the page's first call). At most 20 rounds: a user may plan 20 meetings in ten
//! minutes.

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::browser::{Browser, Theme};
use support::webapp::{sign_init_data, user};
use support::{BOT_TOKEN, FakeTelegram, FakeTelemost, Person};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn report(what: &str, mut took: Vec<Duration>) {
    took.sort();
    println!(
        "{what}: n={} p50 {} p95 {} p99 {} max {}",
        took.len(),
        ms(pct(&took, 0.50)),
        ms(pct(&took, 0.95)),
        ms(pct(&took, 0.99)),
        ms(*took.last().unwrap()),
    );
}

fn init_data(id: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    sign_init_data(BOT_TOKEN, &user(id, "User", "en"), now, None, None)
}

/// `--users` users each POSTing `body` to `api/<what>` at once: how long each took.
async fn at_once(base: &str, users: &[i64], what: &str, body: serde_json::Value) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let calls = users.iter().map(|&id| {
        let request = http
            .post(format!("{base}api/{what}"))
            .header("Authorization", format!("tma {}", init_data(id)))
            .json(&body);
        async move {
            let started = Instant::now();
            let answer = request.send().await.expect("the planner answers");
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            assert!(status.is_success(), "{what}: {status} {text}");
            started.elapsed()
        }
    });
    futures_util::future::join_all(calls).await
}

/// CPU seconds the process `pid` has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    // utime and stime, in clock ticks (100 a second on Linux).
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / 100.0
}

#[tokio::main]
async fn main() {
    let users = arg("--users", 100);
    let rounds = arg("--rounds", 5).min(20);
    let renders = arg("--renders", 15);
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let binary = std::env::var("PLANNER_BOT").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        format!("{target}/release/telemost-bot")
    });
    // The bot runs in a directory of its own: a relative path would be read from there.
    let binary = std::fs::canonicalize(&binary)
        .unwrap_or_else(|e| panic!("{binary}: {e} (cargo build --release first)"));
    let mut bot = Command::new(&binary)
        .env_clear()
        .env("TELOXIDE_TOKEN", BOT_TOKEN)
        .env("TELOXIDE_API_URL", &tg.url)
        .env("TELEMOST_API_URL", &tm.base_url)
        .env("DATABASE_URL", dir.path().join("bench.db"))
        .env("METRICS_LISTEN", listen.to_string())
        .env("WEBAPP_URL", "https://bench.invalid/app/")
        .env("TELEGRAM_RATE_LIMIT", "off")
        .env("RUST_LOG", "warn")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    let base = format!("http://{listen}/app/");
    let started = Instant::now();
    while !reqwest::get(&base)
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the bot did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let page = reqwest::get(&base).await.unwrap().bytes().await.unwrap();
    println!(
        "page: {} bytes ({:.1} KB), its script and styles inline",
        page.len(),
        page.len() as f64 / 1024.0
    );

    match Browser::start(Theme::Light).await {
        None => println!("first render: skipped (no chromium/chromedriver)"),
        Some(b) => {
            let (mut paint, mut ready) = (Vec::new(), Vec::new());
            for i in 0..renders {
                b.stub_telegram(&init_data(900_000 + i as i64), Theme::Light)
                    .await;
                b.goto(&base).await;
                b.wait_until(
                    "document.getElementById('zone').textContent.length > 0
                     && performance.getEntriesByName('first-contentful-paint').length > 0",
                    "the form drawn",
                )
                .await;
                let times = b
                    .exec(
                        "const fcp = performance.getEntriesByName('first-contentful-paint')[0];
                         return [fcp ? fcp.startTime : -1, performance.now()];",
                        json!([]),
                    )
                    .await;
                paint.push(Duration::from_secs_f64(
                    times[0].as_f64().unwrap().max(0.0) / 1000.0,
                ));
                // The form is drawn once api/context answered; polled, so an upper bound.
                ready.push(Duration::from_secs_f64(times[1].as_f64().unwrap() / 1000.0));
            }
            report("first contentful paint", paint);
            report("form drawn for the chat (upper bound)", ready);
        }
    }

    // Each user with a token of their own, stored by /token in their private chat.
    let ids: Vec<i64> = (1..=users as i64).map(|n| 700_000 + n).collect();
    for &id in &ids {
        let mut person = Person::new(&tg, id, id, "en");
        person.send(&format!("/token token-{id}"));
        person.reply().await;
    }
    let mut contexts = Vec::new();
    let mut creates = Vec::new();
    let mut create_cpu = 0.0;
    for _ in 0..rounds {
        contexts.extend(at_once(&base, &ids, "context", json!({})).await);
        let before = cpu_seconds(bot.id());
        creates.extend(at_once(&base, &ids, "meetings", json!({"when": "now"})).await);
        create_cpu += cpu_seconds(bot.id()) - before;
    }
    report(&format!("api/context, {users} users at once"), contexts);
    report(
        &format!("api/meetings, {users} users creating at once"),
        creates,
    );
    let made = tm.requests().iter().filter(|r| r.is_create()).count();
    println!(
        "meetings made: {made}; the bot's CPU per meeting: {:.2} ms",
        create_cpu * 1000.0 / made.max(1) as f64
    );
    // Stopped as an operator does, with SIGTERM, so that a bot run under a profiler
    // (`PLANNER_BOT` naming a wrapper such as `valgrind --tool=callgrind …`) writes its profile
    // as it exits; one still running a minute later is killed.
    let _ = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(60);
    while matches!(bot.try_wait(), Ok(None)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = bot.kill();
    let _ = bot.wait();
}
