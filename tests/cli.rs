//! The command line an operator meets (issue 15), on the real binary: `--help` and `--version`
//! without any configuration, a bad value refused in one line with exit 2, the subcommands for
//! deploys against the fake Telegram and Telemost, and the README's configuration table checked
//! against the settings `--help` documents.

#[path = "support/process.rs"]
mod process;
mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use process::BotProcess;
use support::{BOT_TOKEN, FakeTelegram, FakeTelemost};

/// Runs the binary in `dir` with `args` and `env` (nothing else from the environment the bot
/// reads), to its end (bounded: a minute).
async fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = BotProcess::command(dir);
    cmd.args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output());
    tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the binary ends within a minute")
        .unwrap()
        .expect("the binary runs")
}

/// `bot::UPDATE_KINDS` as the Bot API names them, sorted.
fn update_kinds() -> Vec<String> {
    let mut kinds: Vec<String> = telemost_bot::bot::UPDATE_KINDS
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok()?.as_str().map(str::to_owned))
        .collect();
    kinds.sort();
    kinds
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An operator new to the binary asks it what it is and how to set it up, with nothing
/// configured: both answer, exit 0, and `--help` names every setting with its variable.
#[tokio::test]
async fn help_and_version_work_without_any_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let version = run(dir.path(), &["--version"], &[]).await;
    assert_eq!(version.status.code(), Some(0), "{}", text(&version.stderr));
    let version = text(&version.stdout);
    assert!(
        version.starts_with(&format!("telemost-bot {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let help = run(dir.path(), &["--help"], &[]).await;
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    let help = text(&help.stdout);
    for setting in telemost_bot::cli::settings() {
        let name = &setting.variable;
        assert!(
            help.contains(&format!("[env: {name}")),
            "{name} missing:\n{help}"
        );
        assert!(
            help.contains(&format!("--{} ", setting.flag)),
            "{name}'s flag"
        );
        if let Some(default) = &setting.default {
            assert!(
                help.contains(&format!("[default: {default}]")),
                "{name}'s default"
            );
        }
    }
    for command in ["migrate", "check", "webhook"] {
        assert!(help.contains(command), "{command}");
    }
    let webhook = text(&run(dir.path(), &["webhook", "--help"], &[]).await.stdout);
    for command in ["info", "set", "delete"] {
        assert!(webhook.contains(command), "{webhook}");
    }
    assert!(
        !dir.path().join("telemost-bot.db").exists(),
        "asking made no database"
    );
}

/// The README's configuration table and `--help` cannot disagree: the same variables, each
/// with its flag, and each default `--help` shows is the README's.
#[test]
fn the_readmes_configuration_table_is_the_command_lines() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Configuration section");
    // | `VARIABLE` | `--flag` | default | meaning |
    let rows: Vec<Vec<String>> = section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line.split('|').map(|c| c.trim().to_owned()).collect())
        .collect();
    let cell = |row: &Vec<String>, i: usize| row.get(i).cloned().unwrap_or_default();
    let mut documented: Vec<String> = rows
        .iter()
        .map(|r| cell(r, 1).trim_matches('`').to_owned())
        .collect();
    let settings = telemost_bot::cli::settings();
    let mut names: Vec<String> = settings.iter().map(|s| s.variable.clone()).collect();
    documented.sort();
    names.sort();
    assert_eq!(
        documented, names,
        "the README's variables, and the settings"
    );
    for setting in &settings {
        let row = rows
            .iter()
            .find(|r| cell(r, 1) == format!("`{}`", setting.variable))
            .unwrap();
        assert_eq!(
            cell(row, 2),
            format!("`--{}`", setting.flag),
            "{}",
            setting.variable
        );
        if let Some(default) = &setting.default {
            assert!(
                cell(row, 3).contains(&format!("`{default}`")),
                "{}: the README says {}, --help says {default}",
                setting.variable,
                cell(row, 3)
            );
        }
    }
}

