//! User stories for /login (Yandex's device-code flow) and for OAuth tokens that need refreshing:
//! the real dispatcher against fake Telegram, Telemost and Yandex OAuth. In these tests one OAuth
//! "second" lasts 20 ms, so the fake's polling interval of 1 is 20 ms and slow_down adds 100 ms.

mod support;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use support::oauth::{
    FakeOAuth, Form, USER_CODE, VERIFICATION_URL, denied, expired, granted, pending, slow_down,
};
use support::telemost::join_url;
use support::{Answer, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, Options, Person, Reply, TestApp, en};
use telemost_bot::storage::{Leased, Tokens};
use telemost_bot::telemost::TelemostError;

/// One OAuth "second" in the tests.
const UNIT: Duration = Duration::from_millis(20);
/// What the fake grants say `expires_in` is: a year.
const YEAR: i64 = 31_536_000;
/// The scopes the bot asks Yandex for.
const SCOPES: &str =
    "telemost-api:conferences.create telemost-api:conferences.read telemost-api:conferences.update";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A bot with /login configured against a fresh fake Yandex OAuth.
async fn login_app() -> (TestApp, FakeOAuth) {
    let oauth = FakeOAuth::start().await;
    let app = TestApp::start_with(Options {
        oauth_url: Some(oauth.url.clone()),
        ..Options::default()
    })
    .await;
    (app, oauth)
}

/// A form's fields, for comparing whole.
fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// What every device-code poll must carry, exactly.
fn poll_fields() -> HashMap<String, String> {
    fields(&[
        ("grant_type", "device_code"),
        ("code", "device-code-secret"),
        ("client_id", OAUTH_CLIENT_ID),
        ("client_secret", OAUTH_CLIENT_SECRET),
    ])
}

/// What a refresh of `refresh` must carry, exactly.
fn refresh_fields(refresh: &str) -> HashMap<String, String> {
    fields(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", OAUTH_CLIENT_ID),
        ("client_secret", OAUTH_CLIENT_SECRET),
    ])
}

/// Sends /login and checks the answer: the user code, and one button to Yandex's page.
async fn start_login(person: &mut Person) -> Reply {
    person.send("/login");
    let started = person.reply().await;
    assert_eq!(started.text, en().login_started(USER_CODE, 5));
    assert_eq!(
        started.buttons,
        [(
            en().button_open_login().to_owned(),
            VERIFICATION_URL.to_owned()
        )]
    );
    started
}

/// Logs `person` in with Yandex, which grants `access` and `refresh` at the first poll.
async fn log_in(oauth: &FakeOAuth, person: &mut Person, access: &str, refresh: &str) {
    oauth.then_poll(granted(access, refresh));
    start_login(person).await;
    assert_eq!(person.reply().await.text, en().login_done());
}

/// The tokens stored for `chat`, read through a second handle on the database.
async fn stored(app: &TestApp, chat: i64) -> Option<Tokens> {
    let db = app.side_db().await;
    let tokens = db.token(chat).await.unwrap();
    db.close().await;
    tokens
}

/// The device-code polls that arrived so far.
fn polls(oauth: &FakeOAuth) -> Vec<Form> {
    oauth.token_forms("device_code")
}

/// No login is left in the database: nothing is left for the bot to poll, so no poll can follow
/// (the bot removes a login before it tells the user how it ended). Rather than watching a
/// short window for a poll that does not come.
async fn nothing_left_to_poll(app: &TestApp) {
    let db = app.side_db().await;
    let due = db.next_due(Leased::Logins, i64::MAX).await.unwrap();
    db.close().await;
    assert_eq!(due, None, "a login is still there to be polled");
}

/// Without a Yandex OAuth app configured, /login says so and points to /token, which still
/// works: the pasted token creates the meeting.
#[tokio::test]
async fn login_without_an_oauth_app_points_to_token() {
    let app = TestApp::start().await;
    let mut ann = app.private(6001, "en");
    ann.send("/login");
    let r = ann.reply().await;
    assert_eq!(r.text, en().login_not_configured());
    assert!(r.buttons.is_empty(), "{:?}", r.buttons);

    app.with_token(&mut ann, "y0_pasted").await;
    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_pasted");
    app.stop().await;
}

