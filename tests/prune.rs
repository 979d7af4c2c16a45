//! Story: what the bot no longer needs is removed shortly after it starts (and every hour after):
//! dialogues untouched for over a day, /connect codes a day after they expired, remembered
//! cohosts beyond those the cohosts step shows, and meetings older than `HISTORY_DAYS`. What is
//! still needed stays, and the bot carries on with it. The real dispatcher against fakes, on a
//! database the test ages by hand while the bot is stopped.

mod support;

use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use support::telemost::{conference_id, join_url};
use support::{Options, TestApp, en, shown};
use telemost_bot::storage::unix_now;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const HISTORY_DAYS: u32 = 30;

const ALICE: i64 = 9401;
const BOB: i64 = 9402;
/// A group with two remembered cohosts and a meeting from long ago.
const GROUP: i64 = -1_001_000_009_403;

/// A connection of the test's own to the bot's database file.
async fn raw(app: &TestApp) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(app.db_path());
    SqliteConnection::connect_with(&options).await.unwrap()
}

async fn dialogue_owners(conn: &mut SqliteConnection) -> Vec<i64> {
    sqlx::query_scalar("SELECT user_id FROM dialogues ORDER BY user_id")
        .fetch_all(conn)
        .await
        .unwrap()
}

async fn cohosts_of(conn: &mut SqliteConnection, chat: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT email FROM chat_cohosts WHERE chat_id = ? ORDER BY email")
        .bind(chat)
        .fetch_all(conn)
        .await
        .unwrap()
}

async fn meetings_of(conn: &mut SqliteConnection, chat: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT conference_id FROM meetings WHERE chat_id = ? ORDER BY id")
        .bind(chat)
        .fetch_all(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn after_start_what_is_no_longer_needed_is_gone_and_the_bot_carries_on() {
    let mut app = TestApp::start_with(Options {
        history_days: HISTORY_DAYS,
        ..Options::default()
    })
    .await;
    if app.on_postgres() {
        return;
    }
    let mut alice = app.private(ALICE, "en");
    let mut bob = app.private(BOB, "en");
    app.with_token(&mut alice, "y0_alice").await;
    app.with_token(&mut bob, "y0_bob").await;
    // Alice creates three meetings, then leaves a fourth /meet open; Bob leaves one open too.
    for n in 1..=3 {
        let done = alice.meet_with_defaults().await;
        assert_eq!(done.text, en().meeting_created(None, &join_url(n)));
    }
    app.recorded_meetings(ALICE, 3).await;
    let alice_panel = alice.meet_panel().await;
    let bob_panel = bob.meet_panel().await;
    app.halt().await;

    // Time passes, by hand: Alice's open /meet was last touched 23 hours ago, Bob's 25 hours
    // ago; her first meeting is 31 days old, her second 29.
    let now = unix_now();
    let mut conn = raw(&app).await;
    for (user, age) in [(ALICE, 23 * HOUR), (BOB, DAY + HOUR)] {
        sqlx::query("UPDATE dialogues SET updated_at = ? WHERE user_id = ?")
            .bind(now - age)
            .bind(user)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for (n, age) in [(1, 31 * DAY), (2, 29 * DAY)] {
        sqlx::query("UPDATE meetings SET created_at = ? WHERE conference_id = ?")
            .bind(now - age)
            .bind(conference_id(n))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    // Alice's chat remembers eight cohosts, one used each day; the group two, used long ago.
    for i in 1..=8 {
        sqlx::query("INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (?, ?, ?)")
            .bind(ALICE)
            .bind(format!("c{i}@corp.ru"))
            .bind(now - (9 - i) * DAY)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for (email, at) in [("g1@corp.ru", 1_000), ("g2@corp.ru", 2_000)] {
        sqlx::query("INSERT INTO chat_cohosts (chat_id, email, last_used) VALUES (?, ?, ?)")
            .bind(GROUP)
            .bind(email)
            .bind(at)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    // The group's meeting from 400 days ago.
    sqlx::query(
        "INSERT INTO meetings (chat_id, user_id, created_at, conference_id, join_url, options)
         VALUES (?, ?, ?, 'ancient', 'https://telemost.yandex.ru/j/ancient', '{}')",
    )
    .bind(GROUP)
    .bind(ALICE)
    .bind(now - 400 * DAY)
    .execute(&mut conn)
    .await
    .unwrap();
    // /connect codes: one expired two days ago, one an hour ago, one still valid.
    for (code, expires_at) in [
        ("expired-2-days-ago", now - 2 * DAY),
        ("expired-an-hour-ago", now - HOUR),
        ("valid", now + 600),
    ] {
        sqlx::query(
            "INSERT INTO connect_codes (code, group_id, admin_id, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(code)
        .bind(GROUP)
        .bind(ALICE)
        .bind(expires_at)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    assert_eq!(dialogue_owners(&mut conn).await, [ALICE, BOB]);

    app.restart().await;
    let started = tokio::time::Instant::now();
    // Pruning is one transaction: once Bob's dialogue is gone, everything it removes is.
    let deadline = started + Duration::from_secs(10);
    while dialogue_owners(&mut conn).await.contains(&BOB) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing was pruned within 10 s of the start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("pruned {:?} after the start", started.elapsed());

    assert_eq!(
        dialogue_owners(&mut conn).await,
        [ALICE],
        "23 hours is not over a day"
    );
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM connect_codes ORDER BY code")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(codes, ["expired-an-hour-ago", "valid"]);
    assert_eq!(
        cohosts_of(&mut conn, ALICE).await,
        [
            "c3@corp.ru",
            "c4@corp.ru",
            "c5@corp.ru",
            "c6@corp.ru",
            "c7@corp.ru",
            "c8@corp.ru"
        ],
        "the six most recently used, as many as the cohosts step shows"
    );
    assert_eq!(
        cohosts_of(&mut conn, GROUP).await,
        ["g1@corp.ru", "g2@corp.ru"],
        "another chat's are its own"
    );
    assert_eq!(
        meetings_of(&mut conn, ALICE).await,
        [conference_id(2), conference_id(3)]
    );
    assert!(meetings_of(&mut conn, GROUP).await.is_empty());
    conn.close().await.unwrap();

    // Alice's open /meet survived: Create on her panel from before the restart works.
    alice.press(&alice_panel, "create");
    let done = alice
        .reply_where(|r| r.message_id == alice_panel.message_id && r.text.contains("https://"))
        .await;
    assert_eq!(done.text, en().meeting_created(None, &join_url(4)));
    app.recorded_meetings(ALICE, 3).await;
    // /history lists what was kept and what came since, not the forgotten one.
    alice.send("/history");
    let history = shown(&alice.reply().await.text);
    for n in [4, 3, 2] {
        assert!(history.contains(&join_url(n)), "meeting {n}: {history}");
    }
    assert!(!history.contains(&join_url(1)), "{history}");
    assert!(
        history.contains("3. ") && !history.contains("4. "),
        "{history}"
    );

    // Bob's abandoned panel is stale now, and reaches no API.
    let tap = bob.press(&bob_panel, "create");
    assert_eq!(bob.answer_to(&tap).await, en().stale_button());
    app.assert_creates(&mut bob, 4).await;
    app.stop().await;
}
