//! User stories for group chats: an admin connects a group to Telemost without posting the token.

mod support;

use serde_json::json;
use support::TestApp;
use telemost_bot::bot::texts::{Lang, Texts};

const GROUP: i64 = -100_777;

fn en() -> &'static dyn Texts {
    Lang::En.texts()
}

/// Anna, an admin, sends /connect in the group, opens the link, pastes the token privately; the
/// group is told she connected it, and then Boris (a plain member, no token of his own) creates a
/// meeting in the group with the group's token.
#[tokio::test]
async fn admin_connects_the_group_and_any_member_meets() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, 3001, true);
    let mut anna_in_group = app.in_group(GROUP, 3001, "en");
    let mut anna = app.private(3001, "en");
    let mut boris_in_group = app.in_group(GROUP, 3002, "en");

    anna_in_group.send("/connect");
    let link = anna_in_group.reply().await;
    assert_eq!(link.text, en().connect_link());
    let url = &link.buttons[0].1;
    let code = url
        .strip_prefix("https://t.me/TelemostTestBot?start=")
        .unwrap_or_else(|| panic!("deep link: {url}"));
    assert_eq!(code.len(), 22);

    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());
    let token_msg = anna.send("y0_GROUPTOKEN");
    assert_eq!(anna.reply().await.text, en().group_token_saved());
    let announce = anna_in_group.reply().await;
    assert!(announce.text.contains("User3001"), "{}", announce.text);
    assert!(!announce.text.contains("y0_GROUPTOKEN"));
    assert!(
        app.tg
            .calls()
            .iter()
            .any(|c| c.method == "deleteMessage" && c.body["message_id"] == token_msg)
    );

    boris_in_group.send("/meet");
    let panel = boris_in_group.reply_where(|r| r.has("create")).await;
    boris_in_group.press(&panel, "create");
    boris_in_group
        .reply_where(|r| r.text.contains("https://"))
        .await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_GROUPTOKEN");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}