/// Ann sends /login: the bot asks Yandex for a device code (its client id and the Telemost
/// scopes), shows her the user code with a button to Yandex's page, and polls the token endpoint
/// with the device code and the app's credentials. Yandex says "pending" twice, then grants:
/// the tokens are stored (with their expiry), Ann is told, polling stops, and /meet creates with
/// `OAuth <access token>`.
#[tokio::test]
async fn device_flow_pending_twice_then_granted() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6002, "en");
    oauth.then_poll(pending());
    oauth.then_poll(pending());
    oauth.then_poll(granted("y0_login_access", "1.login_refresh"));

    start_login(&mut ann).await;
    let forms = oauth.forms();
    assert_eq!(forms[0].path, "/device/code");
    assert_eq!(
        forms[0].fields,
        fields(&[
            ("client_id", OAUTH_CLIENT_ID),
            ("device_name", "Telemost bot for Telegram"),
            ("scope", SCOPES),
        ])
    );
    let done = ann.reply().await;
    assert_eq!(done.text, en().login_done());
    assert!(done.buttons.is_empty());

    nothing_left_to_poll(&app).await;
    let polls = polls(&oauth);
    assert_eq!(polls.len(), 3, "no poll after the grant: {polls:#?}");
    for p in &polls {
        assert_eq!(p.fields, poll_fields());
    }
    assert_eq!(oauth.forms().len(), 4, "one device code, three polls");

    let tokens = stored(&app, ann.chat).await.expect("the tokens are stored");
    assert_eq!(tokens.access.expose_secret(), "y0_login_access");
    assert_eq!(
        tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some("1.login_refresh")
    );
    let expires_at = tokens.expires_at.expect("the expiry is stored");
    let expected = unix_now() + YEAR;
    assert!(
        (expected - 60..=expected).contains(&expires_at),
        "{expires_at} vs {expected}"
    );

    let created = ann.meet_with_defaults().await;
    assert_eq!(created.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_login_access");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    assert!(oauth.token_forms("refresh_token").is_empty());
    app.stop().await;
}

/// Yandex answers slow_down: the bot polls less often from then on (the interval grows by 5
/// "seconds", from 1 to 6), and still completes the login.
#[tokio::test]
async fn slow_down_lengthens_the_polling_interval() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6003, "en");
    for answer in [pending(), slow_down(), pending(), pending()] {
        oauth.then_poll(answer);
    }
    oauth.then_poll(granted("y0_slow", "1.slow"));

    start_login(&mut ann).await;
    assert_eq!(ann.reply().await.text, en().login_done());
    let polls = polls(&oauth);
    assert_eq!(polls.len(), 5, "{polls:#?}");
    let gaps: Vec<Duration> = polls.windows(2).map(|w| w[1].at - w[0].at).collect();
    // pending → slow_down: the original interval.
    assert!(gaps[0] >= UNIT, "{gaps:?}");
    // slow_down → pending → pending → granted: 6 units each.
    for gap in &gaps[1..] {
        assert!(*gap >= UNIT * 6, "{gaps:?}");
        assert!(*gap > gaps[0], "{gaps:?}");
    }
    assert_eq!(
        stored(&app, ann.chat)
            .await
            .map(|t| t.access.expose_secret().to_owned())
            .as_deref(),
        Some("y0_slow")
    );
    app.stop().await;
}

/// Yandex says the device code expired (expired_token): Ann is told to /login again, nothing is
/// stored, and polling stops.
#[tokio::test]
async fn expired_token_ends_the_login() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6004, "en");
    oauth.then_poll(pending());
    oauth.then_poll(expired());
    start_login(&mut ann).await;
    assert_eq!(ann.reply().await.text, en().login_expired());
    nothing_left_to_poll(&app).await;
    assert_eq!(polls(&oauth).len(), 2);
    assert!(stored(&app, ann.chat).await.is_none());
    ann.send("/meet");
    assert_eq!(ann.reply().await.text, en().no_token(false));
    app.stop().await;
}

