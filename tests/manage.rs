//! User stories for managing a meeting from the buttons under its links: details, the waiting
//! room, adding, replacing and removing cohosts, and what the user hears when Telemost refuses.
//! End to end: the real dispatcher against fake Telegram and a fake Telemost that keeps the
//! meetings it created.

mod support;

use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use support::telemost::{conference_id, join_url, watch_url};
use support::{Answer, Person, Reply, TestApp, en, shown};
use telemost_bot::telemost::TelemostError;
use telemost_bot::telemost::model::{InvalidInput, WaitingRoomLevel};

/// A supergroup (Telegram's ids for those start with -100).
const GROUP: i64 = -1_001_000_000_999;

/// The data of button `what` for conference `n`: `mg:<id>:<what>`.
fn mg(n: u64, what: &str) -> String {
    format!("mg:{}:{what}", conference_id(n))
}

/// `https://t.me/share/url?url=<url, form-encoded>`.
fn share(url: &str) -> String {
    let encoded: String = url
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("https://t.me/share/url?url={encoded}")
}

/// The buttons under meeting `n` (a stream when `watch` is set), as (label, URL or data).
fn result_buttons(n: u64, watch: Option<&str>) -> Vec<(String, String)> {
    let t = en();
    let mut b = vec![(t.button_join().to_owned(), join_url(n))];
    if let Some(w) = watch {
        b.push((t.button_watch().to_owned(), w.to_owned()));
    }
    b.push((
        t.button_share().to_owned(),
        share(watch.unwrap_or(&join_url(n))),
    ));
    for (label, what) in [
        (t.button_details(), "info"),
        (t.button_change_waiting_room(), "wr"),
        (t.button_add_cohosts(), "add"),
        (t.button_replace_cohosts(), "set"),
        (t.button_clear_cohosts(), "clear"),
    ] {
        b.push((label.to_owned(), mg(n, what)));
    }
    b
}

/// The text of meeting `n`'s message after a management action, as the user reads it: its
/// links, its waiting room, its notes, and its cohosts when they were read.
fn details_text(n: u64, level: WaitingRoomLevel, cohosts: Option<&str>) -> String {
    let t = en();
    let mut out = format!(
        "{}\n\n{}: {}\n{}: {}",
        t.meeting_links(None, &join_url(n)),
        t.label_waiting_room(),
        t.waiting_room(level),
        t.label_auto_summary(),
        t.on_off(false)
    );
    if let Some(list) = cohosts {
        out.push_str(&format!("\n{}: {list}", t.label_cohosts()));
    }
    shown(&out)
}

/// Alice's private chat with a token, and a meeting created there with "outsiders wait" and
/// `cohosts` typed (or none); returns her and the message with the links.
async fn with_meeting(app: &TestApp, user: i64, cohosts: Option<&str>) -> (Person, Reply) {
    let mut alice = app.private(user, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ORGANIZATION");
    let ask = alice.reply().await;
    match cohosts {
        Some(list) => {
            alice.send(list);
        }
        None => {
            alice.press(&ask, "skip");
        }
    }
    let done = alice.reply_where(|r| r.text.contains("https://")).await;
    app.tm.wait_all(1).await;
    (alice, done)
}

/// The request lines (`METHOD /path?query`) from the `from`th on, once `n` have arrived in all.
async fn lines_from(app: &TestApp, from: usize, n: usize) -> Vec<String> {
    app.tm.wait_all(n).await[from..]
        .iter()
        .map(|r| r.line())
        .collect()
}

/// A created meeting's message carries URL buttons (join, share through t.me) and the five
/// management buttons for its conference id; a stream's adds its watch link and shares that.
#[tokio::test]
async fn result_message_has_links_share_and_manage_buttons() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7001, None).await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert_eq!(done.buttons, result_buttons(1, None));
    assert!(done.buttons[1].1.starts_with("https://t.me/share/url"));
    assert_eq!(
        done.buttons[1].1,
        "https://t.me/share/url?url=https%3A%2F%2Ftelemost.yandex.ru%2Fj%2F10000000000001"
    );

    alice.send("/stream Launch");
    let draft = alice.reply().await;
    alice.press(&draft, "create");
    let stream = alice.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(
        stream.text,
        en().stream_created("Launch", &join_url(2), Some(&watch_url(2)))
    );
    assert_eq!(stream.buttons, result_buttons(2, Some(&watch_url(2))));
    // Creating asked nothing else of Telemost.
    let lines = lines_from(&app, 0, 2).await;
    assert_eq!(lines, ["POST /conferences", "POST /conferences"]);
    app.assert_all_requests(&mut alice, 2).await;
    app.stop().await;
}

