//! Security stories: tokens are sealed at rest (never plain bytes in any database file, the key
//! file private, a wrong key refused), the database files are private whatever the umask, and
//! the real binary, logging at TRACE through a session that touches every path a secret
//! travels, never prints one.

/// The real binary as a child process (apart from `support`, which the examples include too and
/// which therefore cannot name the binary).
#[path = "support/process.rs"]
mod process;
mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use process::BotProcess;
use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use support::oauth::{FakeOAuth, granted, pending};
use support::telemost::join_url;
use support::{Answer, FakeTelegram, FakeTelemost, Options, Person, TestApp, en};
use telemost_bot::storage::crypto::Key;
use telemost_bot::storage::{Db, KeySource, StorageError};
use telemost_bot::telemost::TelemostError;

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// The database's files that exist now (the database, its WAL and shared-memory index), by name.
fn database_files(db: &Path) -> Vec<(String, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let bytes = std::fs::read(&name).ok()?;
            Some((name.to_string_lossy().into_owned(), bytes))
        })
        .collect()
}

/// Asserts that none of `secrets` occurs as plain bytes in any of the database's files.
fn assert_no_plain_tokens(db: &Path, secrets: &[&str], when: &str) {
    let files = database_files(db);
    assert!(
        files
            .iter()
            .any(|(name, bytes)| name.ends_with("bot.db") && !bytes.is_empty()),
        "{when}: no database file to scan"
    );
    for (name, bytes) in &files {
        for secret in secrets {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{when}: {secret:?} in plain text in {name}"
            );
        }
    }
}

/// The raw `chat_tokens` rows: (chat, token, refresh_token), as stored.
async fn raw_token_rows(db: &Path) -> Vec<(i64, String, Option<String>)> {
    let options = SqliteConnectOptions::new().filename(db);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    let rows =
        sqlx::query_as("SELECT chat_id, token, refresh_token FROM chat_tokens ORDER BY chat_id")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    conn.close().await.unwrap();
    rows
}

/// Connects `group` through the bot: `admin` asks for a link in the group, opens it and pastes
/// `token` privately.
async fn connect_group(tg: &FakeTelegram, group: i64, admin: i64, token: &str) {
    tg.set_admin(group, admin, true);
    let mut in_group = Person::new(tg, group, admin, "en");
    let mut private = Person::new(tg, admin, admin, "en");
    in_group.skip_past();
    private.skip_past();
    in_group.send("/connect");
    let link = in_group.reply().await;
    assert_eq!(link.text, en().connect_link());
    let code = link.buttons[0]
        .1
        .rsplit_once("?start=")
        .map(|(_, code)| code.to_owned())
        .unwrap();
    private.send(&format!("/start {code}"));
    assert_eq!(private.reply().await.text, en().connect_prompt());
    private.send(token);
    assert_eq!(private.reply().await.text, en().group_token_saved());
    let announce = in_group.reply().await;
    assert_eq!(announce.text, en().group_connected(&format!("User{admin}")));
}

const SEALED_ANN: i64 = 7101;
const SEALED_BORIS: i64 = 7102;
const SEALED_GROUP: i64 = -100_7100;

