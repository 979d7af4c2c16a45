//! The harness for user stories: the real bot (`telemost_bot::app::start`, the same dispatcher
//! the binary runs) against a fake Telegram and a fake Telemost, both on 127.0.0.1, with its
//! own database file. Every test gets its own fakes and database, so tests run in parallel.
#![allow(dead_code)]

pub mod browser;
pub mod ics;
pub mod oauth;
pub mod pg;
pub mod proxy;
pub mod telegram;
pub mod telemost;
pub mod webapp;
pub mod webhook;

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use telemost_bot::app::{self, Running};
use telemost_bot::bot::speak::texts::{Lang, Texts};
use telemost_bot::config::{Config, YandexApp};
use telemost_bot::telemost::RetryPolicy;

#[allow(unused_imports)]
pub use telegram::{BOT_ID, Call, FakeTelegram};
#[allow(unused_imports)]
pub use telemost::{Answer, FakeTelemost};

/// Every management action, the `<what>` of a meeting button's `mg:<id>:<what>`.
pub const MANAGE_ACTIONS: &[&str] = &[
    "info",
    "wr",
    "wr:PUBLIC",
    "wr:ORGANIZATION",
    "wr:ADMINS",
    "add",
    "set",
    "clear",
    "back",
];

/// The English texts, which most stories compare with.
pub fn en() -> &'static dyn Texts {
    Lang::En.texts()
}

/// What a user sees of a message in Telegram's HTML mode: tags dropped, entities decoded. Plain
/// texts pass through unchanged, so expectations hold whichever mode the bot uses.
pub fn shown(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

pub const BOT_TOKEN: &str = "4242:TEST-bot-token-do-not-leak";
pub const OAUTH_CLIENT_ID: &str = "test-client-id";
pub const OAUTH_CLIENT_SECRET: &str = "test-client-secret-do-not-leak";

/// How the tests' bot retries Telemost: like production (four attempts, backoff, an overall
/// limit, a per-request timeout), only faster.
pub fn test_retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_secs(3),
        total: Duration::from_secs(8),
        request_timeout: Duration::from_secs(2),
    }
}

/// What a `TestApp`'s bot is configured with, beyond the fakes' URLs.
#[derive(Debug, Clone)]
pub struct Options {
    /// `TELEMOST_API_URL` when it is not the fake's.
    pub telemost_url: Option<String>,
    pub retry: RetryPolicy,
    /// Off by default, so that stories are not slowed down by the flood limits.
    pub telegram_rate_limit: bool,
    /// `YANDEX_OAUTH_URL` (with a client id and secret) when /login should work.
    pub oauth_url: Option<String>,
    /// `MAX_CONCURRENT_UPDATES`.
    pub max_concurrent_updates: usize,
    /// `HISTORY_DAYS`.
    pub history_days: u32,
    /// The bot's clock: the system's unless a story moves time itself.
    pub clock: telemost_bot::clock::Clock,
    /// Serve the planner Mini App (`WEBAPP_URL`, with `WEBAPP_SHORT_NAME` `planner`) on a
    /// `METRICS_LISTEN` of the test's own: `TestApp::planner_url`.
    pub planner: bool,
}

impl Options {
    /// The default options with a manual clock standing at `at`, and that clock, for the story
    /// to move (`clock.advance(SignedDuration::from_mins(10))`, `clock.set(ts)`): the bot reads
    /// the calendar time only from it.
    ///
    /// `at` is a zoned time, `2026-11-30T09:00:00+03:00[Europe/Moscow]` (what a user in that
    /// zone sees on the wall; the offset may be left out, `2026-11-30T09:00[Europe/Moscow]`),
    /// or an RFC 3339 instant, `2026-11-30T06:00:00Z` or `2026-11-30T09:00:00+03:00`.
    ///
    /// ```ignore
    /// let (options, clock) = Options::at("2026-11-30T09:00:00+03:00[Europe/Moscow]");
    /// let app = TestApp::start_with(options).await;
    /// ```
    pub fn at(at: &str) -> (Options, telemost_bot::clock::Clock) {
        let clock = telemost_bot::clock::Clock::manual(instant(at));
        let options = Options {
            clock: clock.clone(),
            ..Options::default()
        };
        (options, clock)
    }
}