/// Ann never enters the code and the device code's lifetime (25 "seconds", polled every one)
/// runs out: the bot polled while it was valid, then stops polling by itself and tells her it
/// expired.
#[tokio::test]
async fn the_code_runs_out_while_nobody_enters_it() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6005, "en");
    oauth.set_expires_in(25);
    ann.send("/login");
    let started = ann.reply().await;
    assert_eq!(started.text, en().login_started(USER_CODE, 1));
    // Polled while the code was valid (Yandex said "pending").
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;
    assert_eq!(ann.reply().await.text, en().login_expired());
    let expired_at = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    nothing_left_to_poll(&app).await;
    let polls = polls(&oauth);
    assert!(
        polls.iter().all(|p| p.at < expired_at),
        "no poll after the code expired: {polls:#?}"
    );
    assert!(stored(&app, ann.chat).await.is_none());
    app.stop().await;
}

/// Ann denies access on Yandex's page (access_denied): she is told, nothing is stored, polling
/// stops.
#[tokio::test]
async fn access_denied_ends_the_login() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6006, "en");
    oauth.then_poll(pending());
    oauth.then_poll(denied());
    start_login(&mut ann).await;
    assert_eq!(ann.reply().await.text, en().login_denied());
    nothing_left_to_poll(&app).await;
    assert_eq!(polls(&oauth).len(), 2);
    assert!(stored(&app, ann.chat).await.is_none());
    app.stop().await;
}

/// Ann sends /cancel while the bot polls: she is told the login is cancelled, and no poll
/// reaches Yandex afterwards, even though Yandex would grant at the next one.
#[tokio::test]
async fn cancel_stops_polling() {
    let (mut app, oauth) = login_app().await;
    let mut ann = app.private(6007, "en");
    start_login(&mut ann).await;
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;
    ann.send("/cancel");
    let r = ann.reply().await;
    assert_eq!(r.text, en().login_cancelled());
    oauth.then_poll(granted("y0_too_late", "1.too_late"));
    let cancelled_at = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    nothing_left_to_poll(&app).await;
    // A poll already on its way when /cancel arrived may land after it, and no other: once the
    // bot has stopped (its worker finishing what it held), at most that one came after.
    app.halt().await;
    let late: Vec<Form> = polls(&oauth)
        .into_iter()
        .filter(|p| p.at > cancelled_at)
        .collect();
    assert!(late.len() <= 1, "polls after /cancel: {late:#?}");
    assert!(stored(&app, ann.chat).await.is_none());
    assert_eq!(
        app.tg.calls_to("sendMessage", ann.chat).len(),
        2,
        "the code, then the cancellation; no login_done"
    );
    app.resume().await;
    ann.send("/cancel");
    assert_eq!(ann.reply().await.text, en().nothing_to_cancel());
    app.stop().await;
}

/// While the bot polls Yandex for Ann's login, and Yandex takes its time to answer a poll,
/// her /help is answered meanwhile, and polling goes on in the background.
#[tokio::test]
async fn the_chat_is_not_blocked_while_polling() {
    const HELD: Duration = Duration::from_secs(3);
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6008, "en");
    // The code lives a minute here (3000 of the tests' 20 ms "seconds"): longer than the story.
    oauth.set_expires_in(3000);
    ann.send("/login");
    assert_eq!(ann.reply().await.text, en().login_started(USER_CODE, 50));
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;

    // Yandex holds the next poll (for less than the bot waits for it); Ann asks for help while
    // it is in flight.
    oauth.set_poll_delay(HELD);
    let n = polls(&oauth).len();
    let in_flight = oauth
        .wait_token_forms("device_code", n + 1, Duration::from_secs(5))
        .await[n]
        .at;
    ann.send("/help");
    let help = ann.reply().await;
    assert_eq!(help.text, en().help());
    let answered = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    assert!(
        answered < in_flight + HELD,
        "/help waited for Yandex's answer to the poll"
    );
    // Polling goes on after the answer.
    oauth.set_poll_delay(Duration::ZERO);
    let later = oauth
        .wait_token_forms("device_code", n + 2, Duration::from_secs(10))
        .await;
    assert!(later.last().unwrap().at > answered);

    ann.send("/cancel");
    assert_eq!(ann.reply().await.text, en().login_cancelled());
    app.stop().await;
}

