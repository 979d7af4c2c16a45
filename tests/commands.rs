//! User stories for the commands: /start, /help, /token, /forget, /cancel, commands in groups,
//! and messages the bot does not expect. End to end: the real dispatcher against fake Telegram
//! and Telemost.

mod support;

use serde_json::json;
use support::telemost::join_url;
use support::{TestApp, en};

/// A supergroup (Telegram's ids for those start with -100).
const GROUP: i64 = -1_001_234_567_890;

/// The deleteMessage calls the bot made in `chat`, as message ids.
fn deleted_in(app: &TestApp, chat: i64) -> Vec<i64> {
    app.tg
        .calls_to("deleteMessage", chat)
        .iter()
        .map(|c| c.body["message_id"].as_i64().unwrap())
        .collect()
}

/// A new user sends /start (also as a deep link with a payload) and gets the help, which lists
/// the commands; nothing reaches Telemost.
#[tokio::test]
async fn start_shows_the_help() {
    let app = TestApp::start().await;
    let mut ann = app.private(2001, "en");
    for start in ["/start", "/start from-website"] {
        ann.send(start);
        let r = ann.reply().await;
        assert_eq!(r.method, "sendMessage");
        assert_eq!(r.text, en().help());
        for cmd in ["/meet", "/stream", "/token"] {
            assert!(r.text.contains(cmd), "{cmd} missing from {}", r.text);
        }
        assert!(r.buttons.is_empty(), "{:?}", r.buttons);
    }
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

/// The user sends /help and reads what /meet, /stream and /token do, with examples.
#[tokio::test]
async fn help_lists_meet_stream_and_token() {
    let app = TestApp::start().await;
    let mut ann = app.private(2002, "en");
    ann.send("/help");
    let r = ann.reply().await;
    assert_eq!(r.method, "sendMessage");
    assert!(r.text.contains("/meet: a new meeting"), "{}", r.text);
    assert!(r.text.contains("/stream: a live stream"), "{}", r.text);
    assert!(
        r.text.contains("<code>/stream Quarterly results</code>"),
        "an example per command: {}",
        r.text
    );
    assert!(
        r.text.contains("/token: set your Telemost OAuth token"),
        "{}",
        r.text
    );
    let call = app
        .tg
        .calls()
        .into_iter()
        .find(|c| c.method == "sendMessage")
        .unwrap();
    assert_eq!(call.body["parse_mode"], "HTML", "texts are sent as HTML");
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

/// In a private chat the user sends `/token <t>`: the bot saves it, deletes exactly that
/// message, never repeats the token, and a later /meet authorises with it.
#[tokio::test]
async fn token_in_private_chat_is_saved_and_its_message_deleted() {
    let app = TestApp::start().await;
    let mut ann = app.private(2003, "en");
    let msg = ann.send("/token y0_AgAAAAB-ann");
    let saved = ann.reply().await;
    assert_eq!(saved.text, en().token_saved(true));
    assert_eq!(deleted_in(&app, 2003), [msg]);

    let done = ann.meet_with_defaults().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_AgAAAAB-ann");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    assert!(done.text.contains(&join_url(1)), "{}", done.text);
    for call in app.tg.calls() {
        assert!(
            !call.body.to_string().contains("y0_AgAAAAB-ann"),
            "the bot repeated the token: {} {}",
            call.method,
            call.body
        );
    }
    app.stop().await;
}

/// The user sends /token alone, is asked for the token, sends it as the next message: the bot
/// deletes that message, saves the token (and stops waiting for one), and /meet uses it.
#[tokio::test]
async fn token_sent_after_a_lone_token_command() {
    let app = TestApp::start().await;
    let mut ann = app.private(2004, "en");
    let cmd = ann.send("/token");
    let prompt = ann.reply().await;
    assert_eq!(prompt.text, en().token_prompt());
    assert!(
        deleted_in(&app, 2004).is_empty(),
        "/token alone is not deleted"
    );

    let msg = ann.send("y0_next-token");
    let saved = ann.reply().await;
    assert_eq!(saved.text, en().token_saved(true));
    assert_eq!(deleted_in(&app, 2004), [msg]);
    assert_ne!(msg, cmd);

    // No longer waiting for a token: plain text gets the usual hint, not "saved" again.
    ann.send("hello");
    assert_eq!(ann.reply().await.text, en().idle_hint());

    ann.meet_with_defaults().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_next-token");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// The user sends "/token two words": the bot deletes it anyway (it may be a token with a
/// typo), says it is not a token and stores nothing, so /meet still asks for a token and
/// Telemost hears nothing. The next message would be taken as the token; /cancel ends that.
#[tokio::test]
async fn malformed_token_is_refused_and_not_stored() {
    let app = TestApp::start().await;
    let mut ann = app.private(2005, "en");
    let msg = ann.send("/token two words");
    let r = ann.reply().await;
    assert_eq!(r.text, en().token_malformed());
    assert_eq!(deleted_in(&app, 2005), [msg]);
    ann.send("/cancel");
    assert_eq!(ann.reply().await.text, en().cancelled());

    ann.send("/meet");
    let r = ann.reply().await;
    assert_eq!(r.text, en().no_token(false));
    assert!(r.buttons.is_empty());
    app.assert_creates(&mut ann, 0).await;
    app.stop().await;
}

/// After a malformed token, the user simply sends the right one: it is stored and deleted.
#[tokio::test]
async fn malformed_token_then_the_right_one() {
    let app = TestApp::start().await;
    let mut ann = app.private(2019, "en");
    ann.send("/token y0 typo");
    assert_eq!(ann.reply().await.text, en().token_malformed());
    let msg = ann.send("y0_fixed");
    assert_eq!(ann.reply().await.text, en().token_saved(true));
    assert!(deleted_in(&app, 2019).contains(&msg));
    ann.meet_with_defaults().await;
    assert_eq!(
        app.tm.wait_requests(1).await[0].authorization,
        "OAuth y0_fixed"
    );
    app.stop().await;
}

/// A user posts `/token <t>` in a group: the bot deletes that message first, then warns; the
/// token is stored neither for the group nor for the user.
#[tokio::test]
async fn token_posted_in_a_group_is_deleted_and_not_stored() {
    let app = TestApp::start().await;
    let mut ann_in_group = app.in_group(GROUP, 2006, "en");
    let msg = ann_in_group.send("/token y0_leaked");
    let warning = ann_in_group.reply().await;
    assert_eq!(warning.method, "sendMessage");
    assert_eq!(warning.text, en().token_in_group(true));
    assert!(
        warning.text.contains("/connect"),
        "the warning says how a group gets a token: {}",
        warning.text
    );
    assert_eq!(deleted_in(&app, GROUP), [msg]);
    let calls = app.tg.calls();
    let deleted_at = calls
        .iter()
        .position(|c| c.method == "deleteMessage" && c.chat_id() == Some(GROUP))
        .unwrap();
    let warned_at = calls
        .iter()
        .position(|c| c.method == "sendMessage" && c.chat_id() == Some(GROUP))
        .unwrap();
    assert!(
        deleted_at < warned_at,
        "deleted before anything else is said"
    );

    ann_in_group.send("/meet");
    assert_eq!(ann_in_group.reply().await.text, en().no_token(true));
    let mut ann = app.private(2006, "en");
    ann.send("/meet");
    assert_eq!(ann.reply().await.text, en().no_token(false));
    ann_in_group.barrier().await;
    app.assert_creates(&mut ann, 0).await;
    app.stop().await;
}

/// A user sends /token alone in a group: told to use a private chat; the bot does not wait for
/// a token there, so the next group message is not saved as one.
#[tokio::test]
async fn lone_token_command_in_a_group_points_to_the_private_chat() {
    let app = TestApp::start().await;
    let mut ann = app.in_group(GROUP, 2007, "en");
    ann.send("/token");
    let r = ann.reply().await;
    assert_eq!(r.text, en().token_only_in_private());
    assert!(r.text.contains("/connect"), "{}", r.text);

    let from = ann.now();
    ann.send("y0_would-be-token");
    ann.assert_no_call_since(from, |c| c.chat_id() == Some(GROUP))
        .await;

    ann.send("/meet");
    assert_eq!(ann.reply().await.text, en().no_token(true));
    assert!(deleted_in(&app, GROUP).is_empty());
    app.assert_creates(&mut ann, 0).await;
    app.stop().await;
}

/// A user with a token sends /forget: the bot confirms, and /meet then says there is no token
/// and calls nothing.
#[tokio::test]
async fn forget_with_a_token_forgets_it() {
    let app = TestApp::start().await;
    let mut ann = app.private(2008, "en");
    app.with_token(&mut ann, "y0_to-forget").await;
    ann.send("/forget");
    assert_eq!(ann.reply().await.text, en().token_forgotten());

    ann.send("/meet");
    let r = ann.reply().await;
    assert_eq!(r.text, en().no_token(false));
    assert!(r.buttons.is_empty());
    app.assert_creates(&mut ann, 0).await;
    app.stop().await;
}

/// A user without a token sends /forget and is told there is nothing to forget.
#[tokio::test]
async fn forget_without_a_token_says_so() {
    let app = TestApp::start().await;
    let mut ann = app.private(2009, "en");
    ann.send("/forget");
    assert_eq!(ann.reply().await.text, en().token_none_to_forget());
    app.stop().await;
}

/// The user opens /meet, then sends /cancel: cancelled. Tapping Create on the old panel gets a
/// notice and creates nothing.
#[tokio::test]
async fn cancel_ends_the_open_dialogue() {
    let app = TestApp::start().await;
    let mut ann = app.private(2010, "en");
    app.with_token(&mut ann, "y0_ann").await;
    ann.send("/meet");
    let panel = ann.reply().await;
    assert!(panel.has("create"));

    ann.send("/cancel");
    assert_eq!(ann.reply().await.text, en().cancelled());

    let tap = ann.press(&panel, "create");
    assert_eq!(ann.answer_to(&tap).await, en().stale_button());
    app.assert_creates(&mut ann, 0).await;
    app.stop().await;
}

/// With nothing open, /cancel says there is nothing to cancel.
#[tokio::test]
async fn cancel_with_nothing_open() {
    let app = TestApp::start().await;
    let mut ann = app.private(2011, "en");
    ann.send("/cancel");
    assert_eq!(ann.reply().await.text, en().nothing_to_cancel());
    app.stop().await;
}

/// In a group, a user types `/meet@TelemostTestBot`; the meeting is created with the token from
/// their private chat. Typed answers in a group are replies to the bot's panel.
#[tokio::test]
async fn meet_addressed_to_the_bot_in_a_group_uses_the_callers_token() {
    let app = TestApp::start().await;
    let mut ann = app.private(2012, "en");
    app.with_token(&mut ann, "y0_ann-private").await;
    let mut ann_in_group = app.in_group(GROUP, 2012, "en");

    ann_in_group.send("/meet@TelemostTestBot");
    let panel = ann_in_group.reply().await;
    assert_eq!(panel.method, "sendMessage");
    for data in [
        "wr:PUBLIC",
        "wr:ORGANIZATION",
        "wr:ADMINS",
        "create",
        "cancel",
    ] {
        assert!(panel.has(data), "{data} missing from {:?}", panel.buttons);
    }
    ann_in_group.press(&panel, "wr:ORGANIZATION");
    let ask = ann_in_group.reply().await;
    assert_eq!(ask.message_id, panel.message_id, "the panel is edited");
    assert!(ask.text.contains("email"), "{}", ask.text);
    assert!(ask.text.contains(en().reply_hint()), "{}", ask.text);
    assert_eq!(ask.data(), ["skip", "cancel"]);

    ann_in_group.reply_to(&ask, "a@x.ru, b@x.ru");
    let done = ann_in_group
        .reply_where(|r| r.text.contains("https://"))
        .await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_ann-private");
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ORGANIZATION",
            "cohosts": [{"email": "a@x.ru"}, {"email": "b@x.ru"}]
        })
    );
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert!(done.buttons.iter().any(|(_, url)| url == &join_url(1)));
    app.stop().await;
}