/// The instant `at` names: a zoned time (`2026-11-30T09:00[Europe/Moscow]`) or an RFC 3339 one
/// (`2026-11-30T06:00:00Z`). Panics, saying why, on anything else.
pub fn instant(at: &str) -> jiff::Timestamp {
    if at.contains('[') {
        return match at.parse::<jiff::ZonedDateTime>() {
            Ok(zoned) => zoned.timestamp(),
            Err(e) => {
                panic!("{at:?} is not a zoned time such as 2026-11-30T09:00[Europe/Moscow]: {e}")
            }
        };
    }
    at.parse::<jiff::Timestamp>().unwrap_or_else(|e| {
        panic!("{at:?} is not an RFC 3339 instant such as 2026-11-30T06:00:00Z: {e}")
    })
}

impl Default for Options {
    fn default() -> Self {
        Self {
            telemost_url: None,
            retry: test_retry_policy(),
            telegram_rate_limit: false,
            oauth_url: None,
            max_concurrent_updates: telemost_bot::config::DEFAULT_MAX_CONCURRENT_UPDATES,
            history_days: telemost_bot::config::DEFAULT_HISTORY_DAYS,
            clock: telemost_bot::clock::Clock::system(),
            planner: false,
        }
    }
}

/// The planner's public URL in the stories' configuration (Telegram would open it); the bot
/// serves its path, `/app/`, which the stories reach at `TestApp::planner_url`.
pub const WEBAPP_URL: &str = "https://bot.example.org/app/";
/// The planner's short name in the stories' configuration.
pub const WEBAPP_SHORT_NAME: &str = "planner";

pub struct TestApp {
    pub tg: FakeTelegram,
    pub tm: FakeTelemost,
    dir: tempfile::TempDir,
    running: Option<Running>,
    options: Options,
    store: Store,
    /// `METRICS_LISTEN`, when the planner is served there.
    listen: Option<std::net::SocketAddr>,
}

/// The database a `TestApp`'s bot keeps its data in: a SQLite file in the test's directory, or,
/// when `TEST_DATABASE=postgres`, a PostgreSQL database of the test's own on the
/// `TEST_POSTGRES_URL` server (`.ci/run` runs the stories both ways).
enum Store {
    Sqlite,
    Postgres {
        db: pg::PgDb,
        /// The tokens' key (PostgreSQL has no key file), base64.
        key: String,
    },
}

impl Store {
    async fn from_env() -> Self {
        match std::env::var("TEST_DATABASE").as_deref() {
            Ok("postgres") => {
                let db = pg::fresh_database()
                    .await
                    .expect("TEST_DATABASE=postgres needs TEST_POSTGRES_URL");
                let key = telemost_bot::storage::crypto::Key::generate();
                Store::Postgres {
                    db,
                    key: secrecy::ExposeSecret::expose_secret(&key.to_base64()).to_owned(),
                }
            }
            Ok("sqlite") | Err(_) => Store::Sqlite,
            Ok(other) => panic!("TEST_DATABASE must be sqlite or postgres, not {other:?}"),
        }
    }

