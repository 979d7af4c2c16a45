//! User stories for group chats: an admin connects a group to Telemost without posting the token,
//! and nobody else can connect, disconnect or hijack the group.

mod support;

use secrecy::ExposeSecret;
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use support::oauth::{FakeOAuth, granted};
use support::telegram::chat_json;
use support::{Options, Person, Reply, TestApp, en};

const GROUP: i64 = -100_777;
/// The group's admin.
const ANNA: i64 = 3001;
/// A plain member.
const BORIS: i64 = 3002;
/// Telegram's GroupAnonymousBot: the `from` of messages an anonymous admin posts.
const GROUP_ANONYMOUS_BOT: i64 = 1_087_968_824;

/// The code in the deep link under a /connect answer.
fn code_of(link: &Reply) -> String {
    assert_eq!(link.buttons.len(), 1, "{:?}", link.buttons);
    let (label, url) = &link.buttons[0];
    assert_eq!(label, en().button_connect());
    url.strip_prefix("https://t.me/TelemostTestBot?start=")
        .unwrap_or_else(|| panic!("deep link: {url}"))
        .to_owned()
}

/// `person` (an admin) sends /connect in the group; returns the code of the link.
async fn ask_for_link(person: &mut Person) -> String {
    person.send("/connect");
    let link = person.reply().await;
    assert_eq!(link.text, en().connect_link());
    let code = code_of(&link);
    assert_eq!(code.len(), 22);
    code
}

/// Anna, an admin of `GROUP`, connects it with `token` through the bot (link, /start, paste);
/// checks the group is told. Everyone's replies from then on are new ones.
async fn connect_group(app: &TestApp, token: &str) {
    app.tg.set_admin(GROUP, ANNA, true);
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut anna = app.private(ANNA, "en");
    anna.skip_past();
    anna_in_group.skip_past();
    let code = ask_for_link(&mut anna_in_group).await;
    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());
    anna.send(token);
    assert_eq!(anna.reply().await.text, en().group_token_saved());
    assert_eq!(
        anna_in_group.reply().await.text,
        en().group_connected("User3001")
    );
}

/// A message with `text` posted by an admin of `GROUP` as the group itself (anonymously).
fn as_group(text: &str) -> serde_json::Value {
    json!({
        "text": text,
        "sender_chat": chat_json(GROUP),
        "from": {"id": GROUP_ANONYMOUS_BOT, "is_bot": true, "first_name": "Group",
                 "username": "GroupAnonymousBot"},
    })
}

/// The /connect codes in the database, as (group, admin, used), oldest first.
async fn connect_codes(app: &TestApp) -> Vec<(i64, i64, bool)> {
    const CODES: &str =
        "SELECT group_id, admin_id, used_at FROM connect_codes ORDER BY expires_at, code";
    let rows: Vec<(i64, i64, Option<i64>)> = match app.postgres_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let rows = sqlx::query_as(CODES).fetch_all(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            rows
        }
        None => {
            let options = SqliteConnectOptions::new().filename(app.db_path());
            let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
            let rows = sqlx::query_as(CODES).fetch_all(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            rows
        }
    };
    rows.into_iter()
        .map(|(g, a, used)| (g, a, used.is_some()))
        .collect()
}

/// The access token stored for `chat`, if any (read through a second handle on the database).
async fn stored_access(app: &TestApp, chat: i64) -> Option<String> {
    let db = app.side_db().await;
    let token = db
        .token(chat)
        .await
        .unwrap()
        .map(|t| t.access.expose_secret().to_owned());
    db.close().await;
    token
}

/// Sends /meet, taps Create and waits for the link; returns the Authorization header Telemost
/// received for it.
async fn meet_and_authorization(app: &TestApp, person: &mut Person) -> String {
    let before = app.tm.requests().len();
    person.send("/meet");
    let panel = person.reply_where(|r| r.has("create")).await;
    person.press(&panel, "create");
    let done = person.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(before + 1).await;
    assert_eq!(
        done.text,
        en().meeting_created(None, &support::telemost::join_url(reqs.len() as u64))
    );
    reqs[before].authorization.clone()
}

