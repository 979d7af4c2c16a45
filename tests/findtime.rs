//! User stories for finding a time by vote (`/findtime`): a group votes on a few times with
//! buttons, the organiser schedules the winner (or the deadline does), and the meeting lands
//! as `/meet <time>` makes one, its reminder naming those who voted for its time. The bot runs
//! on a manual clock the stories move. Expected words are written out here, literally.

mod support;

use jiff::Timestamp;
use serde_json::json;
use support::telemost::join_url;
use support::{Answer, Options, Person, Reply, TestApp};
use telemost_bot::clock::Clock;

/// Monday 30 November 2026, 09:00 in Moscow.
const MONDAY_9AM: &str = "2026-11-30T06:00:00Z";
const GROUP: i64 = -1_001_777_000_111;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn app_at(now: &str) -> (TestApp, Clock) {
    let clock = Clock::manual(ts(now));
    let app = TestApp::start_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    (app, clock)
}

#[track_caller]
fn shows(r: &Reply, what: &str) {
    assert!(r.text.contains(what), "{what:?} not in {:?}", r.text);
}

/// Anna, with her own token, in the group: the organiser of every story.
async fn anna_in(app: &TestApp, group: i64, id: i64, lang: &str) -> Person {
    let mut private = app.private(id, lang);
    app.with_token(&mut private, &format!("y0_{id}")).await;
    app.in_group(group, id, lang)
}

/// `/findtime <text>` by `who`: the vote's message.
async fn start_vote(who: &mut Person, text: &str) -> Reply {
    who.send(&format!("/findtime {text}"));
    who.reply_where(|r| r.text.starts_with("🗳")).await
}

/// The vote's message once it shows `what`.
async fn vote_shows(who: &mut Person, vote: &Reply, what: &str) -> Reply {
    who.reply_where(|r| r.message_id == vote.message_id && r.text.contains(what))
        .await
}

/// Presses `data` under `on`: the notice.
async fn press(who: &mut Person, on: &Reply, data: &str) -> String {
    let q = who.press(on, data);
    who.answer_to(&q).await
}

