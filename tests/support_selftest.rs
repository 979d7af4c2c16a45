//! Checks of the test support itself: the fake Telegram's sendDocument and getUpdates with two
//! pollers, `Person::document`, the iCalendar reader, `TestApp::replica`, `Options::at`, the
//! Mini App's signed `initData` (`webapp`) and the headless browser with its Telegram stub
//! (`browser`).

mod support;

use std::time::Duration;

use futures_util::FutureExt;
use serde_json::{Value, json};
use support::browser::{Browser, Theme};
use support::{FakeTelegram, Options, Person, TestApp, en, ics, webapp};
use teloxide::prelude::*;
use teloxide::types::{
    FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, ThreadId,
};

const CHAT: i64 = 7001;

fn bot_on(tg: &FakeTelegram) -> Bot {
    Bot::new(support::BOT_TOKEN).set_api_url(tg.url.parse().unwrap())
}

/// A small calendar with CRLF inside and at the end, and a line that looks like a multipart
/// delimiter: the upload comes back byte for byte.
const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-NOTE:--boundary\r\n\
                   END:VCALENDAR\r\n";

#[tokio::test]
async fn send_document_is_recorded_answered_and_read_back_in_order() {
    let tg = FakeTelegram::start().await;
    let bot = bot_on(&tg);
    let mut ann = Person::new(&tg, CHAT, CHAT, "en");

    bot.send_message(ChatId(CHAT), "before").await.unwrap();
    let markup = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Open", "mg:1:info")]]);
    let sent = bot
        .send_document(
            ChatId(CHAT),
            InputFile::memory(ICS.as_bytes().to_vec()).file_name("meeting.ics"),
        )
        .caption("<b>Standup</b> &amp; more")
        .parse_mode(ParseMode::Html)
        .reply_markup(markup)
        .message_thread_id(ThreadId(MessageId(7)))
        .await
        .expect("teloxide parses the fake's answer");
    bot.send_message(ChatId(CHAT), "after").await.unwrap();

    // What teloxide got back: a message with the document.
    let document = sent.document().expect("a document message");
    assert_eq!(document.file_name.as_deref(), Some("meeting.ics"));
    assert_eq!(
        document.mime_type.as_ref().map(|m| m.essence_str()),
        Some("text/calendar")
    );
    assert_eq!(document.file.size as usize, ICS.len());
    assert_eq!(sent.chat.id, ChatId(CHAT));
    assert_eq!(sent.caption(), Some("<b>Standup</b> &amp; more"));
    assert!(sent.reply_markup().is_some());

    // Read the document first: the message sent before it is still the next reply, and the
    // one after it the one after.
    assert_eq!(
        ann.document().await,
        ("meeting.ics".to_owned(), ICS.to_owned())
    );
    assert_eq!(ann.reply().await.text, "before");
    assert_eq!(ann.reply().await.text, "after");

    // The call as recorded: numbers as numbers, the markup as JSON, the caption as text.
    let call = &tg.calls_to("sendDocument", CHAT)[0];
    assert_eq!(call.body["chat_id"], json!(CHAT));
    assert_eq!(call.body["message_thread_id"], json!(7));
    assert_eq!(call.caption(), "<b>Standup</b> &amp; more");
    assert_eq!(call.body["parse_mode"], "HTML");
    assert_eq!(
        call.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "mg:1:info"
    );
    assert_eq!(call.sent_id, Some(sent.id.0 as i64));
    assert!(
        call.body["document"]
            .as_str()
            .unwrap()
            .starts_with("attach://")
    );
}