/// The getChatMember questions the bot asked, as (chat, user).
fn member_checks(app: &TestApp) -> Vec<(i64, i64)> {
    app.tg
        .calls()
        .iter()
        .filter(|c| c.method == "getChatMember")
        .map(|c| {
            (
                c.body["chat_id"].as_i64().unwrap(),
                c.body["user_id"].as_i64().unwrap(),
            )
        })
        .collect()
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

/// Boris, a plain member of a group Anna connected, sends /connect and then /disconnect: the bot
/// asks Telegram whether he is an admin, politely refuses both, issues no code and removes
/// nothing; the group's meetings still use its token.
#[tokio::test]
async fn non_admin_cannot_connect_or_disconnect() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let codes_before = connect_codes(&app).await;
    assert_eq!(codes_before, [(GROUP, ANNA, true)]);
    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();

    boris_in_group.send("/connect");
    let refused = boris_in_group.reply().await;
    assert_eq!(refused.text, en().admins_only());
    assert!(refused.buttons.is_empty(), "{:?}", refused.buttons);
    assert!(member_checks(&app).contains(&(GROUP, BORIS)));

    boris_in_group.send("/disconnect");
    let refused = boris_in_group.reply().await;
    assert_eq!(refused.text, en().admins_only());

    assert_eq!(connect_codes(&app).await, codes_before, "no code issued");
    assert_eq!(
        stored_access(&app, GROUP).await.as_deref(),
        Some("y0_GROUPTOKEN")
    );
    assert_eq!(
        meet_and_authorization(&app, &mut boris_in_group).await,
        "OAuth y0_GROUPTOKEN"
    );
    app.stop().await;
}

/// Boris opens the link Anna got (someone forwarded it): he is told it was made for another
/// administrator, and the bot does not wait for a token from him. The link is left valid for
/// Anna, who then connects the group with it.
#[tokio::test]
async fn another_user_cannot_use_the_admins_link() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, ANNA, true);
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut anna = app.private(ANNA, "en");
    let mut boris = app.private(BORIS, "en");
    let code = ask_for_link(&mut anna_in_group).await;

    boris.send(&format!("/start {code}"));
    assert_eq!(boris.reply().await.text, en().connect_code_other_user());
    let sneaky = boris.send("y0_BORIS_SNEAKY");
    assert_eq!(boris.reply().await.text, en().idle_hint());
    assert!(
        app.tg.calls_to("deleteMessage", BORIS).is_empty(),
        "not taken as a token: {sneaky}"
    );
    assert_eq!(stored_access(&app, GROUP).await, None);
    assert_eq!(stored_access(&app, BORIS).await, None);
    assert_eq!(connect_codes(&app).await, [(GROUP, ANNA, false)]);

    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());
    anna.send("y0_GROUPTOKEN");
    assert_eq!(anna.reply().await.text, en().group_token_saved());
    assert_eq!(
        anna_in_group.reply().await.text,
        en().group_connected("User3001")
    );
    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();
    assert_eq!(
        meet_and_authorization(&app, &mut boris_in_group).await,
        "OAuth y0_GROUPTOKEN"
    );
    app.stop().await;
}

/// Anna opens a link whose code expired a minute ago: told it expired, and her next message is
/// not taken as the group's token.
#[tokio::test]
async fn expired_link_is_refused() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, ANNA, true);
    let code = "EXPIREDexpired_0123-ab";
    assert_eq!(code.len(), 22);
    let db = app.side_db().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    db.save_connect_code(code, GROUP, ANNA, now - 60)
        .await
        .unwrap();
    db.close().await;

    let mut anna = app.private(ANNA, "en");
    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_code_expired());
    anna.send("y0_TOO_LATE");
    assert_eq!(anna.reply().await.text, en().idle_hint());
    assert_eq!(stored_access(&app, GROUP).await, None);
    assert_eq!(stored_access(&app, ANNA).await, None);
    assert_eq!(connect_codes(&app).await, [(GROUP, ANNA, false)]);
    app.stop().await;
}

/// After connecting the group, Anna opens the same link again: it is used up. A well-formed code
/// the bot never issued is refused the same way. Neither makes the bot wait for a token, and the
/// group keeps the token it has.
#[tokio::test]
async fn used_or_unknown_link_is_invalid() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let mut anna = app.private(ANNA, "en");
    anna.skip_past();
    let code = {
        let link = app
            .tg
            .calls()
            .into_iter()
            .find(|c| c.method == "sendMessage" && c.text() == en().connect_link())
            .unwrap();
        link.body["reply_markup"]["inline_keyboard"][0][0]["url"]
            .as_str()
            .unwrap()
            .rsplit_once('=')
            .unwrap()
            .1
            .to_owned()
    };

    for presented in [code.as_str(), "NeverIssuedCode0123456"] {
        anna.send(&format!("/start {presented}"));
        assert_eq!(anna.reply().await.text, en().connect_code_invalid());
    }
    anna.send("y0_SECOND_TOKEN");
    assert_eq!(anna.reply().await.text, en().idle_hint());
    assert_eq!(
        stored_access(&app, GROUP).await.as_deref(),
        Some("y0_GROUPTOKEN")
    );
    assert_eq!(stored_access(&app, ANNA).await, None);
    app.stop().await;
}

