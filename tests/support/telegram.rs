//! A fake Telegram Bot API on 127.0.0.1: real long polling over HTTP, a record of every call the
//! bot makes, and replies shaped like Telegram's so teloxide parses them. Files the bot uploads
//! (sendDocument, as multipart/form-data) are kept with the call (`Call::document`).
//!
//! It also keeps the webhook the bot sets (`setWebhook`, `getWebhookInfo`, `deleteWebhook`), and
//! on request delivers updates by webhook as Telegram does (see `FakeTelegram::deliver_to` and
//! `webhook.rs`): then every pushed update is POSTed to the bot instead of waiting for getUpdates.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const BOT_ID: i64 = 4242;
pub const BOT_USERNAME: &str = "TelemostTestBot";

/// How long an update handed to one getUpdates is kept from the others (see `Inner::leased`). A
/// bot confirms what it got with its next getUpdates, at once; only an update handed to a bot
/// that stopped before confirming it waits this long to go out again.
const POLL_LEASE: Duration = Duration::from_secs(2);

/// One Bot API call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub body: Value,
    /// For sendMessage and sendDocument: the id of the message the fake created.
    pub sent_id: Option<i64>,
    /// The HTTP status the fake answered with: 200, or a scripted or Telegram-like refusal.
    pub status: u16,
    /// When the call arrived.
    pub at: Instant,
    /// For a sendDocument that uploads its file: (the file name the upload gave, its bytes).
    /// `None` for every other call, and for a document sent by file id or URL (then
    /// `body["document"]` holds that string).
    pub document: Option<(String, Vec<u8>)>,
}

impl Call {
    pub fn chat_id(&self) -> Option<i64> {
        self.body.get("chat_id").and_then(Value::as_i64)
    }
    pub fn text(&self) -> &str {
        self.body.get("text").and_then(Value::as_str).unwrap_or("")
    }
    /// A sendDocument's caption ("" when it has none).
    pub fn caption(&self) -> &str {
        self.body
            .get("caption")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// One getUpdates request (kept apart from `calls`: the bot polls all the time).
#[derive(Debug, Clone)]
pub struct Poll {
    pub offset: i64,
    /// The HTTP status it was answered with: 200, or a scripted failure's.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
    /// The kinds of update the bot asked for (`allowed_updates`), if it said.
    pub allowed_updates: Option<Vec<String>>,
}

#[derive(Default)]
pub(super) struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    next_message_id: i64,
    calls: Vec<Call>,
    polls: Vec<Poll>,
    /// Like Telegram, getUpdates with `offset = N` forgets every update with id < N: a bot
    /// that restarts (polling from offset 0 again) does not see confirmed updates twice.
    forgotten_below: i64,
    /// Updates handed to a getUpdates and not yet confirmed: update id → until when no other
    /// getUpdates gets them. With two bots polling at once (`TestApp::replica`), each update goes
    /// to one of them; one the receiver never confirms (it stopped) goes out again afterwards.
    /// (Real Telegram refuses a second poller of the same bot with 409 Conflict; production
    /// replicas take webhooks. Sharing here lets in-process replicas run side by side.)
    leased: HashMap<i64, Instant>,
    /// Scripted failures: method → queue of (HTTP status, body) answered instead of success.
    faults: HashMap<String, VecDeque<(u16, Value)>>,
    /// (chat, user) pairs getChatMember reports as administrators; everyone else is a member.
    admins: Vec<(i64, i64)>,
    /// (chat, user) pairs no longer in the chat: getChatMember says `left` or `kicked`.
    gone: HashMap<(i64, i64), &'static str>,
    /// Callback queries answered: like Telegram, a second answer to one press is refused.
    answered: std::collections::HashSet<String>,
    /// What each message sent or edited shows (text and buttons): like Telegram, an edit to the
    /// same is refused as "message is not modified".
    shown: HashMap<(i64, i64), (String, String)>,
    /// Basic groups upgraded to supergroups: old id → new id. Sends to the old id are refused.
    upgraded: HashMap<i64, i64>,
    /// Private chats whose user blocked the bot: sends there are refused with 403.
    blocked: std::collections::HashSet<i64>,
    /// The webhook as the bot last set it; `None` until setWebhook, and after deleteWebhook.
    pub(super) webhook: Option<Webhook>,
    /// Webhook delivery, when a test turned it on.
    pub(super) delivery: Option<super::webhook::Delivery>,
}

/// The webhook as set by the bot's last `setWebhook`: what `getWebhookInfo` reports (all but the
/// secret, which Telegram never reports), and the secret deliveries carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub secret_token: Option<String>,
    /// `None` when the bot did not say (Telegram then keeps the previous setting).
    pub allowed_updates: Option<Vec<String>>,
    /// Telegram's default is 40.
    pub max_connections: u64,
}