/// Details reads the meeting and its cohosts (two GETs with the chat's token) and edits the
/// message to show the waiting room and the cohosts, keeping its buttons.
#[tokio::test]
async fn details_reads_the_meeting_and_its_cohosts() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7002, Some("a@x.ru, b@x.ru")).await;
    let id = conference_id(1);

    let tap = alice.press(&done, &mg(1, "info"));
    let shown_now = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    let reqs = app.tm.wait_all(3).await;
    let lines: Vec<String> = reqs.iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        [
            "POST /conferences".to_owned(),
            format!("GET /conferences/{id}"),
            format!("GET /conferences/{id}/cohosts?limit=256"),
        ]
    );
    assert_eq!(reqs[1].path, format!("/v1/telemost-api/conferences/{id}"));
    assert_eq!(
        reqs[2].path,
        format!("/v1/telemost-api/conferences/{id}/cohosts")
    );
    assert_eq!(reqs[2].query, "limit=256");
    for r in &reqs[1..] {
        assert_eq!(r.method, "GET");
        assert_eq!(r.authorization, "OAuth y0_alice");
        assert_eq!(r.body, Value::Null, "a GET has no body");
    }
    assert_eq!(shown_now.method, "editMessageText");
    assert_eq!(shown_now.message_id, done.message_id);
    assert_eq!(
        shown(&shown_now.text),
        details_text(1, WaitingRoomLevel::Organization, Some("a@x.ru, b@x.ru"))
    );
    assert_eq!(shown_now.buttons, result_buttons(1, None));
    app.assert_all_requests(&mut alice, 3).await;
    app.stop().await;
}

/// "Waiting room" swaps the buttons for the three levels and Back, asking nothing of Telemost;
/// "Everyone waits" PATCHes exactly `{"waiting_room_level":"ADMINS"}` and the message shows the
/// new level with its buttons back. Back, from the levels, reads the meeting again.
#[tokio::test]
async fn waiting_room_is_changed_from_the_buttons() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7003, None).await;
    let id = conference_id(1);

    let tap = alice.press(&done, &mg(1, "wr"));
    let levels = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(levels.method, "editMessageText");
    assert_eq!(levels.message_id, done.message_id);
    assert_eq!(
        levels.data(),
        [
            mg(1, "wr:PUBLIC"),
            mg(1, "wr:ORGANIZATION"),
            mg(1, "wr:ADMINS"),
            mg(1, "back")
        ]
    );
    assert_eq!(shown(&levels.text), shown(&done.text), "the text stays");
    app.assert_all_requests(&mut alice, 1).await;

    let tap = alice.press(&levels, &mg(1, "wr:ADMINS"));
    let changed = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(reqs[1].line(), format!("PATCH /conferences/{id}"));
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(reqs[1].content_type, "application/json");
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "ADMINS"}));
    assert_eq!(changed.method, "editMessageText");
    assert_eq!(changed.message_id, done.message_id);
    assert_eq!(
        shown(&changed.text),
        details_text(1, WaitingRoomLevel::Admins, None)
    );
    assert_eq!(changed.buttons, result_buttons(1, None));
    assert_eq!(
        app.tm.conference(&id).unwrap()["waiting_room_level"],
        "ADMINS"
    );

    alice.press(&changed, &mg(1, "wr"));
    let levels = alice.reply().await;
    alice.press(&levels, &mg(1, "back"));
    let back = alice.reply().await;
    assert_eq!(
        lines_from(&app, 2, 4).await,
        [
            format!("GET /conferences/{id}"),
            format!("GET /conferences/{id}/cohosts?limit=256"),
        ]
    );
    assert_eq!(back.message_id, done.message_id);
    assert_eq!(
        shown(&back.text),
        details_text(1, WaitingRoomLevel::Admins, Some(en().none()))
    );
    assert_eq!(back.buttons, result_buttons(1, None));
    app.assert_all_requests(&mut alice, 4).await;
    app.stop().await;
}

