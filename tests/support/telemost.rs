//! A fake Telemost API on 127.0.0.1: records every request (whatever its method and path) and
//! answers from a script, or as the API would: `POST /conferences` creates a conference it then
//! remembers, `GET`/`PATCH /conferences/{id}` read and change it, and `GET`/`PATCH`/`PUT
//! /conferences/{id}/cohosts` read, extend and replace its cohosts. Unknown ids get
//! `404 {"error":"ConferenceNotFound"}`.
//!
//! `requests` and `wait_requests` see only `POST /conferences` (the creations the older stories
//! count); `all_requests` and `wait_all` see everything. That nothing more was asked is checked
//! behind a barrier (`TestApp::assert_creates`, `assert_all_requests`), not after a wait.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The path every endpoint of the API lives under, as the bot's base URL ends.
pub const API_PREFIX: &str = "/v1/telemost-api";

#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, `PATCH`, `PUT`…
    pub method: String,
    /// The whole path, `/v1/telemost-api/conferences/…`, without the query.
    pub path: String,
    /// The query string without `?` (empty when there is none).
    pub query: String,
    pub authorization: String,
    pub content_type: String,
    /// The JSON body (`Null` when there is none, or it is not JSON).
    pub body: Value,
    /// When the request arrived (before any scripted delay).
    pub at: Instant,
}

impl Request {
    /// `METHOD /path?query` with the path relative to the API's base URL, e.g.
    /// `GET /conferences/10000000000001/cohosts?limit=256`: one string to compare.
    pub fn line(&self) -> String {
        let path = self.path.strip_prefix(API_PREFIX).unwrap_or(&self.path);
        if self.query.is_empty() {
            format!("{} {path}", self.method)
        } else {
            format!("{} {path}?{}", self.method, self.query)
        }
    }

    /// Whether this is `POST /conferences`, a creation.
    pub fn is_create(&self) -> bool {
        self.method == "POST" && self.path == format!("{API_PREFIX}/conferences")
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
    /// Extra response headers (`Retry-After`…), after `content-type: application/json`.
    pub headers: Vec<(String, String)>,
    /// When set, the answer waits (after `delay`) until the story opens this gate.
    pub gate: Option<tokio::sync::watch::Receiver<bool>>,
}

/// Holds back the answers given `Answer::held_by` it until the story opens it: for "this went on
/// while Telemost had not answered yet", told by events rather than by a clock.
pub struct Gate(tokio::sync::watch::Sender<bool>);

impl Gate {
    pub fn new() -> Self {
        Self(tokio::sync::watch::channel(false).0)
    }
    pub fn open(&self) {
        self.0.send_replace(true);
    }
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Self::raw(status, &body.to_string())
    }
    pub fn raw(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            delay: Duration::ZERO,
            headers: Vec::new(),
            gate: None,
        }
    }
    /// The same answer, sent only after `delay`.
    pub fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }
    /// The same answer, held for a minute: far longer than any request timeout a test uses, so
    /// the client gives up first.
    pub fn hanging(self) -> Self {
        self.after(Duration::from_secs(60))
    }
    /// The same answer, sent only once `gate` is open.
    pub fn held_by(self, gate: &Gate) -> Self {
        Self {
            gate: Some(gate.0.subscribe()),
            ..self
        }
    }
    /// The same answer with the header `name: value` too.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A conference the fake created, as it stands now.
#[derive(Debug, Clone)]
struct Conference {
    n: u64,
    waiting_room_level: Value,
    is_auto_summarization_enabled: bool,
    /// The create request's `live_stream`, if any.
    live_stream: Option<Value>,
    cohosts: Vec<String>,
}

impl Conference {
    fn json(&self) -> Value {
        let mut c = json!({
            "id": conference_id(self.n),
            "join_url": join_url(self.n),
            "waiting_room_level": self.waiting_room_level,
            "is_auto_summarization_enabled": self.is_auto_summarization_enabled,
            "sip_uri_meeting": "sip:x@y",
        });
        if let Some(s) = &self.live_stream {
            c["live_stream"] = json!({
                "watch_url": watch_url(self.n),
                "title": s["title"],
                "access_level": s["access_level"],
            });
        }
        c
    }
}

/// A scripted answer for requests other than `POST /conferences`.
#[derive(Debug)]
struct Scripted {
    method: String,
    path_suffix: String,
    answer: Answer,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    /// Answers for `POST /conferences`, in order.
    script: VecDeque<Answer>,
    /// Answers for other requests: the first entry whose method matches and whose suffix ends
    /// the path is used (once).
    script_on: Vec<Scripted>,
    created: u64,
    conferences: HashMap<String, Conference>,
}

#[derive(Clone, Default)]
pub struct FakeTelemost {
    inner: Arc<Mutex<Inner>>,
    new_request: Arc<Notify>,
    /// The base URL the bot is configured with (`TELEMOST_API_URL`).
    pub base_url: String,
}