#[derive(Clone, Default)]
pub struct FakeTelegram {
    pub(super) inner: Arc<Mutex<Inner>>,
    new_update: Arc<Notify>,
    new_call: Arc<Notify>,
    new_poll: Arc<Notify>,
    /// Wakes the webhook connections: an update to deliver, a webhook set, delivery resumed.
    pub(super) wake_delivery: Arc<Notify>,
    /// Each webhook delivery attempt finished.
    pub(super) new_attempt: Arc<Notify>,
    pub url: String,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// Serves on `addr` (the examples use fixed ports; tests use port 0).
    pub async fn start_on(addr: &str) -> Self {
        let mut fake = Self::default();
        fake.inner.lock().unwrap().next_message_id = 1000;
        let app = Router::new()
            .route("/{bot}/{method}", post(handle))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        fake.url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// Queues an update (without `update_id`, which is assigned here) for getUpdates, or, when
    /// delivering by webhook, for delivery.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        inner.next_update_id += 1;
        let id = inner.next_update_id;
        update["update_id"] = json!(id);
        if let Some(delivery) = inner.delivery.as_mut() {
            delivery.enqueue(update.clone());
        }
        inner.updates.push(update);
        drop(inner);
        self.new_update.notify_waiters();
        self.wake_delivery.notify_waiters();
        id
    }

    /// The update pushed with `update_id`, as it was pushed.
    pub fn update(&self, update_id: i64) -> Option<Value> {
        let inner = self.inner.lock().unwrap();
        inner
            .updates
            .iter()
            .find(|u| u["update_id"] == update_id)
            .cloned()
    }

    /// Every update pushed so far, oldest first.
    pub fn updates(&self) -> Vec<Value> {
        self.inner.lock().unwrap().updates.clone()
    }

    /// The `update_id` of the update pushed last (0 before any).
    pub fn last_update_id(&self) -> i64 {
        self.inner.lock().unwrap().next_update_id
    }

    /// The webhook as the bot last set it (`None` if it never did, or deleted it).
    pub fn webhook(&self) -> Option<Webhook> {
        self.inner.lock().unwrap().webhook.clone()
    }

    pub fn next_message_id(&self) -> i64 {
        let mut inner = self.inner.lock().unwrap();
        inner.next_message_id += 1;
        inner.next_message_id
    }

    /// Basic group `old` becomes supergroup `new`, as Telegram does it: the service messages in
    /// both chats (`migrate_to_chat_id` in the old, `migrate_from_chat_id` in the new, by
    /// `by`; none when `by` is `None`, as if the bot missed them), and from then on a send to
    /// the old id is refused, naming the new one.
    pub fn upgrade_group(&self, old: i64, new: i64, by: Option<i64>) {
        self.inner.lock().unwrap().upgraded.insert(old, new);
        let Some(by) = by else {
            return;
        };
        let from = json!({"id": by, "is_bot": false, "first_name": format!("User{by}")});
        let old_chat = json!({"id": old, "type": "group", "title": "Team"});
        let new_chat = json!({"id": new, "type": "supergroup", "title": "Team"});
        for (chat, field, value) in [
            (old_chat, "migrate_to_chat_id", new),
            (new_chat, "migrate_from_chat_id", old),
        ] {
            let mut message = json!({"message_id": self.next_message_id(), "date": date_now(),
                                     "chat": chat, "from": from});
            message[field] = json!(value);
            self.push_update(json!({"message": message}));
        }
    }