/// In a group at the cohosts step, the owner chats with others (a message that is not a reply
/// to the bot): the bot ignores it. Their reply to the panel is the answer.
#[tokio::test]
async fn plain_group_message_is_not_taken_as_the_cohosts() {
    let app = TestApp::start().await;
    let mut ann = app.private(2013, "en");
    app.with_token(&mut ann, "y0_ann").await;
    let mut ann_in_group = app.in_group(GROUP, 2013, "en");
    ann_in_group.send("/meet");
    let panel = ann_in_group.reply().await;
    ann_in_group.press(&panel, "wr:ADMINS");
    let ask = ann_in_group.reply().await;
    assert!(ask.has("skip"), "{ask:?}");

    let from = ann_in_group.now();
    ann_in_group.send("lunch@x.ru is booked, by the way");
    ann_in_group
        .assert_no_call_since(from, |c| c.chat_id() == Some(GROUP))
        .await;
    assert!(app.tm.requests().is_empty());

    ann_in_group.reply_to(&ask, "b@x.ru");
    ann_in_group
        .reply_where(|r| r.text.contains("https://"))
        .await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_ann");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "ADMINS", "cohosts": [{"email": "b@x.ru"}]})
    );
    app.stop().await;
}

/// A command the bot does not know, in a private chat, gets a pointer to /help.
#[tokio::test]
async fn unknown_command_in_private_chat_gets_a_reply() {
    let app = TestApp::start().await;
    let mut ann = app.private(2014, "en");
    ann.send("/nope");
    let r = ann.reply().await;
    assert_eq!(r.text, en().unknown_command());
    assert!(r.text.contains("/help"));
    app.stop().await;
}