#[tokio::test]
async fn replies_first_then_the_document_skips_nothing() {
    let tg = FakeTelegram::start().await;
    let bot = bot_on(&tg);
    let mut ann = Person::new(&tg, CHAT, CHAT, "en");
    let mut other = Person::new(&tg, CHAT + 1, CHAT + 1, "en");

    bot.send_message(ChatId(CHAT), "one").await.unwrap();
    // Another chat's document is not Ann's.
    bot.send_document(
        ChatId(CHAT + 1),
        InputFile::memory("other").file_name("other.ics"),
    )
    .await
    .unwrap();
    // A file name with a quote, a backslash and non-ASCII (reqwest escapes the first two).
    let name = "встреча \"A\\B\".ics";
    bot.send_document(ChatId(CHAT), InputFile::memory("first").file_name(name))
        .await
        .unwrap();
    bot.send_message(ChatId(CHAT), "two").await.unwrap();
    bot.send_document(ChatId(CHAT), InputFile::memory("second").file_name("b.ics"))
        .await
        .unwrap();

    assert_eq!(ann.reply().await.text, "one");
    assert_eq!(ann.reply().await.text, "two");
    assert_eq!(ann.document().await, (name.to_owned(), "first".to_owned()));
    assert_eq!(
        ann.document().await,
        ("b.ics".to_owned(), "second".to_owned())
    );
    assert_eq!(
        other.document().await,
        ("other.ics".to_owned(), "other".to_owned())
    );

    // skip_past moves both cursors.
    bot.send_document(ChatId(CHAT), InputFile::memory("old").file_name("old.ics"))
        .await
        .unwrap();
    ann.skip_past();
    bot.send_document(ChatId(CHAT), InputFile::memory("new").file_name("new.ics"))
        .await
        .unwrap();
    assert_eq!(ann.document_call().await.document.unwrap().0, "new.ics");
}

#[tokio::test]
async fn send_document_meets_the_fakes_refusals() {
    let tg = FakeTelegram::start().await;
    let bot = bot_on(&tg);
    let file = || InputFile::memory("x").file_name("m.ics");

    // A scripted 429, as for any method.
    tg.fail(
        "sendDocument",
        1,
        429,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}}),
    );
    let refused = bot.send_document(ChatId(CHAT), file()).await;
    assert!(
        matches!(refused, Err(teloxide::RequestError::RetryAfter(_))),
        "{refused:?}"
    );
    // A caption that is not valid HTML.
    let refused = bot
        .send_document(ChatId(CHAT), file())
        .caption("a < b")
        .parse_mode(ParseMode::Html)
        .await;
    assert!(refused.is_err(), "{refused:?}");
    // A blocked user, an upgraded group.
    tg.block_silently(CHAT + 5);
    let refused = bot.send_document(ChatId(CHAT + 5), file()).await;
    assert!(refused.is_err(), "{refused:?}");
    tg.upgrade_group(-5, -1_005, None);
    let refused = bot.send_document(ChatId(-5), file()).await;
    assert!(
        matches!(&refused, Err(teloxide::RequestError::MigrateToChatId(id)) if id.0 == -1_005),
        "{refused:?}"
    );
    let calls = tg.calls();
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().all(|c| c.sent_id.is_none()), "{calls:#?}");
    // Each refused call still records its file.
    assert!(calls.iter().all(|c| c.document.is_some()));

    // Sent again by file id: answered, and recorded without an upload.
    let sent = bot
        .send_document(ChatId(CHAT), InputFile::file_id(FileId("doc-1".into())))
        .await
        .unwrap();
    assert_eq!(sent.document().unwrap().file.id.0, "doc-1");
    let call = tg.calls().pop().unwrap();
    assert_eq!(call.body["document"], "doc-1");
    assert!(call.document.is_none());
}

/// Two getUpdates at once: the update goes to one of them; the other's next poll does not get
/// it again; teloxide's last, confirming getUpdates (timeout 0, limit 1) keeps nothing back.
#[tokio::test]
async fn two_pollers_get_each_update_once() {
    let tg = FakeTelegram::start().await;
    let http = reqwest::Client::new();
    let poll = |body: Value| {
        let request = http
            .post(format!("{}bot{}/getUpdates", tg.url, support::BOT_TOKEN))
            .json(&body)
            .send();
        async move {
            let answer: Value = request.await.unwrap().json().await.unwrap();
            answer["result"].as_array().unwrap().clone()
        }
    };
    let first = poll(json!({"offset": 0, "timeout": 10}));
    let second = poll(json!({"offset": 0, "timeout": 10}));
    let pushing = async {
        tg.wait_polls(2, Duration::from_secs(5)).await;
        tg.push_update(json!({"message": {"message_id": 1, "date": 0,
                                          "chat": {"id": 1, "type": "private"}, "text": "hi"}}))
    };
    let (a, b, id) = tokio::join!(first, second, pushing);
    assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    // The one without it polls again at once: nothing (the other has not confirmed yet).
    let again = poll(json!({"offset": 0, "timeout": 0})).await;
    assert!(again.is_empty(), "{again:?}");

    // A stopping teloxide's confirming call gets the next update but drops it: the next
    // poller gets it at once.
    let next = tg.push_update(json!({"message": {"message_id": 2, "date": 0,
                                                 "chat": {"id": 1, "type": "private"},
                                                 "text": "again"}}));
    let stopping = poll(json!({"offset": id + 1, "timeout": 0, "limit": 1})).await;
    assert_eq!(stopping[0]["update_id"], next);
    let restarted = poll(json!({"offset": 0, "timeout": 0})).await;
    assert_eq!(restarted.len(), 1, "{restarted:?}");
    assert_eq!(restarted[0]["update_id"], next);
}

