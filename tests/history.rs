//! User stories for what a chat remembers: /history (its last meetings and streams, newest
//! first) and the cohosts it used before, offered as buttons at the next /meet's cohosts step.
//! End to end: the real dispatcher against fake Telegram and Telemost.

mod support;

use std::collections::HashMap;

use serde_json::json;
use support::telemost::{conference_id, join_url, watch_url};
use support::{Person, Reply, TestApp, en, shown};
use telemost_bot::telemost::model::{StreamAccess, WaitingRoomLevel};

/// A supergroup (Telegram's ids for those start with -100).
const GROUP: i64 = -1_001_000_000_777;

/// `YYYY-MM-DD HH:MM UTC` for unix seconds, counted out day by day (an oracle independent of
/// the bot's arithmetic and time zone data).
fn utc(secs: i64) -> String {
    let (mut days, rem) = (secs / 86_400, secs % 86_400);
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while days >= lengths[month] {
        days -= lengths[month];
        month += 1;
    }
    format!(
        "{year:04}-{:02}-{:02} {:02}:{:02} UTC",
        month + 1,
        days + 1,
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The same in Moscow, the chats' time zone unless they choose another (UTC+3 all year since
/// 2014), as /history shows it.
fn moscow(secs: i64) -> String {
    utc(secs + 3 * 3600).trim_end_matches(" UTC").to_owned()
}

#[test]
fn the_date_oracle_agrees_with_known_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
    assert_eq!(utc(1_582_977_600), "2020-02-29 12:00 UTC");
    assert_eq!(utc(1_795_784_700), "2026-11-27 13:05 UTC");
    assert_eq!(moscow(1_795_784_700), "2026-11-27 16:05");
    assert_eq!(moscow(1_795_824_000), "2026-11-28 03:00");
}

/// Times in /history are the chat's, like everywhere else the bot shows one: a chat that chose
/// UTC in /settings sees its meeting at the UTC time, the zone named once at the top.
#[tokio::test]
async fn history_is_in_the_time_zone_the_chat_chose() {
    let app = TestApp::start().await;
    let mut olga = app.private(6301, "ru");
    app.with_token(&mut olga, "y0_olga").await;
    olga.send("/settings");
    let settings = olga.reply().await;
    olga.press(&settings, "cfg:tz:UTC");
    olga.reply().await;
    let panel = olga.meet_panel().await;
    olga.press(&panel, "create");
    olga.created().await;
    let at = recorded_at(&app, 6301, 1).await;

    olga.send("/history");
    let text = shown(&olga.reply().await.text);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, "Последние встречи в этом чате (UTC):");
    let when = utc(at[&conference_id(1)]);
    let when = when.trim_end_matches(" UTC");
    assert!(
        text.contains(&format!("1. {when} · ")),
        "{when} not in {text}"
    );
    assert!(!text.contains("UTC ·"), "the zone is named once: {text}");
    app.stop().await;
}

/// When the bot recorded each conference of `chat`, once `n` are: conference id → unix seconds.
async fn recorded_at(app: &TestApp, chat: i64, n: usize) -> HashMap<String, i64> {
    app.recorded_meetings(chat, n)
        .await
        .into_iter()
        .map(|m| (m.conference_id, m.created_at))
        .collect()
}

/// In a private chat: /meet with waiting room `level`, then `cohosts` typed (or none).
async fn meet(person: &mut Person, level: &str, cohosts: Option<&str>) -> Reply {
    person.send("/meet");
    let panel = person.reply().await;
    person.press(&panel, &format!("wr:{level}"));
    let ask = person.reply().await;
    match cohosts {
        Some(list) => {
            person.send(list);
        }
        None => {
            person.press(&ask, "skip");
        }
    }
    person.created().await
}

/// In a group, `actor` runs /meet with waiting room `level` and `cohosts` (typed as a reply) or
/// none; `group` reads the bot's messages there.
async fn group_meet(group: &mut Person, actor: &mut Person, level: &str, cohosts: Option<&str>) {
    actor.send("/meet");
    let panel = group.reply().await;
    actor.press(&panel, &format!("wr:{level}"));
    let ask = group.reply().await;
    match cohosts {
        Some(list) => {
            actor.reply_to(&ask, list);
        }
        None => {
            actor.press(&ask, "skip");
        }
    }
    group.created().await;
}