/// An admin posting anonymously (as the group, through GroupAnonymousBot) sends /connect and
/// /disconnect: Telegram does not say who they are, so the bot asks them to use their own
/// account, issues no code and removes nothing, even though getChatMember would call
/// GroupAnonymousBot an admin.
#[tokio::test]
async fn anonymous_admin_is_asked_to_use_their_own_account() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    app.tg.set_admin(GROUP, GROUP_ANONYMOUS_BOT, true);
    let codes_before = connect_codes(&app).await;
    let checks_before = member_checks(&app).len();
    let mut anonymous = app.in_group(GROUP, GROUP_ANONYMOUS_BOT, "en");
    anonymous.skip_past();

    anonymous.send_raw(as_group("/connect"));
    let r = anonymous.reply().await;
    assert_eq!(r.text, en().anonymous_admin());
    assert!(r.buttons.is_empty(), "{:?}", r.buttons);
    anonymous.send_raw(as_group("/disconnect"));
    assert_eq!(anonymous.reply().await.text, en().anonymous_admin());

    assert_eq!(connect_codes(&app).await, codes_before, "no code issued");
    assert_eq!(
        member_checks(&app).len(),
        checks_before,
        "GroupAnonymousBot's membership is not taken as anyone's"
    );
    assert_eq!(
        stored_access(&app, GROUP).await.as_deref(),
        Some("y0_GROUPTOKEN")
    );
    app.stop().await;
}

/// Admins posting as the group, and members posting as a channel, all reach the bot as one
/// shared sender: none of them gets a panel another could take over. `/meet` is explained;
/// `/meet now` needs no panel and creates at once with the group's token (an anonymous admin is
/// an admin, "only admins" or not); a channel poster is not one.
#[tokio::test]
async fn posting_as_the_group_or_a_channel_shares_no_draft() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let mut anonymous = app.in_group(GROUP, GROUP_ANONYMOUS_BOT, "en");
    anonymous.skip_past();
    let as_channel = |text: &str| {
        json!({
            "text": text,
            "sender_chat": {"id": -100_555_444, "type": "channel", "title": "News"},
            "from": {"id": 136_817_688, "is_bot": true, "first_name": "Channel",
                     "username": "Channel_Bot"},
        })
    };

    anonymous.send_raw(as_group("/meet"));
    let r = anonymous.reply().await;
    assert_eq!(r.text, en().shared_sender());
    assert!(r.buttons.is_empty(), "no panel: {:?}", r.buttons);
    anonymous.send_raw(as_channel("/stream Results"));
    assert_eq!(anonymous.reply().await.text, en().shared_sender());
    assert!(app.tm.requests().is_empty());

    // "Only admins create meetings" on: the anonymous admin still may, the channel may not.
    let mut anna = app.in_group(GROUP, ANNA, "en");
    anna.skip_past();
    anna.send("/settings");
    let settings = anna.reply().await;
    anna.press(&settings, "cfg:adm:on");
    anna.reply().await;
    anonymous.skip_past();
    anonymous.send_raw(as_group("/meet now Standup"));
    let made = anonymous.created().await;
    assert!(made.text.contains("Standup"), "{}", made.text);
    let creations = app.tm.wait_requests(1).await;
    assert_eq!(creations[0].authorization, "OAuth y0_GROUPTOKEN");
    anonymous.send_raw(as_channel("/meet now"));
    assert_eq!(anonymous.reply().await.text, en().admins_only());
    assert_eq!(app.tm.requests().len(), 1);

    // Nothing was left as a dialogue of the shared senders.
    let db = app.side_db().await;
    for sender in [GROUP_ANONYMOUS_BOT, 136_817_688] {
        assert_eq!(db.load_dialogue(GROUP, sender).await.unwrap(), None);
    }
    db.close().await;
    app.stop().await;
}

