//! What an operator plugs in beside the binary (`deploy/`), tested like the code: the alert
//! rules pass their own unit tests under promtool (and fail them when an alert is broken), the
//! dashboard and the rules name only metrics the running bot exports, `LOG_FORMAT=json` gives
//! one JSON object a line with no secret in any, text logs carry no colour codes in a file,
//! and the systemd unit passes `systemd-analyze verify`.
//!
//! promtool comes with Debian's `prometheus` package: without it the rule tests say they were
//! skipped, unless `REQUIRE_PROMTOOL=1` (as `.ci/run` sets), where they fail.

#[path = "support/process.rs"]
mod process;
mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use process::BotProcess;
use serde_json::{Value, json};
use support::telemost::join_url;
use support::{BOT_TOKEN, FakeTelegram, FakeTelemost, Person};

/// How long the binary may take to be ready (migrations included) on a busy 2-core machine.
const START: Duration = Duration::from_secs(30);
/// How long it may take to exit after SIGTERM.
const STOP: Duration = Duration::from_secs(15);

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(path)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A tool on the PATH, or `None` (the test says it was skipped) unless `required_by` is set
/// in the environment, when its absence fails the test.
fn tool(name: &str, required_by: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var(required_by).is_err(),
            "{name} is not installed and {required_by} is set"
        );
        eprintln!("skipped: {name} is not installed (set {required_by}=1 to fail instead)");
    }
    found
}

/// Runs `cmd`: whether it succeeded, and what it printed (stdout and stderr).
fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().expect("the tool runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The bot's metric names `text` mentions: every word that starts `telemost_bot_` or
/// `process_`.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_word(bytes[i - 1]);
        let rest = &text[i..];
        if starts_word && (rest.starts_with("telemost_bot_") || rest.starts_with("process_")) {
            let len = rest.bytes().take_while(|&b| is_word(b)).count();
            names.insert(rest[..len].to_owned());
            i += len;
        } else {
            i += 1;
        }
    }
    names
}

/// The series names in Prometheus text.
fn exported(metrics: &str) -> BTreeSet<String> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let end = l.find(['{', ' ']).unwrap_or(l.len());
            l[..end].to_owned()
        })
        .collect()
}

