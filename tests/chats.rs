//! A chat's life (issue 14), as stories on the real dispatcher against the fake Telegram: a
//! group upgraded to a supergroup keeps what the bot knew of it, a bot removed from a group
//! forgets the group's token, and a user who blocks the bot has their login stopped.

mod support;

use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use support::oauth::{FakeOAuth, USER_CODE, granted, pending};
use support::{Options, TestApp, en};
use telemost_bot::storage::{ChatSettings, Leased, Tokens};

/// The basic group before its upgrade, and the supergroup it becomes.
const OLD: i64 = -4_242;
const NEW: i64 = -1_000_000_004_242;
/// An admin of the group, and a plain member.
const ANNA: i64 = 3101;
const BORIS: i64 = 3102;

/// A basic group, as Telegram describes one.
fn old_group() -> Value {
    json!({"id": OLD, "type": "group", "title": "Team"})
}

fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User{id}"), "language_code": "en"})
}

/// A service message in `chat` (with `field` set to `value`), from Anna.
fn service_message(app: &TestApp, chat: Value, field: &str, value: i64) -> Value {
    let mut message = json!({"message_id": app.tg.next_message_id(), "date": support::telegram::date_now(),
                             "chat": chat, "from": user(ANNA)});
    message[field] = json!(value);
    json!({"message": message})
}

/// Telegram's "migrated to" in the old group.
fn migrated_to(app: &TestApp) -> Value {
    service_message(app, old_group(), "migrate_to_chat_id", NEW)
}

/// Telegram's "migrated from" in the new supergroup.
fn migrated_from(app: &TestApp) -> Value {
    let chat = json!({"id": NEW, "type": "supergroup", "title": "Team"});
    service_message(app, chat, "migrate_from_chat_id", OLD)
}

/// `token` stored for `chat` as set by Anna (as /connect leaves it).
async fn store_token(app: &TestApp, chat: i64, token: &str) {
    let db = app.side_db().await;
    let tokens = Tokens {
        access: token.to_owned().into(),
        refresh: None,
        expires_at: None,
    };
    db.set_token(chat, &tokens, Some(ANNA)).await.unwrap();
    db.close().await;
}

/// The access token stored for `chat`, if any.
async fn stored_access(app: &TestApp, chat: i64) -> Option<String> {
    let db = app.side_db().await;
    let token = db.token(chat).await.unwrap();
    db.close().await;
    token.map(|t| t.access.expose_secret().to_owned())
}