/// Ann pastes a token, connects a group with another, and Boris signs in with Yandex (an access
/// and a refresh token). In the database every stored token is sealed (`v1.` and no plain
/// bytes), in the main file, the WAL and the shared-memory file alike, while the bot runs and
/// after it stops. The key file beside the database is private (0600), and opening the
/// database with another key is refused with `WrongKey`, while the right key still opens it.
#[tokio::test]
async fn tokens_are_sealed_at_rest_and_the_key_stays_private() {
    const PASTED: &str = "y0_CANARY_pasted_6c1d";
    const GROUP_TOKEN: &str = "y0_CANARY_group_93ab";
    const LOGIN_ACCESS: &str = "y0_CANARY_login_access_5e2f";
    const LOGIN_REFRESH: &str = "1.CANARY_login_refresh_77aa";
    let secrets = [PASTED, GROUP_TOKEN, LOGIN_ACCESS, LOGIN_REFRESH];
    let oauth = FakeOAuth::start().await;
    let mut app = TestApp::start_with(Options {
        oauth_url: Some(oauth.url.clone()),
        ..Options::default()
    })
    .await;
    if app.on_postgres() {
        return;
    }
    let db_path = app.db_path();

    let mut ann = app.private(SEALED_ANN, "en");
    app.with_token(&mut ann, PASTED).await;
    connect_group(&app.tg, SEALED_GROUP, SEALED_ANN, GROUP_TOKEN).await;
    let mut boris = app.private(SEALED_BORIS, "en");
    oauth.then_poll(granted(LOGIN_ACCESS, LOGIN_REFRESH));
    boris.send("/login");
    assert_eq!(
        boris.reply().await.text,
        en().login_started(support::oauth::USER_CODE, 5)
    );
    assert_eq!(boris.reply().await.text, en().login_done());

    // The rows as SQLite holds them.
    let rows = raw_token_rows(&db_path).await;
    let chats: Vec<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(chats, [SEALED_GROUP, SEALED_ANN, SEALED_BORIS]);
    let mut sealed_values = Vec::new();
    for (chat, token, refresh) in &rows {
        assert!(token.starts_with("v1."), "chat {chat}: {token}");
        sealed_values.push(token.clone());
        match refresh {
            Some(r) => {
                assert_eq!(*chat, SEALED_BORIS, "only the login has a refresh token");
                assert!(r.starts_with("v1."), "chat {chat}: {r}");
                sealed_values.push(r.clone());
            }
            None => assert_ne!(*chat, SEALED_BORIS),
        }
        for secret in secrets {
            assert!(!token.contains(secret), "chat {chat}: {token}");
            assert!(
                !refresh.as_deref().unwrap_or("").contains(secret),
                "chat {chat}: {refresh:?}"
            );
        }
    }
    assert_eq!(
        BTreeSet::from_iter(&sealed_values).len(),
        4,
        "four distinct sealed values"
    );

    // The files as they are on disk while the bot runs.
    let files = database_files(&db_path);
    let names: Vec<&str> = files
        .iter()
        .map(|(n, _)| n.rsplit('/').next().unwrap())
        .collect();
    assert!(names.contains(&"bot.db-wal"), "WAL mode: {names:?}");
    for sealed in &sealed_values {
        assert!(
            files
                .iter()
                .any(|(_, bytes)| contains(bytes, sealed.as_bytes())),
            "the scan sees the stored values: {sealed} is in no file"
        );
    }
    assert_no_plain_tokens(&db_path, &secrets, "while the bot runs");

    // The key file.
    let key_path = db_path.with_file_name("bot.db.key");
    let key_text = std::fs::read_to_string(&key_path).expect("the key file exists");
    assert!(Key::from_base64(&key_text).is_ok(), "a 32-byte base64 key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert_no_plain_tokens(&db_path, &[key_text.trim()], "the key beside the data");

    app.halt().await;
    assert_no_plain_tokens(&db_path, &secrets, "after the bot stopped");

    let url = db_path.to_str().unwrap();
    let wrong = Db::open(url, KeySource::Given(Key::generate())).await;
    assert!(matches!(wrong, Err(StorageError::WrongKey)), "{wrong:?}");
    let right = Db::open(url, KeySource::FileBesideDatabase).await.unwrap();
    let ann_tokens = right.token(SEALED_ANN).await.unwrap().unwrap();
    assert_eq!(ann_tokens.access.expose_secret(), PASTED);
    let boris_tokens = right.token(SEALED_BORIS).await.unwrap().unwrap();
    assert_eq!(boris_tokens.access.expose_secret(), LOGIN_ACCESS);
    assert_eq!(
        boris_tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some(LOGIN_REFRESH)
    );
    right.close().await;
}

/// Started with a file-creation mask that lets anyone read what it makes (000), the real binary
/// keeps its database, the database's WAL and shared-memory files and the key file readable and
/// writable by its user only (0600) while it runs and writes: they hold join links, names,
/// topics and emails.
#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("bot.db");
    let mut bot = BotProcess::spawn_with_umask(
        dir.path(),
        &[
            ("TELOXIDE_TOKEN", "4242:umask-story".to_owned()),
            ("TELOXIDE_API_URL", tg.url.clone()),
            ("TELEMOST_API_URL", tm.base_url.clone()),
            ("DATABASE_URL", db_path.to_str().unwrap().to_owned()),
        ],
        0o000,
    );
    tg.wait_polls(1, Duration::from_secs(15)).await;
    if let Some(umask) = bot.umask() {
        assert_eq!(umask, 0, "the bot runs with the permissive mask");
    }
    let mut ann = Person::new(&tg, 7301, 7301, "en");
    ann.send("/token y0_umask_story");
    assert_eq!(ann.reply().await.text, en().token_saved(true));
    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));

    let modes: Vec<(&str, String)> = ["bot.db", "bot.db-wal", "bot.db-shm", "bot.db.key"]
        .into_iter()
        .map(|name| {
            let mode = std::fs::metadata(dir.path().join(name)).map_or("missing".into(), |m| {
                format!("{:o}", m.permissions().mode() & 0o777)
            });
            (name, mode)
        })
        .collect();
    assert_eq!(
        modes,
        [
            ("bot.db", "600".to_owned()),
            ("bot.db-wal", "600".to_owned()),
            ("bot.db-shm", "600".to_owned()),
            ("bot.db.key", "600".to_owned()),
        ]
    );
    bot.sigterm();
    let status = bot.exit_within(Duration::from_secs(12)).await;
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&bot.stderr())
    );
}