/// /history in a chat where nothing was created says so, and calls no API.
#[tokio::test]
async fn history_with_no_meetings_says_so() {
    let app = TestApp::start().await;
    let mut alice = app.private(6001, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/history");
    let r = alice.reply().await;
    assert_eq!(r.text, en().history_empty());
    assert!(r.buttons.is_empty());
    assert!(app.tm.all_requests().is_empty());
    app.stop().await;
}

/// In a group, Anna creates a meeting with two cohosts and "outsiders wait", Boris one where
/// everyone waits, then Anna a stream for the organisation. /history lists the three newest
/// first, each with its date, its creator's name, its options and its links (join, and watch
/// for the stream).
#[tokio::test]
async fn history_lists_meetings_and_streams_newest_first() {
    let app = TestApp::start().await;
    let mut anna = app.private(6101, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut boris = app.private(6102, "en");
    app.with_token(&mut boris, "y0_boris").await;
    let mut anna_in_group = app.in_group(GROUP, 6101, "en");
    let mut boris_in_group = app.in_group(GROUP, 6102, "en");
    // One cursor reads everything said in the group.
    let mut group = app.in_group(GROUP, 6101, "en");

    group_meet(
        &mut group,
        &mut anna_in_group,
        "ORGANIZATION",
        Some("a@x.ru, b@x.ru"),
    )
    .await;
    group_meet(&mut group, &mut boris_in_group, "ADMINS", None).await;
    anna_in_group.send("/stream Quarterly results");
    let draft = group.reply().await;
    anna_in_group.press(&draft, "wr:PUBLIC");
    let access = group.reply().await;
    anna_in_group.press(&access, "sa:ORGANIZATION");
    let described = group.reply().await;
    assert!(described.has("skip"), "{:?}", described.buttons);
    anna_in_group.press(&described, "create");
    group.reply_where(|r| r.text.contains(&watch_url(3))).await;
    let reqs = app.tm.wait_requests(3).await;
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ORGANIZATION",
            "cohosts": [{"email": "a@x.ru"}, {"email": "b@x.ru"}]
        })
    );
    assert_eq!(reqs[1].authorization, "OAuth y0_boris");
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "ADMINS"}));
    assert_eq!(
        reqs[2].body,
        json!({
            "waiting_room_level": "PUBLIC",
            "live_stream": {"access_level": "ORGANIZATION", "title": "Quarterly results"}
        })
    );

    let at = recorded_at(&app, GROUP, 3).await;
    assert_eq!(at.len(), 3);
    let from = group.now();
    boris_in_group.send("/history");
    let (_, call) = app
        .tg
        .wait_call(from, "the history", |c| {
            c.method == "sendMessage"
                && c.chat_id() == Some(GROUP)
                && c.text()
                    .contains("Last meetings in this chat (Europe/Moscow):")
        })
        .await;
    let t = en();
    let expected = format!(
        "{header}\n\n\
         1. {d3} · User6101 · {stream} «Quarterly results»\n   \
         {wr}: {public} · {co}: 0 · {sa}: {org_only}\n   \
         {j3}\n   \
         {w3}\n\n\
         2. {d2} · User6102 · {meeting}\n   \
         {wr}: {admins} · {co}: 0\n   \
         {j2}\n\n\
         3. {d1} · User6101 · {meeting}\n   \
         {wr}: {organization} · {co}: 2\n   \
         {j1}",
        header = "Last meetings in this chat (Europe/Moscow):",
        d1 = moscow(at[&conference_id(1)]),
        d2 = moscow(at[&conference_id(2)]),
        d3 = moscow(at[&conference_id(3)]),
        stream = t.kind_stream(),
        meeting = t.kind_meeting(),
        wr = t.label_waiting_room(),
        co = t.label_cohosts(),
        sa = t.label_stream_access(),
        public = t.waiting_room(WaitingRoomLevel::Public),
        admins = t.waiting_room(WaitingRoomLevel::Admins),
        organization = t.waiting_room(WaitingRoomLevel::Organization),
        org_only = t.stream_access(StreamAccess::Organization),
        j1 = join_url(1),
        j2 = join_url(2),
        j3 = join_url(3),
        w3 = watch_url(3),
    );
    assert_eq!(shown(call.text()), shown(&expected));
    app.stop().await;
}

