//! Reliability stories: what the user sees when Telemost or Telegram misbehave, when updates are
//! garbage, when the process is stopped, or the database refuses writes. Same harness as the
//! other stories (the real dispatcher against fakes on 127.0.0.1), with the tests' fast but
//! realistic `RetryPolicy` (4 attempts, 20 ms base backoff, 2 s per request, 8 s in all).

/// The real binary as a child process (see tests/security.rs).
#[path = "support/process.rs"]
mod process;
mod support;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use process::BotProcess;
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use support::telegram::{bot_user, chat_json};
use support::telemost::{join_url, watch_url};
use support::{Answer, BOT_TOKEN, FakeTelegram, FakeTelemost, Options, Person, Reply, TestApp, en};
use telemost_bot::telemost::TelemostError;
use telemost_bot::telemost::model::InvalidInput;
use teloxide::types::{Update, UpdateKind};

/// What the user reads when Telemost could not be reached or kept failing.
fn unavailable() -> String {
    en().telemost_error(&TelemostError::Unavailable("HTTP 503".into()))
}

/// `t` as an HTTP date in the IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), whole seconds.
fn imf_fixdate(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01: Thu
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // The civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Telemost answers 429 with `Retry-After: 1`, then creates: the client waits the second it was
/// asked to, sends exactly once more, and the user gets the link.
#[tokio::test]
async fn telemost_429_retry_after_seconds_is_waited_out() {
    let app = TestApp::start().await;
    let mut alice = app.private(9101, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(
        Answer::json(
            429,
            json!({"error": "TooManyRequests", "message": "Slow down"}),
        )
        .header("Retry-After", "1"),
    );
    let panel = alice.meet_panel().await;
    alice.press(&panel, "create");
    let done = alice.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert_eq!(done.message_id, panel.message_id);

    app.assert_creates(&mut alice, 2).await;
    let reqs = app.tm.requests();
    for r in &reqs {
        assert_eq!(r.authorization, "OAuth y0_alice");
        assert_eq!(r.body, json!({"waiting_room_level": "PUBLIC"}));
    }
    let gap = reqs[1].at - reqs[0].at;
    assert!(
        gap >= Duration::from_millis(980) && gap < Duration::from_millis(1800),
        "the retry came {gap:?} after the 429 with Retry-After: 1"
    );
    app.stop().await;
}

/// Telemost answers 429 with `Retry-After` as an HTTP date 2–3 s ahead, then creates: the retry
/// is not sent before that date (nor long after it), and the user gets the link. The date is
/// more than 2 s ahead so that it cannot be confused with the 1 s used when Retry-After is
/// missing or unreadable.
#[tokio::test]
async fn telemost_429_retry_after_http_date_is_honoured() {
    // The formatter is right, or the story would prove nothing.
    assert_eq!(
        imf_fixdate(UNIX_EPOCH + Duration::from_secs(784_111_777)),
        "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(
        imf_fixdate(UNIX_EPOCH + Duration::from_secs(1_582_977_600)),
        "Sat, 29 Feb 2020 12:00:00 GMT"
    );

    let app = TestApp::start().await;
    let mut alice = app.private(9102, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let panel = alice.meet_panel().await;

    let (wall, mono) = (SystemTime::now(), Instant::now());
    let whole = wall.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let retry_at = UNIX_EPOCH + Duration::from_secs(whole + 3);
    // The instant (on the test's clock) the date stands for.
    let due = mono + retry_at.duration_since(wall).unwrap();
    app.tm.then(
        Answer::json(429, json!({"error": "TooManyRequests"}))
            .header("Retry-After", &imf_fixdate(retry_at)),
    );
    alice.press(&panel, "create");
    let done = alice.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));

    app.assert_creates(&mut alice, 2).await;
    let reqs = app.tm.requests();
    assert!(
        reqs[1].at + Duration::from_millis(50) >= due,
        "the retry came {:?} before the Retry-After date",
        due - reqs[1].at
    );
    assert!(
        reqs[1].at < due + Duration::from_millis(800),
        "the retry came {:?} after the Retry-After date",
        reqs[1].at - due
    );
    assert!(
        reqs[1].at - reqs[0].at >= Duration::from_millis(1800),
        "{:?}",
        reqs[1].at - reqs[0].at
    );
    assert_eq!(reqs[1].body, reqs[0].body);
    app.stop().await;
}

/// Telemost answers 503 to every attempt: exactly four requests (the policy's limit) with growing
/// backoff, then the user hears Telemost is unavailable, with the draft kept; pressing Create
/// again later succeeds.
#[tokio::test]
async fn telemost_503_every_time_gives_up_after_max_attempts() {
    let app = TestApp::start().await;
    let mut alice = app.private(9201, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let attempts = support::test_retry_policy().max_attempts as usize;
    assert_eq!(attempts, 4);
    for _ in 0..attempts {
        app.tm.then(Answer::json(
            503,
            json!({"error": "ServiceUnavailable", "message": "Try later"}),
        ));
    }
    let panel = alice.meet_panel().await;
    let tap = alice.press(&panel, "create");
    let failed = alice.reply_where(|r| r.text.contains("unavailable")).await;
    assert!(failed.text.contains(&unavailable()), "{}", failed.text);
    assert_eq!(failed.message_id, panel.message_id, "the panel is edited");
    assert!(
        failed.has("create"),
        "the draft is kept: {:?}",
        failed.buttons
    );
    assert_eq!(alice.answer_to(&tap).await, "");

    app.assert_creates(&mut alice, attempts).await;
    let reqs = app.tm.requests();
    // Backoff 20 ms · 2^(n-1), scaled by a jitter in [0.5, 1): at least 10, 20, 40 ms.
    for (n, pair) in reqs.windows(2).enumerate() {
        let gap = pair[1].at - pair[0].at;
        let least = Duration::from_millis(10 << n);
        assert!(gap >= least, "gap {n}: {gap:?} < {least:?}");
    }

    alice.press(&failed, "create");
    let done = alice.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    app.assert_creates(&mut alice, attempts + 1).await;
    assert_eq!(
        app.tm.requests()[attempts].body,
        json!({"waiting_room_level": "PUBLIC"})
    );
    app.stop().await;
}

/// A 4xx other than 429 is final: one request, even with a `Retry-After` attached, and the user
/// sees Telemost's words with the draft kept.
async fn client_error_is_not_retried(chat: i64, status: u16, body: Value, expected: TelemostError) {
    let app = TestApp::start().await;
    let mut alice = app.private(chat, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm
        .then(Answer::json(status, body).header("Retry-After", "0"));
    let panel = alice.meet_panel().await;
    alice.press(&panel, "create");
    let failed = alice.reply_where(|r| r.text.contains("refused")).await;
    assert!(
        failed.text.contains(&en().telemost_error(&expected)),
        "{}",
        failed.text
    );
    assert!(failed.has("create"), "{:?}", failed.buttons);
    app.assert_creates(&mut alice, 1).await;
    app.stop().await;
}

/// 400: exactly one request.
#[tokio::test]
async fn telemost_400_is_never_retried() {
    client_error_is_not_retried(
        9301,
        400,
        json!({"error": "ValidationError", "message": "bad waiting_room_level"}),
        TelemostError::Rejected {
            status: 400,
            code: Some("ValidationError".into()),
            message: Some("bad waiting_room_level".into()),
        },
    )
    .await;
}

/// 404 (not the unknown-cohosts kind): exactly one request.
#[tokio::test]
async fn telemost_404_is_never_retried() {
    client_error_is_not_retried(
        9302,
        404,
        json!({"error": "NotFound", "message": "No such resource"}),
        TelemostError::Rejected {
            status: 404,
            code: Some("NotFound".into()),
            message: Some("No such resource".into()),
        },
    )
    .await;
}

/// Where in Telegram's order of events the first call in `chat` whose text holds `needle` is.
fn position_of(calls: &[support::Call], chat: i64, needle: &str) -> usize {
    calls
        .iter()
        .position(|c| c.chat_id() == Some(chat) && c.text().contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in chat {chat}"))
}

/// /meet → Create from the start; returns the link reply.
async fn meet_to_link(person: &mut Person) -> Reply {
    let panel = person.meet_panel().await;
    person.press(&panel, "create");
    person.created().await
}

/// Telemost hangs on chat A's request: A is told "unavailable" once the request timeout (2 s)
/// passes, with a single request (a timeout is not retried: the meeting may exist). Meanwhile
/// chats B and C, started after A pressed Create, run their whole /meet dialogues and get their
/// links long before A's answer.
#[tokio::test]
async fn a_hanging_telemost_call_does_not_hold_up_other_chats() {
    let app = TestApp::start().await;
    let mut a = app.private(9401, "en");
    let mut b = app.private(9402, "en");
    let mut c = app.private(9403, "en");
    for (p, token) in [(&mut a, "y0_a"), (&mut b, "y0_b"), (&mut c, "y0_c")] {
        app.with_token(p, token).await;
    }
    app.tm.then(
        Answer::json(
            201,
            json!({"id": "late", "join_url": "https://telemost.yandex.ru/j/late"}),
        )
        .hanging(),
    );
    let panel = a.meet_panel().await;
    let pressed = Instant::now();
    a.press(&panel, "create");
    let first = app.tm.wait_requests(1).await;
    assert_eq!(first[0].authorization, "OAuth y0_a");

    let (b_done, c_done) = tokio::join!(meet_to_link(&mut b), meet_to_link(&mut c));
    for (done, who) in [(&b_done, "B"), (&c_done, "C")] {
        assert!(
            done.text.contains("https://telemost.yandex.ru/j/"),
            "{who}: {}",
            done.text
        );
    }

    let failed = a.reply_where(|r| r.text.contains("unavailable")).await;
    let waited = pressed.elapsed();
    assert!(failed.text.contains(&unavailable()), "{}", failed.text);
    assert!(failed.has("create"), "{:?}", failed.buttons);
    // Not before the request timeout (time cannot run fast, so this bound cannot flake; how
    // much later a busy machine answers is not the bot's doing).
    assert!(
        waited >= Duration::from_millis(1900),
        "A was answered {waited:?} after pressing Create"
    );

    // In Telegram's order of events: B's and C's links before A's failure.
    let calls = app.tg.calls();
    let index = |chat: i64, needle: &str| position_of(&calls, chat, needle);
    let a_failed = index(a.chat, "unavailable");
    assert!(index(b.chat, "https://") < a_failed);
    assert!(index(c.chat, "https://") < a_failed);

    app.assert_creates(&mut a, 3).await;
    let reqs = app.tm.requests();
    let from_a = reqs
        .iter()
        .filter(|r| r.authorization == "OAuth y0_a")
        .count();
    assert_eq!(from_a, 1, "a timed-out request is not retried: {reqs:#?}");

    // A's draft is not wedged: Create again works.
    a.press(&failed, "create");
    let done = a.created().await;
    assert!(
        done.text.contains("https://telemost.yandex.ru/j/"),
        "{}",
        done.text
    );
    app.assert_creates(&mut a, 4).await;
    app.stop().await;
}

/// Telegram's getUpdates answers 502 once, while Ann sends /help: polling resumes, and her
/// /help is answered, once: its update was confirmed, so her next /help is the next thing
/// answered. (The story takes about 11 s, all of it teloxide's: it holds a 5xx answer for 10 s
/// before returning the error, then backs off a second. Its timing is teloxide's business and
/// is not checked here; what the user sees is.)
#[tokio::test]
async fn polling_survives_bad_gateway() {
    let app = TestApp::start().await;
    let mut ann = app.private(9501, "en");
    app.tg.wait_polls(1, Duration::from_secs(5)).await;
    let before = app.tg.polls().len();
    app.tg.fail(
        "getUpdates",
        1,
        502,
        json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
    );
    // The poll in flight ends (the fake holds one for a second at most); the next one fails.
    let polls = app.tg.wait_polls(before + 1, Duration::from_secs(3)).await;
    assert_eq!(polls[before].status, 502);
    ann.send("/help");

    let (i, call) = app
        .tg
        .wait_call_within(0, Duration::from_secs(30), "the answer to /help", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(ann.chat)
        })
        .await;
    assert_eq!(call.text(), en().help());
    // One chat's updates are handled in order: an answer to the first /help given again would
    // come before the answer to the second.
    ann.send("/settings");
    app.tg
        .wait_call(i + 1, "the answer to /settings", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(ann.chat) && c.text() != en().help()
        })
        .await;
    assert_eq!(
        app.tg.calls_to("sendMessage", ann.chat).len(),
        2,
        "/help answered exactly once, then /settings"
    );

    let polls = app.tg.polls();
    let statuses: Vec<u16> = polls[before..].iter().map(|p| p.status).collect();
    assert_eq!(statuses[0], 502, "{statuses:?}");
    assert!(statuses[1..].iter().all(|&s| s == 200), "{statuses:?}");
    // The update was confirmed: later polls ask for what comes after it.
    assert!(polls.last().unwrap().offset > polls[before + 1].offset);
    app.stop().await;
}

/// Telegram answers the bot's sendMessage with 429 "retry after 1" once: the message is sent
/// again a second later, with the same text, and only once more.
#[tokio::test]
async fn send_message_429_is_resent_after_retry_after() {
    let app = TestApp::start().await;
    let mut ann = app.private(9601, "en");
    app.tg.fail(
        "sendMessage",
        1,
        429,
        json!({
            "ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1}
        }),
    );
    ann.send("/help");
    app.tg
        .wait_call(0, "the resent /help answer", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(ann.chat) && c.sent_id.is_some()
        })
        .await;
    ann.barrier().await;
    let sends = app.tg.calls_to("sendMessage", ann.chat);
    assert_eq!(sends.len(), 2, "{sends:#?}");
    assert!(sends[0].sent_id.is_none(), "the first was refused");
    for s in &sends {
        assert_eq!(s.text(), en().help());
    }
    let gap = sends[1].at - sends[0].at;
    assert!(
        gap >= Duration::from_millis(980) && gap < Duration::from_millis(1800),
        "{gap:?}"
    );

    // Nothing lingers: the next message goes out at once, once.
    ann.send("/help");
    ann.barrier().await;
    let sends = app.tg.calls_to("sendMessage", ann.chat);
    assert_eq!(sends.len(), 3);
    assert_eq!(sends[2].text(), en().help());
    app.stop().await;
}

/// Parses `update` (with an update_id) as teloxide does and names its kind: "error" when
/// teloxide could not make sense of it.
fn kind_of(update: &Value) -> &'static str {
    let mut u = update.clone();
    u["update_id"] = json!(1);
    // From text, as teloxide reads getUpdates (its parser wants borrowed keys).
    let parsed: Update = serde_json::from_str(&u.to_string()).expect("an Update");
    match parsed.kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::ChannelPost(_) => "channel_post",
        UpdateKind::EditedChannelPost(_) => "edited_channel_post",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::ChatMember(_) => "chat_member",
        UpdateKind::InlineQuery(_) => "inline_query",
        UpdateKind::ChosenInlineResult(_) => "chosen_inline_result",
        UpdateKind::Poll(_) => "poll",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::Error(_) => "error",
        _ => "other",
    }
}