/// `bytes` without ANSI escape sequences (`ESC [ … letter`), so that colouring cannot split a
/// secret in the scan.
fn strip_ansi(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            i += 2;
            while i < bytes.len() && !bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            i += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

const SCAN_BOT_TOKEN: &str = "8642097531:AAScanBotSecretPart-q7Zx_do-not-log";
const SCAN_CLIENT_SECRET: &str = "scan-client-secret-Hk29vQ";
const SCAN_DEVICE_CODE: &str = "device-code-secret";
const SCAN_PASTED: &str = "y0_SCAN_pasted_private_A1f3";
const SCAN_GROUP_LEAK: &str = "y0_SCAN_posted_in_group_B2e8";
const SCAN_GROUP_TOKEN: &str = "y0_SCAN_group_connect_C3d7";
const SCAN_LOGIN_ACCESS: &str = "y0_SCAN_login_access_D4c6";
const SCAN_LOGIN_REFRESH: &str = "1.SCAN_login_refresh_E5b5";
const SCAN_REFRESHED_ACCESS: &str = "y0_SCAN_refreshed_access_F6a4";
const SCAN_REFRESHED_REFRESH: &str = "1.SCAN_refreshed_refresh_G7f9";
const SCAN_ANN: i64 = 7201;
const SCAN_GROUP: i64 = -100_7200;

/// The real binary, logging at TRACE, goes through a session that carries every kind of secret:
/// a token pasted in private and one posted in a group, meetings created and refused (401),
/// Telegram's 429 on sendMessage and 500 on getUpdates, a group connected with a pasted token,
/// a Yandex login (pending, then granted) and a refresh after a 401. Then SIGTERM. Neither its
/// stdout nor its stderr contains the bot token (or its secret half), an OAuth access or
/// refresh token, the device code, the app's client secret or the encryption key; and no OAuth
/// token is in plain bytes in the database's files.
#[tokio::test]
async fn the_real_binary_never_logs_a_secret() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let oauth = FakeOAuth::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("bot.db");
    let mut bot = BotProcess::spawn(
        dir.path(),
        &[
            ("RUST_LOG", "trace".to_owned()),
            ("TELOXIDE_TOKEN", SCAN_BOT_TOKEN.to_owned()),
            ("TELOXIDE_API_URL", tg.url.clone()),
            ("TELEMOST_API_URL", tm.base_url.clone()),
            ("DATABASE_URL", db_path.to_str().unwrap().to_owned()),
            ("YANDEX_CLIENT_ID", "scan-client-id".to_owned()),
            ("YANDEX_CLIENT_SECRET", SCAN_CLIENT_SECRET.to_owned()),
            ("YANDEX_OAUTH_URL", oauth.url.clone()),
        ],
    );
    tg.wait_polls(1, Duration::from_secs(15)).await;
    let key_text = std::fs::read_to_string(db_path.with_file_name("bot.db.key"))
        .expect("the key file was created");
    let mut ann = Person::new(&tg, SCAN_ANN, SCAN_ANN, "en");
    let mut ann_in_group = Person::new(&tg, SCAN_GROUP, SCAN_ANN, "en");

    // A token pasted in private.
    ann.send(&format!("/token {SCAN_PASTED}"));
    assert_eq!(ann.reply().await.text, en().token_saved(true));

    // Telegram refuses the next sendMessage with 429; the panel comes a second later.
    tg.fail(
        "sendMessage",
        1,
        429,
        json!({"ok": false, "error_code": 429,
               "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}),
    );
    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let refused_sends = tg
        .calls_to("sendMessage", SCAN_ANN)
        .iter()
        .filter(|c| c.sent_id.is_none())
        .count();
    assert_eq!(refused_sends, 1, "the 429 happened");

    // Telemost says 401 to the pasted token (no refresh token: nothing to refresh).
    tm.then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    let refused = ann.meet_with_defaults().await;
    assert!(
        refused
            .text
            .starts_with(&en().telemost_error(&TelemostError::Unauthorized)),
        "{}",
        refused.text
    );

    // A token posted in the group.
    ann_in_group.send(&format!("/token {SCAN_GROUP_LEAK}"));
    assert_eq!(ann_in_group.reply().await.text, en().token_in_group(true));

    // The group connected through a /connect link and a pasted token.
    connect_group(&tg, SCAN_GROUP, SCAN_ANN, SCAN_GROUP_TOKEN).await;
    ann.skip_past();

    // A Yandex login: pending, then granted.
    oauth.then_poll(pending());
    oauth.then_poll(granted(SCAN_LOGIN_ACCESS, SCAN_LOGIN_REFRESH));
    ann.send("/login");
    assert_eq!(
        ann.reply().await.text,
        en().login_started(support::oauth::USER_CODE, 5)
    );
    assert_eq!(ann.reply().await.text, en().login_done());
    assert_eq!(oauth.token_forms("device_code").len(), 2);

    // Telemost says 401 to the login's token: refreshed, and created with the new one.
    tm.then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    oauth.then_refresh(granted(SCAN_REFRESHED_ACCESS, SCAN_REFRESHED_REFRESH));
    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(2)));
    let reqs = tm.requests();
    let auth: Vec<&str> = reqs.iter().map(|r| r.authorization.as_str()).collect();
    assert_eq!(
        auth,
        [
            format!("OAuth {SCAN_PASTED}"),
            format!("OAuth {SCAN_PASTED}"),
            format!("OAuth {SCAN_LOGIN_ACCESS}"),
            format!("OAuth {SCAN_REFRESHED_ACCESS}"),
        ]
    );
    assert_eq!(oauth.token_forms("refresh_token").len(), 1);

    // getUpdates answers 500 once (teloxide holds it 10 s, then backs off 1 s): /help, sent
    // meanwhile, is still answered.
    let before = tg.polls().len();
    tg.fail(
        "getUpdates",
        1,
        500,
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
    );
    let polls = tg.wait_polls(before + 1, Duration::from_secs(3)).await;
    assert!(polls[before..].iter().any(|p| p.status == 500));
    ann.send("/help");
    let (_, help) = tg
        .wait_call_within(0, Duration::from_secs(20), "the answer to /help", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(SCAN_ANN) && c.text() == en().help()
        })
        .await;
    assert_eq!(help.text(), en().help());

    let oauth_tokens = [
        SCAN_PASTED,
        SCAN_GROUP_LEAK,
        SCAN_GROUP_TOKEN,
        SCAN_LOGIN_ACCESS,
        SCAN_LOGIN_REFRESH,
        SCAN_REFRESHED_ACCESS,
        SCAN_REFRESHED_REFRESH,
    ];
    assert_no_plain_tokens(&db_path, &oauth_tokens, "while the binary runs");

    bot.sigterm();
    let status = bot.exit_within(Duration::from_secs(12)).await;
    let stdout = bot.stdout();
    let stderr = bot.stderr();
    let log = String::from_utf8_lossy(&stderr).into_owned();
    assert_eq!(status.code(), Some(0), "stderr:\n{log}");

    // The scan is only worth something if the log is full and saw the session.
    let plain_log = String::from_utf8_lossy(&strip_ansi(&stderr)).into_owned();
    let trace_lines = plain_log.lines().filter(|l| l.contains("TRACE")).count();
    assert!(trace_lines >= 50, "{trace_lines} TRACE lines:\n{plain_log}");
    for event in [
        "connected to Telegram",
        "Telegram asked to slow down",
        "Telemost refused to create",
        "refreshed an OAuth token",
        "getting updates failed",
        "shutting down",
    ] {
        assert!(plain_log.contains(event), "{event:?} not logged");
    }

    let secret_part = SCAN_BOT_TOKEN.split_once(':').unwrap().1;
    let mut secrets = vec![
        SCAN_BOT_TOKEN,
        secret_part,
        SCAN_CLIENT_SECRET,
        SCAN_DEVICE_CODE,
        key_text.trim(),
    ];
    secrets.extend(oauth_tokens);
    let mut leaks = Vec::new();
    for (stream, bytes) in [("stdout", &stdout), ("stderr", &stderr)] {
        let plain = strip_ansi(bytes);
        for secret in &secrets {
            if contains(bytes, secret.as_bytes()) || contains(&plain, secret.as_bytes()) {
                let lines: Vec<&str> = plain_log
                    .lines()
                    .filter(|l| l.contains(secret))
                    .take(3)
                    .collect();
                leaks.push(format!("{secret:?} in {stream}: {lines:#?}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "secrets in the output:\n{}",
        leaks.join("\n")
    );
    assert_no_plain_tokens(&db_path, &oauth_tokens, "after the binary stopped");
}

/// Telegram unreachable at start (a refused connection: reqwest's error then carries the request
/// URL, which holds the bot token): the binary says so and exits non-zero, at TRACE level, and
/// the token appears nowhere in what it printed.
#[tokio::test]
async fn unreachable_telegram_at_start_does_not_print_the_bot_token() {
    let dir = tempfile::tempdir().unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let secret = "SECRETPART-unreachable-42";
    let out = BotProcess::command(dir.path())
        .env("TELOXIDE_TOKEN", format!("4242:{secret}"))
        .env("TELOXIDE_API_URL", format!("http://{closed}/"))
        .env("DATABASE_URL", dir.path().join("bot.db"))
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let printed = [out.stdout, out.stderr].concat();
    let text = String::from_utf8_lossy(&printed);
    assert!(text.contains("could not be reached"), "{text}");
    assert!(
        text.contains("TRACE") || text.contains("DEBUG"),
        "verbose: {text}"
    );
    assert!(!contains(&printed, secret.as_bytes()), "{text}");
}
