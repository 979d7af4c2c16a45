//! The test fakes as a standalone server, to try the real binary by hand:
//!
//! ```sh
//! cargo run --example fakes &          # Telegram on :8081, Telemost on :8082, control on :8090
//! TELOXIDE_TOKEN=1:x TELOXIDE_API_URL=http://127.0.0.1:8081/ \
//!   TELEMOST_API_URL=http://127.0.0.1:8082/v1/telemost-api cargo run --release
//! curl -d '/meet' '127.0.0.1:8090/say?chat=1&user=1&lang=en'      # a user types
//! curl '127.0.0.1:8090/calls'                                     # what the bot did
//! curl -X POST '127.0.0.1:8090/admin?chat=-100&user=1'             # make user 1 a group admin
//! curl -X POST '127.0.0.1:8090/leave?chat=-100&user=2'             # user 2 leaves the group
//! curl -X POST '127.0.0.1:8090/deliver?to=http://127.0.0.1:9101/hook,http://127.0.0.1:9102/hook'
//!                                  # webhook mode: post updates to these replicas, in turn
//! curl -X POST '127.0.0.1:8090/upgrade?old=-42&new=-100042&by=1'    # a group becomes a supergroup
//! curl -X POST '127.0.0.1:8090/membership?chat=1&status=kicked'      # user 1 blocks the bot
//! curl -d 'create' '127.0.0.1:8090/press?chat=1&user=1&message=1002'
//! curl -d '{"error":"x"}' '127.0.0.1:8090/telemost?status=401'   # script Telemost's next answer
//! curl -d '{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":2}}' \
//!   '127.0.0.1:8090/telegram?method=sendMessage&status=429&count=1'
//! ```
//! Not part of the product; it needs the dev-dependencies (axum), like the tests.

#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use support::{Answer, FakeTelegram, FakeTelemost, Person};

#[derive(Clone)]
struct Fakes {
    tg: FakeTelegram,
    tm: FakeTelemost,
    /// Whether webhook delivery is on.
    delivering: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

type Params = Query<HashMap<String, String>>;

fn num(p: &HashMap<String, String>, key: &str, default: i64) -> i64 {
    p.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let tg = FakeTelegram::start_on("127.0.0.1:8081").await;
    let tm = FakeTelemost::start_on("127.0.0.1:8082").await;
    println!("TELOXIDE_API_URL={}", tg.url);
    println!("TELEMOST_API_URL={}", tm.base_url);
    println!("control: http://127.0.0.1:8090 (see examples/fakes.rs)");
    let app = Router::new()
        .route("/say", post(say))
        .route("/press", post(press))
        .route("/calls", get(calls))
        .route("/requests", get(requests))
        .route("/telemost", post(script_telemost))
        .route("/telegram", post(fail_telegram))
        .route("/admin", post(make_admin))
        .route("/leave", post(leave))
        .route("/deliver", post(deliver))
        .route("/upgrade", post(upgrade))
        .route("/membership", post(membership))
        .with_state(Fakes {
            tg,
            tm,
            delivering: Default::default(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8090")
        .await
        .unwrap();
    axum::serve(listener, app).await.unwrap();
}

fn person(f: &Fakes, p: &HashMap<String, String>) -> Person {
    let chat = num(p, "chat", 1);
    let user = num(p, "user", chat.abs());
    Person::new(
        &f.tg,
        chat,
        user,
        p.get("lang").map_or("en", String::as_str),
    )
}

async fn say(State(f): State<Fakes>, Query(p): Params, text: String) -> String {
    let id = person(&f, &p).send(&text);
    format!("sent message {id}\n")
}

async fn press(State(f): State<Fakes>, Query(p): Params, data: String) -> String {
    let q = person(&f, &p).press_on(num(&p, "message", 0), "", data.trim());
    format!("pressed, query {q}\n")
}

async fn calls(State(f): State<Fakes>, Query(p): Params) -> String {
    let from = num(&p, "from", 0) as usize;
    f.tg.calls()
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, c)| match c.sent_id {
            Some(id) => format!("{i} {} -> message {id} {}\n", c.method, c.body),
            None => format!("{i} {} {}\n", c.method, c.body),
        })
        .collect()
}

async fn requests(State(f): State<Fakes>) -> String {
    f.tm.requests()
        .iter()
        .map(|r| format!("{} {}\n", r.authorization, r.body))
        .collect()
}

async fn script_telemost(State(f): State<Fakes>, Query(p): Params, body: String) -> String {
    let mut answer = Answer::raw(num(&p, "status", 201) as u16, &body);
    answer.delay = Duration::from_millis(num(&p, "delay_ms", 0) as u64);
    f.tm.then(answer);
    "scripted\n".into()
}

async fn make_admin(State(f): State<Fakes>, Query(p): Params) -> String {
    f.tg.set_admin(num(&p, "chat", 0), num(&p, "user", 0), true);
    "admin\n".into()
}

/// `user` leaves group `chat` (or is banned, with `status=kicked`): getChatMember says so.
async fn leave(State(f): State<Fakes>, Query(p): Params) -> String {
    let status = match p.get("status").map(String::as_str) {
        Some("kicked") => "kicked",
        _ => "left",
    };
    f.tg.set_gone(num(&p, "chat", 0), num(&p, "user", 0), status);
    format!("{status}\n")
}

/// Group `old` becomes supergroup `new` (`by` posts the service messages; none without it).
async fn upgrade(State(f): State<Fakes>, Query(p): Params) -> String {
    let by = p.get("by").and_then(|v| v.parse().ok());
    f.tg.upgrade_group(num(&p, "old", 0), num(&p, "new", 0), by);
    "upgraded\n".into()
}

/// The bot's membership of `chat` becomes `status` (`kicked`, `left`, `member`).
async fn membership(State(f): State<Fakes>, Query(p): Params) -> String {
    let chat = num(&p, "chat", 1);
    let status = p.get("status").map_or("kicked", String::as_str);
    f.tg.set_my_membership(
        support::telegram::chat_json(chat),
        num(&p, "by", chat.abs()),
        status,
    );
    format!("{status}\n")
}

/// Webhook mode from now on: updates are posted to the URLs in `to` (comma-separated), in turn,
/// once the bot has set its webhook.
async fn deliver(State(f): State<Fakes>, Query(p): Params) -> String {
    let targets: Vec<String> = p
        .get("to")
        .map(|to| to.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let Some(first) = targets.first() else {
        return "give ?to=url[,url…]\n".into();
    };
    if !f.delivering.swap(true, std::sync::atomic::Ordering::SeqCst) {
        f.tg.deliver_to(first);
    }
    f.tg.deliver_across(&targets);
    format!("delivering to {}\n", targets.join(", "))
}

async fn fail_telegram(State(f): State<Fakes>, Query(p): Params, body: String) -> String {
    let method = p
        .get("method")
        .cloned()
        .unwrap_or_else(|| "sendMessage".into());
    let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    f.tg.fail(
        &method,
        num(&p, "count", 1) as usize,
        num(&p, "status", 500) as u16,
        body,
    );
    "scripted\n".into()
}
