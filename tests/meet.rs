//! User stories for /meet, end to end: the real dispatcher against fake Telegram and Telemost.

mod support;

use serde_json::json;
use support::{Answer, TestApp};

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