/// A sample's value in Prometheus text: the line that starts with `series` exactly.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn the_names_of_metrics_are_found_in_expressions_and_text() {
    let names = metric_names(
        "sum(rate(telemost_bot_handler_seconds_bucket{x=\"y\"}[5m])) / process_open_fds \
         (not_telemost_bot_x) telemost_bot_ready==0",
    );
    let expected = [
        "process_open_fds",
        "telemost_bot_handler_seconds_bucket",
        "telemost_bot_ready",
    ];
    assert_eq!(names, expected.iter().map(|s| s.to_string()).collect());
    let text = "# HELP a b\n# TYPE a counter\ntelemost_bot_x_total{k=\"v\"} 3\nprocess_threads 7\n";
    assert_eq!(
        exported(text),
        ["process_threads", "telemost_bot_x_total"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    assert_eq!(sample(text, "process_threads"), Some(7.0));
    assert_eq!(sample(text, "process_thread"), None);
}

/// The real binary in its default mode (long polling, SQLite in a folder of its own), with
/// `/metrics` on `METRICS_LISTEN` and JSON logs at debug level.
struct Bot {
    process: Option<BotProcess>,
    tg: FakeTelegram,
    /// Kept for the bot to call.
    _tm: FakeTelemost,
    metrics: SocketAddr,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Bot {
    async fn start(log_format: &str) -> Self {
        let tg = FakeTelegram::start().await;
        let tm = FakeTelemost::start().await;
        let dir = tempfile::tempdir().unwrap();
        let metrics: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let env = [
            ("TELOXIDE_TOKEN", BOT_TOKEN.to_owned()),
            ("TELOXIDE_API_URL", tg.url.clone()),
            ("TELEMOST_API_URL", tm.base_url.clone()),
            ("METRICS_LISTEN", metrics.to_string()),
            ("LOG_FORMAT", log_format.to_owned()),
            ("RUST_LOG", "debug".to_owned()),
        ];
        let process = BotProcess::spawn(dir.path(), &env);
        let bot = Self {
            process: Some(process),
            tg,
            _tm: tm,
            metrics,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            _dir: dir,
        };
        let deadline = tokio::time::Instant::now() + START;
        while bot.get("/readyz").await.map(|(s, _)| s) != Some(200) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "not ready within {START:?}; stderr:\n{}",
                bot.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bot
    }

    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let response = self
            .http
            .get(format!("http://{}{path}", self.metrics))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    }

    async fn scrape(&self) -> String {
        let (status, text) = self.get("/metrics").await.expect("/metrics answers");
        assert_eq!(status, 200, "{text}");
        text
    }

    fn log(&self) -> String {
        self.process
            .as_ref()
            .map(|p| String::from_utf8_lossy(&p.stderr()).into_owned())
            .unwrap_or_default()
    }

    /// SIGTERM, as systemd stops it: exits 0; its whole log.
    async fn stop(&mut self) -> String {
        let mut process = self.process.take().expect("running");
        process.sigterm();
        let status = process.exit_within(STOP).await;
        let log = String::from_utf8_lossy(&process.stderr()).into_owned();
        assert_eq!(status.code(), Some(0), "{log}");
        log
    }
}

/// Ann uses the bot as a team would (a meeting now, a meeting for later, a message Telegram
/// asks to wait for), and the operator's
/// dashboard and alert rules read only metrics that this bot's `/metrics` shows; every
/// line it logged in JSON parses, and none holds a token.
#[tokio::test]
async fn the_dashboard_and_the_alerts_read_only_metrics_the_bot_exports() {
    let mut bot = Bot::start("json").await;
    let mut ann = Person::new(&bot.tg, 7301, 7301, "en");
    ann.send("/token y0_ann_secret_token");
    ann.reply().await;
    let panel = ann.meet_panel().await;
    ann.press(&panel, "create");
    let done = ann.created().await;
    assert!(done.text.contains(&join_url(1)), "{}", done.text);

    // A meeting for later (its reminder's lateness is told in tests/later.rs, whose clock
    // moves).
    ann.send("/meet tomorrow 15:00 Sync");
    let panel = ann.reply_where(|r| r.has("create")).await;
    ann.press(&panel, "create");
    ann.reply_where(|r| r.message_id == panel.message_id && r.text.contains("Sync"))
        .await;

    // Telegram asks the bot to wait a second before its next message.
    bot.tg.fail(
        "sendMessage",
        1,
        429,
        json!({"ok": false, "error_code": 429,
               "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}),
    );
    ann.send("/help");
    let refused = ann.reply().await;
    assert!(!refused.delivered, "the 429 was not the help's first try");
    // The same help again after the wait: the bot counted the 429 before it waited, so the
    // scrape below cannot come before the count.
    let help = ann.reply().await;
    assert!(
        help.delivered && help.text.contains("/meet"),
        "{}",
        help.text
    );
    assert_eq!(help.text, refused.text);

    let metrics = bot.scrape().await;
    let exported = exported(&metrics);
    let is_exported = |name: &str| {
        exported.contains(name)
            // A histogram's own name, as in a description: its series are exported.
            || exported.contains(&format!("{name}_count"))
    };
    for (file, min) in [
        ("prometheus/alerts.yml", 8),
        ("prometheus/alerts.test.yml", 8),
        ("grafana/telemost-bot.json", 12),
    ] {
        let named = metric_names(&read(&deploy(file)));
        assert!(
            named.len() >= min,
            "{file} names only {named:?}: the check would prove little"
        );
        let unknown: Vec<_> = named.iter().filter(|n| !is_exported(n)).collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics the bot does not export: {unknown:?}\nexported: {exported:?}"
        );
    }
    // The rules watch each thing an operator is paged or ticketed for.
    let rules = metric_names(&read(&deploy("prometheus/alerts.yml")));
    for watched in [
        "telemost_bot_ready",
        "telemost_bot_updates_oldest_waiting_seconds",
        "telemost_bot_telemost_requests_total",
        "telemost_bot_telegram_errors_total",
        "telemost_bot_handler_seconds_bucket",
        "telemost_bot_meetings_created_total",
        "telemost_bot_updates_received_total",
        "telemost_bot_reminder_delay_seconds_bucket",
    ] {
        assert!(rules.contains(watched), "no alert reads {watched}");
    }

    // What happened is what the metrics say.
    let version = env!("CARGO_PKG_VERSION");
    let build_info = metrics
        .lines()
        .find(|l| l.starts_with("telemost_bot_build_info{"))
        .unwrap_or_else(|| panic!("no build_info in:\n{metrics}"));
    assert!(
        build_info.contains(&format!("version=\"{version}\"")) && build_info.ends_with(" 1"),
        "{build_info}"
    );
    let commit = build_info
        .split("commit=\"")
        .nth(1)
        .and_then(|c| c.split('"').next())
        .unwrap_or_default();
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{build_info}"
    );
    assert_eq!(sample(&metrics, "telemost_bot_ready"), Some(1.0));
    assert_eq!(
        sample(
            &metrics,
            "telemost_bot_meetings_created_total{kind=\"meeting\"}"
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "telemost_bot_meetings_created_total{kind=\"stream\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &metrics,
            "telemost_bot_telemost_requests_total{endpoint=\"create_conference\",status=\"201\"}"
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "telemost_bot_telegram_errors_total{code=\"429\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            &metrics,
            "telemost_bot_reminder_delay_seconds_count{step=\"start\"}"
        ),
        Some(0.0),
        "{metrics}"
    );
    let rss = sample(&metrics, "process_resident_memory_bytes").unwrap_or(0.0);
    assert!(rss > 1_000_000.0, "{metrics}");
    let own_rss = bot.process.as_ref().unwrap().rss_kib() as f64 * 1024.0;
    assert!(
        (rss / own_rss - 1.0).abs() < 0.5,
        "the bot says {rss} bytes, /proc says {own_rss}"
    );
    assert!(sample(&metrics, "process_cpu_seconds_total").is_some_and(|s| s > 0.0));
    assert!(sample(&metrics, "process_open_fds").is_some_and(|n| n >= 3.0));
    let started = sample(&metrics, "process_start_time_seconds").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        (now - 300.0..=now + 1.0).contains(&started),
        "{started} vs {now}"
    );

    let log = bot.stop().await;
    let mut lines = 0;
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
        for field in ["timestamp", "level", "target"] {
            assert!(entry[field].is_string(), "no {field}: {line}");
        }
        lines += 1;
    }
    let messages: Vec<&str> = log
        .lines()
        .filter_map(|l| {
            serde_json::from_str::<Value>(l).ok()?["message"]
                .as_str()
                .map(|_| l)
        })
        .collect();
    assert!(
        lines >= 5 && messages.len() >= 3,
        "too little logged:\n{log}"
    );
    assert!(
        log.contains("\"message\":\"telemost-bot is running; Ctrl+C or SIGTERM stops it\""),
        "{log}"
    );
    // Fields are values, not Rust's debug form of an option.
    assert!(!log.contains("Some("), "{log}");
    assert!(
        log.contains("\"message\":\"connected to Telegram\",\"username\":\"TelemostTestBot\""),
        "{log}"
    );
    for secret in [BOT_TOKEN, "TEST-bot-token", "y0_ann_secret_token"] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }
}

