//! User stories for Telemost's failures, end to end: each error the API documents (and a few it
//! does not) reaches the user as a clear sentence, with the draft kept so they can try again.

mod support;

use serde_json::{Value, json};
use support::telemost::{join_url, watch_url};
use support::{Answer, Person, Reply, TestApp, en};

/// Attempts the tests' retry policy allows for one creation.
fn max_attempts() -> usize {
    support::test_retry_policy().max_attempts as usize
}

/// Telemost answers `answer` to every attempt the client may make.
fn keeps_answering(app: &TestApp, answer: Answer) {
    for _ in 0..max_attempts() {
        app.tm.then(answer.clone());
    }
}

/// Opens /meet and taps Create; returns the panel.
async fn meet_and_create(person: &mut Person) -> Reply {
    person.send("/meet");
    let panel = person.reply().await;
    person.press(&panel, "create");
    panel
}

/// Waits for the first Telemost request and checks it (and any retry of it) is the one
/// `/meet` + Create sends with `token`.
async fn assert_default_meet_requests(app: &TestApp, token: &str) {
    let reqs = app.tm.wait_requests(1).await;
    for r in &reqs {
        assert_eq!(r.authorization, format!("OAuth {token}"));
        assert_eq!(r.body, json!({"waiting_room_level": "PUBLIC"}));
    }
}

/// After a failure the draft is kept: the panel (the same message) offers Create again, and
/// Create now succeeds.
async fn retry_succeeds(app: &TestApp, person: &mut Person, failed: &Reply, before: usize) {
    assert!(failed.has("create"), "the draft is kept: {failed:?}");
    person.press(failed, "create");
    let done = person.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(before + 1).await;
    assert_eq!(reqs.len(), before + 1);
    assert_eq!(reqs[before].body, json!({"waiting_room_level": "PUBLIC"}));
}

/// A 2xx whose body is not a conference: a clear error, the draft kept, and the bot still works.
async fn malformed_success(body: &str) {
    let app = TestApp::start().await;
    let mut alice = app.private(4100, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(Answer::raw(200, body));
    let panel = meet_and_create(&mut alice).await;
    let r = alice
        .reply_where(|r| r.text.contains("could not read"))
        .await;
    assert!(
        r.text
            .contains("Telemost answered with something I could not read."),
        "{}",
        r.text
    );
    assert_eq!(r.message_id, panel.message_id);
    assert_default_meet_requests(&app, "y0_alice").await;
    assert_eq!(app.tm.requests().len(), 1, "a 2xx is never retried");
    retry_succeeds(&app, &mut alice, &r, 1).await;
    alice.send("/help");
    assert_eq!(alice.reply().await.text, en().help());
    app.stop().await;
}

/// 402 on a stream: the organisation's plan has no live streams; /meet is suggested and the
/// draft kept.
#[tokio::test]
async fn payment_required_for_live_streams() {
    let app = TestApp::start().await;
    let mut alice = app.private(4001, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(Answer::json(
        402,
        json!({"error": "PaymentRequiredToUseLiveStreams", "message": "Payment required"}),
    ));
    alice.send("/stream Launch");
    let panel = alice.reply().await;
    alice.press(&panel, "create");
    let r = alice.reply_where(|r| r.text.contains("live streams")).await;
    assert!(
        r.text
            .contains("Your organisation's Yandex 360 plan does not include live streams."),
        "{}",
        r.text
    );
    assert!(r.text.contains("/meet"), "{}", r.text);
    assert!(r.has("create"), "the draft is kept: {:?}", r.buttons);
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC", "live_stream": {"access_level": "PUBLIC", "title": "Launch"}})
    );
    app.stop().await;
}

/// 403 ApiRestrictedToOrganizations: the user learns the API is for Yandex 360 for business.
#[tokio::test]
async fn api_restricted_to_organizations() {
    let app = TestApp::start().await;
    let mut alice = app.private(4002, "en");
    app.with_token(&mut alice, "y0_personal").await;
    app.tm.then(Answer::json(
        403,
        json!({"error": "ApiRestrictedToOrganizations", "message": "Forbidden"}),
    ));
    let panel = meet_and_create(&mut alice).await;
    let r = alice.reply_where(|r| r.text.contains("Yandex 360")).await;
    assert!(
        r.text
            .contains("Telemost allows its API only to Yandex 360 for business users"),
        "{}",
        r.text
    );
    assert_eq!(r.message_id, panel.message_id);
    assert!(r.has("create"), "{:?}", r.buttons);
    assert_default_meet_requests(&app, "y0_personal").await;
    assert_eq!(app.tm.requests().len(), 1);
    app.stop().await;
}

/// 404 NoSuchUserPrincipalsFound: the bot names the two unknown cohosts, keeps the accepted one
/// and asks for the list again; the corrected list creates the meeting.
#[tokio::test]
async fn unknown_cohosts_are_named_and_asked_again() {
    let app = TestApp::start().await;
    let mut alice = app.private(4003, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(Answer::json(
        404,
        json!({
            "error": "NoSuchUserPrincipalsFound",
            "message": "No such users",
            "details": {"emails": "a@x.ru;b@x.ru"}
        }),
    ));
    alice.send("/meet");
    let panel = alice.reply().await;
    alice.press(&panel, "wr:ORGANIZATION");
    alice.reply().await;
    alice.send("a@x.ru, b@x.ru, c@x.ru");
    let r = alice
        .reply_where(|r| r.text.contains("not Yandex accounts"))
        .await;
    assert!(
        r.text
            .contains("These cohosts are not Yandex accounts: a@x.ru, b@x.ru."),
        "{}",
        r.text
    );
    assert!(r.text.contains(en().ask_cohosts()), "{}", r.text);
    // The accepted cohost is kept (Create would go ahead with it); the user may type a new list.
    assert!(r.text.contains("Cohosts: c@x.ru\n"), "{}", r.text);
    assert_eq!(r.data(), ["create", "skip", "cancel"]);
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body,
        json!({
            "waiting_room_level": "ORGANIZATION",
            "cohosts": [{"email": "a@x.ru"}, {"email": "b@x.ru"}, {"email": "c@x.ru"}]
        })
    );

    alice.send("c@x.ru, d@x.ru");
    let done = alice.reply_where(|r| r.text.contains("https://")).await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    let reqs = app.tm.wait_requests(2).await;
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].authorization, "OAuth y0_alice");
    assert_eq!(
        reqs[1].body,
        json!({
            "waiting_room_level": "ORGANIZATION",
            "cohosts": [{"email": "c@x.ru"}, {"email": "d@x.ru"}]
        })
    );
    app.stop().await;
}