    /// The bot's own membership of `chat` changed to `status` (`member`, `left`, `kicked`), by
    /// `by`: the `my_chat_member` update Telegram sends. In a private chat, `kicked` is the user
    /// blocking the bot (sends there are refused from then on) and `member` unblocking it.
    pub fn set_my_membership(&self, chat: Value, by: i64, status: &str) {
        let id = chat["id"].as_i64().unwrap_or(0);
        if chat["type"] == "private" {
            let mut inner = self.inner.lock().unwrap();
            match status {
                "kicked" => inner.blocked.insert(id),
                _ => inner.blocked.remove(&id),
            };
        }
        let from = json!({"id": by, "is_bot": false, "first_name": format!("User{by}")});
        self.push_update(json!({"my_chat_member": {
            "chat": chat, "from": from, "date": date_now(),
            "old_chat_member": {"user": bot_user(), "status": "member"},
            "new_chat_member": {"user": bot_user(), "status": status, "until_date": 0}}}));
    }

    /// The user of private chat `chat` blocks the bot without the bot hearing of it (the
    /// `my_chat_member` update lost): sends there are refused with 403.
    pub fn block_silently(&self, chat: i64) {
        self.inner.lock().unwrap().blocked.insert(chat);
    }

    /// Makes `user` an administrator of `chat` (or takes it back).
    pub fn set_admin(&self, chat: i64, user: i64, admin: bool) {
        let mut inner = self.inner.lock().unwrap();
        inner.admins.retain(|&pair| pair != (chat, user));
        if admin {
            inner.admins.push((chat, user));
        }
    }

    /// `user` leaves `chat` (`status` "left"), or is banned from it ("kicked"): getChatMember
    /// says so from now on. (The service message, if any, is the story's to push.)
    pub fn set_gone(&self, chat: i64, user: i64, status: &'static str) {
        self.inner.lock().unwrap().gone.insert((chat, user), status);
    }

    /// Makes the next `count` calls of `method` fail with `status` and `body`.
    pub fn fail(&self, method: &str, count: usize, status: u16, body: Value) {
        let mut inner = self.inner.lock().unwrap();
        let q = inner.faults.entry(method.to_owned()).or_default();
        for _ in 0..count {
            q.push_back((status, body.clone()));
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    /// Every getUpdates so far, in order.
    pub fn polls(&self) -> Vec<Poll> {
        self.inner.lock().unwrap().polls.clone()
    }

    /// Waits (at most `within`) until `n` getUpdates requests have arrived; returns them all.
    pub async fn wait_polls(&self, n: usize, within: Duration) -> Vec<Poll> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.new_poll.notified();
            let polls = self.polls();
            if polls.len() >= n {
                return polls;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {n} getUpdates; got {polls:#?}");
            }
        }
    }

    /// The calls of `method` in `chat`, in order.
    pub fn calls_to(&self, method: &str, chat: i64) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.chat_id() == Some(chat))
            .collect()
    }

    /// Waits (bounded) for the first call at index `>= from` that satisfies `pred`; returns its
    /// index and the call.
    pub async fn wait_call(
        &self,
        from: usize,
        what: &str,
        pred: impl Fn(&Call) -> bool,
    ) -> (usize, Call) {
        self.wait_call_within(from, Duration::from_secs(10), what, pred)
            .await
    }

    /// Like `wait_call`, waiting at most `within`.
    pub async fn wait_call_within(
        &self,
        from: usize,
        within: Duration,
        what: &str,
        pred: impl Fn(&Call) -> bool,
    ) -> (usize, Call) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.new_call.notified();
            {
                let inner = self.inner.lock().unwrap();
                if let Some((i, c)) = inner
                    .calls
                    .iter()
                    .enumerate()
                    .skip(from)
                    .find(|(_, c)| pred(c))
                {
                    return (i, c.clone());
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let calls: Vec<String> = self
                    .calls()
                    .iter()
                    .skip(from)
                    .map(|c| format!("{} {}", c.method, c.body))
                    .collect();
                panic!("timed out waiting for {what}; calls since: {calls:#?}");
            }
        }
    }

    fn message_json(
        &self,
        chat_id: i64,
        message_id: i64,
        text: &str,
        markup: Option<&Value>,
    ) -> Value {
        let mut m = json!({
            "message_id": message_id,
            "date": date_now(),
            "chat": chat_json(chat_id),
            "from": bot_user(),
            "text": text,
        });
        if let Some(markup) = markup {
            m["reply_markup"] = markup.clone();
        }
        m
    }
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Telemost", "username": BOT_USERNAME})
}