impl FakeTelemost {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// Serves on `addr` (the examples use fixed ports; tests use port 0).
    pub async fn start_on(addr: &str) -> Self {
        let mut fake = Self::default();
        let app = Router::new().fallback(handle).with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        fake.base_url = format!("http://{}{API_PREFIX}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// The next `POST /conferences` gets `answer` instead of a created conference.
    pub fn then(&self, answer: Answer) {
        self.inner.lock().unwrap().script.push_back(answer);
    }

    /// The next `method` request whose path ends with `path_suffix` (e.g. `PATCH`,
    /// `/conferences/10000000000001/cohosts`) gets `answer` instead of what the API would say.
    /// For `POST /conferences` use `then`.
    pub fn then_on(&self, method: &str, path_suffix: &str, answer: Answer) {
        self.inner.lock().unwrap().script_on.push(Scripted {
            method: method.to_ascii_uppercase(),
            path_suffix: path_suffix.to_owned(),
            answer,
        });
    }

    /// The `POST /conferences` requests so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.all_requests()
            .into_iter()
            .filter(Request::is_create)
            .collect()
    }

    /// Every request so far, whatever its method and path, in order.
    pub fn all_requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// The conference with `id` as the fake holds it now (after PATCHes), as `GET` returns it.
    pub fn conference(&self, id: &str) -> Option<Value> {
        self.inner
            .lock()
            .unwrap()
            .conferences
            .get(id)
            .map(Conference::json)
    }

    /// The cohosts of conference `id` as the fake holds them now.
    pub fn cohosts(&self, id: &str) -> Option<Vec<String>> {
        self.inner
            .lock()
            .unwrap()
            .conferences
            .get(id)
            .map(|c| c.cohosts.clone())
    }

    /// Waits (bounded) until `n` `POST /conferences` have arrived, and returns them.
    pub async fn wait_requests(&self, n: usize) -> Vec<Request> {
        self.wait_for(n, "POST /conferences", Self::requests).await
    }

    /// Waits (bounded) until `n` requests of any kind have arrived, and returns them all.
    pub async fn wait_all(&self, n: usize) -> Vec<Request> {
        self.wait_for(n, "", Self::all_requests).await
    }

    async fn wait_for(&self, n: usize, what: &str, get: fn(&Self) -> Vec<Request>) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.new_request.notified();
            let got = get(self);
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out waiting for {n} Telemost {what} requests; got {:#?}",
                    got.iter().map(Request::line).collect::<Vec<_>>()
                );
            }
        }
    }
}

/// The id of the `n`th conference the fake creates (from 1).
pub fn conference_id(n: u64) -> String {
    format!("{:014}", 10_000_000_000_000 + n)
}

pub fn join_url(n: u64) -> String {
    format!("https://telemost.yandex.ru/j/{}", conference_id(n))
}

pub fn watch_url(n: u64) -> String {
    format!("https://telemost.yandex.ru/live/{n:032x}")
}

fn scripted(answer: Answer) -> Response {
    let mut response = (
        StatusCode::from_u16(answer.status).unwrap(),
        [("content-type", "application/json")],
        answer.body,
    )
        .into_response();
    for (name, value) in &answer.headers {
        response.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    response
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "ConferenceNotFound", "message": "Conference not found"})),
    )
        .into_response()
}

/// The emails of a `{"cohosts":[{"email":…}]}` body.
fn emails(body: &Value) -> Vec<String> {
    body["cohosts"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c["email"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn handle(
    State(fake): State<FakeTelemost>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let request = Request {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: body.clone(),
        at: Instant::now(),
    };
    let create = request.is_create();
    let answer = {
        let mut inner = fake.inner.lock().unwrap();
        let answer = if create {
            inner.script.pop_front()
        } else {
            let i = inner
                .script_on
                .iter()
                .position(|s| s.method == request.method && request.path.ends_with(&s.path_suffix));
            i.map(|i| inner.script_on.remove(i).answer)
        };
        inner.requests.push(request.clone());
        answer
    };
    fake.new_request.notify_waiters();
    if let Some(a) = answer {
        tokio::time::sleep(a.delay).await;
        if let Some(mut gate) = a.gate.clone() {
            // A gate dropped unopened lets the answer go: the story has ended.
            let _ = gate.wait_for(|open| *open).await;
        }
        return scripted(a);
    }
    if create {
        return create_conference(&fake, &body);
    }
    let Some(rest) = request
        .path
        .strip_prefix(&format!("{API_PREFIX}/conferences/"))
    else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "NotFound"})),
        )
            .into_response();
    };
    let (id, cohosts) = match rest.split_once('/') {
        None => (rest, false),
        Some((id, "cohosts")) => (id, true),
        Some(_) => {
            return (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "NotFound"})),
            )
                .into_response();
        }
    };
    let mut inner = fake.inner.lock().unwrap();
    let Some(c) = inner.conferences.get_mut(id) else {
        return not_found();
    };
    match (request.method.as_str(), cohosts) {
        ("GET", false) => (StatusCode::OK, axum::Json(c.json())).into_response(),
        ("PATCH", false) => {
            if let Some(level) = body.get("waiting_room_level") {
                c.waiting_room_level = level.clone();
            }
            if let Some(on) = body
                .get("is_auto_summarization_enabled")
                .and_then(Value::as_bool)
            {
                c.is_auto_summarization_enabled = on;
            }
            (StatusCode::OK, axum::Json(c.json())).into_response()
        }
        ("GET", true) => {
            let list: Vec<Value> = c.cohosts.iter().map(|e| json!({"email": e})).collect();
            (StatusCode::OK, axum::Json(json!({"cohosts": list}))).into_response()
        }
        ("PATCH", true) => {
            for email in emails(&body) {
                if !c.cohosts.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
                    c.cohosts.push(email);
                }
            }
            StatusCode::NO_CONTENT.into_response()
        }
        ("PUT", true) => {
            c.cohosts = emails(&body);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// `POST /conferences` with nothing scripted: a fresh conference, remembered for later calls.
fn create_conference(fake: &FakeTelemost, body: &Value) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    inner.created += 1;
    let conference = Conference {
        n: inner.created,
        waiting_room_level: body["waiting_room_level"].clone(),
        is_auto_summarization_enabled: body["is_auto_summarization_enabled"]
            .as_bool()
            .unwrap_or(false),
        live_stream: body.get("live_stream").cloned(),
        cohosts: emails(body),
    };
    let json = conference.json();
    inner
        .conferences
        .insert(conference_id(conference.n), conference);
    (StatusCode::CREATED, axum::Json(json)).into_response()
}
