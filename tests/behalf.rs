//! User stories for whose token acts, checked when it acts: a member's own Telemost token is
//! used in a group only while that member is in it (a recurring meeting's next occurrence
//! included), a meeting made with it is viewed as it is changed (by its creator or an admin),
//! and a press handled again (its answer refused) still ends with what the user came for.

mod support;

use std::time::Duration;

use jiff::Timestamp;
use support::telemost::{conference_id, join_url};
use support::{Options, Person, Reply, TestApp, en};
use telemost_bot::clock::Clock;

/// Monday 30 November 2026, 09:00 in Moscow.
const MONDAY_9AM: &str = "2026-11-30T06:00:00Z";
/// A supergroup with no token of its own: each member creates with their own.
const GROUP: i64 = -1_001_777_000_222;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Whether `r` says `what`.
#[track_caller]
fn shows(r: &Reply, what: &str) {
    assert!(r.text.contains(what), "{what:?} not in {:?}", r.text);
}

/// `user` with their own token (set in their private chat), and as a member of `GROUP`.
async fn member_with_token(app: &TestApp, user: i64, token: &str) -> Person {
    let mut private = app.private(user, "en");
    app.with_token(&mut private, token).await;
    app.in_group(GROUP, user, "en")
}

/// `/meet <text>` in the group and Create on its panel: the confirmation (`expect` in it).
async fn set_up(person: &mut Person, text: &str, expect: &str) -> Reply {
    person.send(&format!("/meet {text}"));
    let panel = person
        .reply_where(|r| r.message_id != 0 && r.has("create"))
        .await;
    person.press(&panel, "create");
    person.reply_where(|r| r.text.contains(expect)).await
}

/// Anna and Boris each set up a daily standup with their own token. Anna leaves the group
/// (Telegram now says "left"; no service message reaches the bot). At the next occurrence
/// Boris's link is made with his token as before; Anna's is not made at all: the chat is told
/// once why and what to do, and her series is gone from /upcoming. The next day only Boris's
/// comes.
#[tokio::test]
async fn anna_leaves_and_her_series_stops_with_one_message_while_boriss_goes_on() {
    let clock = Clock::manual(ts(MONDAY_9AM));
    let app = TestApp::start_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    let mut anna = member_with_token(&app, 9101, "y0_anna").await;
    let mut boris = member_with_token(&app, 9102, "y0_boris").await;
    set_up(
        &mut anna,
        "every day 10:00 Anna sync",
        "Recurring meeting set up",
    )
    .await;
    boris.skip_past();
    set_up(
        &mut boris,
        "every day 10:00 Boris sync",
        "Recurring meeting set up",
    )
    .await;
    assert!(app.tm.requests().is_empty(), "no link until shortly before");

    app.tg.set_gone(GROUP, 9101, "left");
    boris.skip_past();
    let before = boris.now();
    clock.set(ts("2026-11-30T06:55:00Z"));
    // The two occurrences are worked on side by side: their messages come in either order.
    let (mut said, mut link) = (boris.reply().await, boris.reply().await);
    if said.text.contains("Boris sync") {
        std::mem::swap(&mut said, &mut link);
    }
    shows(&said, "Anna sync");
    shows(&said, &en().member_gone(Some("User9101")));
    assert!(said.text.ends_with(en().series_ended()), "{}", said.text);
    shows(&link, "Boris sync");
    shows(&link, &join_url(1));
    // Both occurrences were decided before either message: one creation, with Boris's token.
    let made = app.tm.wait_requests(1).await;
    assert_eq!(made.len(), 1, "{made:#?}");
    assert_eq!(made[0].authorization, "OAuth y0_boris");
    let about_anna = app.tg.calls()[before..]
        .iter()
        .filter(|c| c.chat_id() == Some(GROUP) && c.text().contains("Anna sync"))
        .count();
    assert_eq!(about_anna, 1, "told once");

    // The step tells the chat first, then ends the series (a message lost to a network blip is
    // posted again by the step's next try): wait for the end, then /upcoming lists Boris's
    // series alone (read by an admin-free member: a plain list).
    schedules_left(&app, 1).await;
    boris.skip_past();
    boris.send("/upcoming");
    let list = boris.reply().await;
    shows(&list, "Boris sync");
    assert!(!list.text.contains("Anna sync"), "{}", list.text);

    // The next day: Boris's link; still nothing made with Anna's token.
    clock.set(ts("2026-12-01T06:55:00Z"));
    let tuesday = boris.reply_where(|r| r.text.contains(&join_url(2))).await;
    shows(&tuesday, "Boris sync");
    let tokens: Vec<String> = app
        .tm
        .requests()
        .into_iter()
        .map(|r| r.authorization)
        .collect();
    assert_eq!(tokens, ["OAuth y0_boris", "OAuth y0_boris"]);
    app.stop().await;
}