/// After a login (a refresh token is stored), Telemost says 401 once: the bot refreshes the
/// token exactly once with the refresh token and the app's credentials, creates with the new
/// access token, stores the new tokens, and Ann gets her link without hearing of the 401.
#[tokio::test]
async fn unauthorized_after_login_refreshes_once_and_retries() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6009, "en");
    log_in(&oauth, &mut ann, "y0_first", "1.r_first").await;
    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    oauth.then_refresh(granted("y0_second", "1.r_second"));

    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_first");
    assert_eq!(reqs[1].authorization, "OAuth y0_second");
    assert_eq!(reqs[1].body, reqs[0].body);
    app.assert_creates(&mut ann, 2).await;
    let refreshes = oauth.token_forms("refresh_token");
    assert_eq!(refreshes.len(), 1, "{refreshes:#?}");
    assert_eq!(refreshes[0].fields, refresh_fields("1.r_first"));

    let tokens = stored(&app, ann.chat).await.unwrap();
    assert_eq!(tokens.access.expose_secret(), "y0_second");
    assert_eq!(
        tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some("1.r_second")
    );
    // The next meeting uses the new token directly.
    let again = ann.meet_with_defaults().await;
    assert_eq!(again.text, en().meeting_created(None, &join_url(2)));
    let reqs = app.tm.wait_requests(3).await;
    assert_eq!(reqs[2].authorization, "OAuth y0_second");
    assert_eq!(oauth.token_forms("refresh_token").len(), 1);
    app.stop().await;
}

/// After a login, Telemost says 401 and Yandex refuses the refresh (invalid_grant): Ann reads
/// the 401 message telling her how to set a new token, the draft is kept, and Telemost was
/// asked only once.
#[tokio::test]
async fn failed_refresh_tells_how_to_set_a_new_token() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6010, "en");
    log_in(&oauth, &mut ann, "y0_revoked", "1.r_revoked").await;
    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));

    let r = ann.meet_with_defaults().await;
    let unauthorized = en().telemost_error(&TelemostError::Unauthorized);
    assert!(
        r.text.starts_with(&format!("{unauthorized}\n\n")),
        "{}",
        r.text
    );
    assert!(r.text.contains("/token"), "{}", r.text);
    assert!(r.has("create"), "the draft is kept: {:?}", r.buttons);
    let refreshes = oauth.token_forms("refresh_token");
    assert_eq!(refreshes.len(), 1, "{refreshes:#?}");
    assert_eq!(refreshes[0].fields, refresh_fields("1.r_revoked"));
    app.assert_creates(&mut ann, 1).await;
    assert_eq!(app.tm.requests()[0].authorization, "OAuth y0_revoked");
    app.stop().await;
}

/// Ann's access token expires within the hour (it came from a login, so a refresh token is
/// stored): /meet refreshes it first, and the meeting is created with the fresh token on the
/// first try.
#[tokio::test]
async fn token_near_expiry_is_refreshed_before_the_call() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6011, "en");
    let db = app.side_db().await;
    db.set_token(
        ann.chat,
        &Tokens {
            access: SecretString::from("y0_expiring"),
            refresh: Some(SecretString::from("1.r_expiring")),
            expires_at: Some(unix_now() + 3600),
        },
        Some(ann.chat),
    )
    .await
    .unwrap();
    db.close().await;
    oauth.then_refresh(granted("y0_fresh", "1.r_fresh"));

    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    app.assert_creates(&mut ann, 1).await;
    assert_eq!(app.tm.requests()[0].authorization, "OAuth y0_fresh");
    let refreshes = oauth.token_forms("refresh_token");
    assert_eq!(refreshes.len(), 1, "{refreshes:#?}");
    assert_eq!(refreshes[0].fields, refresh_fields("1.r_expiring"));

    let tokens = stored(&app, ann.chat).await.unwrap();
    assert_eq!(tokens.access.expose_secret(), "y0_fresh");
    assert_eq!(
        tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some("1.r_fresh")
    );
    let expires_at = tokens.expires_at.unwrap();
    assert!(expires_at > unix_now() + YEAR - 60, "{expires_at}");
    assert!(polls(&oauth).is_empty());
    app.stop().await;
}