/// The user sends a sticker: the bot answers with its usual hint (it read the message) and still
/// answers /help afterwards.
#[tokio::test]
async fn sticker_does_not_break_the_bot() {
    let app = TestApp::start().await;
    let mut ann = app.private(2015, "en");
    ann.send_raw(json!({"sticker": {
        "file_id": "CAACAgIAAxkBAAIBZ2Zsticker", "file_unique_id": "AgADsticker",
        "type": "regular", "width": 512, "height": 512,
        "is_animated": false, "is_video": false, "emoji": "👍", "file_size": 1024
    }}));
    assert_eq!(ann.reply().await.text, en().idle_hint());

    ann.send("/help");
    assert_eq!(ann.reply().await.text, en().help());
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

/// The user sets a token; the bot restarts; /meet still creates with that token.
#[tokio::test]
async fn token_survives_a_restart() {
    let mut app = TestApp::start().await;
    let mut ann = app.private(2016, "en");
    app.with_token(&mut ann, "y0_durable").await;

    app.restart().await;

    let done = ann.meet_with_defaults().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_durable");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    assert!(done.text.contains(&join_url(1)), "{}", done.text);
    app.stop().await;
}

/// Telegram's answer when the bot may not delete a message (in a group: it is not an admin).
fn cannot_delete() -> serde_json::Value {
    json!({"ok": false, "error_code": 400, "description": "Bad Request: message can't be deleted"})
}

/// In a private chat the bot saves the token but Telegram refuses to delete the message: the
/// bot asks the user to delete it, and never claims it was deleted. The token still works.
#[tokio::test]
async fn undeletable_token_message_in_private_chat_is_not_claimed_deleted() {
    let app = TestApp::start().await;
    let mut ann = app.private(2017, "en");
    app.tg.fail("deleteMessage", 1, 400, cannot_delete());
    let msg = ann.send("/token y0_sticky");
    let saved = ann.reply().await;
    assert_eq!(deleted_in(&app, 2017), [msg], "deletion was attempted");
    assert!(
        !saved.text.contains("deleted"),
        "claims the message was deleted, but Telegram refused: {}",
        saved.text
    );
    assert_eq!(saved.text, en().token_saved(false));
    assert!(saved.text.contains("delete it yourself"), "{}", saved.text);

    ann.meet_with_defaults().await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_sticky");
    app.stop().await;
}

/// A user posts `/token <t>` in a group where the bot may not delete messages: the bot must not
/// say it deleted the message (the token is still there for everyone to read); it still tells
/// the user to revoke the token. Nothing is stored.
#[tokio::test]
async fn undeletable_token_in_a_group_is_not_claimed_deleted() {
    let app = TestApp::start().await;
    let mut ann_in_group = app.in_group(GROUP, 2018, "en");
    app.tg.fail("deleteMessage", 1, 400, cannot_delete());
    let msg = ann_in_group.send("/token y0_exposed");
    let warning = ann_in_group.reply().await;
    assert_eq!(deleted_in(&app, GROUP), [msg], "deletion was attempted");
    assert!(warning.text.contains("revoke"), "{}", warning.text);
    assert!(
        !warning.text.contains("I deleted"),
        "claims the message was deleted, but Telegram refused: {}",
        warning.text
    );

    ann_in_group.send("/meet");
    assert_eq!(ann_in_group.reply().await.text, en().no_token(true));
    app.assert_creates(&mut ann_in_group, 0).await;
    app.stop().await;
}