/// A calendar as a writer folds and escapes it: long lines folded (also inside a Cyrillic
/// word), TEXT escapes, quoted parameters, an alarm and a time zone.
const GOOD: &str = concat!(
    "BEGIN:VCALENDAR\r\n",
    "VERSION:2.0\r\n",
    "PRODID:-//telemost-bot//test//EN\r\n",
    "CALSCALE:GREGORIAN\r\n",
    "BEGIN:VTIMEZONE\r\n",
    "TZID:Europe/Moscow\r\n",
    "BEGIN:STANDARD\r\n",
    "DTSTART:19700101T000000\r\n",
    "TZOFFSETFROM:+0300\r\n",
    "TZOFFSETTO:+0300\r\n",
    "END:STANDARD\r\n",
    "END:VTIMEZONE\r\n",
    "BEGIN:VEVENT\r\n",
    "UID:42@telemost-bot\r\n",
    "DTSTAMP:20261130T060000Z\r\n",
    "DTSTART:20261130T070000Z\r\n",
    "dtend:20261130T080000Z\r\n",
    "SUMMARY:Plan\\, budget\\; and C:\\\\files\r\n",
    "DESCRIPTION:Join: https://t.me/x\\nПланёр\r\n",
    " ка команды\\Nsecond line\r\n",
    "\tthird\r\n",
    "ORGANIZER;CN=\"Ann: host\";ROLE=CHAIR:mailto:ann@example.com\r\n",
    "URL:https://telemost.yandex.ru/j/12345678901234\r\n",
    "CATEGORIES:work,meetings\r\n",
    "BEGIN:VALARM\r\n",
    "ACTION:DISPLAY\r\n",
    "TRIGGER:-PT10M\r\n",
    "DESCRIPTION:Soon\r\n",
    "END:VALARM\r\n",
    "END:VEVENT\r\n",
    "END:VCALENDAR\r\n",
);

#[test]
fn ics_reads_folded_escaped_lines() {
    let cal = ics::parse(GOOD);
    assert_eq!(cal.get("VERSION"), Some("2.0"));
    assert_eq!(cal.get("calscale"), Some("GREGORIAN"));
    assert_eq!(cal.components.len(), 1);
    assert_eq!(cal.components[0].get("TZID"), Some("Europe/Moscow"));
    assert_eq!(cal.components[0].children[0].name, "STANDARD");

    let event = cal.event();
    assert_eq!(event.get("SUMMARY"), Some("Plan, budget; and C:\\files"));
    assert_eq!(
        event.get("DESCRIPTION"),
        Some("Join: https://t.me/x\nПланёрка команды\nsecond linethird")
    );
    assert_eq!(
        event.get("URL"),
        Some("https://telemost.yandex.ru/j/12345678901234")
    );
    assert_eq!(event.get("CATEGORIES"), Some("work,meetings"));
    let organizer = event.property("ORGANIZER").unwrap();
    assert_eq!(organizer.value, "mailto:ann@example.com");
    assert_eq!(organizer.param("cn"), Some("Ann: host"));
    assert_eq!(organizer.param("ROLE"), Some("CHAIR"));
    assert_eq!(
        event.time("DTSTART"),
        "2026-11-30T07:00:00Z".parse().unwrap()
    );
    assert_eq!(event.time("DTEND"), "2026-11-30T08:00:00Z".parse().unwrap());
    assert_eq!(event.get("LOCATION"), None);
    assert_eq!(event.alarms.len(), 1);
    assert_eq!(event.alarms[0].get("TRIGGER"), Some("-PT10M"));
    assert_eq!(event.alarms[0].get("DESCRIPTION"), Some("Soon"));
}

#[test]
#[should_panic(expected = "bare LF")]
fn ics_rejects_lf_line_endings() {
    ics::parse(&GOOD.replace("\r\n", "\n"));
}