/// Checks `update` is what teloxide reads as `kind`, then queues it.
fn push_checked(tg: &FakeTelegram, kind: &str, update: Value) {
    assert_eq!(kind_of(&update), kind, "{update}");
    tg.push_update(update);
}

fn user_json(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User{id}"), "language_code": "en"})
}

/// A message in `chat` from `from` (none when `Value::Null`), with `extra` fields.
fn message_json(tg: &FakeTelegram, chat: Value, from: Value, extra: Value) -> Value {
    let mut m = json!({"message_id": tg.next_message_id(), "date": support::telegram::date_now(), "chat": chat});
    if !from.is_null() {
        m["from"] = from;
    }
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

/// Every kind of update the bot does not expect, all in one getUpdates batch: none crashes the
/// bot or stalls the chat. Messages in the user's private chat get the short hint (or "unknown
/// command"), everything else is dropped quietly, every button press is answered, and
/// afterwards, mid-dialogue garbage included, /meet → Create still works.
#[tokio::test]
async fn garbage_updates_are_ignored_or_answered_briefly() {
    let mut app = TestApp::start().await;
    let tg = &app.tg;
    let mut ann = app.private(9701, "en");
    app.with_token(&mut ann, "y0_ann").await;
    let chat = chat_json(ann.chat);
    let from = user_json(ann.user);
    let channel = json!({"id": -1_009_999_000_001i64, "type": "channel", "title": "News"});
    let group = chat_json(-1_009_999_000_002);
    let emoji = "😀🎉👍🏽".repeat(1024); // 4096 chars, 7168 UTF-16 units
    assert_eq!(emoji.chars().count(), 4096);

    // Kinds the bot has no route for.
    push_checked(
        tg,
        "edited_message",
        json!({"edited_message": message_json(tg, chat.clone(), from.clone(),
            json!({"text": "/meet", "edit_date": 1_700_000_100}))}),
    );
    push_checked(
        tg,
        "channel_post",
        json!({"channel_post": message_json(tg, channel.clone(), Value::Null,
            json!({"text": "/meet", "sender_chat": channel}))}),
    );
    push_checked(
        tg,
        "edited_channel_post",
        json!({"edited_channel_post": message_json(tg, channel.clone(), Value::Null,
            json!({"text": "/help", "sender_chat": channel, "edit_date": 1_700_000_100}))}),
    );
    push_checked(
        tg,
        "my_chat_member",
        json!({"my_chat_member": {
            "chat": chat, "from": from, "date": support::telegram::date_now(),
            "old_chat_member": {"user": bot_user(), "status": "member"},
            "new_chat_member": {"user": bot_user(), "status": "kicked", "until_date": 0}
        }}),
    );
    push_checked(
        tg,
        "chat_member",
        json!({"chat_member": {
            "chat": group, "from": user_json(9702), "date": support::telegram::date_now(),
            "old_chat_member": {"user": user_json(9702), "status": "left"},
            "new_chat_member": {"user": user_json(9702), "status": "member"}
        }}),
    );
    push_checked(
        tg,
        "inline_query",
        json!({"inline_query": {"id": "iq1", "from": from, "query": "meet", "offset": ""}}),
    );
    push_checked(
        tg,
        "chosen_inline_result",
        json!({"chosen_inline_result": {"result_id": "r1", "from": from, "query": "meet"}}),
    );
    push_checked(
        tg,
        "poll",
        json!({"poll": {
            "id": "p1", "question": "When?",
            "options": [{"text": "Mon", "voter_count": 1}, {"text": "Tue", "voter_count": 0}],
            "total_voter_count": 1, "is_closed": false, "is_anonymous": true,
            "type": "regular", "allows_multiple_answers": false
        }}),
    );
    push_checked(
        tg,
        "callback_query",
        json!({"callback_query": {
            "id": "inline-q", "from": from, "chat_instance": "ci",
            "inline_message_id": "AAAAinline", "data": "create"
        }}),
    );
    push_checked(
        tg,
        "error",
        json!({"some_future_kind": {"id": 1, "chat": chat, "payload": [1, 2, 3]}}),
    );
    push_checked(
        tg,
        "error",
        json!({"message": {"message_id": "not a number", "chat": 42}}),
    );

    // Messages in Ann's chat, while no dialogue is open.
    let sticker = json!({"sticker": {
        "file_id": "CAACAgIAAxkBAAIBZ2Zsticker", "file_unique_id": "AgADsticker",
        "type": "regular", "width": 512, "height": 512,
        "is_animated": false, "is_video": false, "emoji": "👍"
    }});
    let in_chat = [
        (sticker.clone(), from.clone()),
        (
            json!({"photo": [{"file_id": "ph1", "file_unique_id": "phu1", "width": 90,
                              "height": 90, "file_size": 1000}],
                   "caption": "look at this"}),
            from.clone(),
        ),
        (
            json!({"location": {"latitude": 55.7558, "longitude": 37.6173}}),
            from.clone(),
        ),
        (json!({"text": "hello from nobody"}), Value::Null),
        (json!({"text": "/frobnicate now"}), from.clone()),
        (json!({"text": emoji}), from.clone()),
    ];
    for (body, sender) in in_chat {
        let m = message_json(tg, chat.clone(), sender, body);
        push_checked(tg, "message", json!({"message": m}));
    }
    let expected = [
        en().idle_hint(),
        en().idle_hint(),
        en().idle_hint(),
        en().idle_hint(),
        en().unknown_command(),
        en().idle_hint(),
    ];
    for want in expected {
        let r = ann.reply().await;
        assert_eq!(r.method, "sendMessage");
        assert_eq!(r.text, want);
        assert!(r.buttons.is_empty());
    }
    assert_eq!(ann.answer_to("inline-q").await, en().stale_button());

    // Mid-dialogue, at the cohosts step: an over-long emoji text, a sticker, a bad button.
    let panel = ann.meet_panel().await;
    let tap_wr = ann.press(&panel, "wr:ORGANIZATION");
    let ask = ann.reply().await;
    assert!(ask.text.contains(en().ask_cohosts()), "{}", ask.text);
    ann.send(&emoji);
    let refused = ann.reply().await;
    assert_eq!(
        refused.method, "sendMessage",
        "a fresh panel after a typed answer"
    );
    let note = en().invalid_input(&InvalidInput::BadEmails(vec![emoji.clone()]));
    let head: String = note.chars().take(200).collect();
    assert!(refused.text.starts_with(&head), "{}", refused.text);
    assert!(
        refused.text.contains(en().ask_cohosts()),
        "{}",
        refused.text
    );
    assert!(refused.text.encode_utf16().count() <= 4096);
    assert_eq!(refused.data(), ["skip", "cancel"]);
    ann.send_raw(sticker);
    let as_text = ann.reply().await;
    assert!(
        as_text.text.starts_with(en().send_text()),
        "{}",
        as_text.text
    );
    assert_eq!(as_text.data(), ["skip", "cancel"]);
    let tap_bad = ann.press(&as_text, "wr:NOPE");
    assert_eq!(ann.answer_to(&tap_bad).await, en().stale_button());

    // And the chat still works end to end.
    let panel = ann.meet_panel().await;
    let tap_create = ann.press(&panel, "create");
    let done = ann.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert_eq!(ann.answer_to(&tap_wr).await, "");
    assert_eq!(ann.answer_to(&tap_create).await, "");
    app.assert_creates(&mut ann, 1).await;
    assert_eq!(
        app.tm.requests()[0].body,
        json!({"waiting_room_level": "PUBLIC"})
    );

    // Every button press answered exactly once; nothing said anywhere but in Ann's chat.
    let calls = app.tg.calls();
    let answered: Vec<&str> = calls
        .iter()
        .filter(|c| c.method == "answerCallbackQuery")
        .map(|c| c.body["callback_query_id"].as_str().unwrap_or(""))
        .collect();
    let pressed = ["inline-q", &tap_wr, &tap_bad, &tap_create];
    for id in pressed {
        let times = answered.iter().filter(|a| **a == id).count();
        assert_eq!(times, 1, "{id} answered {times} times: {answered:?}");
    }
    // And one more: the barrier's press, behind which the creations were counted.
    assert_eq!(answered.len(), pressed.len() + 1, "{answered:?}");
    for c in &calls {
        if let Some(id) = c.chat_id() {
            assert_eq!(id, ann.chat, "{} {}", c.method, c.body);
        }
        assert!(
            !matches!(c.method.as_str(), "leaveChat" | "sendPoll"),
            "{} {}",
            c.method,
            c.body
        );
    }
    // Inline mode is supported now: the query is answered once, offering a meeting and a
    // stream titled "meet"; the chosen result without an inline message (nothing to edit) is
    // ignored, so it creates nothing. An inline query has no chat, so no barrier orders it:
    // the story waits for its answer, and counts once the bot has stopped (handlers finished).
    app.tg
        .wait_call(0, "the answer to the inline query", |c| {
            c.method == "answerInlineQuery"
        })
        .await;
    app.halt().await;
    let calls = app.tg.calls();
    let inline: Vec<&support::Call> = calls
        .iter()
        .filter(|c| c.method == "answerInlineQuery")
        .collect();
    assert_eq!(inline.len(), 1, "{inline:?}");
    assert_eq!(inline[0].body["inline_query_id"], "iq1");
    let ids: Vec<&str> = inline[0].body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(ids, ["meet", "stream"]);
    // (The one Telemost request, asserted above, is Ann's /meet: none came from it.)
    app.stop().await;
}

/// With Telegram's flood limits on, five replies provoked at once in one private chat all go
/// out, none lost: three at once (the burst), then one a second.
#[tokio::test]
async fn rate_limited_replies_are_spread_not_dropped() {
    let app = TestApp::start_with(Options {
        telegram_rate_limit: true,
        ..Options::default()
    })
    .await;
    let mut ann = app.private(9801, "en");
    for _ in 0..5 {
        ann.send("/help");
    }
    for _ in 0..5 {
        assert_eq!(ann.reply().await.text, en().help());
    }
    // One chat's updates are handled in order: a reply sent twice would come before the answer
    // to the next command.
    ann.send("/settings");
    let settings = ann.reply().await;
    assert_ne!(settings.text, en().help());
    let sends = app.tg.calls_to("sendMessage", ann.chat);
    assert_eq!(sends.len(), 6, "none lost, none doubled");
    let t: Vec<Instant> = sends.iter().map(|c| c.at).collect();
    // Never faster than the limit (time cannot run fast: these bounds cannot flake)…
    for k in [3, 4] {
        let gap = t[k] - t[k - 1];
        assert!(
            gap >= Duration::from_millis(900),
            "reply {} came {gap:?} after the one before",
            k + 1
        );
    }
    // …and the first three were not held to one a second, which would have taken two.
    assert!(
        t[2] - t[0] < Duration::from_millis(1800),
        "the burst: {:?}",
        t[2] - t[0]
    );
    app.stop().await;
}

/// The real binary against the fakes, logging at info.
fn spawn_bot(tg: &FakeTelegram, tm: &FakeTelemost, dir: &Path) -> BotProcess {
    BotProcess::spawn(
        dir,
        &[
            ("TELOXIDE_TOKEN", BOT_TOKEN.to_owned()),
            ("TELOXIDE_API_URL", tg.url.clone()),
            ("TELEMOST_API_URL", tm.base_url.clone()),
            (
                "DATABASE_URL",
                dir.join("bot.db").to_string_lossy().into_owned(),
            ),
            ("RUST_LOG", "info".to_owned()),
        ],
    )
}

/// SIGTERM stops the real binary cleanly (exit 0) in the middle of a /stream dialogue; started
/// again on the same database it continues the dialogue where it was, without seeing the old
/// updates again, and creates the stream.
#[tokio::test]
async fn sigterm_mid_dialogue_then_restart_continues() {
    let tg = FakeTelegram::start().await;
    let tm = FakeTelemost::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut ann = Person::new(&tg, 9901, 9901, "en");

    let mut bot = spawn_bot(&tg, &tm, dir.path());
    tg.wait_polls(1, Duration::from_secs(15)).await;
    ann.send("/token y0_ann");
    let saved = ann.reply().await;
    assert_eq!(saved.text, en().token_saved(true));
    ann.send("/stream");
    let ask = ann.reply().await;
    assert!(ask.text.contains(en().ask_title()), "{}", ask.text);
    assert_eq!(ask.data(), ["cancel"]);

    bot.sigterm();
    let status = bot.exit_within(Duration::from_secs(10)).await;
    let log = String::from_utf8_lossy(&bot.stderr()).into_owned();
    assert_eq!(status.code(), Some(0), "stderr:\n{log}");
    assert!(log.contains("shutting down"), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    let polls_before = tg.polls().len();
    let said_before = tg.calls_to("sendMessage", ann.chat).len();
    let mut bot = spawn_bot(&tg, &tm, dir.path());
    // Two polls of the new process: whatever the first one returned has been handled.
    tg.wait_polls(polls_before + 2, Duration::from_secs(15))
        .await;
    assert_eq!(
        tg.calls_to("sendMessage", ann.chat).len(),
        said_before,
        "no update was handled twice"
    );

    ann.send("Quarterly results");
    let panel = ann.reply().await;
    assert!(
        panel.text.contains("Title: Quarterly results"),
        "{}",
        panel.text
    );
    for data in [
        "wr:PUBLIC",
        "wr:ORGANIZATION",
        "wr:ADMINS",
        "create",
        "cancel",
    ] {
        assert!(panel.has(data), "{data} missing from {:?}", panel.buttons);
    }
    ann.press(&panel, "create");
    let done = ann.created().await;
    assert_eq!(
        done.text,
        en().stream_created("Quarterly results", &join_url(1), Some(&watch_url(1)))
    );
    let reqs = tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_ann");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC",
               "live_stream": {"access_level": "PUBLIC", "title": "Quarterly results"}})
    );

    bot.sigterm();
    let status = bot.exit_within(Duration::from_secs(10)).await;
    let log = String::from_utf8_lossy(&bot.stderr()).into_owned();
    assert_eq!(status.code(), Some(0), "stderr:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// Without TELOXIDE_TOKEN the binary says so on one line and exits with 2, without a panic.
#[tokio::test]
async fn missing_token_exits_with_2_and_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = BotProcess::command(dir.path())
        .env("DATABASE_URL", dir.path().join("bot.db"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TELOXIDE_TOKEN"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        !dir.path().join("bot.db").exists(),
        "nothing is opened before the configuration is valid"
    );
}

/// Another process holds the database's write lock (what a failing disk or a stray sqlite3 shell
/// looks like from inside): Ann's /token cannot be saved, and after the busy timeout (5 s) she
/// is told something went wrong on the bot's side, while Bob, who only asks for /help in another
/// chat, is answered at once. Once the lock is gone, the token saves and /meet works.
///
/// (Instead of `chmod 0444` on the database files: the tests run as root, for whom permissions
/// change nothing, and open connections keep writing through their descriptors anyway.)
///
/// Bob is not held up because loading a dialogue never writes, and reads go through the
/// database's reading connection, which never waits behind the stuck write.
#[tokio::test]
async fn database_write_failure_is_reported_and_recovered_from() {
    let app = TestApp::start().await;
    if app.on_postgres() {
        return;
    }
    let mut ann = app.private(9911, "en");
    let mut bob = app.private(9912, "en");

    let options = SqliteConnectOptions::new().filename(app.db_path());
    let mut locker = SqliteConnection::connect_with(&options).await.unwrap();
    let lock = locker.begin_with("BEGIN IMMEDIATE").await.unwrap();

    let sent = Instant::now();
    ann.send("/token y0_ann");
    bob.send("/help");
    let r = ann.reply().await;
    let waited = sent.elapsed();
    assert_eq!(r.text, en().internal_error());
    // Not before the database's busy timeout (a lower bound cannot flake).
    assert!(
        waited >= Duration::from_millis(4900),
        "Ann was answered {waited:?} after sending her token"
    );
    let ann_told = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    assert!(
        app.tg.calls_to("deleteMessage", ann.chat).is_empty(),
        "nothing saved, so nothing claimed"
    );
    // Bob only asked for help, which needs no write: he was not held up meanwhile.
    let (_, help) = app
        .tg
        .wait_call(0, "the answer to Bob", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(bob.chat)
        })
        .await;
    assert_eq!(help.text(), en().help());
    // Bob was answered while Ann's write was still waiting on the lock.
    assert!(
        help.at < ann_told,
        "Bob waited for Ann's write: answered {:?} after her",
        help.at - ann_told
    );

    lock.rollback().await.unwrap();
    locker.close().await.unwrap();

    app.with_token(&mut ann, "y0_ann").await;
    let panel = ann.meet_panel().await;
    ann.press(&panel, "create");
    let done = ann.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_ann");
    app.stop().await;
}