/// "Add cohosts" asks for emails; Alice's answer `c@x.ru, d@x.ru` is PATCHed to the cohosts
/// endpoint, she is told, and the meeting's message shows all its cohosts. The step is over
/// after that, and the next /meet offers the added cohosts as buttons.
#[tokio::test]
async fn add_cohosts_patches_the_typed_list() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7004, Some("a@x.ru")).await;
    let id = conference_id(1);

    let tap = alice.press(&done, &mg(1, "add"));
    let prompt = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    assert_eq!(prompt.method, "sendMessage");
    assert_eq!(prompt.text, en().ask_manage_cohosts(false));
    assert!(prompt.text.contains("email"), "{}", prompt.text);
    assert_eq!(prompt.data(), ["cancel"]);
    app.assert_all_requests(&mut alice, 1).await;

    alice.send("c@x.ru, d@x.ru");
    let told = alice.reply().await;
    assert_eq!(told.text, en().cohosts_updated("c@x.ru, d@x.ru"));
    let edited = alice.reply().await;
    let reqs = app.tm.wait_all(4).await;
    assert_eq!(reqs[1].line(), format!("PATCH /conferences/{id}/cohosts"));
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(reqs[1].content_type, "application/json");
    assert_eq!(
        reqs[1].body,
        json!({"cohosts": [{"email": "c@x.ru"}, {"email": "d@x.ru"}]})
    );
    assert_eq!(
        lines_from(&app, 2, 4).await,
        [
            format!("GET /conferences/{id}"),
            format!("GET /conferences/{id}/cohosts?limit=256"),
        ]
    );
    assert_eq!(edited.method, "editMessageText");
    assert_eq!(edited.message_id, done.message_id);
    assert_eq!(
        shown(&edited.text),
        details_text(
            1,
            WaitingRoomLevel::Organization,
            Some("a@x.ru, c@x.ru, d@x.ru")
        )
    );
    assert_eq!(edited.buttons, result_buttons(1, None));

    // The step is over: a new message is not another list.
    alice.send("e@x.ru");
    assert_eq!(alice.reply().await.text, en().idle_hint());
    app.assert_all_requests(&mut alice, 4).await;

    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:PUBLIC");
    let ask = alice.reply().await;
    let mut offered: Vec<&str> = ask
        .buttons
        .iter()
        .filter(|(_, d)| d.starts_with("co:"))
        .map(|(l, _)| l.as_str())
        .collect();
    offered.sort();
    assert_eq!(offered, ["a@x.ru", "c@x.ru", "d@x.ru"]);
    app.stop().await;
}

/// "Replace cohosts" asks for the new list and PUTs exactly what Alice typed; the meeting then
/// has only those.
#[tokio::test]
async fn replace_cohosts_puts_the_typed_list() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7005, Some("a@x.ru, b@x.ru")).await;
    let id = conference_id(1);

    alice.press(&done, &mg(1, "set"));
    let prompt = alice.reply().await;
    assert_eq!(prompt.text, en().ask_manage_cohosts(true));
    alice.send("e@x.ru\nf@x.ru");
    let told = alice.reply().await;
    assert_eq!(told.text, en().cohosts_updated("e@x.ru, f@x.ru"));
    let edited = alice.reply().await;
    let reqs = app.tm.wait_all(4).await;
    assert_eq!(reqs[1].line(), format!("PUT /conferences/{id}/cohosts"));
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[1].body,
        json!({"cohosts": [{"email": "e@x.ru"}, {"email": "f@x.ru"}]})
    );
    assert_eq!(app.tm.cohosts(&id).unwrap(), ["e@x.ru", "f@x.ru"]);
    assert_eq!(edited.message_id, done.message_id);
    assert_eq!(
        shown(&edited.text),
        details_text(1, WaitingRoomLevel::Organization, Some("e@x.ru, f@x.ru"))
    );
    app.assert_all_requests(&mut alice, 4).await;
    app.stop().await;
}