#[tokio::test]
async fn three_vote_on_three_times_and_the_organiser_schedules_the_winner() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9001, "en").await;
    let mut boris = app.in_group(GROUP, 9002, "en");
    let mut vera = app.in_group(GROUP, 9003, "en");

    let vote = start_vote(
        &mut anna,
        "tue 15:00, wed 11:00, thu 16:00 for 1h Design review",
    )
    .await;
    shows(&vote, "🗳 <b>When shall we meet?</b> Design review");
    shows(
        &vote,
        "User9001 schedules one with 📅; otherwise the vote closes tomorrow, Tue 1 Dec, 13:00 and \
         the time with the most votes wins.",
    );
    shows(&vote, "Times in Europe/Moscow.");
    shows(&vote, "1. tomorrow, Tue 1 Dec, 15:00–16:00 · —");
    shows(&vote, "2. Wed 2 Dec, 11:00–12:00 · —");
    shows(&vote, "3. Thu 3 Dec, 16:00–17:00 · —");
    assert_eq!(
        vote.data(),
        [
            "fv:1:0", "fs:1:0", "fv:1:1", "fs:1:1", "fv:1:2", "fs:1:2", "fx:1"
        ]
    );
    assert_eq!(vote.buttons[0].0, "Tue 1 Dec 15:00 · 0");

    assert_eq!(
        press(&mut boris, &vote, "fv:1:1").await,
        "✓ You're in for Wed 2 Dec 11:00."
    );
    assert_eq!(
        press(&mut vera, &vote, "fv:1:1").await,
        "✓ You're in for Wed 2 Dec 11:00."
    );
    assert_eq!(
        press(&mut vera, &vote, "fv:1:0").await,
        "✓ You're in for Tue 1 Dec 15:00."
    );
    press(&mut anna, &vote, "fv:1:1").await;
    let counted = vote_shows(&mut anna, &vote, "· 3:").await;
    shows(
        &counted,
        "1. tomorrow, Tue 1 Dec, 15:00–16:00 · 1: User9003",
    );
    shows(
        &counted,
        "2. Wed 2 Dec, 11:00–12:00 · 3: User9001, User9002, User9003",
    );
    assert!(
        counted
            .buttons
            .iter()
            .any(|(l, _)| l == "Wed 2 Dec 11:00 · 3")
    );

    // Boris neither started it nor administers the group.
    assert_eq!(
        press(&mut boris, &vote, "fs:1:1").await,
        "Only whoever started the vote, or a group admin, can close or cancel it."
    );
    assert_eq!(
        press(&mut anna, &vote, "fs:1:1").await,
        "Closing the vote and scheduling the meeting…"
    );
    let made = anna.reply_where(|r| r.text.contains("Join:")).await;
    shows(&made, "<b>Meeting scheduled:</b> Design review");
    shows(&made, "When: Wed 2 Dec, 11:00–12:00 (Europe/Moscow)");
    shows(&made, &join_url(1));
    assert!(
        made.data().iter().any(|d| d.starts_with("cal:")),
        "Add to calendar"
    );
    let closed = vote_shows(&mut anna, &vote, "Vote closed").await;
    shows(
        &closed,
        "🗳 <b>Vote closed</b>: Design review: the meeting is Wed 2 Dec, 11:00–12:00; its link is below.",
    );
    assert!(closed.buttons.is_empty(), "{:?}", closed.buttons);
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_9001", "Anna's token");
    // A press after the close changes nothing.
    assert_eq!(
        press(&mut boris, &vote, "fv:1:0").await,
        "This vote is closed."
    );

    // Wednesday 11:00: the reminder names those who voted for that time.
    clock.set(ts("2026-12-02T08:00:00Z"));
    let reminder = anna.reply_where(|r| r.text.contains("starting now")).await;
    shows(
        &reminder,
        "Voted for this time: <a href=\"tg://user?id=9001\">User9001</a>, \
         <a href=\"tg://user?id=9002\">User9002</a>, <a href=\"tg://user?id=9003\">User9003</a>",
    );
    assert_eq!(app.tm.requests().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_deadline_closes_it_and_a_tie_goes_to_the_earliest() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9101, "en").await;
    let mut boris = app.in_group(GROUP, 9102, "en");
    let mut vera = app.in_group(GROUP, 9103, "en");
    // Typed later first: "earliest" is the time, not the order.
    let vote = start_vote(&mut anna, "wed 11:00, tue 15:00 until today 18:00 Retro").await;
    shows(
        &vote,
        "otherwise the vote closes today, Mon 30 Nov, 18:00 and",
    );
    press(&mut boris, &vote, "fv:1:0").await;
    press(&mut vera, &vote, "fv:1:1").await;
    vote_shows(&mut anna, &vote, "1: User9103").await;

    clock.set(ts("2026-11-30T15:00:00Z"));
    let made = anna.reply_where(|r| r.text.contains("Join:")).await;
    shows(&made, "<b>Meeting scheduled:</b> Retro");
    shows(
        &made,
        "When: tomorrow, Tue 1 Dec, 15:00–15:30 (Europe/Moscow)",
    );
    let closed = vote_shows(&mut anna, &vote, "Vote closed").await;
    shows(&closed, "the meeting is tomorrow, Tue 1 Dec, 15:00–15:30");
    assert_eq!(app.tm.wait_requests(1).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_member_changes_their_mind() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9201, "en").await;
    let mut boris = app.in_group(GROUP, 9202, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00").await;
    assert_eq!(
        press(&mut boris, &vote, "fv:1:0").await,
        "✓ You're in for Tue 1 Dec 15:00."
    );
    assert_eq!(
        press(&mut boris, &vote, "fv:1:0").await,
        "You're out for Tue 1 Dec 15:00."
    );
    press(&mut boris, &vote, "fv:1:1").await;
    let now = vote_shows(&mut anna, &vote, "2. Wed 2 Dec, 11:00–11:30 · 1: User9202").await;
    shows(&now, "1. tomorrow, Tue 1 Dec, 15:00–15:30 · —");
    app.stop().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_loses_no_vote() {
    let (mut app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9301, "en").await;
    let mut boris = app.in_group(GROUP, 9302, "en");
    let mut vera = app.in_group(GROUP, 9303, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00 Planning").await;
    press(&mut boris, &vote, "fv:1:0").await;
    app.restart().await;
    press(&mut vera, &vote, "fv:1:0").await;
    vote_shows(&mut anna, &vote, "· 2: User9302, User9303").await;
    assert_eq!(
        press(&mut anna, &vote, "fs:1:0").await,
        "Closing the vote and scheduling the meeting…"
    );
    let made = anna.reply_where(|r| r.text.contains("Join:")).await;
    shows(&made, "When: tomorrow, Tue 1 Dec, 15:00–15:30");
    app.stop().await;
}

#[tokio::test]
async fn two_replicas_close_it_once() {
    let (mut app, clock) = app_at(MONDAY_9AM).await;
    if !app.is_postgres() {
        eprintln!(
            "skipped: two processes share only a PostgreSQL database (TEST_DATABASE=postgres)"
        );
        app.stop().await;
        return;
    }
    let mut anna = anna_in(&app, GROUP, 9401, "en").await;
    let mut boris = app.in_group(GROUP, 9402, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00 until today 12:00").await;
    let replica = app.replica().await;
    press(&mut boris, &vote, "fv:1:1").await;
    vote_shows(&mut anna, &vote, "1: User9402").await;
    clock.set(ts("2026-11-30T09:00:00Z"));
    anna.reply_where(|r| r.text.contains("Join:")).await;
    vote_shows(&mut anna, &vote, "Vote closed").await;
    // Settled (no longer closing, nobody's in hand), it cannot be closed again; stopped, both
    // processes finish what they had in hand: a second close in flight would be counted.
    let db = app.side_db().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let v = db.vote(GROUP, 1).await.unwrap().unwrap();
        if !v.is_closing() && v.lease_until == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never settled: {v:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    db.close().await;
    replica.stop().await;
    app.halt().await;
    assert_eq!(app.tm.requests().len(), 1, "one meeting from two processes");
    let scheduled = app
        .tg
        .calls_to("sendMessage", GROUP)
        .into_iter()
        .filter(|c| c.text().contains("Meeting scheduled"))
        .count();
    assert_eq!(scheduled, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_input_is_explained_and_nothing_is_posted() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9501, "en").await;
    let cases = [
        (
            "",
            "<b>Find a time:</b> send 2 to 6 times, separated by commas",
        ),
        (
            "tue 15:00 Design review",
            "I couldn't start that vote: a vote needs at least 2 times.",
        ),
        (
            "tue 15:00, wed 25:00",
            "I couldn't start that vote: item 2: <code>25:00</code> is not a time of day.",
        ),
        (
            "tue 15:00, soon, thu 10:00",
            "I couldn't start that vote: item 2, <code>soon</code>, is not a time.",
        ),
        (
            "today 08:00, tue 10:00",
            "I couldn't start that vote: item 1: that time has already passed.",
        ),
        (
            "tue 15:00, every wed 11:00",
            "I couldn't start that vote: item 2 repeats; a vote is on one-time meetings.",
        ),
        (
            "tue 15:00, wed 11:00 until fri 10:00",
            "I couldn't start that vote: the vote must close before the last time it offers.",
        ),
    ];
    for (typed, said) in cases {
        anna.send(&format!("/findtime {typed}"));
        let r = anna.reply().await;
        assert!(r.text.starts_with(said), "{typed:?}: {:?}", r.text);
        assert!(r.buttons.is_empty());
    }
    let long = "x".repeat(201);
    anna.send(&format!("/findtime tue 15:00, wed 11:00 {long}"));
    shows(&anna.reply().await, "201");
    assert!(
        app.tg
            .calls_to("sendMessage", GROUP)
            .iter()
            .all(|c| !c.text().starts_with("🗳")),
        "no vote was posted"
    );
    app.stop().await;
}

#[tokio::test]
async fn in_a_private_chat_a_tap_schedules_the_time_in_russian() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(9601, "ru");
    app.with_token(&mut anna, "y0_anna").await;
    let vote = start_vote(&mut anna, "вт 15:00, ср 11:00 Дизайн-ревью").await;
    shows(&vote, "🗳 <b>Когда встречаемся?</b> Дизайн-ревью");
    shows(
        &vote,
        "Нажмите на подходящее время, и я запланирую встречу.",
    );
    assert_eq!(vote.data(), ["fs:1:0", "fs:1:1", "fx:1"]);
    assert_eq!(
        press(&mut anna, &vote, "fs:1:1").await,
        "Закрываю голосование и планирую встречу…"
    );
    let made = anna.reply_where(|r| r.text.contains(&join_url(1))).await;
    shows(&made, "Дизайн-ревью");
    vote_shows(&mut anna, &vote, "Голосование закрыто").await;
    app.stop().await;
}

#[tokio::test]
async fn upcoming_lists_open_votes_and_only_the_organiser_or_an_admin_closes_one() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9701, "en").await;
    let mut boris = app.in_group(GROUP, 9702, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00 Planning").await;
    press(&mut boris, &vote, "fv:1:1").await;
    boris.skip_past();
    boris.send("/upcoming");
    let list = boris.reply_where(|r| r.text.contains("Open votes")).await;
    shows(
        &list,
        "<b>Open votes</b>\nV1. Planning: closes Tue 1 Dec 13:00; 1 has voted",
    );
    assert_eq!(list.data(), ["fc:1", "fy:1"]);
    assert_eq!(
        press(&mut boris, &list, "fc:1").await,
        "Only whoever started the vote, or a group admin, can close or cancel it."
    );
    app.tg.set_admin(GROUP, 9702, true);
    assert_eq!(
        press(&mut boris, &list, "fc:1").await,
        "Closing the vote and scheduling the meeting…"
    );
    let made = anna.reply_where(|r| r.text.contains("Join:")).await;
    shows(&made, "When: Wed 2 Dec, 11:00–11:30");
    // Made with the organiser's token, not the admin's.
    assert_eq!(
        app.tm.wait_requests(1).await[0].authorization,
        "OAuth y0_9701"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_time_past_before_closing_closes_it_as_missed_and_cancel_ends_another() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9801, "en").await;
    let mut boris = app.in_group(GROUP, 9802, "en");
    let vote = start_vote(&mut anna, "today 10:00, today 11:00 Sync").await;
    // Closing "two hours before" would be past: it closes halfway to the earliest.
    shows(
        &vote,
        "otherwise the vote closes today, Mon 30 Nov, 09:30 and",
    );
    press(&mut boris, &vote, "fv:1:1").await;
    vote_shows(&mut anna, &vote, "1: User9802").await;
    // Noon comes before the bot looks again (it was down, say): both times have passed.
    clock.set(ts("2026-11-30T09:00:00Z"));
    let missed = vote_shows(&mut anna, &vote, "Vote closed without a meeting").await;
    shows(&missed, "no time still ahead had anyone in for it");
    assert!(app.tm.requests().is_empty());

    let other = start_vote(&mut anna, "tue 15:00, wed 11:00").await;
    assert_eq!(press(&mut anna, &other, "fx:2").await, "Vote cancelled.");
    vote_shows(&mut anna, &other, "Vote cancelled").await;
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn in_a_forum_topic_the_meeting_lands_in_the_topic() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut private = app.private(9901, "en");
    app.with_token(&mut private, "y0_9901").await;
    let mut anna = app.in_topic(GROUP, 42, 9901, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00").await;
    press(&mut anna, &vote, "fs:1:0").await;
    anna.reply_where(|r| r.text.contains("Join:")).await;
    let sent = app.tg.calls_to("sendMessage", GROUP);
    assert!(
        sent.iter().all(|c| c.body["message_thread_id"] == 42),
        "every message in topic 42: {:?}",
        sent.iter()
            .map(|c| &c.body["message_thread_id"])
            .collect::<Vec<_>>()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_meet_panel_in_a_group_starts_a_vote_by_asking_for_the_times() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9951, "en").await;
    // The topic typed with /meet is the vote's, and its meeting's.
    anna.send("/meet Review");
    let panel = anna
        .reply_where(|r| r.message_id != 0 && r.has("create"))
        .await;
    assert!(panel.has("findtime"), "{:?}", panel.buttons);
    let label = &panel
        .buttons
        .iter()
        .find(|(_, d)| d == "findtime")
        .unwrap()
        .0;
    assert_eq!(label, "🗳 Find a time…");
    anna.press(&panel, "findtime");
    let asking = anna.reply_where(|r| r.message_id == panel.message_id).await;
    shows(&asking, "Which times shall the chat vote on?");
    assert_eq!(asking.data(), ["cancel"]);

    // One time is not a vote: the panel says so and asks again, below the answer.
    anna.reply_to(&asking, "tue 15:00");
    let again = anna.reply_where(|r| r.text.contains("Which times")).await;
    shows(
        &again,
        "I couldn't start that vote: a vote needs at least 2 times.",
    );
    shows(&again, "Which times shall the chat vote on?");

    anna.reply_to(&again, "tue 15:00, wed 11:00 Review");
    let vote = anna.reply_where(|r| r.text.starts_with("🗳 <b>When")).await;
    shows(&vote, "🗳 <b>When shall we meet?</b> Review");
    let done = anna.reply_where(|r| r.message_id == again.message_id).await;
    assert_eq!(done.text, "🗳 The vote is below.");

    // A private chat's panel has no such button: there is nobody to vote with.
    let mut own = app.private(9951, "en");
    own.skip_past();
    let panel = own.meet_panel().await;
    assert!(!panel.has("findtime"), "{:?}", panel.buttons);
    app.stop().await;
}

#[tokio::test]
async fn telemost_down_at_closing_is_tried_again_a_minute_later() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9961, "en").await;
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00").await;
    // Every attempt of the first try fails (the client tries four times).
    for _ in 0..4 {
        app.tm
            .then(Answer::json(503, json!({"error": "unavailable"})));
    }
    press(&mut anna, &vote, "fs:1:0").await;
    app.tm.wait_requests(4).await;
    let closing = vote_shows(
        &mut anna,
        &vote,
        "Scheduling the meeting for tomorrow, Tue 1 Dec, 15:00–15:30…",
    )
    .await;
    assert!(closing.buttons.is_empty());
    // Put off by a minute (the holder gave it up): then it is made, and nothing said it failed.
    let db = app.side_db().await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let v = db.vote(GROUP, 1).await.unwrap().unwrap();
        if v.lease_until == 0 {
            assert_eq!(v.next_at, ts(MONDAY_9AM).as_second() + 60);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never put off: {v:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    db.close().await;
    clock.set(ts("2026-11-30T06:01:01Z"));
    let made = anna.reply_where(|r| r.text.contains("Join:")).await;
    shows(&made, "When: tomorrow, Tue 1 Dec, 15:00–15:30");
    let said: Vec<String> = app
        .tg
        .calls_to("sendMessage", GROUP)
        .iter()
        .map(|c| c.text().to_owned())
        .collect();
    assert!(said.iter().all(|t| !t.contains("was not made")), "{said:?}");
    vote_shows(&mut anna, &vote, "the meeting is tomorrow").await;
    app.stop().await;
}

#[tokio::test]
async fn the_organisers_right_is_checked_when_it_closes_not_only_when_it_starts() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = anna_in(&app, GROUP, 9971, "en").await;
    let mut boris = app.in_group(GROUP, 9972, "en");
    let vote = start_vote(&mut anna, "tue 15:00, wed 11:00 until today 18:00 Sync").await;
    press(&mut boris, &vote, "fv:1:0").await;
    vote_shows(&mut anna, &vote, "1: User9972").await;
    // Meanwhile an admin made creating meetings admins-only; Anna is not one.
    let db = app.side_db().await;
    let settings = telemost_bot::storage::ChatSettings {
        admins_only: true,
        ..Default::default()
    };
    db.save_settings(GROUP, &settings).await.unwrap();
    db.close().await;
    clock.set(ts("2026-11-30T15:00:00Z"));
    let failed = vote_shows(&mut anna, &vote, "could not be made").await;
    shows(
        &failed,
        "🗳 <b>Vote closed</b>: Sync on tomorrow, Tue 1 Dec, 15:00–15:30, but the meeting could not be made (see below).",
    );
    let said = anna
        .reply_where(|r| r.text.starts_with("The vote's meeting was not made"))
        .await;
    assert_eq!(
        said.text,
        "The vote's meeting was not made: Only the group's administrators can do that."
    );
    assert!(app.tm.requests().is_empty(), "nothing asked of Telemost");
    app.stop().await;
}