    fn key(&self) -> Option<telemost_bot::storage::crypto::Key> {
        match self {
            Store::Sqlite => None,
            Store::Postgres { key, .. } => {
                Some(telemost_bot::storage::crypto::Key::from_base64(key).unwrap())
            }
        }
    }
}

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// Like `start`, but the bot's `TELEMOST_API_URL` is `url` (the fake Telemost still runs
    /// and records whatever reaches it).
    pub async fn start_with_telemost_url(url: &str) -> Self {
        Self::start_with(Options {
            telemost_url: Some(url.to_owned()),
            ..Options::default()
        })
        .await
    }

    /// Starts fresh fakes and a bot configured with `options`.
    pub async fn start_with(options: Options) -> Self {
        let tg = FakeTelegram::start().await;
        let tm = FakeTelemost::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mut app = Self {
            tg,
            tm,
            dir,
            running: None,
            listen: options.planner.then(|| {
                let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                probe.local_addr().unwrap()
            }),
            options,
            store: Store::from_env().await,
        };
        app.boot().await;
        app
    }

    /// Where the bot serves the planner's page (`Options::planner`): `http://127.0.0.1:<port>/app/`.
    pub fn planner_url(&self) -> String {
        let addr = self
            .listen
            .expect("the story starts the bot with Options::planner");
        format!("http://{addr}/app/")
    }

    /// The SQLite file the bot keeps its data in. A story about that file runs only on SQLite:
    /// it checks `on_postgres` first.
    pub fn db_path(&self) -> PathBuf {
        assert!(
            !self.on_postgres(),
            "a story reading the SQLite file checks on_postgres() first"
        );
        self.dir.path().join("bot.db")
    }

    /// Whether the bot runs on PostgreSQL (`TEST_DATABASE=postgres`). A story about what only
    /// SQLite has says it is skipped and returns.
    pub fn on_postgres(&self) -> bool {
        let pg = matches!(self.store, Store::Postgres { .. });
        if pg {
            eprintln!("skipped on PostgreSQL: this story is about the SQLite file");
        }
        pg
    }

    /// Whether the bot runs on PostgreSQL (`TEST_DATABASE=postgres`), saying nothing (unlike
    /// `on_postgres`): for a story that needs PostgreSQL (`replica`) and says itself that it is
    /// skipped otherwise.
    pub fn is_postgres(&self) -> bool {
        matches!(self.store, Store::Postgres { .. })
    }

    /// Starts a second bot on the same fakes, database and clock (`app::start` with the same
    /// configuration), as another replica of the service would run. Both poll the fake
    /// Telegram, which hands each update to one of them. PostgreSQL only (SQLite is one
    /// process's): a story checks `is_postgres()` first and says it is skipped otherwise.
    ///
    /// Stop it with `Replica::stop` before the story ends; one dropped unstopped is shut down
    /// in the background (see `Replica`).
    pub async fn replica(&self) -> Replica {
        assert!(
            self.is_postgres(),
            "TestApp::replica needs PostgreSQL (TEST_DATABASE=postgres and TEST_POSTGRES_URL): \
             SQLite is one process's database; a story with replicas checks is_postgres() first"
        );
        let running = app::start(self.config()).await.expect("the replica starts");
        Replica {
            running: Some(running),
        }
    }

    /// The bot's PostgreSQL database, when it runs on one.
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.store {
            Store::Sqlite => None,
            Store::Postgres { db, .. } => Some(&db.url),
        }
    }

    fn database_url(&self) -> String {
        match &self.store {
            Store::Sqlite => self.dir.path().join("bot.db").to_str().unwrap().to_owned(),
            Store::Postgres { db, .. } => db.url.clone(),
        }
    }

    /// The meetings the bot recorded for `chat`, newest first, once there are `n` of them. The
    /// record is written just after the links are shown, so a test that has seen the links may
    /// have to wait a moment for it (at most 5 s).
    pub async fn recorded_meetings(
        &self,
        chat: i64,
        n: usize,
    ) -> Vec<telemost_bot::storage::MeetingRecord> {
        let db = self.side_db().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let got = db.recent_meetings(chat, 100).await.unwrap();
            if got.len() >= n {
                db.close().await;
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} meetings never recorded for chat {chat}; got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A second handle on the bot's database (same file, same key file), for a test to read or
    /// write what the bot stores while it runs.
    pub async fn side_db(&self) -> telemost_bot::storage::Db {
        let keys = match self.store.key() {
            Some(key) => telemost_bot::storage::KeySource::Given(key),
            None => telemost_bot::storage::KeySource::FileBesideDatabase,
        };
        telemost_bot::storage::Db::open(&self.database_url(), keys)
            .await
            .expect("the database opens beside the bot")
    }

    fn config(&self) -> Config {
        Config {
            bot_token: SecretString::from(BOT_TOKEN),
            telegram_api_url: Some(self.tg.url.parse().unwrap()),
            telemost_api_url: self
                .options
                .telemost_url
                .clone()
                .unwrap_or_else(|| self.tm.base_url.clone()),
            database_url: self.database_url(),
            telegram_rate_limit: self.options.telegram_rate_limit,
            max_concurrent_updates: self.options.max_concurrent_updates,
            history_days: self.options.history_days,
            telemost_retry: self.options.retry.clone(),
            token_encryption_key: self.store.key(),
            yandex: self.options.oauth_url.clone().map(|url| YandexApp {
                client_id: OAUTH_CLIENT_ID.to_owned(),
                client_secret: Some(SecretString::from(OAUTH_CLIENT_SECRET)),
                oauth_url: url,
            }),
            // The fake OAuth's "seconds" last 20 ms: a poll interval of 1 and slow_down's +5
            // keep their proportions without slowing the tests.
            oauth_time_unit: Duration::from_millis(20),
            webhook: None,
            metrics_listen: self.listen,
            webapp: self.listen.map(|_| telemost_bot::config::WebApp {
                url: WEBAPP_URL.parse().unwrap(),
                short_name: Some(WEBAPP_SHORT_NAME.to_owned()),
            }),
            default_timezone: jiff::tz::TimeZone::get(telemost_bot::config::DEFAULT_TIMEZONE)
                .unwrap(),
            clock: self.options.clock.clone(),
        }
    }

    async fn boot(&mut self) {
        self.running = Some(app::start(self.config()).await.expect("the bot starts"));
    }

    /// Stops the bot the way SIGTERM does and starts a new one on the same database.
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        self.boot().await;
    }

    /// Stops the bot the way SIGTERM does, keeping its database files (which `stop` deletes).
    pub async fn halt(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// Starts the bot again after `halt`, on the same database (and clock).
    pub async fn resume(&mut self) {
        assert!(self.running.is_none(), "resume follows halt");
        self.boot().await;
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    /// A user in their private chat with the bot (chat id = user id).
    pub fn private(&self, user_id: i64, lang: &str) -> Person {
        Person {
            tg: self.tg.clone(),
            chat: user_id,
            user: user_id,
            lang: lang.to_owned(),
            cursor: 0,
            documents: 0,
            thread: None,
        }
    }

    /// A user writing in forum topic `thread` of a supergroup with topics.
    pub fn in_topic(&self, group: i64, thread: i64, user_id: i64, lang: &str) -> Person {
        Person {
            thread: Some(thread),
            ..self.in_group(group, user_id, lang)
        }
    }

    /// A user in a group chat (`group` is negative).
    pub fn in_group(&self, group: i64, user_id: i64, lang: &str) -> Person {
        Person {
            chat: group,
            ..self.private(user_id, lang)
        }
    }

    /// Stores `token` for `person`'s chat through the bot, as a user would.
    pub async fn with_token(&self, person: &mut Person, token: &str) {
        person.send(&format!("/token {token}"));
        let saved = person.reply().await;
        assert!(
            saved.text.contains("saved") || saved.text.contains("сохранён"),
            "{}",
            saved.text
        );
    }
}

/// A second bot on a `TestApp`'s fakes and database (`TestApp::replica`).
#[must_use = "a replica runs until stopped"]
pub struct Replica {
    running: Option<Running>,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("running", &self.running.is_some())
            .finish()
    }
}