#[test]
#[should_panic(expected = "more than 75")]
fn ics_rejects_a_line_over_75_octets() {
    // 70 ASCII characters and 3 two-octet letters: 73 characters, 76 octets.
    let long = format!("SUMMARY:{}{}", "a".repeat(62), "ыыы");
    ics::parse(&GOOD.replace("SUMMARY:Plan\\, budget\\; and C:\\\\files", &long));
}

#[test]
#[should_panic(expected = "(the last) does not end with CRLF")]
fn ics_rejects_a_missing_final_crlf() {
    ics::parse(GOOD.trim_end());
}

#[test]
#[should_panic(expected = "END:VEVENT closes BEGIN:VALARM")]
fn ics_rejects_crossed_components() {
    ics::parse(&GOOD.replace("END:VALARM\r\nEND:VEVENT", "END:VEVENT\r\nEND:VALARM"));
}

#[test]
#[should_panic(expected = "unescaped `,`")]
fn ics_rejects_an_unescaped_comma_in_text() {
    ics::parse(&GOOD.replace("Plan\\,", "Plan,"));
}

#[test]
#[should_panic(expected = "invalid escape")]
fn ics_rejects_an_unknown_escape() {
    ics::parse(&GOOD.replace("C:\\\\files", "C:\\files"));
}

#[test]
#[should_panic(expected = "not in UTC")]
fn ics_time_wants_utc() {
    let cal = ics::parse(&GOOD.replace(
        "DTSTART:20261130T070000Z",
        "DTSTART;TZID=Europe/Moscow:20261130T100000",
    ));
    cal.event().time("DTSTART");
}

#[test]
fn options_at_takes_zoned_and_rfc3339_times() {
    let expected: jiff::Timestamp = "2026-11-30T06:00:00Z".parse().unwrap();
    for at in [
        "2026-11-30T09:00:00+03:00[Europe/Moscow]",
        "2026-11-30T09:00[Europe/Moscow]",
        "2026-11-30T06:00:00Z",
        "2026-11-30T09:00:00+03:00",
    ] {
        let (options, clock) = Options::at(at);
        assert_eq!(clock.now(), expected, "{at}");
        // The same clock: moving the story's moves the bot's.
        clock.advance(jiff::SignedDuration::from_mins(5));
        assert_eq!(
            options.clock.now(),
            expected + jiff::SignedDuration::from_mins(5)
        );
    }
    let wrong = std::panic::catch_unwind(|| Options::at("30.11.2026 09:00"));
    assert!(wrong.is_err());
}

/// A replica on PostgreSQL starts, shares the updates with the first bot (each answered once, by
/// the process that got it), answers alone while the first bot is stopped, and stops; on SQLite
/// `replica` refuses, saying why. The replica's Bot API calls pass through a proxy of its own
/// (`TestApp::watched_replica`), which shows which updates it got and where it answered.
#[tokio::test]
async fn a_replica_starts_shares_the_updates_and_stops() {
    let mut app = TestApp::start().await;
    if !app.is_postgres() {
        let refused = std::panic::AssertUnwindSafe(app.replica())
            .catch_unwind()
            .await;
        let message = refused.expect_err("replica refuses SQLite");
        let message = match message.downcast::<String>() {
            Ok(text) => *text,
            Err(other) => other.downcast_ref::<&str>().unwrap_or(&"").to_string(),
        };
        assert!(message.contains("needs PostgreSQL"), "{message}");
        eprintln!("skipped the replica itself: it needs TEST_DATABASE=postgres");
        app.stop().await;
        return;
    }
    let (replica, watched) = app.watched_replica().await;
    let polls = app.tg.polls().len();
    app.tg.wait_polls(polls + 2, Duration::from_secs(10)).await;
    let mut people: Vec<Person> = (0..6).map(|i| app.private(7100 + i, "en")).collect();
    for person in &mut people {
        person.send("/help");
    }
    for person in &mut people {
        assert_eq!(person.reply().await.text, en().help());
    }
    // The first bot stops (finishing what it has in hand): the replica answers alone.
    app.halt().await;
    let mut alone = app.private(7150, "en");
    alone.send("/help");
    assert_eq!(alone.reply().await.text, en().help());
    assert_eq!(
        watched.calls_to("sendMessage", alone.chat).len(),
        1,
        "the replica answered"
    );
    // Both stopped: whatever either would answer has been answered.
    replica.stop().await;
    people.push(alone);
    for person in &people {
        let answers = app.tg.calls_to("sendMessage", person.chat);
        assert_eq!(answers.len(), 1, "answered once: {answers:#?}");
    }
    // The replica answered in exactly the chats of the updates it was handed.
    let mut handed: Vec<i64> = watched
        .handed()
        .iter()
        .filter_map(|&id| app.tg.update(id)?["message"]["chat"]["id"].as_i64())
        .collect();
    let mut answered: Vec<i64> = watched
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage")
        .filter_map(|c| c.chat_id())
        .collect();
    handed.sort();
    answered.sort();
    assert_eq!(answered, handed);

    // The first bot goes on alone.
    app.resume().await;
    let mut last = app.private(7199, "en");
    last.send("/help");
    assert_eq!(last.reply().await.text, en().help());
    app.stop().await;
}