/// The operator lets the bot handle one update at a time (`MAX_CONCURRENT_UPDATES=1`). Alice's
/// meeting takes Telemost a while, so Bob's /help waits for it instead of running alongside; then
/// both are answered, and nothing is lost.
#[tokio::test]
async fn with_one_slot_updates_wait_for_it_and_none_is_lost() {
    let app = TestApp::start_with(Options {
        max_concurrent_updates: 1,
        ..Options::default()
    })
    .await;
    let mut alice = app.private(9901, "en");
    let mut bob = app.private(9902, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(
        Answer::json(
            201,
            json!({"id": "1", "join_url": "https://telemost.yandex.ru/j/00000000000001"}),
        )
        .after(Duration::from_millis(700)),
    );
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "create");
    app.tm.wait_requests(1).await;
    bob.send("/help");
    assert_eq!(bob.reply().await.text, en().help());
    let link = alice.reply_where(|r| r.text.contains("https://")).await;
    assert!(link.text.contains("00000000000001"), "{}", link.text);
    // In Telegram's order of events, Bob's answer came after Alice's link: his /help, which
    // needs no Telemost, waited for the slot her meeting held (running alongside, it would
    // have been answered while Telemost held her answer back).
    let calls = app.tg.calls();
    let index = |chat: i64, needle: &str| position_of(&calls, chat, needle);
    assert!(
        index(bob.chat, en().help()) > index(alice.chat, "00000000000001"),
        "Bob's /help did not wait for the one slot"
    );
    app.stop().await;
}