impl Replica {
    /// Stops this replica the way SIGTERM does (handlers in flight finish, its leases are given
    /// up), leaving the `TestApp`'s bot running.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

impl Drop for Replica {
    /// A replica dropped without `stop` (a story that failed, or forgot) is shut down on the
    /// test's runtime in the background: it stops polling as soon as the test awaits anything
    /// else, and with the runtime when the test ends. A story that goes on after dropping it
    /// should `stop` it instead, to know it is gone.
    fn drop(&mut self) {
        if let Some(r) = self.running.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(r.shutdown());
        }
    }
}

/// A Telemost base URL on 127.0.0.1 where nothing listens: the port was bound, then freed.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/v1/telemost-api")
}

/// What the bot showed in a chat: a sent message or an edit of one.
#[derive(Debug, Clone)]
pub struct Reply {
    pub method: String,
    pub message_id: i64,
    pub text: String,
    /// (label, callback data or URL, or a Mini App button's page), row by row flattened.
    pub buttons: Vec<(String, String)>,
    /// Whether the fake Telegram took it (a refused attempt is a reply the chat never saw).
    pub delivered: bool,
}

impl Reply {
    pub fn data(&self) -> Vec<&str> {
        self.buttons.iter().map(|(_, d)| d.as_str()).collect()
    }
    pub fn has(&self, data: &str) -> bool {
        self.buttons.iter().any(|(_, d)| d == data)
    }
}

pub struct Person {
    pub tg: FakeTelegram,
    pub chat: i64,
    pub user: i64,
    pub lang: String,
    /// Where `reply` looks from: past the last message it returned.
    cursor: usize,
    /// Where `document` looks from: past the last document it returned. A cursor of its own,
    /// so that reading one kind never skips the other (see `document`).
    documents: usize,
    /// The forum topic this person writes in, if any.
    pub thread: Option<i64>,
}

impl Person {
    /// A user in `chat` of `tg` (for tools that drive the fakes without a `TestApp`).
    pub fn new(tg: &FakeTelegram, chat: i64, user: i64, lang: &str) -> Self {
        Self {
            tg: tg.clone(),
            chat,
            user,
            lang: lang.to_owned(),
            cursor: 0,
            documents: 0,
            thread: None,
        }
    }

    /// The chat as Telegram describes it, a forum when this person writes in a topic.
    fn chat_json(&self) -> Value {
        let mut chat = telegram::chat_json(self.chat);
        if self.thread.is_some() {
            chat["is_forum"] = json!(true);
        }
        chat
    }