/// `sign_init_data` signs as Telegram does: the crate's own verifier accepts it (a name with
/// spaces, Cyrillic and `&=+` in it, a group's start parameter), and refuses every field changed
/// under the old hash (`tamper`), and the data checked with another bot's token.
#[test]
fn signed_init_data_is_accepted_and_forgeries_refused() {
    use secrecy::SecretString;
    use telemost_bot::web::init_data::{self, InitDataError};

    let token = SecretString::from(support::BOT_TOKEN.to_owned());
    let at = 1_800_000_000;
    let anna = webapp::user(7001, "Анна Мария & Co = +1", "ru");
    let raw = webapp::sign_init_data(
        support::BOT_TOKEN,
        &anna,
        at,
        Some("g-100123"),
        Some("group"),
    );
    assert!(raw.ends_with(&format!("&hash={}", hash_of(&raw))), "{raw}");
    assert!(raw.contains("%20") && !raw.contains('+'), "{raw}");
    let data = init_data::Verifier::for_bot(&token)
        .verify(&raw, at + 60, init_data::MAX_AGE_SECS)
        .unwrap_or_else(|e| panic!("{e}: {raw}"));
    assert_eq!(data.user.id, 7001);
    assert_eq!(data.user.first_name, "Анна Мария & Co = +1");
    assert_eq!(data.user.language_code.as_deref(), Some("ru"));
    assert_eq!(data.auth_date, at);
    assert_eq!(data.start_param.as_deref(), Some("g-100123"));
    assert_eq!(data.chat_type.as_deref(), Some("group"));

    let plain = webapp::sign_init_data(support::BOT_TOKEN, &anna, at, None, None);
    assert!(!plain.contains("chat_instance") && !plain.contains("start_param"));
    let data = init_data::Verifier::for_bot(&token)
        .verify(&plain, at, init_data::MAX_AGE_SECS)
        .unwrap();
    assert_eq!((data.start_param, data.chat_type), (None, None));

    let mallory = webapp::user(666, "Mallory", "en").to_string();
    let forgeries = [
        (&raw, webapp::tamper(&raw, "user", &mallory)),
        (&raw, webapp::tamper(&raw, "start_param", "g-999")),
        (&raw, webapp::tamper(&raw, "chat_type", "private")),
        (
            &raw,
            webapp::tamper(&raw, "auth_date", &(at + 3000).to_string()),
        ),
        (&plain, webapp::tamper(&plain, "start_param", "g-100123")),
    ];
    for (signed, forged) in &forgeries {
        assert_eq!(hash_of(forged), hash_of(signed), "the old hash kept");
        assert_eq!(
            init_data::Verifier::for_bot(&token).verify(forged, at + 60, init_data::MAX_AGE_SECS),
            Err(InitDataError::BadHash),
            "{forged}"
        );
    }
    // tamper changed only the one field.
    let fields = |s: &str| -> Vec<(String, String)> {
        form_urlencoded::parse(s.as_bytes()).into_owned().collect()
    };
    let (before, after) = (fields(&raw), fields(&forgeries[1].1));
    assert_eq!(before.len(), after.len());
    let changed: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        changed[0].1,
        &("start_param".to_owned(), "g-999".to_owned())
    );

    let other_bot = SecretString::from("4243:another-bot".to_owned());
    assert_eq!(
        init_data::Verifier::for_bot(&other_bot).verify(&raw, at + 60, init_data::MAX_AGE_SECS),
        Err(InitDataError::BadHash)
    );
}

/// The `hash` field of `init_data`.
fn hash_of(init_data: &str) -> String {
    form_urlencoded::parse(init_data.as_bytes())
        .find(|(k, _)| k == "hash")
        .map(|(_, v)| v.into_owned())
        .expect("a hash")
}