/// Anna made a meeting in the group with her own token. Carl, a plain member, taps Details,
/// Waiting room and Back under it: each is answered with who may manage it, and nothing is
/// read from Telemost with Anna's token. An admin's Details reads it; once Anna has left (the
/// service message says so), the admin's Details is refused too, without a request.
#[tokio::test]
async fn a_plain_members_details_makes_no_telemost_request() {
    let app = TestApp::start().await;
    let mut anna = member_with_token(&app, 9201, "y0_anna").await;
    let done = anna.meet_with_defaults().await;
    shows(&done, &join_url(1));
    let id = conference_id(1);

    let mut carl = app.in_group(GROUP, 9203, "en");
    for what in ["info", "wr", "back"] {
        let q = carl.press(&done, &format!("mg:{id}:{what}"));
        assert_eq!(carl.answer_to(&q).await, en().not_your_meeting(), "{what}");
    }
    // Answered after the decision: any read would have come before.
    assert_eq!(app.tm.all_requests().len(), 1, "only the creation");

    app.tg.set_admin(GROUP, 9209, true);
    let mut dora = app.in_group(GROUP, 9209, "en");
    dora.skip_past();
    dora.press(&done, &format!("mg:{id}:info"));
    let details = dora.reply().await;
    assert_eq!(details.message_id, done.message_id);
    let reads = app.tm.wait_all(3).await;
    assert!(
        reads[1..]
            .iter()
            .all(|r| r.authorization == "OAuth y0_anna"),
        "{reads:#?}"
    );

    // Anna leaves; Telegram posts the service message in the group.
    app.tg.set_gone(GROUP, 9201, "left");
    let mut left = support::telegram::chat_json(GROUP);
    left["type"] = "supergroup".into();
    anna.send_raw(serde_json::json!({
        "message_id": 900_001, "date": Timestamp::now().as_second(), "chat": left,
        "from": {"id": 9201, "is_bot": false, "first_name": "Anna"},
        "left_chat_member": {"id": 9201, "is_bot": false, "first_name": "Anna"},
    }));
    let q = dora.press(&done, &format!("mg:{id}:info"));
    assert_eq!(dora.answer_to(&q).await, en().member_gone_toast());
    assert_eq!(
        app.tm.all_requests().len(),
        3,
        "nothing read with Anna's token"
    );
    app.stop().await;
}

/// Telegram refuses the answer to Ann's Create (as it does to a press handled a second time,
/// after a replica died or the bot restarted): the meeting is still made and its link shown.
/// The same for a press that only moves the panel on.
#[tokio::test]
async fn a_refused_answer_does_not_stop_the_press() {
    let app = TestApp::start().await;
    let mut ann = app.private(9301, "en");
    app.with_token(&mut ann, "y0_ann").await;
    let too_old = serde_json::json!({"ok": false, "error_code": 400,
        "description": "Bad Request: query is too old and response timeout expired or query id is invalid"});

    let panel = ann.meet_panel().await;
    app.tg.fail("answerCallbackQuery", 1, 400, too_old.clone());
    ann.press(&panel, "wr:ORGANIZATION");
    let moved = ann.reply_where(|r| r.message_id == panel.message_id).await;
    assert!(moved.has("skip"), "on to the cohosts: {:?}", moved.buttons);

    app.tg.fail("answerCallbackQuery", 1, 400, too_old);
    ann.press(&moved, "skip");
    let done = ann.created().await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(1)));
    assert_eq!(app.tm.requests().len(), 1);
    app.stop().await;
}

/// Waits (at most 10 s) until `GROUP` has `n` scheduled meetings stored.
async fn schedules_left(app: &TestApp, n: u32) {
    let db = app.side_db().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = db.schedules_count(GROUP).await.unwrap();
        if left == n {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {left} scheduled meetings in the group, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.close().await;
}