/// A bad value, by flag or by variable, is one clear line and exit 2; so is a malformed command
/// line.
#[tokio::test]
async fn a_bad_value_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let by_flag = run(
        dir.path(),
        &["--history-days", "0"],
        &[("TELOXIDE_TOKEN", BOT_TOKEN)],
    )
    .await;
    let by_variable = run(
        dir.path(),
        &[],
        &[("TELOXIDE_TOKEN", BOT_TOKEN), ("HISTORY_DAYS", "0")],
    )
    .await;
    for out in [&by_flag, &by_variable] {
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("HISTORY_DAYS must be"), "{err}");
    }
    let missing = run(dir.path(), &[], &[]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("TELOXIDE_TOKEN is not set"));
    let unknown = run(dir.path(), &["--no-such-setting"], &[]).await;
    assert_eq!(unknown.status.code(), Some(2));
}

/// `migrate` applies the migrations to a new database and exits, without a bot token: the init
/// step before replicas start. Again, it finds nothing to do.
#[tokio::test]
async fn migrate_makes_the_database_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = run(dir.path(), &["migrate", "--database-url", "init.db"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), "SQLite: migrations applied");
    }
    assert!(dir.path().join("init.db").exists());
    assert!(
        dir.path().join("init.db.key").exists(),
        "its key made beside it"
    );
}

/// `check` says what it found, one line per thing, never the token, and exits 0; with
/// Telegram out of reach it says so and exits 1.
#[tokio::test]
async fn check_reaches_everything_and_says_what_it_found() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = at_fakes(&tg, &tm);
    // In a folder with no database yet: it says what a start would create, and creates none.
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("configuration: valid (long polling"),
        "{said}"
    );
    assert!(
        said.contains(
            "database: SQLite file telemost-bot.db does not exist yet; a start creates it, \
             with its key file telemost-bot.db.key\n"
        ),
        "{said}"
    );
    assert_eq!(
        files_in(dir.path()),
        Vec::<String>::new(),
        "check left files"
    );
    // Once made (as `migrate` makes it), it is found as it is, and still nothing is added.
    assert_eq!(
        run(dir.path(), &["migrate"], &env).await.status.code(),
        Some(0)
    );
    let made = files_in(dir.path());
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", text(&out.stderr));
    assert!(said.contains("database: SQLite reached, its "), "{said}");
    assert!(said.contains(" migrations applied\n"), "{said}");
    assert_eq!(files_in(dir.path()), made);
    assert!(
        said.contains("telegram: the token is @TelemostTestBot's"),
        "{said}"
    );
    assert!(said.contains("telemost: 127.0.0.1 answers"), "{said}");
    assert!(!said.contains(BOT_TOKEN) && !text(&out.stderr).contains(BOT_TOKEN));

    let closed = support::closed_port_url();
    let env = [
        ("TELOXIDE_TOKEN", BOT_TOKEN),
        ("TELOXIDE_API_URL", closed.as_str()),
        ("TELEMOST_API_URL", tm.base_url.as_str()),
    ];
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.lines().any(|l| l.starts_with("telegram: ")), "{said}");
    assert!(!said.contains(BOT_TOKEN));
    // Run in the wrong folder, failing: it leaves no database nor key behind.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = run(elsewhere.path(), &["check"], &env).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(files_in(elsewhere.path()), Vec::<String>::new());
}

/// The bot's token and the fakes' URLs: a setting that reaches everything.
fn at_fakes<'a>(tg: &'a FakeTelegram, tm: &'a FakeTelemost) -> [(&'static str, &'a str); 3] {
    [
        ("TELOXIDE_TOKEN", BOT_TOKEN),
        ("TELOXIDE_API_URL", tg.url.as_str()),
        ("TELEMOST_API_URL", tm.base_url.as_str()),
    ]
}

/// The files in `dir`, by name, sorted.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

