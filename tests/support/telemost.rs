//! A fake Telemost API on 127.0.0.1: records every request and answers from a script, or with
//! a fresh conference when the script is empty.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct Request {
    pub authorization: String,
    pub content_type: String,
    pub body: Value,
    /// When the request arrived (before any scripted delay).
    pub at: Instant,
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
    /// Extra response headers (`Retry-After`…), after `content-type: application/json`.
    pub headers: Vec<(String, String)>,
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
    /// The same answer with the header `name: value` too.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

#[derive(Default)]
struct Inner {
    requests: Vec<Request>,
    script: VecDeque<Answer>,
    created: u64,
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
        let app = Router::new()
            .route("/v1/telemost-api/conferences", post(create))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        fake.base_url = format!("http://{}/v1/telemost-api", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// The next request gets `answer` instead of a created conference.
    pub fn then(&self, answer: Answer) {
        self.inner.lock().unwrap().script.push_back(answer);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Waits `within`, then asserts that exactly `n` requests arrived in total.
    pub async fn assert_requests_stay(&self, n: usize, within: Duration) {
        tokio::time::sleep(within).await;
        let got = self.requests();
        assert_eq!(
            got.len(),
            n,
            "expected exactly {n} Telemost requests; got {got:#?}"
        );
    }

    /// Waits (bounded) until `n` requests have arrived, and returns them.
    pub async fn wait_requests(&self, n: usize) -> Vec<Request> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.new_request.notified();
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {n} Telemost requests; got {got:#?}");
            }
        }
    }
}

pub fn join_url(n: u64) -> String {
    format!(
        "https://telemost.yandex.ru/j/{:014}",
        10_000_000_000_000 + n
    )
}

pub fn watch_url(n: u64) -> String {
    format!("https://telemost.yandex.ru/live/{n:032x}")
}

async fn create(
    State(fake): State<FakeTelemost>,
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
    let (answer, n) = {
        let mut inner = fake.inner.lock().unwrap();
        inner.requests.push(Request {
            authorization: header("authorization"),
            content_type: header("content-type"),
            body: body.clone(),
            at: Instant::now(),
        });
        let answer = inner.script.pop_front();
        if answer.is_none() {
            inner.created += 1;
        }
        (answer, inner.created)
    };
    fake.new_request.notify_waiters();
    if let Some(a) = answer {
        tokio::time::sleep(a.delay).await;
        let mut response = (
            StatusCode::from_u16(a.status).unwrap(),
            [("content-type", "application/json")],
            a.body,
        )
            .into_response();
        for (name, value) in &a.headers {
            response.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        return response;
    }
    let mut conference = json!({
        "id": format!("{:014}", 10_000_000_000_000 + n),
        "join_url": join_url(n),
        "waiting_room_level": body["waiting_room_level"],
        "sip_uri_meeting": "sip:x@y",
    });
    if body.get("live_stream").is_some() {
        conference["live_stream"] =
            json!({"watch_url": watch_url(n), "title": body["live_stream"]["title"]});
    }
    (StatusCode::CREATED, axum::Json(conference)).into_response()
}