/// Anna asks for a link and opens it, but is demoted before she pastes the token: the bot checks
/// again, tells her she is no longer an admin, deletes her message and stores nothing; the group
/// hears nothing and has no token.
#[tokio::test]
async fn admin_demoted_before_pasting_stores_nothing() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, ANNA, true);
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut anna = app.private(ANNA, "en");
    let code = ask_for_link(&mut anna_in_group).await;
    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());

    app.tg.set_admin(GROUP, ANNA, false);
    let in_group_from = anna_in_group.now();
    let token_msg = anna.send("y0_GROUPTOKEN");
    assert_eq!(anna.reply().await.text, en().no_longer_admin());
    assert_eq!(
        member_checks(&app),
        [(GROUP, ANNA), (GROUP, ANNA)],
        "asked at /connect and again before storing"
    );
    let deleted: Vec<i64> = app
        .tg
        .calls_to("deleteMessage", ANNA)
        .iter()
        .map(|c| c.body["message_id"].as_i64().unwrap())
        .collect();
    assert_eq!(deleted, [token_msg], "the token does not stay in the chat");
    anna.assert_no_call_since(in_group_from, |c| {
        c.chat_id() == Some(GROUP) && c.method != "getChatMember"
    })
    .await;
    assert_eq!(stored_access(&app, GROUP).await, None);
    assert_eq!(stored_access(&app, ANNA).await, None);
    // The bot stopped waiting for the group's token: her next message is not taken as one.
    anna.send("hello");
    assert_eq!(anna.reply().await.text, en().idle_hint());

    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();
    boris_in_group.send("/meet");
    assert_eq!(boris_in_group.reply().await.text, en().no_token(true));
    app.assert_creates(&mut boris_in_group, 0).await;
    app.stop().await;
}

/// Anna disconnects the group: its token is removed. Then Boris, who has a token of his own,
/// creates meetings in the group with his own token, and Carl, who has none, is told so. A
/// second /disconnect says there is nothing to remove.
#[tokio::test]
async fn admin_disconnects_and_members_fall_back_to_their_own_tokens() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let mut boris = app.private(BORIS, "en");
    app.with_token(&mut boris, "y0_BORIS").await;
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    let mut carl_in_group = app.in_group(GROUP, 3003, "en");
    for p in [&mut anna_in_group, &mut boris_in_group, &mut carl_in_group] {
        p.skip_past();
    }

    anna_in_group.send("/disconnect");
    assert_eq!(anna_in_group.reply().await.text, en().disconnected());
    assert_eq!(stored_access(&app, GROUP).await, None);
    assert_eq!(
        stored_access(&app, BORIS).await.as_deref(),
        Some("y0_BORIS")
    );

    assert_eq!(
        meet_and_authorization(&app, &mut boris_in_group).await,
        "OAuth y0_BORIS"
    );
    carl_in_group.skip_past();
    carl_in_group.send("/meet");
    assert_eq!(carl_in_group.reply().await.text, en().no_token(true));
    app.assert_creates(&mut carl_in_group, 1).await;

    anna_in_group.skip_past();
    anna_in_group.send("/disconnect");
    assert_eq!(anna_in_group.reply().await.text, en().group_has_no_token());
    app.stop().await;
}

/// In a group, /forget is the group's token: Boris, a plain member, is refused and the token
/// stays; Anna, an admin, may forget it.
#[tokio::test]
async fn forget_in_a_group_is_for_admins_only() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();
    boris_in_group.send("/forget");
    assert_eq!(boris_in_group.reply().await.text, en().admins_only());
    assert_eq!(
        stored_access(&app, GROUP).await.as_deref(),
        Some("y0_GROUPTOKEN")
    );
    assert_eq!(
        meet_and_authorization(&app, &mut boris_in_group).await,
        "OAuth y0_GROUPTOKEN"
    );

    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    anna_in_group.skip_past();
    anna_in_group.send("/forget");
    assert_eq!(anna_in_group.reply().await.text, en().disconnected());
    assert_eq!(stored_access(&app, GROUP).await, None);
    app.stop().await;
}

