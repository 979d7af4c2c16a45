//! A fake Yandex OAuth server on 127.0.0.1: `/device/code` and `/token` (device-code polls and
//! refreshes), answering from a script and recording every form it receives.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

pub const USER_CODE: &str = "WXYZ-1234";
pub const VERIFICATION_URL: &str = "https://ya.ru/device";

/// One form the bot posted: the path and its fields.
#[derive(Debug, Clone)]
pub struct Form {
    pub path: String,
    pub fields: HashMap<String, String>,
    /// When the form arrived.
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    forms: Vec<Form>,
    /// Answers to `/token` with grant_type=device_code, in order; when empty: pending.
    polls: VecDeque<(u16, Value)>,
    /// Answers to `/token` with grant_type=refresh_token; when empty: 400 invalid_grant.
    refreshes: VecDeque<(u16, Value)>,
    /// `interval` and `expires_in` of the device code.
    interval: u64,
    expires_in: u64,
    /// How long a refresh takes to be answered.
    refresh_delay: std::time::Duration,
    /// How long a device-code poll takes to be answered (recorded at once).
    poll_delay: std::time::Duration,
}

#[derive(Clone, Default)]
pub struct FakeOAuth {
    inner: Arc<Mutex<Inner>>,
    pub url: String,
}

pub fn pending() -> (u16, Value) {
    (400, json!({"error": "authorization_pending"}))
}
pub fn slow_down() -> (u16, Value) {
    (400, json!({"error": "slow_down"}))
}
pub fn denied() -> (u16, Value) {
    (400, json!({"error": "access_denied"}))
}
pub fn expired() -> (u16, Value) {
    (400, json!({"error": "expired_token"}))
}
pub fn granted(access: &str, refresh: &str) -> (u16, Value) {
    (
        200,
        json!({"token_type": "bearer", "access_token": access, "refresh_token": refresh,
               "expires_in": 31_536_000}),
    )
}

impl FakeOAuth {
    pub async fn start() -> Self {
        let mut fake = Self::default();
        {
            let mut inner = fake.inner.lock().unwrap();
            inner.interval = 1;
            inner.expires_in = 300;
        }
        let app = Router::new()
            .route("/device/code", post(device_code))
            .route("/token", post(token))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        fake.url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    pub fn then_poll(&self, answer: (u16, Value)) {
        self.inner.lock().unwrap().polls.push_back(answer);
    }

    pub fn then_refresh(&self, answer: (u16, Value)) {
        self.inner.lock().unwrap().refreshes.push_back(answer);
    }

    /// Makes every refresh take `delay` before it is answered (a slow Yandex).
    pub fn set_refresh_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().refresh_delay = delay;
    }

    /// Makes every device-code poll take `delay` before it is answered (a Yandex that hangs).
    pub fn set_poll_delay(&self, delay: std::time::Duration) {
        self.inner.lock().unwrap().poll_delay = delay;
    }

    pub fn set_expires_in(&self, secs: u64) {
        self.inner.lock().unwrap().expires_in = secs;
    }

    /// Waits (at most `within`) until `n` `/token` forms with `grant_type` have arrived; returns
    /// them all.
    pub async fn wait_token_forms(
        &self,
        grant_type: &str,
        n: usize,
        within: std::time::Duration,
    ) -> Vec<Form> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let forms = self.token_forms(grant_type);
            if forms.len() >= n {
                return forms;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("timed out waiting for {n} {grant_type} forms; got {forms:#?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub fn forms(&self) -> Vec<Form> {
        self.inner.lock().unwrap().forms.clone()
    }

    /// The `/token` forms with this grant type.
    pub fn token_forms(&self, grant_type: &str) -> Vec<Form> {
        self.forms()
            .into_iter()
            .filter(|f| {
                f.path == "/token"
                    && f.fields.get("grant_type").map(String::as_str) == Some(grant_type)
            })
            .collect()
    }
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

async fn device_code(State(fake): State<FakeOAuth>, body: axum::body::Bytes) -> Response {
    let mut inner = fake.inner.lock().unwrap();
    inner.forms.push(Form {
        path: "/device/code".into(),
        fields: parse_form(&body),
        at: Instant::now(),
    });
    reply(
        200,
        json!({"device_code": "device-code-secret", "user_code": USER_CODE,
               "verification_url": VERIFICATION_URL, "interval": inner.interval,
               "expires_in": inner.expires_in}),
    )
}

async fn token(State(fake): State<FakeOAuth>, body: axum::body::Bytes) -> Response {
    let fields = parse_form(&body);
    let ((status, body), delay) = {
        let mut inner = fake.inner.lock().unwrap();
        let grant = fields.get("grant_type").cloned().unwrap_or_default();
        inner.forms.push(Form {
            path: "/token".into(),
            fields,
            at: Instant::now(),
        });
        match grant.as_str() {
            "device_code" => (
                inner.polls.pop_front().unwrap_or_else(pending),
                inner.poll_delay,
            ),
            // A refresh token works once: the next refresh with it is refused, as Yandex does.
            "refresh_token" => (
                inner
                    .refreshes
                    .pop_front()
                    .unwrap_or((400, json!({"error": "invalid_grant"}))),
                inner.refresh_delay,
            ),
            _ => (
                (400, json!({"error": "unsupported_grant_type"})),
                Default::default(),
            ),
        }
    };
    tokio::time::sleep(delay).await;
    reply(status, body)
}