    /// Marks a message as posted in this person's topic, as Telegram does.
    fn in_thread(&self, m: &mut Value) {
        if let Some(thread) = self.thread {
            m["message_thread_id"] = json!(thread);
            m["is_topic_message"] = json!(true);
        }
    }

    fn from(&self) -> Value {
        json!({"id": self.user, "is_bot": false, "first_name": format!("User{}", self.user),
               "language_code": self.lang})
    }

    fn message(&self, extra: Value) -> Value {
        let mut m = json!({
            "message_id": self.tg.next_message_id(),
            "date": telegram::date_now(),
            "chat": self.chat_json(),
            "from": self.from(),
        });
        self.in_thread(&mut m);
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    }

    /// Sends a text message; returns its message id.
    pub fn send(&mut self, text: &str) -> i64 {
        let m = self.message(json!({"text": text}));
        let id = m["message_id"].as_i64().unwrap();
        self.tg.push_update(json!({"message": m}));
        id
    }

    /// Sends a text as a reply to one of the bot's messages (how answers work in groups).
    pub fn reply_to(&mut self, to: &Reply, text: &str) -> i64 {
        let mut replied = json!({
            "message_id": to.message_id, "date": telegram::date_now(),
            "chat": self.chat_json(), "from": telegram::bot_user(), "text": to.text,
        });
        self.in_thread(&mut replied);
        let m = self.message(json!({"text": text, "reply_to_message": replied}));
        let id = m["message_id"].as_i64().unwrap();
        self.tg.push_update(json!({"message": m}));
        id
    }

    /// Sends any other kind of message body (a sticker, a photo…).
    pub fn send_raw(&mut self, body: Value) {
        let m = self.message(body);
        self.tg.push_update(json!({"message": m}));
    }

    /// Taps a button with `data` under the message `on`; returns the callback query id.
    pub fn press(&mut self, on: &Reply, data: &str) -> String {
        // Telegram puts the message in the callback as the user sees it: text without markup
        // (the markup comes as entities, which this fake leaves out).
        self.press_on(on.message_id, &shown(&on.text), data)
    }

    pub fn press_on(&mut self, message_id: i64, text: &str, data: &str) -> String {
        let id = format!("q{}", self.tg.next_message_id());
        let mut message = json!({"message_id": message_id, "date": 1_700_000_000,
                                 "chat": self.chat_json(), "from": telegram::bot_user(),
                                 "text": text});
        self.in_thread(&mut message);
        self.tg.push_update(json!({"callback_query": {
            "id": id, "from": self.from(), "chat_instance": "ci", "data": data,
            "message": message,
        }}));
        id
    }

    /// The next message the bot sent or edited in this chat (never a document: those are
    /// `document`'s, read with a cursor of their own).
    pub async fn reply(&mut self) -> Reply {
        let chat = self.chat;
        let (i, call) = self
            .tg
            .wait_call(self.cursor, &format!("a reply in chat {chat}"), |c| {
                matches!(c.method.as_str(), "sendMessage" | "editMessageText")
                    && c.chat_id() == Some(chat)
            })
            .await;
        self.cursor = i + 1;
        let mut buttons = Vec::new();
        if let Some(rows) = call.body["reply_markup"]["inline_keyboard"].as_array() {
            for b in rows.iter().flat_map(|r| r.as_array().unwrap()) {
                let target = b
                    .get("callback_data")
                    .or_else(|| b.get("url"))
                    .or_else(|| b.get("web_app").and_then(|app| app.get("url")))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                buttons.push((b["text"].as_str().unwrap_or("").to_owned(), target));
            }
        }
        Reply {
            method: call.method.clone(),
            message_id: call
                .sent_id
                .or_else(|| call.body["message_id"].as_i64())
                .unwrap_or(0),
            text: call.text().to_owned(),
            buttons,
            delivered: call.status == 200,
        }
    }