/// Positive ids are private chats, negative ones supergroups.
/// A message's `date` as Telegram stamps it: now, in unix seconds. (The bot does not act on a
/// message older than a day.)
pub fn date_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn chat_json(chat_id: i64) -> Value {
    if chat_id > 0 {
        json!({"id": chat_id, "type": "private", "first_name": "User"})
    } else {
        json!({"id": chat_id, "type": "supergroup", "title": "Team"})
    }
}

/// Whether Telegram would parse `text` as HTML: every `<` opens a tag it knows and every `&` an
/// entity (a simplification of Telegram's parser, strict enough to catch an unescaped value).
pub fn html_parses(text: &str) -> bool {
    const TAGS: [&str; 10] = [
        "<b>", "</b>", "<i>", "</i>", "<code>", "</code>", "<pre>", "</pre>", "<u>", "</u>",
    ];
    const ENTITIES: [&str; 5] = ["&lt;", "&gt;", "&amp;", "&quot;", "&#39;"];
    let mut rest = text;
    while let Some(i) = rest.find(['<', '&']) {
        let tail = &rest[i..];
        let known = if tail.starts_with('<') {
            TAGS.iter().any(|t| tail.starts_with(t))
        } else {
            ENTITIES.iter().any(|e| tail.starts_with(e))
        };
        if !known {
            return false;
        }
        rest = &tail[1..];
    }
    true
}

/// Whether Telegram would take `text` as a message's text: at most 4096 UTF-16 code units of
/// what it shows (in HTML mode, after parsing: tags dropped, entities one character).
pub fn within_limit(text: &str, html: bool) -> bool {
    let shown = if html {
        super::shown(text)
    } else {
        text.to_owned()
    };
    shown.encode_utf16().count() <= 4096
}