/// "Remove cohosts" PUTs an empty list at once (no question) and shows "Cohosts: none".
#[tokio::test]
async fn clear_cohosts_puts_an_empty_list() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7006, Some("a@x.ru, b@x.ru")).await;
    let id = conference_id(1);

    let tap = alice.press(&done, &mg(1, "clear"));
    let edited = alice.reply().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    let reqs = app.tm.wait_all(3).await;
    assert_eq!(reqs[1].line(), format!("PUT /conferences/{id}/cohosts"));
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(reqs[1].body, json!({"cohosts": []}));
    assert_eq!(reqs[2].line(), format!("GET /conferences/{id}"));
    assert_eq!(app.tm.cohosts(&id).unwrap(), Vec::<String>::new());
    assert_eq!(edited.method, "editMessageText");
    assert_eq!(edited.message_id, done.message_id);
    assert_eq!(
        shown(&edited.text),
        details_text(1, WaitingRoomLevel::Organization, Some(en().none()))
    );
    assert_eq!(edited.buttons, result_buttons(1, None));
    app.assert_all_requests(&mut alice, 3).await;
    app.stop().await;
}

/// A list with something that is not an email is refused, naming it, with no request; the
/// corrected list then goes through.
#[tokio::test]
async fn a_bad_email_in_the_add_step_is_refused() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7007, None).await;
    let id = conference_id(1);
    alice.press(&done, &mg(1, "add"));
    alice.reply().await;

    alice.send("c@x.ru, not-an-email");
    let refused = alice.reply().await;
    assert_eq!(
        refused.text,
        en().invalid_input(&InvalidInput::BadEmails(vec!["not-an-email".into()]))
    );
    assert!(refused.text.contains("not-an-email"));
    app.assert_all_requests(&mut alice, 1).await;

    alice.send("c@x.ru");
    assert_eq!(alice.reply().await.text, en().cohosts_updated("c@x.ru"));
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(reqs[1].line(), format!("PATCH /conferences/{id}/cohosts"));
    assert_eq!(reqs[1].body, json!({"cohosts": [{"email": "c@x.ru"}]}));
    app.stop().await;
}

/// Cancel under the question ends the step: what Alice types next is not taken as cohosts.
#[tokio::test]
async fn cancel_ends_the_cohosts_step() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7008, None).await;
    alice.press(&done, &mg(1, "set"));
    let prompt = alice.reply().await;
    alice.press(&prompt, "cancel");
    let cancelled = alice.reply().await;
    assert_eq!(cancelled.message_id, prompt.message_id);
    assert_eq!(cancelled.text, en().cancelled());
    assert!(cancelled.buttons.is_empty());
    alice.send("c@x.ru");
    assert_eq!(alice.reply().await.text, en().idle_hint());
    app.assert_all_requests(&mut alice, 1).await;
    app.stop().await;
}

/// Telemost answers the waiting-room PATCH with 404 ConferenceNotFound (the meeting was
/// deleted): Alice is told so in plain words, once (a 404 is not retried), and the meeting's
/// message is left as it was.
#[tokio::test]
async fn a_deleted_meeting_is_explained() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7009, None).await;
    let id = conference_id(1);
    app.tm.then_on(
        "PATCH",
        &format!("/conferences/{id}"),
        Answer::json(404, json!({"error": "ConferenceNotFound"})),
    );
    let from = alice.now();
    alice.press(&done, &mg(1, "wr:ADMINS"));
    let told = alice.reply().await;
    assert_eq!(told.method, "sendMessage");
    assert_eq!(
        told.text,
        en().telemost_error(&TelemostError::ConferenceNotFound)
    );
    assert_eq!(
        shown(&told.text),
        "Telemost no longer knows this meeting: it may have been deleted."
    );
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(reqs[1].line(), format!("PATCH /conferences/{id}"));
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "ADMINS"}));
    app.assert_all_requests(&mut alice, 2).await;
    assert!(
        !app.tg
            .calls()
            .iter()
            .skip(from)
            .any(|c| c.method == "editMessageText"),
        "the meeting's message is not edited"
    );
    app.stop().await;
}