    /// The next file the bot sent to this chat (`sendDocument` with an upload): its file name
    /// and its contents as UTF-8 (it panics on anything else, or when none comes within 10 s).
    ///
    /// Documents and replies are read as two streams of the chat, each in order, with a cursor
    /// each: `reply` never returns a document and `document` never a message, and reading one
    /// never moves past an unread one of the other. So after pressing "Add to calendar" a story
    /// may read the file and the messages in either order: `document()` then `reply()` still
    /// gets a message the bot sent before the file, and `reply()` first still leaves the file
    /// for `document()`. Each returns what it has not returned yet, oldest first; `skip_past`
    /// moves both cursors to now.
    pub async fn document(&mut self) -> (String, String) {
        let call = self.document_call().await;
        let (name, bytes) = call.document.expect("document_call returns uploads only");
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| panic!("the document {name:?} is not UTF-8: {e}"));
        (name, text)
    }

    /// Like `document`, the whole call: for its caption (`Call::caption`), buttons
    /// (`body["reply_markup"]`), topic (`body["message_thread_id"]`) and `sent_id`.
    pub async fn document_call(&mut self) -> Call {
        let chat = self.chat;
        let (i, call) = self
            .tg
            .wait_call(self.documents, &format!("a document in chat {chat}"), |c| {
                c.method == "sendDocument" && c.chat_id() == Some(chat) && c.document.is_some()
            })
            .await;
        self.documents = i + 1;
        call
    }

    /// Replies until one satisfies `pred` (skipping progress messages such as "Creating…").
    pub async fn reply_where(&mut self, pred: impl Fn(&Reply) -> bool) -> Reply {
        for _ in 0..10 {
            let r = self.reply().await;
            if pred(&r) {
                return r;
            }
        }
        panic!("no matching reply among the next 10");
    }

    /// The bot's answer to the callback query `id`, with its notice text (may be empty).
    pub async fn answer_to(&self, query: &str) -> String {
        let (_, call) = self
            .tg
            .wait_call(0, &format!("answerCallbackQuery {query}"), |c| {
                c.method == "answerCallbackQuery" && c.body["callback_query_id"] == query
            })
            .await;
        call.body["text"].as_str().unwrap_or("").to_owned()
    }

    /// Skips what the bot has said so far: the next `reply` (and `document`) is one sent from
    /// now on (for a person created after others have talked in the same chat).
    pub fn skip_past(&mut self) {
        self.cursor = self.tg.calls().len();
        self.documents = self.cursor;
    }

    /// The next reply carrying a link: the result of a creation.
    pub async fn created(&mut self) -> Reply {
        self.reply_where(|r| r.text.contains("https://")).await
    }

    /// Sends /meet and returns the panel (the first reply offering Create).
    pub async fn meet_panel(&mut self) -> Reply {
        self.send("/meet");
        self.reply_where(|r| r.message_id != 0 && r.has("create"))
            .await
    }

    /// /meet, then Create on the panel; returns what the panel became after "Creating…": the
    /// links, or the reason there are none.
    pub async fn meet_with_defaults(&mut self) -> Reply {
        let panel = self.meet_panel().await;
        self.press(&panel, "create");
        let creating = Lang::from_code(Some(&self.lang)).texts().creating();
        self.reply_where(|r| r.message_id == panel.message_id && r.text != creating)
            .await
    }

    /// Index to use with `FakeTelegram::assert_no_call` for "nothing from now on".
    pub fn now(&self) -> usize {
        self.tg.calls().len()
    }
}

// Barriers: what a story waits for instead of watching a short window in which nothing should
// happen (issue 29), and a replica whose part can be seen.

/// The callback data of `Person::barrier`'s press: data the bot never sends, answered with a
/// notice and nothing else.
pub const BARRIER_DATA: &str = "barrier";

impl Person {
    /// Returns once the bot has handled every update sent in this chat before this call, all
    /// of it (what those handlers asked Telemost, sent or edited is recorded by then): it presses
    /// a button the bot never sends under no message, which the bot answers with a notice only,
    /// and waits for that answer. A bot handles one chat's updates one at a time, in the order
    /// they came (`bot::intake::lanes`), so that answer follows the end of every earlier
    /// update's handler in the chat. Not a barrier across replicas polling one fake Telegram
    /// (each has lanes of its own), nor for work a handler leaves to the background (reminders,
    /// logins' polls).
    pub async fn barrier(&mut self) {
        let query = self.press_on(0, "", BARRIER_DATA);
        self.answer_to(&query).await;
    }

    /// Asserts that the bot sent or edited nothing in this chat that `reply` (or, for a file,
    /// `document`) has not returned yet.
    #[track_caller]
    pub fn assert_nothing_unread(&self) {
        let chat = self.chat;
        let unread: Vec<String> = self
            .tg
            .calls()
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.chat_id() == Some(chat)
                    && match c.method.as_str() {
                        "sendMessage" | "editMessageText" => *i >= self.cursor,
                        "sendDocument" => *i >= self.documents,
                        _ => false,
                    }
            })
            .map(|(_, c)| format!("{} {}", c.method, c.body))
            .collect();
        assert!(
            unread.is_empty(),
            "the bot said in chat {chat} what the story did not expect: {unread:#?}"
        );
    }
}