fn canonical(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// What a sendMessage or editMessageText makes its message show: its text and its buttons.
fn shows(body: &Value) -> (String, String) {
    (
        body["text"].as_str().unwrap_or("").to_owned(),
        body.get("reply_markup")
            .map(Value::to_string)
            .unwrap_or_default(),
    )
}

async fn handle(
    State(fake): State<FakeTelegram>,
    Path((_bot, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    // teloxide sends most methods as JSON, and those that may carry a file (setWebhook's
    // certificate) as multipart/form-data.
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (body, upload) = if content_type.starts_with("multipart/form-data") {
        match form_parts(content_type, &body) {
            Some(parts) => {
                let fields = form_fields(&parts);
                let upload = uploaded(&fields, "document", &parts).cloned();
                (fields, upload)
            }
            None => (Value::Null, None),
        }
    } else {
        (serde_json::from_slice(&body).unwrap_or(Value::Null), None)
    };
    let document = upload
        .as_ref()
        .map(|u| (u.filename.clone().unwrap_or_default(), u.data.clone()));
    // Bot API method names are case-insensitive; teloxide sends `GetMe`. Record them as the
    // docs spell them.
    let method = canonical(&method);
    if method == "getUpdates" {
        return get_updates(&fake, &body).await;
    }
    let (fault, sent_id) = {
        let mut inner = fake.inner.lock().unwrap();
        // Like Telegram, refuse HTML that does not parse (a stray `<` or `&` loses the message).
        // (A document's HTML is its caption.)
        let bad_html = body["parse_mode"] == "HTML"
            && ["text", "caption"]
                .iter()
                .any(|field| body[field].as_str().is_some_and(|t| !html_parses(t)));
        // And, like Telegram, a text over its limit.
        let too_long = body["text"]
            .as_str()
            .is_some_and(|t| !within_limit(t, body["parse_mode"] == "HTML"));
        let chat = body["chat_id"].as_i64().unwrap_or(0);
        let sends = matches!(
            method.as_str(),
            "sendMessage" | "editMessageText" | "sendDocument"
        );
        let fault = if bad_html {
            Some((
                400,
                json!({"ok": false, "error_code": 400,
                       "description": "Bad Request: can't parse entities"}),
            ))
        } else if too_long {
            Some((
                400,
                json!({"ok": false, "error_code": 400,
                       "description": "Bad Request: message is too long"}),
            ))
        } else if let Some(new) = inner.upgraded.get(&chat).filter(|_| sends) {
            Some((
                400,
                json!({"ok": false, "error_code": 400,
                       "description": "Bad Request: group chat was upgraded to a supergroup chat",
                       "parameters": {"migrate_to_chat_id": new}}),
            ))
        } else if sends && inner.blocked.contains(&chat) {
            Some((
                403,
                json!({"ok": false, "error_code": 403,
                       "description": "Forbidden: bot was blocked by the user"}),
            ))
        } else if let Some(fault) = inner.faults.get_mut(&method).and_then(VecDeque::pop_front) {
            Some(fault)
        } else if method == "answerCallbackQuery"
            && !inner
                .answered
                .insert(body["callback_query_id"].as_str().unwrap_or("").to_owned())
        {
            Some((
                400,
                json!({"ok": false, "error_code": 400,
                       "description": "Bad Request: query is too old and response timeout expired or query id is invalid"}),
            ))
        } else if method == "editMessageText"
            && body.get("inline_message_id").is_none()
            && inner
                .shown
                .get(&(chat, body["message_id"].as_i64().unwrap_or(0)))
                == Some(&shows(&body))
        {
            Some((
                400,
                json!({"ok": false, "error_code": 400,
                       "description": "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}),
            ))
        } else {
            None
        };
        let creates = matches!(method.as_str(), "sendMessage" | "sendDocument");
        let sent_id = (creates && fault.is_none()).then(|| {
            inner.next_message_id += 1;
            inner.next_message_id
        });
        if fault.is_none() && (method == "sendMessage" || method == "editMessageText") {
            let id = sent_id.or_else(|| body["message_id"].as_i64());
            if let Some(id) = id {
                inner.shown.insert((chat, id), shows(&body));
            }
        }
        inner.calls.push(Call {
            method: method.clone(),
            body: body.clone(),
            sent_id,
            status: fault.as_ref().map_or(200, |(status, _)| *status),
            at: Instant::now(),
            document: document.clone(),
        });
        (fault, sent_id)
    };
    fake.new_call.notify_waiters();
    if let Some((status, body)) = fault {
        return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    }
    match method.as_str() {
        "getChatMember" => {
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            let user = body["user_id"].as_i64().unwrap_or(0);
            let (admin, gone) = {
                let inner = fake.inner.lock().unwrap();
                (
                    inner.admins.contains(&(chat, user)),
                    inner.gone.get(&(chat, user)).copied(),
                )
            };
            let who = json!({"id": user, "is_bot": false, "first_name": format!("User{user}")});
            ok(if let Some(status) = gone {
                json!({"user": who, "status": status, "until_date": 0})
            } else if admin {
                json!({"user": who, "status": "administrator", "custom_title": null,
                       "is_anonymous": false, "can_be_edited": false, "can_manage_chat": true,
                       "can_change_info": true, "can_delete_messages": true,
                       "can_manage_video_chats": true, "can_invite_users": true,
                       "can_restrict_members": true, "can_promote_members": false})
            } else {
                json!({"user": who, "status": "member", "until_date": null})
            })
        }
        "getMe" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Telemost", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "has_main_web_app": false
        })),
        "sendMessage" => {
            let id = sent_id.unwrap_or_default();
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            ok(fake.message_json(
                chat,
                id,
                body["text"].as_str().unwrap_or(""),
                body.get("reply_markup"),
            ))
        }
        "sendDocument" => {
            let id = sent_id.unwrap_or_default();
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            let mut m = fake.message_json(chat, id, "", body.get("reply_markup"));
            if let Some(fields) = m.as_object_mut() {
                fields.remove("text");
            }
            let mut file = json!({"file_id": format!("doc-{id}"),
                                  "file_unique_id": format!("udoc-{id}")});
            match &upload {
                Some(upload) => {
                    file["file_size"] = json!(upload.data.len());
                    if let Some(name) = upload.filename.as_deref().filter(|n| !n.is_empty()) {
                        file["file_name"] = json!(name);
                    }
                    if let Some(mime) = upload.mime() {
                        file["mime_type"] = json!(mime);
                    }
                }
                // Sent again by file id or URL: what the fake knows of it is the id.
                None => file["file_id"] = body["document"].clone(),
            }
            m["document"] = file;
            if let Some(caption) = body["caption"].as_str().filter(|c| !c.is_empty()) {
                m["caption"] = json!(caption);
            }
            ok(m)
        }
        "setWebhook" => {
            let url = body["url"].as_str().unwrap_or("").to_owned();
            let mut inner = fake.inner.lock().unwrap();
            if url.is_empty() {
                inner.webhook = None;
            } else {
                let previous = inner.webhook.take();
                inner.webhook = Some(Webhook {
                    url,
                    secret_token: body["secret_token"].as_str().map(str::to_owned),
                    allowed_updates: strings(&body["allowed_updates"])
                        .or_else(|| previous.and_then(|w| w.allowed_updates)),
                    max_connections: body["max_connections"].as_u64().unwrap_or(40),
                });
            }
            drop(inner);
            fake.wake_delivery.notify_waiters();
            ok(json!(true))
        }
        "deleteWebhook" => {
            fake.inner.lock().unwrap().webhook = None;
            ok(json!(true))
        }
        "getWebhookInfo" => {
            let webhook = fake.inner.lock().unwrap().webhook.clone();
            ok(match webhook {
                None => json!({"url": "", "has_custom_certificate": false,
                               "pending_update_count": 0}),
                Some(w) => {
                    let mut info = json!({"url": w.url, "has_custom_certificate": false,
                                          "pending_update_count": 0,
                                          "max_connections": w.max_connections});
                    if let Some(kinds) = w.allowed_updates {
                        info["allowed_updates"] = json!(kinds);
                    }
                    info
                }
            })
        }
        // An inline message's edit answers `true`, as Telegram does.
        "editMessageText" if body.get("inline_message_id").is_some() => ok(json!(true)),
        "editMessageText" => {
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            let id = body["message_id"].as_i64().unwrap_or(0);
            ok(fake.message_json(
                chat,
                id,
                body["text"].as_str().unwrap_or(""),
                body.get("reply_markup"),
            ))
        }
        // Every group is called "Group <id>".
        "getChat" => {
            let chat = body["chat_id"].as_i64().unwrap_or(0);
            ok(
                json!({"id": chat, "type": "supergroup", "title": format!("Group {chat}"),
                      "accent_color_id": 0, "max_reaction_count": 11,
                      "accepted_gift_types": {"unlimited_gifts": false, "limited_gifts": false,
                                              "unique_gifts": false, "premium_subscription": false}}),
            )
        }
        _ => ok(json!(true)),
    }
}

/// Long polling: answers at once when updates at or after `offset` exist, else waits for one
/// (at most a second, so shutdowns in tests are quick). Several bots may poll at once (a
/// `Replica`): each update goes to one of them (see `Inner::leased`).
async fn get_updates(fake: &FakeTelegram, body: &Value) -> Response {
    let offset = body.get("offset").and_then(Value::as_i64).unwrap_or(0);
    let timeout = body.get("timeout").and_then(Value::as_u64).unwrap_or(0);
    let limit = body
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(100, |l| l.clamp(1, 100)) as usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout.min(1));
    // teloxide stops polling with a last getUpdates (`timeout` 0, `limit` 1) that only confirms
    // the offset: it drops what that one returns, so that is not kept from the next poller.
    let discards = timeout == 0 && limit == 1;
    let fault = {
        let mut inner = fake.inner.lock().unwrap();
        // As Telegram: no polling while a webhook is set.
        let conflict = inner.webhook.is_some().then(|| {
            (
                409,
                json!({"ok": false, "error_code": 409,
                       "description": "Conflict: can't use getUpdates method while webhook is \
                                       active; use deleteWebhook to delete the webhook first"}),
            )
        });
        let fault = conflict.or_else(|| {
            inner
                .faults
                .get_mut("getUpdates")
                .and_then(VecDeque::pop_front)
        });
        inner.polls.push(Poll {
            offset,
            status: fault.as_ref().map_or(200, |(status, _)| *status),
            at: Instant::now(),
            allowed_updates: body
                .get("allowed_updates")
                .and_then(Value::as_array)
                .map(|kinds| {
                    kinds
                        .iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect()
                }),
        });
        fault
    };
    fake.new_poll.notify_waiters();
    if let Some((status, body)) = fault {
        return (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    }
    loop {
        let notified = fake.new_update.notified();
        let ready: Vec<Value> = {
            let mut guard = fake.inner.lock().unwrap();
            let inner = &mut *guard;
            inner.forgotten_below = inner.forgotten_below.max(offset);
            let from = inner.forgotten_below;
            inner.leased.retain(|&id, _| id >= from);
            let now = Instant::now();
            let id = |u: &Value| u["update_id"].as_i64().unwrap_or(0);
            // At most `limit` (Telegram's default and maximum: 100) a call, as Telegram does,
            // leaving out what another getUpdates got and may still confirm.
            let ready: Vec<Value> = inner
                .updates
                .iter()
                .filter(|u| id(u) >= from)
                .filter(|u| inner.leased.get(&id(u)).is_none_or(|&until| until <= now))
                .take(limit)
                .cloned()
                .collect();
            if !discards {
                for u in &ready {
                    inner.leased.insert(id(u), now + POLL_LEASE);
                }
            }
            ready
        };
        if !ready.is_empty() || tokio::time::timeout_at(deadline, notified).await.is_err() {
            return ok(Value::Array(ready));
        }
    }
}

/// A list of strings in a JSON value (a multipart field's `["message","callback_query"]` arrives
/// already parsed by `form_fields`).
fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|kinds| {
        kinds
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect()
    })
}