/// Text logs written to a file (journald, a redirect) are plain: no colour codes. A mistyped
/// LOG_FORMAT stops the bot at once with one line naming the choices.
#[tokio::test]
async fn text_logs_in_a_file_are_plain_and_a_bad_log_format_is_one_line() {
    let mut bot = Bot::start("text").await;
    let log = bot.stop().await;
    assert!(log.contains("telemost-bot is running"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in a file:\n{log:?}");
    assert!(serde_json::from_str::<Value>(log.lines().next().unwrap()).is_err());

    let dir = tempfile::tempdir().unwrap();
    let out = BotProcess::command(dir.path())
        .env("TELOXIDE_TOKEN", BOT_TOKEN)
        .env("LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "telemost-bot: LOG_FORMAT must be `text` or `json`, not \"yaml\"\n"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "it left files behind"
    );
}

/// The alert rules are valid, their unit tests pass, and those tests catch a broken rule:
/// with every threshold turned around, they fail.
#[test]
fn the_alert_rules_pass_their_unit_tests_and_fail_them_when_broken() {
    let Some(promtool) = tool("promtool", "REQUIRE_PROMTOOL") else {
        return;
    };
    let rules = deploy("prometheus/alerts.yml");
    let tests = deploy("prometheus/alerts.test.yml");
    let (ok, out) = run(Command::new(&promtool)
        .arg("check")
        .arg("rules")
        .arg(&rules));
    assert!(ok, "promtool check rules:\n{out}");
    let (ok, out) = run(Command::new(&promtool).arg("test").arg("rules").arg(&tests));
    assert!(ok, "promtool test rules:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");

    // The same tests on rules whose comparisons are turned around.
    let dir = tempfile::tempdir().unwrap();
    let original = read(&rules);
    let broken = original.replace(" > ", " <= ").replace(" == 0", " != 0");
    assert_ne!(broken, original);
    std::fs::write(dir.path().join("alerts.yml"), broken).unwrap();
    std::fs::copy(&tests, dir.path().join("alerts.test.yml")).unwrap();
    let (ok, out) = run(Command::new(&promtool)
        .arg("test")
        .arg("rules")
        .arg(dir.path().join("alerts.test.yml")));
    assert!(!ok, "the tests passed on broken rules:\n{out}");
    assert!(out.contains("FAILED"), "{out}");
}

/// The systemd unit passes `systemd-analyze verify`, pointed at this build of the binary, and
/// keeps the sandboxing the README promises.
#[test]
fn the_systemd_unit_verifies() {
    let unit = read(&deploy("systemd/telemost-bot.service"));
    for line in [
        "DynamicUser=yes",
        "StateDirectory=telemost-bot",
        "WorkingDirectory=/var/lib/telemost-bot",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "KillSignal=SIGTERM",
        "ExecStart=/usr/local/bin/telemost-bot",
    ] {
        assert!(
            unit.lines().any(|l| l.trim() == line),
            "{line} is not in the unit"
        );
    }
    let Some(analyze) = tool("systemd-analyze", "REQUIRE_SYSTEMD_ANALYZE") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("telemost-bot.service");
    let here = unit.replace(
        "ExecStart=/usr/local/bin/telemost-bot",
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_telemost-bot")),
    );
    std::fs::write(&path, here).unwrap();
    let (ok, out) = run(Command::new(&analyze).arg("verify").arg(&path));
    assert!(ok, "systemd-analyze verify:\n{out}");
    let about_unit: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("telemost-bot.service"))
        .collect();
    assert!(about_unit.is_empty(), "{out}");
}