/// Waits until `done` says the bot has acted (it answers nothing to these updates).
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The group grew and became a supergroup. Telegram says so in both chats, in either order and
/// more than once; the bot moves the group's token (sealed anew for the new id), its settings,
/// history and unfinished dialogues, once. Boris then meets in the supergroup with the group's
/// token, and /history there shows the meeting made before the upgrade.
#[tokio::test]
async fn a_group_upgraded_to_a_supergroup_keeps_its_token_settings_and_history() {
    let app = TestApp::start().await;
    store_token(&app, OLD, "y0_group").await;
    let db = app.side_db().await;
    let settings = ChatSettings {
        waiting_room: "ADMINS".into(),
        ..ChatSettings::default()
    };
    db.save_settings(OLD, &settings).await.unwrap();
    db.close().await;
    // A meeting made in the old group, and Anna's /meet left open there.
    let before = app.tm.requests().len();
    app.tg.push_update(json!({"message": {
        "message_id": app.tg.next_message_id(), "date": support::telegram::date_now(), "chat": old_group(),
        "from": user(BORIS), "text": "/meet now Before",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}));
    app.tm.wait_requests(before + 1).await;
    app.tg.push_update(json!({"message": {
        "message_id": app.tg.next_message_id(), "date": support::telegram::date_now(), "chat": old_group(),
        "from": user(ANNA), "text": "/meet",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}));
    app.tg
        .wait_call(0, "Anna's panel in the old group", |c| {
            c.method == "sendMessage"
                && c.chat_id() == Some(OLD)
                && c.body["reply_markup"].to_string().contains("create")
        })
        .await;

    // "Migrated from" first (as it may reach the bot), then Telegram's own pair, then a stray
    // "migrated to" again.
    app.tg.push_update(migrated_from(&app));
    app.tg.upgrade_group(OLD, NEW, Some(ANNA));
    app.tg.push_update(migrated_to(&app));
    until("the token moved", async || {
        stored_access(&app, NEW).await.is_some()
    })
    .await;
    // Every one of those updates handled, in both chats, before what follows is read.
    app.in_group(OLD, ANNA, "en").barrier().await;
    app.in_group(NEW, ANNA, "en").barrier().await;
    assert_eq!(stored_access(&app, NEW).await.as_deref(), Some("y0_group"));
    assert_eq!(stored_access(&app, OLD).await, None, "not left behind");
    let db = app.side_db().await;
    assert_eq!(db.settings(NEW).await.unwrap(), settings);
    assert_eq!(db.recent_meetings(NEW, 10).await.unwrap().len(), 1);
    assert!(db.recent_meetings(OLD, 10).await.unwrap().is_empty());
    assert!(
        db.load_dialogue(NEW, ANNA).await.unwrap().is_some(),
        "Anna's unfinished /meet came along"
    );
    db.close().await;
    assert!(
        app.tg
            .calls()
            .iter()
            .all(|c| !(c.method == "sendMessage" && c.text().contains("migrat"))),
        "nothing is said about it"
    );

    // Boris meets in the supergroup with the group's token, and sees the old meeting.
    let mut boris = app.in_group(NEW, BORIS, "en");
    boris.skip_past();
    boris.send("/meet");
    let panel = boris.reply_where(|r| r.has("create")).await;
    assert!(
        panel
            .buttons
            .iter()
            .any(|(label, data)| data == "wr:ADMINS" && label.starts_with('✓')),
        "the group's default waiting room: {:?}",
        panel.buttons
    );
    boris.press(&panel, "create");
    boris.created().await;
    let requests = app.tm.requests();
    assert_eq!(requests.last().unwrap().authorization, "OAuth y0_group");
    boris.send("/history");
    let history = boris.reply().await;
    assert!(history.text.contains("Before"), "{}", history.text);
    app.stop().await;
}

/// A reply to the old group is refused: Telegram says the group was upgraded and names the
/// supergroup. The bot sends it there instead, once, and moves the group's data as it would on
/// the service message.
#[tokio::test]
async fn a_reply_refused_because_the_group_was_upgraded_goes_to_the_supergroup() {
    let app = TestApp::start().await;
    store_token(&app, OLD, "y0_group").await;
    // The service messages never reached the bot.
    app.tg.upgrade_group(OLD, NEW, None);
    app.tg.push_update(json!({"message": {
        "message_id": app.tg.next_message_id(), "date": support::telegram::date_now(), "chat": old_group(),
        "from": user(BORIS), "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}));
    let (_, answer) = app
        .tg
        .wait_call(0, "the help, in the supergroup", |c| {
            c.method == "sendMessage" && c.chat_id() == Some(NEW)
        })
        .await;
    assert_eq!(answer.text(), en().help());
    // The /help handled, whatever it sent.
    app.in_group(OLD, BORIS, "en").barrier().await;
    let sends: Vec<Option<i64>> = app
        .tg
        .calls()
        .iter()
        .filter(|c| c.method == "sendMessage")
        .map(|c| c.chat_id())
        .collect();
    assert_eq!(sends, [Some(OLD), Some(NEW)], "refused once, resent once");
    assert_eq!(stored_access(&app, NEW).await.as_deref(), Some("y0_group"));
    assert_eq!(stored_access(&app, OLD).await, None);
    app.stop().await;
}

/// An admin removes the bot from the group: it forgets the group's token and unfinished
/// dialogues at once (a bot no longer in a chat holds no credential for it), and keeps its
/// settings and history. Added back, the group needs a new /connect.
#[tokio::test]
async fn removed_from_a_group_the_bot_forgets_its_token_and_dialogues() {
    let app = TestApp::start().await;
    const GROUP: i64 = -1_000_000_005_151;
    store_token(&app, GROUP, "y0_group").await;
    let mut boris = app.in_group(GROUP, BORIS, "en");
    boris.send("/meet");
    boris.reply_where(|r| r.has("create")).await;
    let db = app.side_db().await;
    db.save_settings(
        GROUP,
        &ChatSettings {
            waiting_room: "ADMINS".into(),
            ..ChatSettings::default()
        },
    )
    .await
    .unwrap();
    assert!(db.load_dialogue(GROUP, BORIS).await.unwrap().is_some());
    db.close().await;

    let group = json!({"id": GROUP, "type": "supergroup", "title": "Team"});
    app.tg.set_my_membership(group.clone(), ANNA, "kicked");
    until("the token forgotten", async || {
        stored_access(&app, GROUP).await.is_none()
    })
    .await;
    let db = app.side_db().await;
    assert!(db.load_dialogue(GROUP, BORIS).await.unwrap().is_none());
    assert_eq!(
        db.settings(GROUP).await.unwrap().waiting_room,
        "ADMINS",
        "settings stay"
    );
    db.close().await;

    // Added back: /meet asks for a token again.
    app.tg.set_my_membership(group, ANNA, "member");
    boris.skip_past();
    boris.send("/meet");
    assert_eq!(boris.reply().await.text, en().no_token(true));
    app.stop().await;
}

/// Ann starts a /login and then blocks the bot: it stops polling Yandex for her, says nothing
/// more, and keeps her token. She unblocks it and her next /login works.
#[tokio::test]
async fn a_user_who_blocks_the_bot_has_their_login_stopped() {
    let oauth = FakeOAuth::start().await;
    let app = TestApp::start_with(Options {
        oauth_url: Some(oauth.url.clone()),
        ..Options::default()
    })
    .await;
    const ANN: i64 = 3201;
    let mut ann = app.private(ANN, "en");
    app.with_token(&mut ann, "y0_ann").await;
    ann.send("/login");
    ann.reply().await;
    oauth
        .wait_token_forms("device_code", 1, Duration::from_secs(10))
        .await;
    app.tg
        .set_my_membership(support::telegram::chat_json(ANN), ANN, "kicked");
    let db = app.side_db().await;
    until("the block noted", async || {
        db.is_blocked(ANN).await.unwrap()
    })
    .await;
    // Her login went with the block: nothing is left to poll (a poll already under way when the
    // block came may still end, and finds it gone). Her token stays.
    let due = db.next_due(Leased::Logins, i64::MAX).await.unwrap();
    assert_eq!(due, None, "her login is still there to be polled");
    db.close().await;
    assert_eq!(stored_access(&app, ANN).await.as_deref(), Some("y0_ann"));
    let polls = oauth.token_forms("device_code").len();
    let said = app.tg.calls_to("sendMessage", ANN).len();

    app.tg
        .set_my_membership(support::telegram::chat_json(ANN), ANN, "member");
    let db = app.side_db().await;
    until("the unblock noted", async || {
        !db.is_blocked(ANN).await.unwrap()
    })
    .await;
    db.close().await;

    // Her next /login works: a new code, and her token once Yandex grants it, at its third
    // poll. (Had the old login been polled on meanwhile, it would have taken some of these.)
    oauth.then_poll(pending());
    oauth.then_poll(pending());
    oauth.then_poll(granted("y0_again", "1:again"));
    ann.send("/login");
    assert_eq!(ann.reply().await.text, en().login_started(USER_CODE, 5));
    assert_eq!(ann.reply().await.text, en().login_done());
    assert_eq!(stored_access(&app, ANN).await.as_deref(), Some("y0_again"));
    // Nothing said to her since the block but the new login's code and its end.
    assert_eq!(app.tg.calls_to("sendMessage", ANN).len(), said + 2);
    // The polls since the block: the new login's three, and at most the one under way then.
    let since = oauth.token_forms("device_code").len() - polls;
    assert!((3..=4).contains(&since), "{since} polls since the block");
    app.stop().await;
}

/// A reply refused with 403 "bot was blocked by the user" (the bot missed the block): the user
/// is noted as having blocked it, and no error is made of it: the reply is tried once, and no
/// apology follows it.
#[tokio::test]
async fn a_reply_refused_because_the_user_blocked_the_bot_is_noted() {
    let app = TestApp::start().await;
    const ANN: i64 = 3301;
    app.tg.block_silently(ANN);
    let mut ann = app.private(ANN, "en");
    ann.send("/help");
    let db = app.side_db().await;
    until("the block noted", async || {
        db.is_blocked(ANN).await.unwrap()
    })
    .await;
    db.close().await;
    // The /help handled, all of it.
    ann.barrier().await;
    let tried: Vec<String> = app
        .tg
        .calls_to("sendMessage", ANN)
        .iter()
        .map(|c| c.text().to_owned())
        .collect();
    assert_eq!(tried, [en().help()], "the reply, once; no apology");
    app.stop().await;
}
