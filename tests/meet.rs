//! User stories for /meet, end to end: the real dispatcher against fake Telegram and Telemost.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::telemost::{Gate, join_url};
use support::{Answer, Options, Person, Reply, TestApp, en, test_retry_policy};
use telemost_bot::telemost::RetryPolicy;

/// A supergroup (Telegram's ids for those start with -100).
const GROUP: i64 = -1_001_234_567_890;

/// Opens /meet and picks the waiting room `level`; returns the panel, now at the cohosts step.
async fn meet_up_to_cohosts(person: &mut Person, level: &str) -> Reply {
    person.send("/meet");
    let panel = person.reply().await;
    person.press(&panel, &format!("wr:{level}"));
    let ask = person.reply().await;
    assert_eq!(ask.message_id, panel.message_id, "the panel is edited");
    assert!(ask.text.contains("email"), "{}", ask.text);
    assert_eq!(ask.data(), ["skip", "cancel"]);
    ask
}

/// Checks the invariants of every create body: no deprecated top-level `access_level`, and the
/// waiting room spelt as the API spells it.
fn assert_api_shape(body: &Value) {
    assert!(body.get("access_level").is_none(), "{body}");
    let level = body["waiting_room_level"].as_str().unwrap_or_default();
    assert!(
        ["PUBLIC", "ORGANIZATION", "ADMINS"].contains(&level),
        "{body}"
    );
}

#[tokio::test]
async fn meet_with_defaults_takes_one_tap() {
    let app = TestApp::start().await;
    let mut alice = app.private(1001, "en");
    app.with_token(&mut alice, "y0_alice").await;

    alice.send("/meet");
    let panel = alice.reply().await;
    assert_eq!(panel.method, "sendMessage");
    assert!(panel.has("create"), "{:?}", panel.buttons);
    for data in ["wr:PUBLIC", "wr:ORGANIZATION", "wr:ADMINS", "cancel"] {
        assert!(panel.has(data), "{data} missing from {:?}", panel.buttons);
    }

    let tap = alice.press(&panel, "create");
    let done = alice.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(alice.answer_to(&tap).await, "");

    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].content_type, "application/json");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    let join = support::telemost::join_url(1);
    assert!(done.text.contains(&join), "{}", done.text);
    assert_eq!(
        done.message_id, panel.message_id,
        "the panel is edited into the result"
    );
    assert!(done.buttons.iter().any(|(_, url)| url == &join));
    app.stop().await;
}

#[tokio::test]
async fn meet_without_token_explains_and_calls_nothing() {
    let app = TestApp::start().await;
    let mut bob = app.private(1002, "en");
    bob.send("/meet");
    let r = bob.reply().await;
    assert!(r.text.contains("/token"), "{}", r.text);
    assert!(r.buttons.is_empty());
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn unauthorized_token_tells_how_to_set_a_new_one() {
    let app = TestApp::start().await;
    let mut alice = app.private(1003, "en");
    app.with_token(&mut alice, "y0_revoked").await;
    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "create");
    let r = alice.reply_where(|r| r.text.contains("token")).await;
    assert!(r.text.contains("/token"), "{}", r.text);
    assert!(r.has("create"), "the draft is kept, so the user can retry");
    app.stop().await;
}