/// In a connected group Boris posts `/token <his token>`: the bot deletes the message before
/// saying anything, warns him to revoke the token, and stores it nowhere; the group keeps its
/// own token.
#[tokio::test]
async fn token_pasted_in_a_group_is_deleted_with_a_warning() {
    let app = TestApp::start().await;
    connect_group(&app, "y0_GROUPTOKEN").await;
    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();
    let from = boris_in_group.now();
    let leaked = boris_in_group.send("/token y0_LEAKED");
    let warning = boris_in_group.reply().await;
    assert_eq!(warning.text, en().token_in_group(true));
    assert!(warning.text.contains("revoke"), "{}", warning.text);
    let said: Vec<String> = app.tg.calls()[from..]
        .iter()
        .filter(|c| c.chat_id() == Some(GROUP))
        .map(|c| c.method.clone())
        .collect();
    assert_eq!(
        said,
        ["deleteMessage", "sendMessage"],
        "deleted first, then the warning"
    );
    let deleted = app.tg.calls_to("deleteMessage", GROUP);
    assert_eq!(deleted[0].body["message_id"], leaked);
    assert_eq!(
        stored_access(&app, GROUP).await.as_deref(),
        Some("y0_GROUPTOKEN")
    );
    assert_eq!(stored_access(&app, BORIS).await, None);
    app.stop().await;
}

/// /connect and /disconnect sent in a private chat: the bot explains they are for groups, asks
/// Telegram nothing and issues no code.
#[tokio::test]
async fn connect_in_a_private_chat_explains_it_is_for_groups() {
    let app = TestApp::start().await;
    let mut anna = app.private(ANNA, "en");
    for command in ["/connect", "/disconnect"] {
        anna.send(command);
        let r = anna.reply().await;
        assert_eq!(r.text, en().connect_in_groups_only(), "{command}");
        assert!(r.buttons.is_empty());
    }
    assert!(member_checks(&app).is_empty());
    assert!(connect_codes(&app).await.is_empty());
    app.stop().await;
}

/// Anna opens the /connect link and signs in with /login instead of pasting a token: the Yandex
/// token goes to the group (not to her private chat), the group is told she connected it, and
/// Boris's /meet in the group uses the access token.
#[tokio::test]
async fn connect_link_then_login_binds_the_yandex_token_to_the_group() {
    let oauth = FakeOAuth::start().await;
    let app = TestApp::start_with(Options {
        oauth_url: Some(oauth.url.clone()),
        ..Options::default()
    })
    .await;
    app.tg.set_admin(GROUP, ANNA, true);
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut anna = app.private(ANNA, "en");
    let code = ask_for_link(&mut anna_in_group).await;
    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());

    oauth.then_poll(granted("y0_GROUP_LOGIN", "1.r_group_login"));
    anna.send("/login");
    let started = anna.reply().await;
    assert_eq!(
        started.text,
        en().login_started(support::oauth::USER_CODE, 5)
    );
    assert_eq!(anna.reply().await.text, en().group_token_saved());
    assert_eq!(
        anna_in_group.reply().await.text,
        en().group_connected("User3001")
    );
    assert_eq!(
        member_checks(&app),
        [(GROUP, ANNA), (GROUP, ANNA)],
        "admin rights checked again when the grant arrives"
    );
    assert_eq!(oauth.token_forms("device_code").len(), 1);

    let db = app.side_db().await;
    let group_tokens = db.token(GROUP).await.unwrap().expect("the group's tokens");
    assert_eq!(group_tokens.access.expose_secret(), "y0_GROUP_LOGIN");
    assert_eq!(
        group_tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some("1.r_group_login")
    );
    assert!(db.token(ANNA).await.unwrap().is_none(), "not Anna's own");
    db.close().await;

    let mut boris_in_group = app.in_group(GROUP, BORIS, "en");
    boris_in_group.skip_past();
    assert_eq!(
        meet_and_authorization(&app, &mut boris_in_group).await,
        "OAuth y0_GROUP_LOGIN"
    );
    assert!(oauth.token_forms("refresh_token").is_empty());
    app.stop().await;
}

/// Anna opens the /connect link but pastes nothing; long after the link's ten minutes she sends
/// a token in her private chat. It is not taken as the group's: she hears the link expired, and
/// the group gets no token.
#[tokio::test]
async fn a_token_sent_after_the_link_expired_is_not_the_groups() {
    let app = TestApp::start().await;
    app.tg.set_admin(GROUP, ANNA, true);
    let mut anna_in_group = app.in_group(GROUP, ANNA, "en");
    let mut anna = app.private(ANNA, "en");
    let code = ask_for_link(&mut anna_in_group).await;
    anna.send(&format!("/start {code}"));
    assert_eq!(anna.reply().await.text, en().connect_prompt());

    // Time passes: the waiting state's deadline is in the past.
    let db = app.side_db().await;
    let (json, version) = db.load_dialogue(ANNA, ANNA).await.unwrap().unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&json).unwrap();
    state["until"] = serde_json::json!(1_700_000_000);
    let written = db
        .save_dialogue(ANNA, ANNA, &state.to_string(), None, Some(version))
        .await
        .unwrap();
    assert!(written.is_some());
    db.close().await;

    anna.send("y0_LATE");
    assert_eq!(anna.reply().await.text, en().connect_code_expired());
    assert_eq!(stored_access(&app, GROUP).await, None);
    app.stop().await;
}