impl Person {
    /// `barrier`, then asserts that no call from the `from`th on satisfies `pred` (the
    /// barrier's own answer aside).
    pub async fn assert_no_call_since(&mut self, from: usize, pred: impl Fn(&Call) -> bool) {
        let query = self.press_on(0, "", BARRIER_DATA);
        self.answer_to(&query).await;
        let calls = self.tg.calls();
        if let Some(c) = calls.iter().skip(from).find(|c| {
            pred(c) && !(c.method == "answerCallbackQuery" && c.body["callback_query_id"] == query)
        }) {
            panic!("unexpected call {} {}", c.method, c.body);
        }
    }
}

impl TestApp {
    /// Once the bot has handled everything sent in `person`'s chat so far (`Person::barrier`),
    /// asserts that Telemost got exactly `n` requests of any kind in all: a handler asks
    /// Telemost what it asks before it ends, so none of those updates asks anything later.
    pub async fn assert_all_requests(&self, person: &mut Person, n: usize) {
        person.barrier().await;
        let got = self.tm.all_requests();
        assert_eq!(
            got.len(),
            n,
            "expected exactly {n} Telemost requests of any kind; got {:#?}",
            got.iter().map(telemost::Request::line).collect::<Vec<_>>()
        );
    }

    /// Like `assert_all_requests`, counting only the meetings created (`POST /conferences`).
    pub async fn assert_creates(&self, person: &mut Person, n: usize) {
        person.barrier().await;
        let got = self.tm.requests();
        assert_eq!(
            got.len(),
            n,
            "expected exactly {n} Telemost requests; got {got:#?}"
        );
    }
}

/// The private chat `TestApp::quiet_at`'s sentinels are posted in: no story's.
pub const SENTINEL_CHAT: i64 = 2_900_000_029;