/// A burst through two slots: twelve people each send three commands at once. Every command is
/// answered, and each person's answers come in the order they asked.
#[tokio::test]
async fn a_burst_through_few_slots_keeps_each_chats_order() {
    let app = TestApp::start_with(Options {
        max_concurrent_updates: 2,
        ..Options::default()
    })
    .await;
    let mut people: Vec<Person> = (0..12).map(|i| app.private(9910 + i, "en")).collect();
    for p in &mut people {
        p.send("/help");
        p.send("/cancel");
        p.send("/forget");
    }
    for p in &mut people {
        let answers = [
            p.reply().await.text,
            p.reply().await.text,
            p.reply().await.text,
        ];
        assert_eq!(
            answers,
            [
                en().help().to_owned(),
                en().nothing_to_cancel().to_owned(),
                en().token_none_to_forget().to_owned()
            ]
        );
    }
    app.stop().await;
}

/// The bot asks Telegram only for the kinds of update it handles: in a busy group it is not sent
/// every reaction, edit and member change just to drop them.
#[tokio::test]
async fn the_bot_asks_only_for_the_updates_it_handles() {
    let app = TestApp::start().await;
    let polls = app.tg.wait_polls(1, Duration::from_secs(10)).await;
    let mut kinds = polls[0]
        .allowed_updates
        .clone()
        .expect("allowed_updates is sent");
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "callback_query",
            "chosen_inline_result",
            "inline_query",
            "message",
            "my_chat_member"
        ]
    );
    app.stop().await;
}

/// A message Telegram dates more than a day ago (delivered late, or sent again after the bot no
/// longer keeps its id) is not acted on: had it been handled then, doing it again would repeat
/// it. A fresh one right behind it is answered, and a press under a year-old message still
/// works (a press is made when it arrives).
#[tokio::test]
async fn a_message_older_than_a_day_is_not_acted_on() {
    let app = TestApp::start().await;
    let mut ann = app.private(9801, "en");
    let day_ago = support::telegram::date_now() - 24 * 3600 - 60;
    ann.send_raw(json!({"text": "/help", "date": day_ago}));
    ann.send("/history");
    // In order, one chat at a time: the old one would have been answered first.
    let first = ann.reply().await;
    assert_eq!(first.text, en().history_empty());
    app.stop().await;
}