/// One part of a multipart/form-data body.
#[derive(Debug, Clone)]
struct FormPart {
    name: String,
    /// Set for a file: the `filename` of its Content-Disposition.
    filename: Option<String>,
    /// The part's own Content-Type, if it has one (teloxide gives its files none).
    content_type: Option<String>,
    data: Vec<u8>,
}

impl FormPart {
    /// The MIME type Telegram reports for an uploaded file: the part's own, else one guessed
    /// from the file name's extension, as Telegram does (for the few kinds the bot sends).
    fn mime(&self) -> Option<String> {
        if let Some(given) = &self.content_type {
            return Some(given.clone());
        }
        let name = self.filename.as_deref()?;
        let (_, ext) = name.rsplit_once('.')?;
        let guessed = match ext.to_ascii_lowercase().as_str() {
            "ics" => "text/calendar",
            "txt" => "text/plain",
            "json" => "application/json",
            "pdf" => "application/pdf",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            _ => return None,
        };
        Some(guessed.to_owned())
    }
}

/// Splits a multipart/form-data body (RFC 7578) into its parts, bytes untouched (a file may be
/// binary). Each part ends before the CRLF that precedes the next delimiter, so a file ending
/// with CRLF keeps it. `None` when the Content-Type has no boundary or the body has none of it.
fn form_parts(content_type: &str, body: &[u8]) -> Option<Vec<FormPart>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    // The first delimiter may open the body without a CRLF before it.
    let mut data = b"\r\n".to_vec();
    data.extend_from_slice(body);
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut pieces = split_bytes(&data, &delimiter);
    pieces.next()?; // the preamble
    let mut parts = Vec::new();
    for piece in pieces {
        if piece.starts_with(b"--") {
            return Some(parts); // the closing delimiter
        }
        // The rest of the delimiter's line (transport padding), then the headers.
        let Some(line_end) = find_bytes(piece, b"\r\n") else {
            continue;
        };
        let piece = &piece[line_end + 2..];
        let (head, value) = match find_bytes(piece, b"\r\n\r\n") {
            Some(i) => (&piece[..i], &piece[i + 4..]),
            // No headers at all: the blank line comes at once.
            None if piece.starts_with(b"\r\n") => (&piece[..0], &piece[2..]),
            None => continue,
        };
        let head = String::from_utf8_lossy(head);
        let mut part = FormPart {
            name: String::new(),
            filename: None,
            content_type: None,
            data: value.to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((header, rest)) = line.split_once(':') else {
                continue;
            };
            match header.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for (key, value) in header_params(rest) {
                        match key.as_str() {
                            "name" => part.name = value,
                            "name*" => part.name = ext_value(&value),
                            "filename" => part.filename = Some(value),
                            "filename*" => part.filename = Some(ext_value(&value)),
                            _ => {}
                        }
                    }
                }
                "content-type" => part.content_type = Some(rest.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(part);
    }
    // No closing delimiter: what came is all there is.
    Some(parts)
}