/// The user picks "Organization" for the waiting room, then creates without cohosts.
#[tokio::test]
async fn waiting_room_organization() {
    let app = TestApp::start().await;
    let mut alice = app.private(1101, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let ask = meet_up_to_cohosts(&mut alice, "ORGANIZATION").await;
    assert!(
        ask.text.contains(
            en().waiting_room(telemost_bot::telemost::model::WaitingRoomLevel::Organization)
        ),
        "the panel shows the choice: {}",
        ask.text
    );
    let tap = alice.press(&ask, "skip");
    let done = alice.created().await;
    assert_eq!(alice.answer_to(&tap).await, "");
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ORGANIZATION"}));
    assert_api_shape(&reqs[0].body);
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    app.stop().await;
}

/// The user picks "Admins" for the waiting room: the API gets "ADMINS" (never "ADMIN").
#[tokio::test]
async fn waiting_room_admins() {
    let app = TestApp::start().await;
    let mut alice = app.private(1102, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let ask = meet_up_to_cohosts(&mut alice, "ADMINS").await;
    alice.press(&ask, "skip");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ADMINS"}));
    assert!(!reqs[0].body.to_string().contains("\"ADMIN\""));
    assert_api_shape(&reqs[0].body);
    app.stop().await;
}

/// The user taps "Public" explicitly (the default), then creates without cohosts.
#[tokio::test]
async fn waiting_room_public_chosen_explicitly() {
    let app = TestApp::start().await;
    let mut alice = app.private(1103, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let ask = meet_up_to_cohosts(&mut alice, "PUBLIC").await;
    alice.press(&ask, "skip");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    assert_api_shape(&reqs[0].body);
    app.stop().await;
}

/// The user types cohosts separated by a comma, a space and a new line: all three are sent, in
/// order, as `{"email": …}` objects.
#[tokio::test]
async fn cohosts_typed_with_commas_and_new_lines() {
    let app = TestApp::start().await;
    let mut alice = app.private(1104, "en");
    app.with_token(&mut alice, "y0_alice").await;
    meet_up_to_cohosts(&mut alice, "ADMINS").await;
    alice.send("a@x.ru, b@x.ru\nc@x.ru");
    let done = alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ADMINS",
            "cohosts": [{"email": "a@x.ru"}, {"email": "b@x.ru"}, {"email": "c@x.ru"}]
        })
    );
    assert_api_shape(&reqs[0].body);
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert!(done.buttons.iter().any(|(_, url)| url == &join_url(1)));
    app.stop().await;
}

/// The user types a list with something that is not an email: the bot names it and asks again,
/// creating nothing; the corrected list then works.
#[tokio::test]
async fn invalid_cohost_is_named_and_asked_again() {
    let app = TestApp::start().await;
    let mut alice = app.private(1105, "en");
    app.with_token(&mut alice, "y0_alice").await;
    meet_up_to_cohosts(&mut alice, "PUBLIC").await;

    alice.send("a@x.ru, not-an-email");
    let again = alice.reply().await;
    assert!(
        again
            .text
            .contains("This is not an email address: not-an-email. Send the whole list"),
        "{}",
        again.text
    );
    assert!(again.text.contains(en().ask_cohosts()), "{}", again.text);
    assert_eq!(again.data(), ["skip", "cancel"]);
    app.assert_creates(&mut alice, 0).await;

    alice.send("a@x.ru");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "cohosts": [{"email": "a@x.ru"}]})
    );
    app.stop().await;
}

/// 31 cohosts are refused with the limit named; 30 are accepted and all sent.
#[tokio::test]
async fn thirty_one_cohosts_refused_thirty_accepted() {
    let app = TestApp::start().await;
    let mut alice = app.private(1106, "en");
    app.with_token(&mut alice, "y0_alice").await;
    meet_up_to_cohosts(&mut alice, "ORGANIZATION").await;
    let emails: Vec<String> = (1..=31).map(|i| format!("user{i}@x.ru")).collect();

    alice.send(&emails.join(", "));
    let refused = alice.reply().await;
    assert!(
        refused
            .text
            .contains("That is 31 cohosts; a meeting can have at most 30."),
        "{}",
        refused.text
    );
    assert!(refused.has("skip"));
    app.assert_creates(&mut alice, 0).await;

    alice.send(&emails[..30].join("\n"));
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    let cohosts: Vec<Value> = emails[..30].iter().map(|e| json!({"email": e})).collect();
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "ORGANIZATION", "cohosts": cohosts})
    );
    app.stop().await;
}

/// At the cohosts step the user taps "Create without cohosts": the body has no `cohosts` key.
#[tokio::test]
async fn skipping_cohosts_sends_no_cohosts_key() {
    let app = TestApp::start().await;
    let mut alice = app.private(1107, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let ask = meet_up_to_cohosts(&mut alice, "ADMINS").await;
    let label = &ask.buttons[0].0;
    assert_eq!(label, en().button_no_cohosts());
    alice.press(&ask, "skip");
    let done = alice.created().await;
    assert_eq!(
        done.message_id, ask.message_id,
        "the panel becomes the result"
    );
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "ADMINS"}));
    assert!(reqs[0].body.get("cohosts").is_none());
    app.stop().await;
}