/// A stream title with characters that mean something in Telegram's HTML (`<`, `&`) is shown
/// in /history exactly as typed: escaped when the message is HTML, as is when it is plain.
#[tokio::test]
async fn history_shows_a_title_with_markup_as_typed() {
    let app = TestApp::start().await;
    let mut alice = app.private(6201, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let title = "Q&A <live> 1 < 2";
    alice.send(&format!("/stream {title}"));
    let draft = alice.reply().await;
    alice.press(&draft, "create");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].body["live_stream"]["title"], title);

    let from = alice.now();
    alice.send("/history");
    let (_, call) = app
        .tg
        .wait_call(from, "the history", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(6201)
        })
        .await;
    let html = call.body["parse_mode"].as_str() == Some("HTML");
    let seen = if html {
        shown(call.text())
    } else {
        call.text().to_owned()
    };
    assert!(
        seen.contains(&format!("{} «{title}»", en().kind_stream())),
        "parse_mode {:?}: {}",
        call.body["parse_mode"],
        call.text()
    );
    app.stop().await;
}

/// Meetings of chat A are not in chat B's /history, and B's are not in A's.
#[tokio::test]
async fn history_is_per_chat() {
    let app = TestApp::start().await;
    let mut alice = app.private(6301, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut bob = app.private(6302, "en");
    app.with_token(&mut bob, "y0_bob").await;
    meet(&mut alice, "ADMINS", Some("a@x.ru")).await;
    meet(&mut alice, "PUBLIC", None).await;

    bob.send("/history");
    let r = bob.reply().await;
    assert_eq!(r.text, en().history_empty());

    meet(&mut bob, "ORGANIZATION", None).await;
    bob.send("/history");
    let bobs = shown(&bob.reply().await.text);
    assert!(bobs.contains(&join_url(3)), "{bobs}");
    assert!(
        !bobs.contains(&join_url(1)) && !bobs.contains(&join_url(2)),
        "{bobs}"
    );
    assert!(bobs.contains("1. ") && !bobs.contains("2. "), "{bobs}");

    alice.send("/history");
    let alices = shown(&alice.reply().await.text);
    assert!(
        alices.contains(&join_url(1)) && alices.contains(&join_url(2)),
        "{alices}"
    );
    assert!(!alices.contains(&join_url(3)), "{alices}");
    assert!(!alices.contains("User6302"), "{alices}");
    app.stop().await;
}

/// After twelve meetings /history lists only the last ten, numbered 1 to 10, newest first.
#[tokio::test]
async fn history_lists_only_the_last_ten() {
    let app = TestApp::start().await;
    let mut alice = app.private(6401, "en");
    app.with_token(&mut alice, "y0_alice").await;
    for n in 1..=12 {
        alice.send("/meet now");
        alice.reply_where(|r| r.text.contains(&join_url(n))).await;
    }
    app.tm.wait_requests(12).await;
    alice.send("/history");
    let text = shown(&alice.reply().await.text);
    let entries: Vec<&str> = text.split("\n\n").skip(1).collect();
    assert_eq!(entries.len(), 10, "{text}");
    for (i, entry) in entries.iter().enumerate() {
        let n = 12 - i as u64;
        assert!(entry.starts_with(&format!("{}. ", i + 1)), "{entry}");
        assert!(
            entry.ends_with(&format!("\n   {}", join_url(n))),
            "entry {} should be meeting {n}: {entry}",
            i + 1
        );
    }
    assert!(
        !text.contains(&join_url(1)) && !text.contains(&join_url(2)),
        "{text}"
    );
    app.stop().await;
}

/// The (label, id) of each remembered-cohost button (`co:<id>`) on `r`, in order.
fn cohost_buttons(r: &Reply) -> Vec<(String, String)> {
    r.buttons
        .iter()
        .filter(|(_, d)| d.starts_with("co:"))
        .cloned()
        .collect()
}

/// After a meeting with cohosts a@x.ru and b@x.ru, the next /meet's cohosts step offers them
/// as buttons. Tapping one ticks it and brings a Create button; tapping another and then that
/// one again leaves only the first; Create sends exactly that cohost.
#[tokio::test]
async fn remembered_cohosts_are_offered_as_buttons() {
    let app = TestApp::start().await;
    let mut alice = app.private(6501, "en");
    app.with_token(&mut alice, "y0_alice").await;
    meet(&mut alice, "PUBLIC", Some("a@x.ru, b@x.ru")).await;

    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ORGANIZATION");
    let ask = alice.reply().await;
    assert_eq!(ask.message_id, panel.message_id);
    let offered = cohost_buttons(&ask);
    let mut labels: Vec<&str> = offered.iter().map(|(l, _)| l.as_str()).collect();
    labels.sort();
    assert_eq!(labels, ["a@x.ru", "b@x.ru"], "{:?}", ask.buttons);
    let id_of = |email: &str| {
        offered
            .iter()
            .find(|(l, _)| l == email)
            .map(|(_, d)| d.clone())
            .unwrap()
    };
    let (a, b) = (id_of("a@x.ru"), id_of("b@x.ru"));
    assert_ne!(a, b);
    for data in [&a, &b] {
        let id = data.strip_prefix("co:").unwrap();
        assert!(id.parse::<i64>().is_ok_and(|n| n > 0), "{data}");
    }
    assert_eq!(&ask.data()[2..], ["skip", "cancel"]);
    assert!(!ask.has("create"));

    let tap = alice.press(&ask, &a);
    let ticked = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(ticked.method, "editMessageText");
    assert_eq!(ticked.message_id, panel.message_id);
    let label_of = |r: &Reply, data: &str| {
        r.buttons
            .iter()
            .find(|(_, d)| d == data)
            .map(|(l, _)| l.clone())
            .unwrap()
    };
    assert_eq!(label_of(&ticked, &a), "✓ a@x.ru");
    assert_eq!(label_of(&ticked, &b), "b@x.ru");
    assert!(ticked.has("create"), "{:?}", ticked.buttons);
    assert!(
        shown(&ticked.text).contains(&format!("{}: a@x.ru", en().label_cohosts())),
        "{}",
        ticked.text
    );

    alice.press(&ticked, &b);
    let both = alice.reply().await;
    assert_eq!(label_of(&both, &b), "✓ b@x.ru");
    alice.press(&both, &b);
    let one = alice.reply().await;
    assert_eq!(label_of(&one, &a), "✓ a@x.ru");
    assert_eq!(label_of(&one, &b), "b@x.ru");

    alice.press(&one, "create");
    alice.created().await;
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(
        reqs[1].body,
        json!({"waiting_room_level": "ORGANIZATION", "cohosts": [{"email": "a@x.ru"}]})
    );
    app.assert_creates(&mut alice, 2).await;
    app.stop().await;
}

/// Chat A's cohosts are not offered in chat B, and a forged tap on A's cohost id in B adds
/// nothing: B's meeting is created without cohosts.
#[tokio::test]
async fn remembered_cohosts_stay_in_their_chat() {
    let app = TestApp::start().await;
    let mut alice = app.private(6601, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut bob = app.private(6602, "en");
    app.with_token(&mut bob, "y0_bob").await;
    meet(&mut alice, "PUBLIC", Some("secret@x.ru")).await;

    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:PUBLIC");
    let alices = alice.reply().await;
    let offered = cohost_buttons(&alices);
    assert_eq!(offered.len(), 1, "{:?}", alices.buttons);
    assert_eq!(offered[0].0, "secret@x.ru");
    let forged = offered[0].1.clone();

    bob.send("/meet");
    let panel = bob.reply().await;
    bob.press(&panel, "wr:PUBLIC");
    let ask = bob.reply().await;
    assert_eq!(ask.data(), ["skip", "cancel"]);

    bob.press(&ask, &forged);
    let after = bob.reply().await;
    assert_eq!(after.data(), ["skip", "cancel"]);
    assert!(!after.text.contains("secret@x.ru"), "{}", after.text);
    bob.press(&after, "skip");
    bob.created().await;
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs[1].authorization, "OAuth y0_bob");
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}