/// Alice (user `alice_id`, token y0_alice) and Bob (`alice_id + 1`, y0_bob), each with a token
/// of their own set in private, in a group that has none: Alice and Bob in the group, and a view
/// of everything the bot says there.
async fn alice_and_bob(app: &TestApp, alice_id: i64) -> (Person, Person, Person) {
    let bob_id = alice_id + 1;
    let mut alice = app.private(alice_id, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let mut bob = app.private(bob_id, "en");
    app.with_token(&mut bob, "y0_bob").await;
    (
        app.in_group(GROUP, alice_id, "en"),
        app.in_group(GROUP, bob_id, "en"),
        app.in_group(GROUP, alice_id, "en"),
    )
}

/// Alice and Bob both start a /meet in the same group at the same moment. Each has their own
/// panel: Bob's taps on Alice's panel are refused as not his, Alice's draft survives Bob's
/// /cancel and a restart of the bot, each answers their own prompt, and each meeting is made
/// with the token of the member who made it (the group has none of its own).
#[tokio::test]
async fn two_members_each_have_their_own_meet() {
    let mut app = TestApp::start().await;
    let (mut alice_in_group, mut bob_in_group, mut group) = alice_and_bob(&app, 3101).await;

    alice_in_group.send("/meet");
    let alice_panel = group.reply_where(|r| r.has("create")).await;
    bob_in_group.send("/meet");
    let bob_panel = group.reply_where(|r| r.has("create")).await;
    assert_ne!(alice_panel.message_id, bob_panel.message_id);

    // Bob's tap on Alice's panel is not his to make.
    let tap = bob_in_group.press(&alice_panel, "create");
    assert_eq!(bob_in_group.answer_to(&tap).await, en().not_your_dialogue());
    // Alice goes on with hers: the cohosts step.
    alice_in_group.press(&alice_panel, "wr:ADMINS");
    let alice_cohosts = group.reply().await;
    assert_eq!(alice_cohosts.message_id, alice_panel.message_id);
    assert!(alice_cohosts.has("skip"), "{:?}", alice_cohosts.buttons);

    app.restart().await;

    // Bob cancels his own; Alice's stays.
    bob_in_group.send("/cancel");
    assert_eq!(group.reply().await.text, en().cancelled());
    let tap = bob_in_group.press(&bob_panel, "create");
    assert_eq!(bob_in_group.answer_to(&tap).await, en().stale_button());
    app.assert_all_requests(&mut bob_in_group, 0).await;

    // Bob starts again while Alice answers her prompt (a reply to her panel).
    bob_in_group.send("/meet");
    let bob_panel = group.reply_where(|r| r.has("create")).await;
    alice_in_group.reply_to(&alice_cohosts, "carol@x.ru");
    let alice_done = group.reply_where(|r| r.text.contains("https://")).await;
    bob_in_group.press(&bob_panel, "create");
    let bob_done = group.reply_where(|r| r.text.contains("https://")).await;
    assert_ne!(alice_done.message_id, bob_done.message_id);

    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "ADMINS", "cohosts": [{"email": "carol@x.ru"}]})
    );
    assert_eq!(reqs[1].authorization, "OAuth y0_bob");
    assert_eq!(reqs[1].body, json!({"waiting_room_level": "PUBLIC"}));
    app.stop().await;
}