/// A database whose key file was lost: `check` says its tokens cannot be read and fails,
/// and makes no new key in its place; a wrong `TOKEN_ENCRYPTION_KEY` fails the same way.
#[tokio::test]
async fn check_finds_a_lost_key_file_and_does_not_replace_it() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = at_fakes(&tg, &tm);
    assert_eq!(
        run(dir.path(), &["migrate"], &env).await.status.code(),
        Some(0)
    );
    let key = dir.path().join("telemost-bot.db.key");
    std::fs::remove_file(&key).unwrap();
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("its key file telemost-bot.db.key is missing, so its tokens cannot be read"),
        "{said}"
    );
    assert!(!key.exists(), "check made a key in the lost one's place");

    let wrong = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    let mut env = at_fakes(&tg, &tm).to_vec();
    env.push(("TOKEN_ENCRYPTION_KEY", wrong));
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("the key does not open its tokens"), "{said}");
}

/// An operator moves the bot to webhooks and back: `webhook set` sets the configured URL and
/// secret with the update kinds the bot handles (the same the running bot asks for), `webhook
/// info` shows it, `webhook delete` removes it.
#[tokio::test]
async fn webhook_set_info_and_delete() {
    let tg = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("TELOXIDE_TOKEN", BOT_TOKEN),
        ("TELOXIDE_API_URL", tg.url.as_str()),
        ("WEBHOOK_URL", "https://bot.example.org/hook"),
        ("WEBHOOK_SECRET", "s3cret-value"),
    ];
    let set = run(dir.path(), &["webhook", "set"], &env).await;
    assert_eq!(set.status.code(), Some(0), "{}", text(&set.stderr));
    let hook = tg.webhook().expect("set");
    assert_eq!(hook.url, "https://bot.example.org/hook");
    assert_eq!(hook.secret_token.as_deref(), Some("s3cret-value"));
    // The connections the running bot keeps (it sets the webhook again if they differ), sent
    // outright: Telegram, like the fake, takes a missing value for 40, which is this number too,
    // so only the request itself tells that it was sent.
    let sets: Vec<_> = tg
        .calls()
        .into_iter()
        .filter(|c| c.method == "setWebhook")
        .collect();
    assert_eq!(sets.len(), 1, "{sets:#?}");
    assert_eq!(
        sets[0].body.get("max_connections"),
        Some(&serde_json::json!(telemost_bot::bot::MAX_CONNECTIONS)),
        "setWebhook's body: {}",
        sets[0].body
    );
    assert_eq!(hook.max_connections, 40);
    let mut kinds = hook.allowed_updates.unwrap();
    kinds.sort();
    // What the bot, running, asks Telegram for: the dispatcher's own list.
    assert_eq!(kinds, update_kinds());
    assert!(!text(&set.stdout).contains("s3cret-value"));

    let info = run(dir.path(), &["webhook", "info"], &env).await;
    assert_eq!(info.status.code(), Some(0));
    let said = text(&info.stdout);
    assert!(said.contains("url: https://bot.example.org/"), "{said}");
    assert!(
        !said.contains("/hook"),
        "the path may hold a secret: {said}"
    );
    assert!(!said.contains("s3cret-value"));
    assert!(said.contains("max connections: 40"), "{said}");

    let delete = run(dir.path(), &["webhook", "delete"], &env).await;
    assert_eq!(delete.status.code(), Some(0));
    assert_eq!(tg.webhook(), None);

    // `set` without a URL to set is a configuration error.
    let bare = [
        ("TELOXIDE_TOKEN", BOT_TOKEN),
        ("TELOXIDE_API_URL", tg.url.as_str()),
    ];
    let out = run(dir.path(), &["webhook", "set"], &bare).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("WEBHOOK_URL"));
}