impl TestApp {
    /// Moves `clock` forward to `at` and checks that nothing of `person`'s chat was due by then:
    /// the bot took none of the chat's scheduled meetings' steps (their rows are as they were
    /// before the move, not even claimed) and said nothing there that the story has not read
    /// (`Person::assert_nothing_unread`).
    ///
    /// Not a window watched for a while: it first waits until no step of the chat is in hand
    /// (one ends by moving its row on, after its post), then stores a sentinel, a one-off
    /// meeting of `SENTINEL_CHAT` whose "starting now" is due at exactly `at`, moves the clock,
    /// and waits for the sentinel's post. The bot claims every step due at once, the longest
    /// due first (`Db::claim_schedules`), so a step of the chat due by `at` (one that would fire
    /// early) was claimed, its row changed, by the time the sentinel's post arrives, however
    /// slow the machine. The sentinel removes itself once posted.
    pub async fn quiet_at(
        &self,
        clock: &telemost_bot::clock::Clock,
        at: jiff::Timestamp,
        person: &Person,
    ) {
        let chat = person.chat;
        assert!(
            at > clock.now(),
            "quiet_at moves the clock forward: {at} is not after {}",
            clock.now()
        );
        let db = self.side_db().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let before = loop {
            let rows = db.schedules_of(chat).await.unwrap();
            let now_ms = telemost_bot::clock::unix_now_ms();
            if rows.iter().all(|s| s.lease_until <= now_ms) {
                break rows;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "a step of chat {chat} is still in hand after 10 s: {rows:#?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let topic = format!("sentinel {}", at.as_second());
        let sentinel = telemost_bot::storage::NewSchedule {
            chat_id: SENTINEL_CHAT,
            thread_id: None,
            created_by: SENTINEL_CHAT,
            creator: r#"{"name":"Sentinel","lang":"en"}"#.to_owned(),
            topic: Some(topic.clone()),
            request: "{}".to_owned(),
            zone: "UTC".to_owned(),
            repeat: None,
            duration_secs: 60,
            start_at: at.as_second(),
            conference_id: None,
            join_url: None,
            next_at: at.as_second(),
            step: "start".to_owned(),
            mentions: None,
        };
        db.add_schedule(&sentinel, u32::MAX, clock.unix())
            .await
            .unwrap()
            .expect("room for the sentinel");
        let from = self.tg.calls().len();
        clock.set(at);
        self.tg
            .wait_call(from, &format!("the sentinel due at {at}"), |c| {
                c.method == "sendMessage"
                    && c.chat_id() == Some(SENTINEL_CHAT)
                    && c.text().contains(&topic)
            })
            .await;
        let after = db.schedules_of(chat).await.unwrap();
        db.close().await;
        assert_eq!(
            after, before,
            "by {at} the bot took a step of chat {chat}'s scheduled meetings, due later"
        );
        person.assert_nothing_unread();
    }

    /// Like `replica`, with the replica's Bot API calls passing through a proxy of its own to
    /// the same fake Telegram, which records them: what the replica got from getUpdates and what
    /// it sent (`Watched`), so a story can see which process did what. PostgreSQL only.
    pub async fn watched_replica(&self) -> (Replica, Watched) {
        assert!(
            self.is_postgres(),
            "TestApp::watched_replica needs PostgreSQL, as TestApp::replica does"
        );
        let watched = Watched::start(&self.tg.url).await;
        let mut config = self.config();
        config.telegram_api_url = Some(watched.url.parse().unwrap());
        let running = app::start(config).await.expect("the replica starts");
        let replica = Replica {
            running: Some(running),
        };
        (replica, watched)
    }
}

/// One Bot API call a watched replica made (`TestApp::watched_replica`).
#[derive(Debug, Clone)]
pub struct Passed {
    /// As the Bot API docs spell it (`sendMessage`).
    pub method: String,
    /// Its JSON body (`Null` for a multipart one).
    pub body: Value,
}

impl Passed {
    pub fn chat_id(&self) -> Option<i64> {
        self.body.get("chat_id").and_then(Value::as_i64)
    }
}

#[derive(Default)]
struct Seen {
    calls: Vec<Passed>,
    /// The ids of the updates getUpdates handed to the replica.
    handed: Vec<i64>,
}

/// The proxy between a watched replica and the fake Telegram, and what passed through it. A
/// call is recorded before it is passed on, so one the fake has is recorded here already; the
/// updates a getUpdates hands over are recorded before the replica has them.
pub struct Watched {
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Seen>>,
    server: tokio::task::JoinHandle<()>,
}

impl Watched {
    async fn start(upstream: &str) -> Self {
        use axum::response::IntoResponse;

        let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
        let client = reqwest::Client::new();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let state = (std::sync::Arc::clone(&seen), client, upstream);
        let pass = |axum::extract::State((seen, client, upstream)): axum::extract::State<(
            std::sync::Arc<std::sync::Mutex<Seen>>,
            reqwest::Client,
            String,
        )>,
                    uri: axum::http::Uri,
                    headers: axum::http::HeaderMap,
                    body: axum::body::Bytes| async move {
            let name = uri.path().rsplit('/').next().unwrap_or("");
            let mut chars = name.chars();
            let method = chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default();
            seen.lock().unwrap().calls.push(Passed {
                method: method.clone(),
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            let mut request = client.post(format!("{upstream}{}", uri.path()));
            if let Some(kind) = headers.get(axum::http::header::CONTENT_TYPE) {
                request = request.header(axum::http::header::CONTENT_TYPE, kind.clone());
            }
            let answer = match request.body(body.to_vec()).send().await {
                Ok(answer) => answer,
                Err(e) => {
                    return (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response();
                }
            };
            let status = answer.status();
            let kind = answer
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            if method == "getUpdates" {
                let answer: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                let ids = answer["result"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|u| u["update_id"].as_i64());
                seen.lock().unwrap().handed.extend(ids);
            }
            let mut response = (status, bytes).into_response();
            if let Some(kind) = kind {
                response
                    .headers_mut()
                    .insert(axum::http::header::CONTENT_TYPE, kind);
            }
            response
        };
        let router = axum::Router::new().fallback(pass).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { url, seen, server }
    }

    /// Every call the replica made but getUpdates, in order.
    pub fn calls(&self) -> Vec<Passed> {
        let seen = self.seen.lock().unwrap();
        seen.calls
            .iter()
            .filter(|c| c.method != "getUpdates")
            .cloned()
            .collect()
    }

    /// The replica's calls of `method` in `chat`, in order.
    pub fn calls_to(&self, method: &str, chat: i64) -> Vec<Passed> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.chat_id() == Some(chat))
            .collect()
    }

    /// The ids of the updates the fake Telegram handed to the replica, in order.
    pub fn handed(&self) -> Vec<i64> {
        self.seen.lock().unwrap().handed.clone()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.server.abort();
    }
}