/// The user starts /meet twice and taps Create on the first, no longer current, panel: a notice,
/// nothing created. Create on the current panel works.
#[tokio::test]
async fn create_on_an_old_panel_is_stale() {
    let app = TestApp::start().await;
    let mut alice = app.private(1108, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/meet");
    let old = alice.reply().await;
    alice.send("/meet");
    let current = alice.reply().await;
    assert_ne!(old.message_id, current.message_id);

    let tap = alice.press(&old, "create");
    assert_eq!(alice.answer_to(&tap).await, en().stale_button());
    app.assert_creates(&mut alice, 0).await;

    alice.press(&current, "create");
    let done = alice.created().await;
    assert_eq!(done.message_id, current.message_id);
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// In a group, Bob taps Create on Alice's panel: he gets a notice, nothing is created and the
/// panel is untouched. Alice's own tap creates with her token.
#[tokio::test]
async fn another_member_cannot_press_the_owners_buttons() {
    let app = TestApp::start().await;
    let mut alice = app.private(1109, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut alice_in_group = app.in_group(GROUP, 1109, "en");
    let mut bob_in_group = app.in_group(GROUP, 1110, "en");

    alice_in_group.send("/meet");
    let panel = alice_in_group.reply().await;
    let from = bob_in_group.now();
    let tap = bob_in_group.press(&panel, "create");
    assert_eq!(bob_in_group.answer_to(&tap).await, en().not_your_dialogue());
    let tap = bob_in_group.press(&panel, "wr:ADMINS");
    assert_eq!(bob_in_group.answer_to(&tap).await, en().not_your_dialogue());
    bob_in_group
        .assert_no_call_since(from, |c| {
            c.method == "editMessageText" || c.method == "sendMessage"
        })
        .await;
    assert!(app.tm.requests().is_empty());

    alice_in_group.press(&panel, "create");
    alice_in_group.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// In a group, Bob replies to Alice's cohosts question: not taken as her answer. Alice's reply
/// is.
#[tokio::test]
async fn another_members_reply_is_not_the_owners_answer() {
    let app = TestApp::start().await;
    let mut alice = app.private(1111, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut alice_in_group = app.in_group(GROUP, 1111, "en");
    let mut bob_in_group = app.in_group(GROUP, 1112, "en");
    let ask = meet_up_to_cohosts(&mut alice_in_group, "ORGANIZATION").await;

    let from = bob_in_group.now();
    bob_in_group.reply_to(&ask, "bob@x.ru");
    bob_in_group
        .assert_no_call_since(from, |c| c.chat_id() == Some(GROUP))
        .await;
    assert!(app.tm.requests().is_empty());

    alice_in_group.reply_to(&ask, "carol@x.ru");
    alice_in_group.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "ORGANIZATION", "cohosts": [{"email": "carol@x.ru"}]})
    );
    app.stop().await;
}

/// A button with data the bot never sends ("garbage") is answered with a notice; the dialogue
/// is unaffected and Create still works.
#[tokio::test]
async fn unknown_callback_data_gets_a_notice() {
    let app = TestApp::start().await;
    let mut alice = app.private(1113, "en");
    app.with_token(&mut alice, "y0_alice").await;
    alice.send("/meet");
    let panel = alice.reply().await;
    let from = alice.now();
    let tap = alice.press(&panel, "garbage");
    assert_eq!(alice.answer_to(&tap).await, en().stale_button());
    alice
        .assert_no_call_since(from, |c| {
            c.method == "editMessageText" || c.method == "sendMessage"
        })
        .await;
    assert!(app.tm.requests().is_empty());

    alice.press(&panel, "create");
    alice.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    app.stop().await;
}

/// The user taps Create twice in quick succession (Telemost is slow to answer): exactly one
/// meeting is created; the second tap gets a notice.
#[tokio::test]
async fn double_tap_on_create_creates_once() {
    let app = TestApp::start().await;
    let mut alice = app.private(1114, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(
        Answer::json(
            201,
            json!({"id": "77", "join_url": "https://telemost.yandex.ru/j/77"}),
        )
        .after(Duration::from_millis(300)),
    );
    alice.send("/meet");
    let panel = alice.reply().await;
    let first = alice.press(&panel, "create");
    let second = alice.press(&panel, "create");

    let done = alice.created().await;
    assert_eq!(
        done.text,
        en().meeting_created(None, "https://telemost.yandex.ru/j/77")
    );
    assert_eq!(alice.answer_to(&first).await, "");
    let notice = alice.answer_to(&second).await;
    assert!(
        notice == en().still_creating() || notice == en().stale_button(),
        "{notice:?}"
    );
    app.assert_creates(&mut alice, 1).await;
    assert_eq!(
        app.tm.requests()[0].body,
        json!({"waiting_room_level": "PUBLIC"})
    );
    app.stop().await;
}

/// Two users, each in their private chat with their own token, have dialogues open at once:
/// each meeting is created with its own chat's token.
#[tokio::test]
async fn two_private_chats_use_their_own_tokens() {
    let app = TestApp::start().await;
    let mut alice = app.private(1115, "en");
    let mut bob = app.private(1116, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.with_token(&mut bob, "y0_bob").await;
    alice.send("/meet");
    let alice_panel = alice.reply().await;
    bob.send("/meet");
    let bob_panel = bob.reply().await;

    bob.press(&bob_panel, "create");
    let bob_done = bob.created().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_bob");
    assert_eq!(bob_done.text, en().meeting_created(None, &join_url(1)));

    alice.press(&alice_panel, "wr:ADMINS");
    let ask = alice.reply().await;
    alice.press(&ask, "skip");
    let alice_done = alice.created().await;
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "ADMINS"}));
    assert_eq!(alice_done.text, en().meeting_created(None, &join_url(2)));
    app.stop().await;
}

/// A user whose Telegram is in Russian sees the panel, the buttons and the result in Russian.
#[tokio::test]
async fn russian_user_gets_russian_texts() {
    let app = TestApp::start().await;
    let mut ivan = app.private(1117, "ru");
    app.with_token(&mut ivan, "y0_ivan").await;
    ivan.send("/meet");
    let panel = ivan.reply().await;
    assert!(
        panel.text.starts_with("<b>Новая встреча в Телемосте</b>"),
        "{}",
        panel.text
    );
    assert!(panel.text.contains("Комната ожидания"), "{}", panel.text);
    assert!(
        panel
            .buttons
            .iter()
            .any(|(label, data)| label == "✅ Создать" && data == "create"),
        "{:?}",
        panel.buttons
    );
    ivan.press(&panel, "create");
    let done = ivan.created().await;
    assert_eq!(
        done.text,
        format!("<b>Встреча создана.</b>\nСсылка для входа: {}", join_url(1))
    );
    assert_eq!(
        done.buttons[0],
        ("Войти во встречу".to_owned(), join_url(1))
    );
    assert_eq!(done.buttons[1].0, "Поделиться");
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_ivan");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// Telemost is slow, so the bot says "Creating the meeting…", but Telegram refuses that note (a
/// flood wait longer than the bot waits out). The note is only a courtesy: the meeting is still
/// created, once, and its link arrives.
#[tokio::test]
async fn a_failed_progress_note_does_not_stop_the_meeting() {
    let app = TestApp::start().await;
    let mut alice = app.private(1118, "en");
    app.with_token(&mut alice, "y0_alice").await;
    meet_up_to_cohosts(&mut alice, "PUBLIC").await;

    app.tm.then(
        Answer::json(
            201,
            json!({"id": "5", "join_url": "https://telemost.yandex.ru/j/55"}),
        )
        .after(Duration::from_millis(1500)),
    );
    app.tg.fail(
        "sendMessage",
        1,
        429,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 120",
               "parameters": {"retry_after": 120}}),
    );
    let from = alice.now();
    alice.send("a@x.ru");
    let (_, refused) = app
        .tg
        .wait_call(from, "the refused progress note", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(1118)
        })
        .await;
    assert_eq!(refused.text(), en().creating());
    // The refused note still counts as a reply for the cursor: skip it.
    alice.reply().await;

    let next = alice.reply().await;
    assert_eq!(
        next.text,
        en().meeting_created(None, "https://telemost.yandex.ru/j/55")
    );
    app.assert_creates(&mut alice, 1).await;
    assert_eq!(
        app.tm.requests()[0].body,
        json!({"waiting_room_level": "PUBLIC", "cohosts": [{"email": "a@x.ru"}]})
    );
    app.stop().await;
}

