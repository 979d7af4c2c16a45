//! Webhook delivery by the fake Telegram, the way Telegram does it: once the bot has set a
//! webhook (`setWebhook`), each update is POSTed as JSON to the bot with the secret it set in
//! `X-Telegram-Bot-Api-Secret-Token`, over several connections at once (at most the webhook's
//! `max_connections`), and sent again after an answer that is not 2xx, a refused connection or a
//! timeout. Telegram keeps a queue per chat for messages and one per user for button presses:
//! the next update of a queue goes only once the one before was taken (or given up on), but a
//! button press and a message of one chat may well be on two connections at the same time.
//!
//! Several replicas behind a load balancer: `deliver_across` spreads the attempts over their
//! addresses in turn (round-robin, no stickiness), so a resend may reach another replica.
//!
//! Opt-in: `FakeTelegram::deliver_to(target)`. Until then the fake serves getUpdates as before,
//! so the polling stories are unchanged. Every attempt is recorded (`attempts`), and tests can
//! hold deliveries back (`pause_delivery`), take updates out of the queue to post them by hand
//! (`take_queued`, `post`) or queue an update again on purpose (`deliver_again`).
//!
//! What no well-behaved client does goes over a bare connection (`Bare`): headers that never
//! end, a body announced and never sent in full.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::telegram::FakeTelegram;

/// The header Telegram puts the webhook's secret in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// How the fake delivers.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Connections opened at most (the webhook's `max_connections` may allow fewer).
    pub connections: usize,
    /// How long one attempt may take, its answer read, before it counts as timed out.
    pub timeout: Duration,
    /// The wait before a resend after the first failure; each further failure adds as much
    /// again, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts at one update before the fake gives up on it, as Telegram eventually does.
    pub max_attempts: u32,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            connections: 4,
            timeout: Duration::from_secs(5),
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_attempts: 500,
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The bot answered with this HTTP status.
    Status(u16),
    /// No complete answer within `DeliveryOptions::timeout`.
    Timeout,
    /// No answer at all: the connection was refused or broken (the error, for messages).
    Failed(String),
}

/// One POST of an update to the bot.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub update_id: i64,
    /// Where it was posted.
    pub target: String,
    /// Which of the fake's connections carried it (0-based).
    pub connection: usize,
    pub started: Instant,
    pub finished: Instant,
    pub outcome: Outcome,
}

impl Attempt {
    /// Whether the bot took the update (a 2xx answer).
    pub fn delivered(&self) -> bool {
        matches!(self.outcome, Outcome::Status(s) if (200..300).contains(&s))
    }

    /// The status the bot answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            Outcome::Status(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this attempt and `other` were in flight at the same moment.
    pub fn overlaps(&self, other: &Attempt) -> bool {
        self.started < other.finished && other.started < self.finished
    }
}

/// The queue an update waits in at Telegram: messages by chat, button presses by user; `None`
/// for the rest (inline queries), which wait for nothing.
fn queue_of(update: &Value) -> Option<(&'static str, i64)> {
    if let Some(chat) = update["message"]["chat"]["id"].as_i64() {
        return Some(("chat", chat));
    }
    update["callback_query"]["from"]["id"]
        .as_i64()
        .map(|user| ("user", user))
}

struct Queued {
    update: Value,
    id: i64,
    due: tokio::time::Instant,
    /// Failed attempts so far.
    failures: u32,
}

/// The delivery state, kept in the fake's `Inner`.
pub(super) struct Delivery {
    /// The replicas' addresses, taken in turn.
    targets: Vec<String>,
    next_target: usize,
    /// Each Telegram queue with an update in flight (or waiting to be resent): that update.
    busy: std::collections::HashMap<(&'static str, i64), i64>,
    options: DeliveryOptions,
    paused: bool,
    queue: Vec<Queued>,
    in_flight: usize,
    attempts: Vec<Attempt>,
    /// Updates the fake gave up on after `max_attempts`.
    given_up: Vec<i64>,
}

impl Delivery {
    /// Queues `update` (with its `update_id`) for delivery now.
    pub(super) fn enqueue(&mut self, update: Value) {
        let id = update["update_id"].as_i64().unwrap_or(0);
        self.queue.push(Queued {
            update,
            id,
            due: tokio::time::Instant::now(),
            failures: 0,
        });
    }
}

enum Job {
    Deliver {
        update: Value,
        id: i64,
        failures: u32,
        target: String,
        secret: Option<String>,
        timeout: Duration,
    },
    WaitUntil(tokio::time::Instant),
}

impl FakeTelegram {
    /// Delivers every update pushed from now on by webhook to `target`
    /// (`http://127.0.0.1:<port><path>`), with the default options.
    pub fn deliver_to(&self, target: &str) {
        self.deliver_to_with(target, DeliveryOptions::default());
    }