/// In a group, a member's reply to another member's prompt is not an answer to their own: Bob
/// replies to Alice's cohosts prompt while his own draft asks for cohosts too; nothing happens
/// to either draft.
#[tokio::test]
async fn a_reply_to_another_members_prompt_is_not_an_answer() {
    let app = TestApp::start().await;
    let (mut alice_in_group, mut bob_in_group, mut group) = alice_and_bob(&app, 3111).await;

    alice_in_group.send("/meet");
    let alice_panel = group.reply_where(|r| r.has("create")).await;
    alice_in_group.press(&alice_panel, "wr:PUBLIC");
    let alice_cohosts = group.reply().await;
    bob_in_group.send("/meet");
    let bob_panel = group.reply_where(|r| r.has("create")).await;
    bob_in_group.press(&bob_panel, "wr:PUBLIC");
    group.reply().await;

    let from = group.now();
    bob_in_group.reply_to(&alice_cohosts, "mallory@x.ru");
    group
        .assert_no_call_since(from, |c| c.chat_id() == Some(GROUP))
        .await;
    app.assert_all_requests(&mut group, 0).await;

    // Both drafts are as they were: Alice's reply creates hers, with her cohost only.
    alice_in_group.reply_to(&alice_cohosts, "carol@x.ru");
    group.reply_where(|r| r.text.contains("https://")).await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "cohosts": [{"email": "carol@x.ru"}]})
    );
    app.stop().await;
}

/// "Only admins create meetings" is checked again at Create: Bob opened /meet while anyone could,
/// an admin turned the setting on meanwhile, and Bob's Create is refused without a request to
/// Telemost.
#[tokio::test]
async fn admins_only_is_checked_again_at_create() {
    let app = TestApp::start().await;
    let (admin_id, bob_id) = (3121, 3122);
    app.tg.set_admin(GROUP, admin_id, true);
    let mut bob = app.private(bob_id, "en");
    app.with_token(&mut bob, "y0_bob").await;
    let mut admin_in_group = app.in_group(GROUP, admin_id, "en");
    let mut bob_in_group = app.in_group(GROUP, bob_id, "en");
    let mut group = app.in_group(GROUP, admin_id, "en");

    bob_in_group.send("/meet");
    let bob_panel = group.reply_where(|r| r.has("create")).await;

    admin_in_group.send("/settings");
    let settings = group.reply_where(|r| r.has("cfg:adm:on")).await;
    admin_in_group.press(&settings, "cfg:adm:on");
    group.reply().await;

    bob_in_group.press(&bob_panel, "create");
    let refused = group
        .reply_where(|r| r.message_id == bob_panel.message_id)
        .await;
    assert_eq!(refused.text, en().admins_only());
    assert!(refused.buttons.is_empty(), "{:?}", refused.buttons);
    app.assert_all_requests(&mut group, 0).await;
    app.stop().await;
}

/// In a supergroup with topics, Anna types /meet in the "Planning" topic: the panel, a prompt's
/// error note and the links all land in that topic, not in General; /help typed in General is
/// answered in General.
#[tokio::test]
async fn a_command_in_a_forum_topic_is_answered_in_that_topic() {
    const TOPIC: i64 = 77;
    let app = TestApp::start().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let mut in_topic = app.in_topic(GROUP, TOPIC, ANNA, "en");
    let from = in_topic.now();

    let panel = in_topic.meet_panel().await;
    in_topic.press(&panel, "wr:ADMINS");
    let ask = in_topic.reply().await;
    // A reply that is not a list of emails: the panel comes again, with a note, as a new message.
    in_topic.reply_to(&ask, "not an email");
    let refused = in_topic.reply_where(|r| r.method == "sendMessage").await;
    in_topic.reply_to(&refused, "carol@x.ru");
    in_topic.created().await;
    // /meet with no token of its own for a member who has none: the refusal lands there too.
    let mut boris_in_topic = app.in_topic(GROUP, TOPIC, BORIS, "en");
    boris_in_topic.skip_past();
    boris_in_topic.send("/meet");
    assert_eq!(boris_in_topic.reply().await.text, en().no_token(true));

    let sent: Vec<_> = app
        .tg
        .calls()
        .into_iter()
        .skip(from)
        .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(GROUP))
        .collect();
    assert!(sent.len() >= 4, "{sent:#?}");
    for call in &sent {
        assert_eq!(
            call.body["message_thread_id"],
            json!(TOPIC),
            "every message goes into the topic: {}",
            call.body
        );
    }

    let mut in_general = app.in_group(GROUP, ANNA, "en");
    in_general.skip_past();
    in_general.send("/help");
    in_general.reply().await;
    let help = app
        .tg
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.method == "sendMessage" && c.chat_id() == Some(GROUP))
        .unwrap();
    assert!(
        help.body.get("message_thread_id").is_none(),
        "{}",
        help.body
    );
    app.stop().await;
}