/// After Alice creates a meeting with cohosts, the bot's database holds it: her chat, her user
/// id, the conference id, the link and the exact options sent. Bob's chat has none.
#[tokio::test]
async fn created_meeting_is_recorded() {
    let app = TestApp::start().await;
    let mut alice = app.private(1201, "en");
    app.with_token(&mut alice, "y0_rec").await;
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ADMINS");
    alice.reply().await;
    alice.send("anna@corp.ru");
    alice.reply_where(|r| r.text.contains("https://")).await;

    let got = app.recorded_meetings(1201, 1).await;
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.chat_id, 1201);
    assert_eq!(m.user_id, Some(1201));
    assert_eq!(m.conference_id, "10000000000001");
    assert_eq!(m.join_url, support::telemost::join_url(1));
    assert_eq!(m.watch_url, None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&m.options).unwrap(),
        json!({"waiting_room_level": "ADMINS", "cohosts": [{"email": "anna@corp.ru"}]})
    );
    assert!(
        m.created_at > 1_700_000_000,
        "a real timestamp: {}",
        m.created_at
    );
    let db = app.side_db().await;
    assert!(db.recent_meetings(1202, 10).await.unwrap().is_empty());
    db.close().await;
    app.stop().await;
}

/// One chat's updates are handled one at a time, in order; other chats do not wait. While
/// Alice's meeting is being created (Telemost holds its answer until the story lets it go), her
/// /help waits for its turn and comes after the link, but Bob's /help is answered meanwhile.
#[tokio::test]
async fn a_chat_waits_its_turn_other_chats_do_not() {
    let app = TestApp::start_with(Options {
        // Telemost's answer is held for as long as the story needs: no timeout meanwhile.
        retry: RetryPolicy {
            request_timeout: Duration::from_secs(60),
            total: Duration::from_secs(60),
            ..test_retry_policy()
        },
        ..Options::default()
    })
    .await;
    let mut alice = app.private(1301, "en");
    let mut bob = app.private(1302, "en");
    app.with_token(&mut alice, "y0_a").await;
    let telemost_answers = Gate::new();
    app.tm.then(
        Answer::json(
            201,
            json!({"id": "1", "join_url": "https://telemost.yandex.ru/j/00000000000001"}),
        )
        .held_by(&telemost_answers),
    );
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "create");
    app.tm.wait_requests(1).await;
    alice.send("/help");
    bob.send("/help");
    // Answered while Alice's meeting still waits for Telemost.
    assert_eq!(bob.reply().await.text, en().help());
    telemost_answers.open();
    // What Alice sees, up to the answer to her /help (a progress note may come first).
    let mut texts = Vec::new();
    while texts.last() != Some(&en().help().to_owned()) {
        texts.push(alice.reply().await.text);
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("https://telemost.yandex.ru/j/00000000000001")),
        "the link before her /help: {texts:?}"
    );
    app.stop().await;
}