/// The `key=value` parameters after a header's first value (`form-data; name="a"; …`), keys
/// lowercased, quoted values unquoted (a backslash escapes the next character, as reqwest
/// escapes `"` and `\` in file names).
fn header_params(header: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = header.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ';').is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';') {
            key.push(c);
        }
        if key.is_empty() {
            return params;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            if chars.next_if_eq(&'"').is_some() {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => value.extend(chars.next()),
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(c) = chars.next_if(|c| *c != ';') {
                    value.push(c);
                }
            }
        }
        params.push((key.trim().to_ascii_lowercase(), value.trim_end().to_owned()));
    }
}

/// An RFC 8187 extended value (`utf-8''percent%20encoded`), decoded.
fn ext_value(value: &str) -> String {
    let encoded = value.splitn(3, '\'').nth(2).unwrap_or(value);
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `data` cut at every `delimiter` (which is left out).
fn split_bytes<'a>(data: &'a [u8], delimiter: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match find_bytes(current, delimiter) {
            Some(i) => {
                rest = Some(&current[i + delimiter.len()..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// The file the multipart field `field` refers to: teloxide writes the field as
/// `attach://<id>` and uploads the file as the part named `<id>`; other clients upload the file
/// as the field itself. `None` when the field is a file id or a URL, or missing.
fn uploaded<'a>(fields: &Value, field: &str, parts: &'a [FormPart]) -> Option<&'a FormPart> {
    let name = match &fields[field] {
        Value::Null => field,
        other => other.as_str()?.strip_prefix("attach://")?,
    };
    parts
        .iter()
        .find(|p| p.filename.is_some() && p.name == name)
}

/// The text fields (parts that are not files) of a multipart/form-data body as a JSON object,
/// each value as teloxide wrote it: JSON where it is a list, an object, a number or a boolean, a
/// string otherwise. (The fields that are always strings stay strings even when they look like
/// numbers.) So `chat_id` and `message_thread_id` are numbers, as in a JSON call.
fn form_fields(parts: &[FormPart]) -> Value {
    const ALWAYS_TEXT: [&str; 8] = [
        "url",
        "secret_token",
        "ip_address",
        "text",
        "caption",
        "message_effect_id",
        "business_connection_id",
        "document",
    ];
    let mut fields = serde_json::Map::new();
    for part in parts.iter().filter(|p| p.filename.is_none()) {
        let value = String::from_utf8_lossy(&part.data);
        let parsed = if ALWAYS_TEXT.contains(&part.name.as_str()) {
            Value::String(value.into_owned())
        } else {
            serde_json::from_str::<Value>(&value)
                .ok()
                .filter(|v| !v.is_string())
                .unwrap_or_else(|| Value::String(value.into_owned()))
        };
        fields.insert(part.name.clone(), parsed);
    }
    Value::Object(fields)
}