/// A meeting Telemost no longer knows (deleted on its side): GET answers 404 and Alice is told
/// the meeting is gone.
#[tokio::test]
async fn a_meeting_gone_from_telemost_is_explained() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7010, None).await;
    let id = conference_id(1);
    app.tm.then_on(
        "GET",
        &format!("/conferences/{id}"),
        Answer::json(
            404,
            json!({"error": "ConferenceNotFound", "message": "Not found"}),
        ),
    );
    alice.press(&done, &mg(1, "info"));
    let told = alice.reply().await;
    assert_eq!(
        told.text,
        en().telemost_error(&TelemostError::ConferenceNotFound)
    );
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(reqs[1].line(), format!("GET /conferences/{id}"));
    app.assert_all_requests(&mut alice, 2).await;
    app.stop().await;
}

/// A button naming a meeting id the bot never created here (forged, or left from elsewhere):
/// the press gets the stale-button notice and Telemost is not asked anything.
#[tokio::test]
async fn an_unknown_meeting_id_is_refused_without_asking_telemost() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7012, None).await;
    let q = alice.press(&done, "mg:99999999999999:info");
    assert_eq!(alice.answer_to(&q).await, en().stale_button());
    app.assert_all_requests(&mut alice, 1).await;
    app.stop().await;
}

/// Telemost answers the details GET with 403 (the token's account is not in an organisation):
/// Alice hears what that means; nothing more is asked of Telemost and the message stays.
#[tokio::test]
async fn forbidden_on_details_is_explained() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7011, None).await;
    let id = conference_id(1);
    app.tm.then_on(
        "GET",
        &format!("/conferences/{id}"),
        Answer::json(
            403,
            json!({"error": "ApiRestrictedToOrganizations", "message": "Forbidden"}),
        ),
    );
    let from = alice.now();
    alice.press(&done, &mg(1, "info"));
    let told = alice.reply().await;
    assert_eq!(told.method, "sendMessage");
    assert_eq!(
        told.text,
        en().telemost_error(&TelemostError::Forbidden { message: None })
    );
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(reqs[1].line(), format!("GET /conferences/{id}"));
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    app.assert_all_requests(&mut alice, 2).await;
    assert!(
        !app.tg
            .calls()
            .iter()
            .skip(from)
            .any(|c| c.method == "editMessageText")
    );
    app.stop().await;
}

/// Management data the bot never sends (`mg:abc:nope`, an id with a separator, an unknown
/// level…) gets a notice, and nothing is asked of Telemost or changed in the chat.
#[tokio::test]
async fn unknown_manage_data_gets_a_notice() {
    let app = TestApp::start().await;
    let (mut alice, done) = with_meeting(&app, 7012, None).await;
    for junk in [
        "mg:abc:nope",
        "mg::info",
        "mg:1/2:info",
        "mg:10000000000001:wr:ADMIN",
        "mg:10000000000001",
    ] {
        let from = alice.now();
        let tap = alice.press(&done, junk);
        assert_eq!(alice.answer_to(&tap).await, en().stale_button(), "{junk}");
        alice
            .assert_no_call_since(from, |c| {
                matches!(c.method.as_str(), "sendMessage" | "editMessageText")
            })
            .await;
    }
    app.assert_all_requests(&mut alice, 1).await;
    app.stop().await;
}