/// 400 with a `message`: the user sees the status and Telemost's own words.
#[tokio::test]
async fn bad_request_shows_telemosts_message() {
    let app = TestApp::start().await;
    let mut alice = app.private(4004, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.tm.then(Answer::json(
        400,
        json!({"error": "ValidationError", "message": "waiting_room_level has an invalid value"}),
    ));
    let panel = meet_and_create(&mut alice).await;
    let r = alice.reply_where(|r| r.text.contains("refused")).await;
    assert!(
        r.text.contains(
            "Telemost refused the request (400): waiting_room_level has an invalid value"
        ),
        "{}",
        r.text
    );
    assert_eq!(r.message_id, panel.message_id);
    assert_default_meet_requests(&app, "y0_alice").await;
    assert_eq!(app.tm.requests().len(), 1, "a 400 is never retried");
    retry_succeeds(&app, &mut alice, &r, 1).await;
    app.stop().await;
}

/// Telemost keeps answering 500: every attempt is made, then "unavailable", nothing created, the
/// draft kept.
#[tokio::test]
async fn internal_server_error_is_unavailable() {
    let app = TestApp::start().await;
    let mut alice = app.private(4005, "en");
    app.with_token(&mut alice, "y0_alice").await;
    keeps_answering(
        &app,
        Answer::json(500, json!({"error": "InternalServerError"})),
    );
    meet_and_create(&mut alice).await;
    let r = alice.reply_where(|r| r.text.contains("unavailable")).await;
    assert!(
        r.text
            .contains("Telemost is unavailable right now. Nothing was created"),
        "{}",
        r.text
    );
    assert!(r.has("create"), "{:?}", r.buttons);
    assert_default_meet_requests(&app, "y0_alice").await;
    assert_eq!(
        app.tm.requests().len(),
        max_attempts(),
        "retried up to the policy's limit, no further"
    );
    app.stop().await;
}

/// Telemost keeps answering 503 with an HTML page: every attempt is made, then "unavailable",
/// the draft kept.
#[tokio::test]
async fn service_unavailable_is_unavailable() {
    let app = TestApp::start().await;
    let mut alice = app.private(4006, "en");
    app.with_token(&mut alice, "y0_alice").await;
    keeps_answering(
        &app,
        Answer::raw(503, "<html><body>503 Service Unavailable</body></html>"),
    );
    meet_and_create(&mut alice).await;
    let r = alice.reply_where(|r| r.text.contains("unavailable")).await;
    assert!(
        r.text
            .contains("Telemost is unavailable right now. Nothing was created"),
        "{}",
        r.text
    );
    assert!(r.has("create"), "{:?}", r.buttons);
    assert_default_meet_requests(&app, "y0_alice").await;
    assert_eq!(
        app.tm.requests().len(),
        max_attempts(),
        "retried up to the policy's limit, no further"
    );
    app.stop().await;
}

/// 200 with an HTML page instead of JSON.
#[tokio::test]
async fn success_with_an_html_body_is_an_error() {
    malformed_success("<html><body>Welcome</body></html>").await;
}

/// 200 with JSON cut off halfway.
#[tokio::test]
async fn success_with_truncated_json_is_an_error() {
    malformed_success(r#"{"id": "1", "join_url": "https://telemost.yandex.ru/j/1"#).await;
}

/// 200 with JSON that has no join_url.
#[tokio::test]
async fn success_without_join_url_is_an_error() {
    let body: Value = json!({"id": "1", "live_stream": {"watch_url": watch_url(1)}});
    malformed_success(&body.to_string()).await;
}

/// Nothing listens where Telemost should be: "unavailable", the draft kept, the bot still works.
#[tokio::test]
async fn network_failure_is_unavailable() {
    let app = TestApp::start_with_telemost_url(&support::closed_port_url()).await;
    let mut alice = app.private(4007, "en");
    app.with_token(&mut alice, "y0_alice").await;
    let panel = meet_and_create(&mut alice).await;
    let r = alice.reply_where(|r| r.text.contains("unavailable")).await;
    assert!(
        r.text
            .contains("Telemost is unavailable right now. Nothing was created"),
        "{}",
        r.text
    );
    assert_eq!(r.message_id, panel.message_id);
    assert!(r.has("create"), "{:?}", r.buttons);
    assert!(app.tm.requests().is_empty(), "nothing reached the fake");
    alice.send("/help");
    assert_eq!(alice.reply().await.text, en().help());
    app.stop().await;
}