/// A token from a login that is valid for two more days is used as it is: no refresh.
#[tokio::test]
async fn token_valid_for_days_is_not_refreshed() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6012, "en");
    let db = app.side_db().await;
    db.set_token(
        ann.chat,
        &Tokens {
            access: SecretString::from("y0_still_good"),
            refresh: Some(SecretString::from("1.r_still_good")),
            expires_at: Some(unix_now() + 2 * 24 * 3600),
        },
        Some(ann.chat),
    )
    .await
    .unwrap();
    db.close().await;

    let done = ann.meet_with_defaults().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    app.assert_creates(&mut ann, 1).await;
    assert_eq!(app.tm.requests()[0].authorization, "OAuth y0_still_good");
    assert!(oauth.forms().is_empty(), "{:#?}", oauth.forms());
    app.stop().await;
}

/// /login sent in a group: the bot says sign-ins happen in a private chat and asks Yandex for
/// nothing.
#[tokio::test]
async fn login_in_a_group_points_to_the_private_chat() {
    let (app, oauth) = login_app().await;
    let mut ann_in_group = app.in_group(-100_6013, 6013, "en");
    ann_in_group.send("/login");
    let r = ann_in_group.reply().await;
    assert_eq!(r.text, en().token_only_in_private());
    assert!(r.buttons.is_empty(), "{:?}", r.buttons);
    // Every update of the chat handled: no device code was asked for.
    ann_in_group.barrier().await;
    assert!(oauth.forms().is_empty(), "{:#?}", oauth.forms());
    app.stop().await;
}

/// Ann sends /login twice: the second login replaces the first, whose polling stops; when Yandex
/// grants, she is told once, and then no poll at all reaches Yandex.
#[tokio::test]
async fn a_second_login_replaces_the_first() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6014, "en");
    start_login(&mut ann).await;
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;
    start_login(&mut ann).await;
    let device_codes = oauth
        .forms()
        .iter()
        .filter(|f| f.path == "/device/code")
        .count();
    assert_eq!(device_codes, 2);
    oauth.then_poll(granted("y0_second_login", "1.second_login"));
    assert_eq!(ann.reply().await.text, en().login_done());
    let granted_at = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    // The login is removed before she is told: no poll can follow, and none came after.
    nothing_left_to_poll(&app).await;
    let late: Vec<Form> = polls(&oauth)
        .into_iter()
        .filter(|p| p.at > granted_at)
        .collect();
    assert!(late.is_empty(), "polls after the grant: {late:#?}");
    assert_eq!(
        app.tg.calls_to("sendMessage", ann.chat).len(),
        3,
        "two codes, one login_done"
    );
    assert_eq!(
        stored(&app, ann.chat)
            .await
            .map(|t| t.access.expose_secret().to_owned())
            .as_deref(),
        Some("y0_second_login")
    );
    app.stop().await;
}

/// Ann's token (from a login) is revoked on Telemost's side, and two of her meetings are being
/// made at the same moment: one by /meet now in her private chat, one through inline mode in
/// another chat. Both get 401; the token is refreshed once (a refresh token works only once), the
/// second waits for that refresh and uses the fresh token, and both meetings are made: nobody is
/// told their token was rejected.
#[tokio::test]
async fn two_meetings_at_once_refresh_the_token_once() {
    let (app, oauth) = login_app().await;
    let mut ann = app.private(6020, "en");
    log_in(&oauth, &mut ann, "y0_old", "1.r_old").await;
    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    app.tm
        .then(Answer::json(401, json!({"error": "UnauthorizedError"})));
    oauth.then_refresh(granted("y0_new", "1.r_new"));
    // Slow enough that the second 401 arrives while the first refresh is under way.
    oauth.set_refresh_delay(Duration::from_millis(300));

    ann.send("/meet now");
    app.tg.push_update(json!({"chosen_inline_result": {
        "result_id": "meet", "query": "",
        "from": {"id": 6020, "is_bot": false, "first_name": "Ann", "language_code": "en"},
        "inline_message_id": "im-ann"
    }}));

    let done = ann.created().await;
    assert!(done.text.starts_with("<b>Meeting created"), "{}", done.text);
    let (_, inline) = app
        .tg
        .wait_call(0, "the inline message's links", |c| {
            c.method == "editMessageText"
                && c.body["inline_message_id"] == "im-ann"
                && c.text().contains("https://")
        })
        .await;
    assert!(
        inline.text().starts_with("<b>Meeting created"),
        "{}",
        inline.text()
    );

    let reqs = app.tm.wait_requests(4).await;
    let mut auth: Vec<&str> = reqs.iter().map(|r| r.authorization.as_str()).collect();
    auth.sort();
    assert_eq!(
        auth,
        [
            "OAuth y0_new",
            "OAuth y0_new",
            "OAuth y0_old",
            "OAuth y0_old"
        ]
    );
    let refreshes = oauth.token_forms("refresh_token");
    assert_eq!(refreshes.len(), 1, "{refreshes:#?}");
    assert_eq!(
        stored(&app, ann.chat).await.unwrap().access.expose_secret(),
        "y0_new"
    );
    let unauthorized = en().telemost_error(&TelemostError::Unauthorized);
    assert!(
        !app.tg
            .calls()
            .iter()
            .any(|c| c.text().contains(&unauthorized)),
        "nobody was told the token was rejected"
    );
    app.stop().await;
}