    /// Like `deliver_to`, with `options`. Updates pushed before and not yet taken by getUpdates
    /// are not delivered (a test turns delivery on before the bot starts).
    pub fn deliver_to_with(&self, target: &str, options: DeliveryOptions) {
        let connections = options.connections;
        {
            let mut inner = self.inner.lock().unwrap();
            assert!(inner.delivery.is_none(), "delivery is already on");
            inner.delivery = Some(Delivery {
                targets: vec![target.to_owned()],
                next_target: 0,
                busy: Default::default(),
                options,
                paused: false,
                queue: Vec::new(),
                in_flight: 0,
                attempts: Vec::new(),
                given_up: Vec::new(),
            });
        }
        for index in 0..connections {
            tokio::spawn(connection(self.clone(), index));
        }
    }

    /// From now on, spreads deliveries over `targets` in turn, as a round-robin load balancer
    /// in front of several replicas does.
    pub fn deliver_across(&self, targets: &[String]) {
        assert!(!targets.is_empty());
        self.with_delivery(|d| d.targets = targets.to_vec());
        self.wake_delivery.notify_waiters();
    }

    /// Holds deliveries back (those in flight finish); updates pushed meanwhile wait in the
    /// queue until `resume_delivery`, which then sends them at once, several at a time.
    pub fn pause_delivery(&self) {
        self.with_delivery(|d| d.paused = true);
    }

    pub fn resume_delivery(&self) {
        self.with_delivery(|d| d.paused = false);
        self.wake_delivery.notify_waiters();
    }

    /// Takes every queued update out of the queue (it will not be delivered) and returns them,
    /// oldest first: for a test to post them by hand (`post`).
    pub fn take_queued(&self) -> Vec<Value> {
        self.with_delivery(|d| {
            let mut taken: Vec<Queued> = std::mem::take(&mut d.queue);
            taken.sort_by_key(|q| q.id);
            taken.into_iter().map(|q| q.update).collect()
        })
    }

    /// Queues the update with `update_id` once more, unchanged: what Telegram does when it did
    /// not see the bot's answer.
    pub fn deliver_again(&self, update_id: i64) {
        let update = self
            .update(update_id)
            .unwrap_or_else(|| panic!("no update {update_id} was pushed"));
        self.with_delivery(|d| d.enqueue(update));
        self.wake_delivery.notify_waiters();
    }

    /// Every delivery attempt so far, in the order they ended.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.with_delivery(|d| d.attempts.clone())
    }

    /// The attempts at delivering `update_id`, in order.
    pub fn attempts_for(&self, update_id: i64) -> Vec<Attempt> {
        self.attempts()
            .into_iter()
            .filter(|a| a.update_id == update_id)
            .collect()
    }

    /// Updates queued or in flight: pushed but not yet taken by the bot.
    pub fn undelivered(&self) -> usize {
        self.with_delivery(|d| d.queue.len() + d.in_flight)
    }

    /// Updates the fake gave up on after `max_attempts`.
    pub fn given_up(&self) -> Vec<i64> {
        self.with_delivery(|d| d.given_up.clone())
    }