/// `bot::UPDATE_KINDS` (what `webhook set` asks for) is what the running bot's dispatcher
/// derives from its routes: the binary, polling, asks getUpdates for exactly those.
#[tokio::test]
async fn the_update_kinds_set_are_those_the_bot_asks_for() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let bot = BotProcess::spawn(
        dir.path(),
        &[
            ("TELOXIDE_TOKEN", BOT_TOKEN.to_owned()),
            ("TELOXIDE_API_URL", tg.url.clone()),
            ("TELEMOST_API_URL", tm.base_url.clone()),
        ],
    );
    let polls = tg.wait_polls(1, Duration::from_secs(30)).await;
    let mut asked = polls[0].allowed_updates.clone().expect("kinds asked for");
    asked.sort();
    assert_eq!(asked, update_kinds());
    drop(bot);
}

/// `git add .` in a checkout where the bot ran takes none of what it made: the database, its
/// `-wal` and `-shm`, the key file, `.env`.
#[test]
fn what_the_bot_makes_beside_it_is_kept_out_of_git() {
    let repo = env!("CARGO_MANIFEST_DIR");
    let git = std::process::Command::new("git")
        .args(["-C", repo, "rev-parse", "--is-inside-work-tree"])
        .output();
    if !git.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: not a git checkout, or no git");
        return;
    }
    for name in [
        "telemost-bot.db",
        "telemost-bot.db-wal",
        "telemost-bot.db-shm",
        "telemost-bot.db.key",
        "other.db.key",
        ".env",
    ] {
        let ignored = std::process::Command::new("git")
            .args(["-C", repo, "check-ignore", "--no-index", "-q", name])
            .status()
            .unwrap();
        assert!(ignored.success(), "{name} is not ignored by .gitignore");
    }
    // And a file of the project is not.
    let kept = std::process::Command::new("git")
        .args(["-C", repo, "check-ignore", "--no-index", "-q", "Cargo.toml"])
        .status()
        .unwrap();
    assert!(!kept.success());
}

/// On PostgreSQL, `check` on a database the bot has never used says what a start would apply
/// and applies nothing; `migrate` applies it, and a second `migrate` (or a start) logs none of
/// PostgreSQL's notices ("… already exists, skipping") at the default level.
#[tokio::test]
async fn on_postgres_check_applies_nothing_and_notices_stay_out_of_the_log() {
    let Some(db) = support::pg::fresh_database().await else {
        return;
    };
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = "WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=";
    let mut env = at_fakes(&tg, &tm).to_vec();
    env.extend([
        ("DATABASE_URL", db.url.as_str()),
        ("TOKEN_ENCRYPTION_KEY", key),
    ]);
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}{}", text(&out.stderr));
    assert!(
        said.contains("database: PostgreSQL reached, 0 of ")
            && said.contains(" migrations applied (a start applies the rest)\n"),
        "{said}"
    );
    let again = run(dir.path(), &["check"], &env).await;
    assert_eq!(
        text(&again.stdout),
        said,
        "the first check changed something"
    );

    for _ in 0..2 {
        let out = run(dir.path(), &["migrate"], &env).await;
        assert_eq!(out.status.code(), Some(0));
        let log = text(&out.stderr);
        assert!(!log.contains("already exists"), "{log}");
    }
    let out = run(dir.path(), &["check"], &env).await;
    let said = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("database: PostgreSQL reached, its "),
        "{said}"
    );
    // Asked for, at debug, they are there.
    let mut debug = env.to_vec();
    debug.push(("RUST_LOG", "debug"));
    let out = run(dir.path(), &["migrate"], &debug).await;
    assert!(
        text(&out.stderr).contains("already exists, skipping"),
        "{}",
        text(&out.stderr)
    );
}

/// `check | head -1` (or any reader that goes away): the output it cannot write is dropped,
/// and the exit code still says how the check went; no panic.
#[tokio::test]
async fn check_into_a_closed_pipe_exits_with_its_outcome() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = BotProcess::command(dir.path());
    cmd.arg("check").stdout(writer);
    for (name, value) in at_fakes(&tg, &tm) {
        cmd.env(name, value);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}