/// The bot is restarted (as SIGTERM and a new start do) while it polls Yandex for Ann's login:
/// the login is in the database, so the new bot goes on polling it with the same device code,
/// and when Ann allows access after the restart, the token is stored and she is told once.
#[tokio::test]
async fn a_login_survives_a_restart_of_the_bot() {
    let (mut app, oauth) = login_app().await;
    let mut ann = app.private(6030, "en");
    start_login(&mut ann).await;
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;
    app.restart().await;
    let restarted = std::time::Instant::now();
    let before = polls(&oauth).len();
    // Polling goes on in the new bot, Yandex still saying "pending".
    let after = oauth
        .wait_token_forms("device_code", before + 2, Duration::from_secs(5))
        .await;
    assert!(after.last().unwrap().at > restarted);

    oauth.then_poll(granted("y0_after_restart", "1.after_restart"));
    assert_eq!(ann.reply().await.text, en().login_done());
    let granted_at = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    nothing_left_to_poll(&app).await;
    let sent: Vec<String> = app
        .tg
        .calls_to("sendMessage", ann.chat)
        .iter()
        .map(|c| c.text().to_owned())
        .collect();
    assert_eq!(
        sent,
        [
            en().login_started(USER_CODE, 5),
            en().login_done().to_owned()
        ],
        "the code once, before the restart; told once after"
    );
    let polls = polls(&oauth);
    for p in &polls {
        assert_eq!(p.fields, poll_fields(), "the same device code throughout");
    }
    let late: Vec<&Form> = polls.iter().filter(|p| p.at > granted_at).collect();
    assert!(late.is_empty(), "polls after the grant: {late:#?}");
    let tokens = stored(&app, ann.chat).await.expect("the tokens are stored");
    assert_eq!(tokens.access.expose_secret(), "y0_after_restart");
    assert_eq!(
        tokens.refresh.as_ref().map(|r| r.expose_secret()),
        Some("1.after_restart")
    );
    app.stop().await;
}

/// Ann sends /forget while the bot polls for her login: the login is dropped with the token, so
/// when Yandex would grant, nothing is polled, stored or said any more.
#[tokio::test]
async fn forget_drops_a_login_in_progress() {
    let (mut app, oauth) = login_app().await;
    let mut ann = app.private(6031, "en");
    start_login(&mut ann).await;
    oauth
        .wait_token_forms("device_code", 2, Duration::from_secs(5))
        .await;
    ann.send("/forget");
    assert_eq!(ann.reply().await.text, en().token_none_to_forget());
    oauth.then_poll(granted("y0_forgotten", "1.forgotten"));
    let forgot_at = app.tg.calls_to("sendMessage", ann.chat).last().unwrap().at;
    nothing_left_to_poll(&app).await;
    // At most the poll already on its way when /forget arrived, once the bot has stopped.
    app.halt().await;
    let late: Vec<Form> = polls(&oauth)
        .into_iter()
        .filter(|p| p.at > forgot_at)
        .collect();
    assert!(late.len() <= 1, "polls after /forget: {late:#?}");
    assert!(stored(&app, ann.chat).await.is_none());
    assert_eq!(app.tg.calls_to("sendMessage", ann.chat).len(), 2);
    app.stop().await;
}