    /// Waits (at most `within`) for the first attempt at index `>= from` that satisfies `pred`;
    /// returns its index and the attempt.
    pub async fn wait_attempt(
        &self,
        from: usize,
        within: Duration,
        what: &str,
        pred: impl Fn(&Attempt) -> bool,
    ) -> (usize, Attempt) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.new_attempt.notified();
            let attempts = self.attempts();
            if let Some((i, a)) = attempts
                .iter()
                .enumerate()
                .skip(from)
                .find(|(_, a)| pred(a))
            {
                return (i, a.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "timed out after {within:?} waiting for {what}; attempts since: {:#?}",
                    &attempts[from.min(attempts.len())..]
                );
            }
        }
    }

    /// Waits (at most `within`) until the bot took `update_id` (answered 2xx); returns that
    /// attempt.
    pub async fn wait_delivered(&self, update_id: i64, within: Duration) -> Attempt {
        self.wait_attempt(0, within, &format!("update {update_id} taken"), |a| {
            a.update_id == update_id && a.delivered()
        })
        .await
        .1
    }

    fn with_delivery<T>(&self, f: impl FnOnce(&mut Delivery) -> T) -> T {
        let mut inner = self.inner.lock().unwrap();
        let delivery = inner
            .delivery
            .as_mut()
            .expect("webhook delivery is on (deliver_to)");
        f(delivery)
    }

    /// The next update connection `index` should send, or until when it should wait.
    fn next_job(&self, index: usize) -> Job {
        let now = tokio::time::Instant::now();
        let idle = Job::WaitUntil(now + Duration::from_millis(100));
        let mut inner = self.inner.lock().unwrap();
        let Some(webhook) = inner.webhook.clone() else {
            return idle;
        };
        let Some(d) = inner.delivery.as_mut() else {
            return idle;
        };
        let allowed = (d.options.connections as u64).min(webhook.max_connections);
        if d.paused || index as u64 >= allowed {
            return idle;
        }
        // The oldest update that is due, and first in its Telegram queue, goes first.
        let next = d
            .queue
            .iter()
            .enumerate()
            .filter(|(_, q)| q.due <= now)
            .filter(|(_, q)| {
                queue_of(&q.update).is_none_or(|k| d.busy.get(&k).is_none_or(|id| *id == q.id))
            })
            .min_by_key(|(_, q)| q.id)
            .map(|(i, _)| i);
        match next {
            Some(i) => {
                let q = d.queue.swap_remove(i);
                if let Some(key) = queue_of(&q.update) {
                    d.busy.insert(key, q.id);
                }
                d.in_flight += 1;
                let target = d.targets[d.next_target % d.targets.len()].clone();
                d.next_target += 1;
                Job::Deliver {
                    update: q.update,
                    id: q.id,
                    failures: q.failures,
                    target,
                    secret: webhook.secret_token,
                    timeout: d.options.timeout,
                }
            }
            None => {
                let soonest = d.queue.iter().map(|q| q.due).min();
                Job::WaitUntil(soonest.map_or(now + Duration::from_millis(100), |due| {
                    due.min(now + Duration::from_millis(100))
                }))
            }
        }
    }

    /// Records an attempt's end; a failed update goes back into the queue after its backoff.
    fn finish(&self, update: Value, id: i64, failures: u32, attempt: Attempt) {
        {
            let mut inner = self.inner.lock().unwrap();
            let d = inner.delivery.as_mut().unwrap();
            d.in_flight -= 1;
            let key = queue_of(&update);
            let delivered = attempt.delivered();
            d.attempts.push(attempt);
            let mut done = delivered;
            if !delivered {
                let failures = failures + 1;
                if failures >= d.options.max_attempts {
                    d.given_up.push(id);
                    done = true;
                } else {
                    let backoff = (d.options.backoff * failures).min(d.options.max_backoff);
                    d.queue.push(Queued {
                        update,
                        id,
                        due: tokio::time::Instant::now() + backoff,
                        failures,
                    });
                }
            }
            // The queue's next update may go.
            if done
                && let Some(key) = key
                && d.busy.get(&key) == Some(&id)
            {
                d.busy.remove(&key);
            }
        }
        self.new_attempt.notify_waiters();
        self.wake_delivery.notify_waiters();
    }
}

/// One of the fake's connections to the bot: its own HTTP client, so its own keep-alive
/// connection, taking the next due update whenever it is free.
async fn connection(fake: FakeTelegram, index: usize) {
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    loop {
        let wake = fake.wake_delivery.notified();
        match fake.next_job(index) {
            Job::WaitUntil(until) => {
                let _ = tokio::time::timeout_at(until, wake).await;
            }
            Job::Deliver {
                update,
                id,
                failures,
                target,
                secret,
                timeout,
            } => {
                let started = Instant::now();
                let outcome = send(&client, &target, &update, secret.as_deref(), timeout).await;
                let attempt = Attempt {
                    update_id: id,
                    target: target.clone(),
                    connection: index,
                    started,
                    finished: Instant::now(),
                    outcome,
                };
                fake.finish(update, id, failures, attempt);
            }
        }
    }
}