/// A page like the planner's in miniature: Telegram's script from telegram.org (which does not
/// load: nothing outside 127.0.0.1 resolves), then a script that reads the user, sets up the
/// MainButton, and asks for confirmation on a button; colours from Telegram's CSS variables.
const STORY_PAGE: &str = r#"<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="https://telegram.org/js/telegram-web-app.js"></script>
<style>
  body { background: var(--tg-theme-bg-color, #fff); color: var(--tg-theme-text-color, #000);
         font-family: system-ui, sans-serif; }
</style>
</head>
<body>
<h1>Hello, <span id="name"></span></h1>
<p id="lang"></p>
<p id="clicked"></p>
<button id="ask" type="button">Ask</button>
<p id="answer"></p>
<button id="fail" type="button">Fail</button>
<script>
  const tg = Telegram.WebApp;
  tg.ready();
  tg.expand();
  document.getElementById('name').textContent = tg.initDataUnsafe.user.first_name;
  document.getElementById('lang').textContent = tg.initDataUnsafe.user.language_code;
  let clicks = 0;
  tg.MainButton.setText('Create');
  tg.MainButton.onClick(() => {
    clicks += 1;
    document.getElementById('clicked').textContent = 'clicked ' + clicks;
  });
  tg.MainButton.show();
  document.getElementById('ask').addEventListener('click', () => {
    tg.showConfirm('Cancel the whole series?', (ok) => {
      document.getElementById('answer').textContent = ok ? 'yes' : 'no';
    });
  });
  document.getElementById('fail').addEventListener('click', () => {
    console.error('said', 42);
    Promise.reject(new Error('nobody waits'));
    throw new Error('boom');
  });
</script>
</body>
</html>
"#;

/// Serves `html` at `/app/` on 127.0.0.1; returns the page's URL.
async fn serve_page(html: &'static str) -> String {
    let app = axum::Router::new().route(
        "/app/",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/app/")
}

const BROWSER_STORY: Duration = Duration::from_secs(60);

/// A browser story, start to end: the stubbed user's name on the page, the MainButton's handler
/// run by a click (and not while disabled), the dark theme's colours through the CSS variables,
/// showConfirm answered both ways, a screenshot, and no errors on the page.
#[tokio::test]
async fn browser_story_with_the_telegram_stub() {
    tokio::time::timeout(BROWSER_STORY, async {
        let started = std::time::Instant::now();
        let url = serve_page(STORY_PAGE).await;
        let Some(b) = Browser::start(Theme::Dark).await else {
            return;
        };
        let up = started.elapsed();
        let user = webapp::user(7001, "Анна", "ru");
        let init_data = webapp::sign_init_data(
            support::BOT_TOKEN,
            &user,
            1_800_000_000,
            Some("g-1"),
            Some("group"),
        );
        b.stub_telegram(&init_data, Theme::Dark).await;
        let loading = std::time::Instant::now();
        b.goto(&url).await;
        // telegram.org's script fails at once, it does not hold the page up.
        assert!(
            loading.elapsed() < Duration::from_secs(5),
            "{:?}",
            loading.elapsed()
        );

        assert_eq!(b.wait_text("#name", "Анна").await, "Анна");
        assert_eq!(b.text("#lang").await, "ru");
        let seen = b.exec("return Telegram.WebApp.initData;", json!([])).await;
        assert_eq!(seen, json!(init_data));
        let unsafe_data = b
            .exec("return Telegram.WebApp.initDataUnsafe;", json!([]))
            .await;
        assert_eq!(unsafe_data["user"], user);
        assert_eq!(unsafe_data["start_param"], "g-1");
        assert_eq!(unsafe_data["chat_type"], "group");
        assert_eq!(unsafe_data["auth_date"], "1800000000");
        assert_eq!(
            b.exec("return window.__tg.readyCalled;", json!([])).await,
            json!(true)
        );

        // The MainButton: drawn at the bottom in the theme's button colour; a click runs the
        // handler; a disabled one does nothing.
        assert_eq!(b.main_button_text().await, "Create");
        assert!(b.displayed("#tg-main-button").await);
        let style = b
            .exec(
                "const s = getComputedStyle(document.getElementById('tg-main-button'));
                 return [s.backgroundColor, s.position];",
                json!([]),
            )
            .await;
        assert_eq!(style, json!([Theme::Dark.rgb("button_color"), "fixed"]));
        b.main_button_click().await;
        b.wait_text("#clicked", "clicked 1").await;
        b.exec("Telegram.WebApp.MainButton.disable();", json!([]))
            .await;
        b.main_button_click().await;
        b.exec("Telegram.WebApp.MainButton.enable();", json!([]))
            .await;
        b.main_button_click().await;
        b.wait_text("#clicked", "clicked 2").await;
        assert_eq!(
            b.main_button().await,
            json!({"text": "Create", "visible": true, "active": true, "progress": false})
        );

        // The dark theme: the body's background is bg_color, through --tg-theme-bg-color.
        let background = b
            .exec(
                "return getComputedStyle(document.body).backgroundColor;",
                json!([]),
            )
            .await;
        assert_eq!(background, json!(Theme::Dark.rgb("bg_color")));
        let scheme = b
            .exec(
                "return [Telegram.WebApp.colorScheme,
                         matchMedia('(prefers-color-scheme: dark)').matches,
                         getComputedStyle(document.documentElement)
                           .getPropertyValue('--tg-theme-destructive-text-color')];",
                json!([]),
            )
            .await;
        assert_eq!(scheme, json!(["dark", true, "#ff595a"]));

        // showConfirm: recorded, answered yes, then no when told.
        b.click("#ask").await;
        b.wait_text("#answer", "yes").await;
        b.answer_confirms(false).await;
        b.click("#ask").await;
        b.wait_text("#answer", "no").await;
        assert_eq!(b.confirms().await, vec!["Cancel the whole series?"; 2]);
        assert!(b.alerts().await.is_empty());

        let png = b.screenshot(b.dir().join("story.png")).await;
        assert!(png.len() > 1000, "{} bytes", png.len());
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(std::fs::read(b.dir().join("story.png")).unwrap(), png);

        b.assert_no_page_errors().await;
        eprintln!(
            "browser story: started in {up:?}, done in {:?}",
            started.elapsed()
        );
    })
    .await
    .expect("the browser story took over a minute");
}

/// Errors in the page's scripts are recorded (an uncaught one, a rejected promise,
/// console.error: a button's handler makes all three), the
/// light theme and its switch to dark reach the page (with `themeChanged`), and a link opened
/// through Telegram is recorded, not followed. A second browser alongside the first test's.
#[tokio::test]
async fn browser_records_errors_and_switches_theme() {
    tokio::time::timeout(BROWSER_STORY, async {
        let url = serve_page(STORY_PAGE).await;
        let Some(b) = Browser::start(Theme::Light).await else {
            return;
        };
        let user = webapp::user(7002, "Boris", "en");
        let init_data = webapp::sign_init_data(support::BOT_TOKEN, &user, 1_800_000_000, None, None);
        b.stub_telegram(&init_data, Theme::Light).await;
        b.goto(&url).await;
        b.wait_text("#name", "Boris").await;
        let light = b
            .exec("return getComputedStyle(document.body).backgroundColor;", json!([]))
            .await;
        assert_eq!(light, json!(Theme::Light.rgb("bg_color")));
        assert!(b.page_errors().await.is_empty());

        b.exec(
            "Telegram.WebApp.onEvent('themeChanged', () => {
               document.getElementById('answer').textContent = 'theme ' + Telegram.WebApp.colorScheme;
             });
             Telegram.WebApp.openLink('https://telemost.yandex.ru/j/1');",
            json!([]),
        )
        .await;
        b.change_theme(Theme::Dark).await;
        b.wait_text("#answer", "theme dark").await;
        b.wait_until(
            &format!(
                "getComputedStyle(document.body).backgroundColor == '{}'",
                Theme::Dark.rgb("bg_color")
            ),
            "the dark background",
        )
        .await;
        assert_eq!(b.opened().await, vec!["https://telemost.yandex.ru/j/1"]);
        assert!(b.url().await.starts_with(&url));

        b.click("#fail").await;
        b.wait_until("window.__tg.errors.length >= 3", "three errors recorded")
            .await;
        let errors = b.page_errors().await;
        assert!(errors.iter().any(|e| e.contains("uncaught") && e.contains("boom")), "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("nobody waits")), "{errors:?}");
        assert!(errors.iter().any(|e| e == "console.error: said 42"), "{errors:?}");
        b.quit().await;
    })
    .await
    .expect("the browser story took over a minute");
}