/// In a group, Anna created a meeting with her own token. Boris, no admin, tries to change its
/// waiting room: he is told only she (or an admin) may, and nothing is asked of Telemost. When
/// Anna taps "Add cohosts", Boris's reply is not her list; hers is, sent with her token.
#[tokio::test]
async fn in_a_group_only_the_one_who_asked_answers() {
    let app = TestApp::start().await;
    let mut anna = app.private(7101, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut anna_in_group = app.in_group(GROUP, 7101, "en");
    let mut boris_in_group = app.in_group(GROUP, 7102, "en");
    let mut group = app.in_group(GROUP, 7101, "en");

    anna_in_group.send("/meet");
    let panel = group.reply().await;
    anna_in_group.press(&panel, "create");
    let done = group.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(done.buttons, result_buttons(1, None));

    // Boris may not change Anna's meeting (he is no admin); nothing is asked of Telemost.
    let tap = boris_in_group.press(&done, &mg(1, "wr:ADMINS"));
    assert_eq!(
        boris_in_group.answer_to(&tap).await,
        en().not_your_meeting()
    );
    app.assert_all_requests(&mut group, 1).await;

    anna_in_group.press(&done, &mg(1, "add"));
    let prompt = group.reply().await;
    assert_eq!(
        shown(&prompt.text),
        shown(&format!(
            "{} {}",
            en().ask_manage_cohosts(false),
            en().reply_hint()
        ))
    );
    let from = group.now();
    boris_in_group.reply_to(&prompt, "boris@x.ru");
    group
        .assert_no_call_since(from, |c| c.chat_id() == Some(GROUP))
        .await;
    app.assert_all_requests(&mut group, 1).await;

    anna_in_group.reply_to(&prompt, "carol@x.ru");
    assert_eq!(group.reply().await.text, en().cohosts_updated("carol@x.ru"));
    let reqs = app.tm.wait_all(2).await;
    assert_eq!(
        reqs[1].line(),
        format!("PATCH /conferences/{}/cohosts", conference_id(1))
    );
    assert_eq!(reqs[1].authorization, "OAuth y0_anna");
    assert_eq!(reqs[1].body, json!({"cohosts": [{"email": "carol@x.ru"}]}));
    app.stop().await;
}

/// In a group, Boris's /cancel and his "Add cohosts" tap do not touch Anna's unfinished
/// /meet: he has no dialogue to cancel, the meeting is not his to change, and she carries on.
#[tokio::test]
async fn another_members_cancel_or_manage_leaves_a_draft_alone() {
    let app = TestApp::start().await;
    let mut anna = app.private(7201, "en");
    app.with_token(&mut anna, "y0_anna2").await;
    let mut anna_in_group = app.in_group(GROUP, 7201, "en");
    let mut boris_in_group = app.in_group(GROUP, 7202, "en");
    let mut group = app.in_group(GROUP, 7201, "en");

    // A meeting first, so there are management buttons to tap.
    anna_in_group.send("/meet");
    let panel = group.reply().await;
    anna_in_group.press(&panel, "create");
    let done = group.reply_where(|r| r.text.contains("https://")).await;

    // Anna starts another meeting.
    anna_in_group.send("/meet");
    let panel = group.reply_where(|r| r.has("create")).await;
    boris_in_group.send("/cancel");
    assert_eq!(
        shown(&group.reply().await.text),
        shown(en().nothing_to_cancel())
    );
    let tap = boris_in_group.press(&done, &mg(1, "add"));
    assert_eq!(
        boris_in_group.answer_to(&tap).await,
        en().not_your_meeting()
    );

    anna_in_group.press(&panel, "wr:ADMINS");
    let next = group.reply().await;
    assert!(next.has("skip"), "her draft went on: {:?}", next.buttons);
    app.stop().await;
}

/// A stream titled with markup: choosing a new waiting room edits the message with the title
/// still escaped (Telegram would refuse it otherwise, and the fake does too).
#[tokio::test]
async fn waiting_room_choice_keeps_a_markup_title_escaped() {
    let app = TestApp::start().await;
    let mut ann = app.private(7301, "en");
    app.with_token(&mut ann, "y0_ann3").await;
    ann.send("/stream Results <Q3> & more");
    let panel = ann.reply().await;
    ann.press(&panel, "create");
    let done = ann.reply_where(|r| r.text.contains("https://")).await;
    ann.press(&done, &mg(1, "wr"));
    let choice = ann.reply().await;
    assert_eq!(choice.method, "editMessageText");
    assert!(
        choice.text.contains("Results &lt;Q3&gt; &amp; more"),
        "{}",
        choice.text
    );
    assert!(choice.has(&mg(1, "wr:ADMINS")), "{:?}", choice.buttons);
    app.stop().await;
}

/// Anna created a meeting in the group with her own token; later the group gets its own token.
/// Managing her meeting still uses her token (the account that owns it). An admin may change
/// it too.
#[tokio::test]
async fn a_meeting_is_managed_with_the_token_that_created_it() {
    let app = TestApp::start().await;
    let mut anna = app.private(7401, "en");
    app.with_token(&mut anna, "y0_anna4").await;
    let mut anna_in_group = app.in_group(GROUP, 7401, "en");
    let mut group = app.in_group(GROUP, 7401, "en");
    anna_in_group.send("/meet");
    let panel = group.reply().await;
    anna_in_group.press(&panel, "create");
    let done = group.reply_where(|r| r.text.contains("https://")).await;

    // The group gets a token of its own (stored directly: how is the /connect stories' business).
    let db = app.side_db().await;
    db.set_token(
        GROUP,
        &telemost_bot::storage::Tokens::pasted(secrecy::SecretString::from("y0_group")),
        Some(7499),
    )
    .await
    .unwrap();
    db.close().await;

    anna_in_group.press(&done, &mg(1, "info"));
    let reqs = app.tm.wait_all(3).await;
    assert_eq!(reqs[1].authorization, "OAuth y0_anna4", "{:?}", reqs[1]);
    assert_eq!(reqs[2].authorization, "OAuth y0_anna4", "{:?}", reqs[2]);

    app.tg.set_admin(GROUP, 7402, true);
    let mut admin_in_group = app.in_group(GROUP, 7402, "en");
    let tap = admin_in_group.press(&done, &mg(1, "wr:ADMINS"));
    assert_eq!(admin_in_group.answer_to(&tap).await, "");
    let reqs = app.tm.wait_all(4).await;
    assert_eq!(
        reqs[3].line(),
        format!("PATCH /conferences/{}", conference_id(1))
    );
    assert_eq!(reqs[3].authorization, "OAuth y0_anna4");
    app.stop().await;
}

/// Alice created a meeting in her private chat. Bob has his own token and his own meetings, one
/// in his private chat and one in a group where he is an admin. On his own meetings' messages he
/// forges every management button with Alice's conference id instead of his (a modified client
/// can send any callback data). Every press gets the stale-button notice; not one request
/// reaches Telemost naming Alice's meeting (nor any other request), her meeting is unchanged,
/// nothing in Bob's chats is sent or edited, and he is not asked for emails: what he types next
/// is not taken as a cohost list. His own id on the same message still works, so the refusal is
/// about whose meeting the id names.
#[tokio::test]
async fn forged_presses_naming_another_chats_meeting_reach_no_api() {
    let app = TestApp::start().await;
    let (_alice, _) = with_meeting(&app, 7501, Some("a@x.ru")).await;
    let alice_id = conference_id(1);
    assert_eq!(
        app.recorded_meetings(7501, 1).await[0].conference_id,
        alice_id
    );

    let mut bob = app.private(7502, "en");
    app.with_token(&mut bob, "y0_bob").await;
    let bob_done = bob.meet_with_defaults().await;
    assert_eq!(bob_done.text, en().meeting_created(None, &join_url(2)));
    app.recorded_meetings(7502, 1).await;

    app.tg.set_admin(GROUP, 7502, true);
    let mut bob_in_group = app.in_group(GROUP, 7502, "en");
    let mut group = app.in_group(GROUP, 7502, "en");
    bob_in_group.send("/meet");
    let panel = group.reply_where(|r| r.has("create")).await;
    bob_in_group.press(&panel, "create");
    let group_done = group.created().await;
    assert_eq!(group_done.text, en().meeting_created(None, &join_url(3)));
    app.recorded_meetings(GROUP, 1).await;
    let before = app.tm.wait_all(3).await.len();
    assert_eq!(before, 3);

    let from = app.tg.calls().len();
    let actions = support::MANAGE_ACTIONS;
    for (who, done) in [(&mut bob, &bob_done), (&mut bob_in_group, &group_done)] {
        for what in actions {
            let forged = format!("mg:{alice_id}:{what}");
            let tap = who.press(done, &forged);
            assert_eq!(who.answer_to(&tap).await, en().stale_button(), "{forged}");
        }
    }
    bob.barrier().await;
    app.assert_all_requests(&mut bob_in_group, before).await;
    for r in app.tm.all_requests() {
        assert!(!r.path.contains(&alice_id), "{}", r.line());
    }
    let conference = app.tm.conference(&alice_id).unwrap();
    assert_eq!(conference["waiting_room_level"], "ORGANIZATION");
    assert_eq!(app.tm.cohosts(&alice_id).unwrap(), ["a@x.ru"]);
    let said: Vec<String> = app
        .tg
        .calls()
        .iter()
        .skip(from)
        .filter(|c| matches!(c.method.as_str(), "sendMessage" | "editMessageText"))
        .map(|c| format!("{} {}", c.method, c.body))
        .collect();
    assert!(said.is_empty(), "{said:#?}");
    assert!(
        !app.tg
            .calls()
            .iter()
            .any(|c| c.text().contains(en().ask_manage_cohosts(false))
                || c.text().contains(en().ask_manage_cohosts(true))),
        "nobody was asked for emails"
    );

    // Bob's next message is not an answer to an "Add cohosts" question.
    bob.send("eve@x.ru");
    assert_eq!(bob.reply().await.text, en().idle_hint());
    app.assert_all_requests(&mut bob, before).await;

    // His own meeting's id, on the same message, does reach Telemost (with his token).
    let tap = bob.press(&bob_done, &mg(2, "info"));
    assert_eq!(bob.answer_to(&tap).await, "");
    let reqs = app.tm.wait_all(before + 2).await;
    assert_eq!(
        reqs[before].line(),
        format!("GET /conferences/{}", conference_id(2))
    );
    assert_eq!(reqs[before].authorization, "OAuth y0_bob");
    app.stop().await;
}

/// The meeting is created but the bot cannot record it (its table is away for a while, so every
/// retry fails too): Alice still gets the links and is told the buttons under them will not work;
/// once the database is back, a press on them reaches no API (never falling back to another
/// token).
#[tokio::test]
async fn an_unrecorded_meeting_is_explained_and_its_buttons_do_nothing() {
    let app = TestApp::start().await;
    if app.on_postgres() {
        return;
    }
    let mut alice = app.private(7401, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let options = SqliteConnectOptions::new().filename(app.db_path());
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::query("ALTER TABLE meetings RENAME TO meetings_away")
        .execute(&mut conn)
        .await
        .unwrap();

    let done = alice.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let note = alice.reply().await;
    assert_eq!(note.text, en().record_failed());
    // While the database still fails, a press is answered with an apology (the button stops
    // spinning) and reaches no API.
    let q = alice.press(&done, &mg(1, "info"));
    assert_eq!(alice.answer_to(&q).await, en().internal_error());
    assert_eq!(alice.reply().await.text, en().internal_error());
    sqlx::query("ALTER TABLE meetings_away RENAME TO meetings")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let q = alice.press(&done, &mg(1, "info"));
    assert_eq!(alice.answer_to(&q).await, en().stale_button());
    app.assert_all_requests(&mut alice, 1).await;
    app.stop().await;
}

/// Boris, a group admin, taps "Add cohosts" under Anna's meeting and is demoted before he
/// answers: his reply is refused as not his to make, and Telemost is not asked to change it.
#[tokio::test]
async fn an_admin_demoted_before_answering_the_cohosts_prompt_changes_nothing() {
    let app = TestApp::start().await;
    let mut anna = app.private(7501, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut anna_in_group = app.in_group(GROUP, 7501, "en");
    let mut boris_in_group = app.in_group(GROUP, 7502, "en");
    let mut group = app.in_group(GROUP, 7501, "en");
    app.tg.set_admin(GROUP, 7502, true);

    anna_in_group.send("/meet");
    let panel = group.reply().await;
    anna_in_group.press(&panel, "create");
    let done = group.reply_where(|r| r.text.contains("https://")).await;

    boris_in_group.press(&done, &mg(1, "add"));
    let prompt = group.reply().await;
    assert!(prompt.has("cancel"), "{:?}", prompt.buttons);
    app.tg.set_admin(GROUP, 7502, false);
    boris_in_group.reply_to(&prompt, "mallory@x.ru");
    assert_eq!(group.reply().await.text, en().not_your_meeting());
    app.assert_all_requests(&mut group, 1).await;
    app.stop().await;
}