async fn send(
    client: &reqwest::Client,
    target: &str,
    update: &Value,
    secret: Option<&str>,
    timeout: Duration,
) -> Outcome {
    let mut request = client
        .post(target)
        .header("content-type", "application/json")
        .body(update.to_string());
    if let Some(secret) = secret {
        request = request.header(SECRET_HEADER, secret);
    }
    let exchange = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        response.bytes().await?;
        Ok::<_, reqwest::Error>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Outcome::Timeout,
        Ok(Ok(status)) => Outcome::Status(status),
        Ok(Err(e)) => Outcome::Failed(error_chain(&e)),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// POSTs `body` to the webhook at `url` by hand, with `secret` in the secret header (none when
/// `None`); returns the status (bounded: panics after 10 s without an answer).
pub async fn post(url: &str, body: impl Into<reqwest::Body>, secret: Option<&str>) -> u16 {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = secret {
        request = request.header(SECRET_HEADER, secret);
    }
    let response = tokio::time::timeout(Duration::from_secs(10), request.send())
        .await
        .unwrap_or_else(|_| panic!("no answer from {url} within 10 s"))
        .unwrap_or_else(|e| panic!("POST {url}: {}", error_chain(&e)));
    response.status().as_u16()
}

/// A bare connection to the bot: it sends what it was given, then nothing more, holding the
/// connection open (until dropped) and reading whatever the bot answers.
pub struct Bare {
    read: tokio::net::tcp::OwnedReadHalf,
    writer: tokio::task::JoinHandle<()>,
}

/// How a bare connection ended, as far as it was watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The status of the answer, if one came.
    pub status: Option<u16>,
    /// Whether the bot closed the connection (or reset it).
    pub closed: bool,
}

/// The head of a POST to `path` announcing `length` bytes of body, with `secret` in the secret
/// header when given.
pub fn post_head(path: &str, secret: Option<&str>, length: usize) -> String {
    let secret = secret.map_or(String::new(), |s| format!("{SECRET_HEADER}: {s}\r\n"));
    format!(
        "POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n\
         {secret}Content-Length: {length}\r\n\r\n"
    )
}

impl Bare {
    /// Connects to `addr` and sends `head` as it is; then, in the background, `body` bytes of
    /// spaces (a failure to send them, the bot having closed, is no error).
    pub async fn open(addr: std::net::SocketAddr, head: &str, body: usize) -> Self {
        use tokio::io::AsyncWriteExt;
        let stream = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        .unwrap_or_else(|_| panic!("no connection to {addr} within 10 s"))
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
        let (read, mut write) = stream.into_split();
        write.write_all(head.as_bytes()).await.unwrap();
        let writer = tokio::spawn(async move {
            static SPACES: [u8; 16 * 1024] = [b' '; 16 * 1024];
            let mut left = body;
            while left > 0 {
                let n = left.min(SPACES.len());
                if write.write_all(&SPACES[..n]).await.is_err() {
                    break;
                }
                left -= n;
            }
            // Stalls, the connection open, until dropped.
            std::future::pending::<()>().await;
            drop(write);
        });
        Self { read, writer }
    }

    /// Reads what the bot sends for at most `within`: its answer's status, and whether it closed
    /// the connection meanwhile.
    pub async fn ended(&mut self, within: Duration) -> Ended {
        use tokio::io::AsyncReadExt;
        let deadline = tokio::time::Instant::now() + within;
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        let closed = loop {
            match tokio::time::timeout_at(deadline, self.read.read(&mut buf)).await {
                Err(_) => break false,
                Ok(Ok(0) | Err(_)) => break true,
                Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            }
        };
        // "HTTP/1.1 401 Unauthorized…"
        let status = std::str::from_utf8(&answer)
            .ok()
            .and_then(|a| a.strip_prefix("HTTP/1.1 "))
            .and_then(|a| a.get(..3)?.parse().ok());
        Ended { status, closed }
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        self.writer.abort();
    }
}