/// The bot stopped in the middle of creating Alice's meeting (the dialogue was saved as
/// "creating" long ago): her next tap is not met with "still creating" forever; she gets her
/// choices back with a note to check /history, and Create then works.
#[tokio::test]
async fn an_interrupted_creation_does_not_wedge_the_dialogue() {
    let mut app = TestApp::start().await;
    let mut alice = app.private(1401, "en");
    app.with_token(&mut alice, "y0_int").await;
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ADMINS");
    alice.reply().await;
    // What a crash mid-call leaves behind: the draft in Creating, ten minutes ago.
    let db = app.side_db().await;
    let (json, version) = db.load_dialogue(1401, 1401).await.unwrap().unwrap();
    let mut state: Value = serde_json::from_str(&json).unwrap();
    state["step"] = json!("creating");
    state["creating_since"] = json!(1_700_000_000);
    db.save_dialogue(
        1401,
        1401,
        &state.to_string(),
        state["panel"].as_i64().map(|p| p as i32),
        Some(version),
    )
    .await
    .unwrap()
    .expect("written");
    db.close().await;
    app.restart().await;

    alice.press(&panel, "skip");
    let back = alice.reply().await;
    assert!(
        back.text.starts_with(en().creation_interrupted()),
        "{}",
        back.text
    );
    assert!(back.has("create"), "{:?}", back.buttons);
    assert!(
        back.text
            .contains(en().waiting_room(telemost_bot::telemost::model::WaitingRoomLevel::Admins))
    );
    assert!(app.tm.requests().is_empty());
    alice.press(&back, "create");
    alice.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(
        app.tm.wait_requests(1).await[0].body,
        json!({"waiting_room_level": "ADMINS"})
    );
    app.stop().await;
}
