//! User stories for meetings for later: `/meet` with a time (English and Russian), reminders,
//! calendar files, recurring meetings, `/upcoming`, the chat's time zone. The bot runs on a
//! manual clock the stories move, so a meeting next week is reminded in milliseconds.

mod support;

use std::time::Duration;

use jiff::Timestamp;
use support::telemost::join_url;
use support::{Options, Person, Reply, TestApp, en};
use telemost_bot::bot::speak::texts::{Lang, Texts};
use telemost_bot::clock::Clock;

/// Monday 30 November 2026, 09:00 in Moscow.
const MONDAY_9AM: &str = "2026-11-30T06:00:00Z";
/// A supergroup.
const GROUP: i64 = -1_001_555_000_111;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ru() -> &'static dyn Texts {
    Lang::Ru.texts()
}

/// A bot whose clock stands at `now` until the story moves it.
async fn app_at(now: &str) -> (TestApp, Clock) {
    let clock = Clock::manual(ts(now));
    let app = TestApp::start_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    (app, clock)
}

/// `/meet <text>`: the panel offering Create.
async fn meet_panel(person: &mut Person, text: &str) -> Reply {
    person.send(&format!("/meet {text}"));
    person
        .reply_where(|r| r.message_id != 0 && r.has("create"))
        .await
}

/// `/meet <text>` and Create: the confirmation.
async fn schedule(person: &mut Person, text: &str) -> Reply {
    let panel = meet_panel(person, text).await;
    person.press(&panel, "create");
    let creating = Lang::from_code(Some(&person.lang)).texts().creating();
    person
        .reply_where(|r| r.message_id == panel.message_id && r.text != creating)
        .await
}

/// Create on a recurring meeting's panel: the confirmation.
async fn set_up(person: &mut Person, panel: &Reply) -> Reply {
    person.press(panel, "create");
    let set_up = [
        "Recurring meeting set up",
        "Повторяющаяся встреча настроена",
    ];
    person
        .reply_where(|r| set_up.iter().any(|s| r.text.contains(s)))
        .await
}

/// Asserts that `r` says `what`.
#[track_caller]
fn shows(r: &Reply, what: &str) {
    assert!(r.text.contains(what), "{what:?} not in {:?}", r.text);
}

/// The callback data of the confirmation's Add to calendar button.
fn calendar_data(r: &Reply) -> String {
    r.data()
        .into_iter()
        .find(|d| d.starts_with("cal:"))
        .unwrap_or_else(|| panic!("no Add to calendar button in {:?}", r.buttons))
        .to_owned()
}

/// Whether `r` has a Join button leading to `url`.
fn joins(r: &Reply, url: &str) -> bool {
    r.buttons.iter().any(|(_, target)| target == url)
}

#[tokio::test]
async fn a_meeting_tomorrow_is_made_now_shown_back_and_reminded_when_it_starts() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7001, "en");
    app.with_token(&mut anna, "y0_anna").await;

    let panel = meet_panel(&mut anna, "tomorrow 15:00 Design review").await;
    shows(&panel, "Topic: Design review");
    shows(
        &panel,
        "When: tomorrow, Tue 1 Dec, 15:00–15:30 (Europe/Moscow)",
    );
    anna.press(&panel, "create");
    let done = anna.created().await;
    shows(&done, "Meeting scheduled:</b> Design review");
    shows(
        &done,
        "When: tomorrow, Tue 1 Dec, 15:00–15:30 (Europe/Moscow)",
    );
    shows(&done, &join_url(1));
    assert!(joins(&done, &join_url(1)));
    calendar_data(&done);
    assert_eq!(app.tm.requests().len(), 1, "made at once");
    let recorded = app.recorded_meetings(anna.chat, 1).await;
    assert_eq!(recorded[0].topic.as_deref(), Some("Design review"));

    // A minute before: nothing. At 15:00 Moscow (12:00 UTC): the reminder, with the link.
    app.quiet_at(&clock, ts("2026-12-01T11:59:00Z"), &anna)
        .await;
    clock.set(ts("2026-12-01T12:00:00Z"));
    let reminder = anna.reply().await;
    assert_eq!(
        reminder.text,
        en().reminder_now(Some("Design review"), &join_url(1))
    );
    assert!(joins(&reminder, &join_url(1)));
    // Once only, and then it is no longer upcoming.
    app.quiet_at(&clock, ts("2026-12-01T12:30:00Z"), &anna)
        .await;
    anna.send("/upcoming");
    assert_eq!(anna.reply().await.text, en().upcoming_empty());
    assert_eq!(app.tm.requests().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_same_in_russian() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut boris = app.private(7002, "ru");
    app.with_token(&mut boris, "y0_boris").await;

    let done = schedule(&mut boris, "завтра 15:00 на 1 ч Дизайн-ревью").await;
    shows(&done, "Встреча запланирована:</b> Дизайн-ревью");
    shows(
        &done,
        "Когда: завтра, вт 1 дек., 15:00–16:00 (Europe/Moscow)",
    );
    clock.set(ts("2026-12-01T12:00:00Z"));
    let reminder = boris.reply().await;
    assert_eq!(
        reminder.text,
        ru().reminder_now(Some("Дизайн-ревью"), &join_url(1))
    );
    app.stop().await;
}

/// A form a user types: (language, now, what follows /meet, the panel's When line or None, the
/// topic or None).
type Form = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Every form of the issue, in both languages, as the panel shows it back.
#[tokio::test]
async fn every_form_is_read_as_a_person_would_and_shown_back() {
    const MONDAY_11AM: &str = "2026-11-30T08:00:00Z";
    let cases: &[Form] = &[
        (
            "en",
            MONDAY_9AM,
            "10:30 Standup",
            Some("When: today, Mon 30 Nov, 10:30–11:00"),
            Some("Standup"),
        ),
        // 10:30 has passed at 11:00: tomorrow.
        (
            "en",
            MONDAY_11AM,
            "10:30 Standup",
            Some("When: tomorrow, Tue 1 Dec, 10:30–11:00"),
            Some("Standup"),
        ),
        (
            "en",
            MONDAY_9AM,
            "mon 10:00",
            Some("When: today, Mon 30 Nov, 10:00–10:30"),
            None,
        ),
        (
            "en",
            MONDAY_11AM,
            "mon 10:00",
            Some("When: Mon 7 Dec, 10:00–10:30"),
            None,
        ),
        (
            "en",
            MONDAY_9AM,
            "2026-12-01 14:00 Planning",
            Some("When: tomorrow, Tue 1 Dec, 14:00–14:30"),
            Some("Planning"),
        ),
        (
            "en",
            MONDAY_9AM,
            "in 30 min Quick sync",
            Some("When: today, Mon 30 Nov, 09:30–10:00"),
            Some("Quick sync"),
        ),
        (
            "en",
            MONDAY_9AM,
            "tomorrow 15:00 for 1h Design review",
            Some("When: tomorrow, Tue 1 Dec, 15:00–16:00"),
            Some("Design review"),
        ),
        (
            "en",
            MONDAY_9AM,
            "next friday 15:00 Retro",
            Some("When: Fri 4 Dec, 15:00–15:30"),
            Some("Retro"),
        ),
        (
            "en",
            MONDAY_9AM,
            "1 dec 11:00 Planning",
            Some("When: tomorrow, Tue 1 Dec, 11:00–11:30"),
            Some("Planning"),
        ),
        (
            "ru",
            MONDAY_9AM,
            "в следующую пятницу 15:00 Ретро",
            Some("Когда: пт 4 дек., 15:00–15:30"),
            Some("Ретро"),
        ),
        (
            "ru",
            MONDAY_9AM,
            "1 декабря 11:00",
            Some("Когда: завтра, вт 1 дек., 11:00–11:30"),
            None,
        ),
        // A number is not a time: the topic, as plain /meet <topic> has it.
        ("en", MONDAY_9AM, "10 ideas", None, Some("10 ideas")),
        (
            "ru",
            MONDAY_9AM,
            "завтра 15:00 Дизайн-ревью",
            Some("Когда: завтра, вт 1 дек., 15:00–15:30"),
            Some("Дизайн-ревью"),
        ),
        (
            "ru",
            MONDAY_11AM,
            "пн 10:00",
            Some("Когда: пн 7 дек., 10:00–10:30"),
            None,
        ),
        (
            "ru",
            MONDAY_9AM,
            "через 30 минут",
            Some("Когда: сегодня, пн 30 нояб., 09:30–10:00"),
            None,
        ),
        (
            "ru",
            MONDAY_9AM,
            "завтра 15:00 на 1 ч Ревью",
            Some("Когда: завтра, вт 1 дек., 15:00–16:00"),
            Some("Ревью"),
        ),
    ];
    let (app, clock) = app_at(MONDAY_9AM).await;
    for (i, (lang, now, typed, when, topic)) in cases.iter().enumerate() {
        clock.set(ts(now));
        let mut p = app.private(7100 + i as i64, lang);
        app.with_token(&mut p, "y0_forms").await;
        let panel = meet_panel(&mut p, typed).await;
        match when {
            Some(when) => assert!(
                panel.text.contains(&format!("{when} (Europe/Moscow)")),
                "{typed:?} at {now}: {}",
                panel.text
            ),
            None => assert!(
                !panel.text.contains("When:") && !panel.text.contains("Когда:"),
                "{typed:?}: {}",
                panel.text
            ),
        }
        let label = if *lang == "ru" { "Тема" } else { "Topic" };
        match topic {
            Some(topic) => assert!(
                panel.text.contains(&format!("{label}: {topic}")),
                "{typed:?}: {}",
                panel.text
            ),
            None => assert!(
                !panel.text.contains(&format!("{label}:")),
                "{typed:?}: {}",
                panel.text
            ),
        }
    }
    assert!(app.tm.requests().is_empty(), "nothing is created unasked");
    app.stop().await;
}

#[tokio::test]
async fn what_is_not_a_time_is_explained_and_nothing_is_made() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7201, "en");
    app.with_token(&mut anna, "y0_anna").await;
    use telemost_bot::schedule::WhenError;
    for typed in ["tomorrow Design review", "2020-01-01 10:00"] {
        anna.send(&format!("/meet {typed}"));
        let answer = anna.reply().await;
        let error = if typed.starts_with("tomorrow") {
            WhenError::NeedsTime
        } else {
            WhenError::Past
        };
        assert_eq!(answer.text, en().when_unreadable(&error), "{typed:?}");
        assert!(answer.buttons.is_empty(), "{typed:?}: no dialogue");
    }
    // What was wrong is quoted back.
    for (typed, says) in [
        ("25:00 Review", "<code>25:00</code> is not a time of day"),
        ("tomorrow 10:00 for 30h", "from a minute to 24 hours"),
        // Not read silently as today with "01.05.26" for a topic.
        ("15:00 01.05.26 Release", "<code>01.05.26</code>"),
    ] {
        anna.send(&format!("/meet {typed}"));
        let answer = anna.reply().await;
        assert!(
            answer.text.starts_with("I couldn't schedule that"),
            "{}",
            answer.text
        );
        assert!(answer.text.contains(says), "{typed:?}: {}", answer.text);
    }
    let mut boris = app.private(7202, "ru");
    app.with_token(&mut boris, "y0_boris").await;
    boris.send("/meet завтра");
    assert_eq!(
        boris.reply().await.text,
        ru().when_unreadable(&WhenError::NeedsTime)
    );
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn later_on_the_panel_asks_when_and_reads_the_answer() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7301, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let panel = meet_panel(&mut anna, "Retro").await;
    assert!(panel.has("later"), "{:?}", panel.buttons);
    anna.press(&panel, "later");
    let ask = anna.reply().await;
    assert_eq!(ask.message_id, panel.message_id);
    assert!(ask.text.ends_with(en().ask_when()), "{}", ask.text);
    anna.send("whenever");
    let again = anna.reply().await;
    assert!(
        again.text.starts_with(en().when_not_found()),
        "{}",
        again.text
    );
    anna.send("fri 16:00 for 45 min");
    let panel = anna.reply().await;
    shows(&panel, "When: Fri 4 Dec, 16:00–16:45 (Europe/Moscow)");
    shows(&panel, "Topic: Retro");
    assert!(!panel.has("later"), "already later");
    anna.press(&panel, "create");
    let done = anna.created().await;
    shows(&done, "Meeting scheduled");
    app.stop().await;
}

#[tokio::test]
async fn a_panel_left_open_past_its_time_asks_when_again() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7351, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let panel = meet_panel(&mut anna, "today 09:30 Sync").await;
    // Create tapped at 09:40: 09:30 has passed.
    clock.set(ts("2026-11-30T06:40:00Z"));
    anna.press(&panel, "create");
    let asked = anna.reply().await;
    assert!(
        asked
            .text
            .starts_with(&en().when_unreadable(&telemost_bot::schedule::WhenError::Past)),
        "{}",
        asked.text
    );
    assert!(asked.text.ends_with(en().ask_when()), "{}", asked.text);
    assert!(app.tm.requests().is_empty(), "nothing made for a past time");
    anna.send("10:00");
    let panel = anna.reply().await;
    shows(&panel, "When: today, Mon 30 Nov, 10:00–10:30");
    app.stop().await;
}

#[tokio::test]
async fn a_reminder_ahead_comes_when_the_chat_asked_for_one() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7401, "en");
    app.with_token(&mut anna, "y0_anna").await;
    anna.send("/settings");
    let settings = anna.reply().await;
    assert!(settings.has("cfg:rem:10"), "{:?}", settings.buttons);
    anna.press(&settings, "cfg:rem:10");
    let saved = anna.reply().await;
    shows(&saved, "Reminders: 10 min before and when it starts");

    let done = schedule(&mut anna, "tomorrow 15:00 Design review").await;
    shows(&done, "10 minutes before");
    app.quiet_at(&clock, ts("2026-12-01T11:49:00Z"), &anna)
        .await;
    clock.set(ts("2026-12-01T11:50:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_soon(Some("Design review"), 10, "15:00", &join_url(1))
    );
    clock.set(ts("2026-12-01T12:00:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_now(Some("Design review"), &join_url(1))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_recurring_standup_gets_a_fresh_link_before_each_weekday() {
    // Friday 4 December, 11:00 in Moscow: the first standup is on Monday.
    let (app, clock) = app_at("2026-12-04T08:00:00Z").await;
    let mut anna = app.private(7501, "en");
    app.with_token(&mut anna, "y0_anna").await;

    let panel = meet_panel(&mut anna, "every weekday 10:00 Standup").await;
    shows(
        &panel,
        "Repeats: every weekday, 10:00–10:30 (Europe/Moscow); Mon 7 Dec, 10:00–10:30",
    );
    anna.press(&panel, "create");
    let set_up = anna
        .reply_where(|r| r.text.contains("Recurring meeting set up"))
        .await;
    shows(&set_up, "Standup");
    assert!(app.tm.requests().is_empty(), "no link until shortly before");

    // The weekend passes quietly; at 09:55 on Monday the link comes.
    app.quiet_at(&clock, ts("2026-12-07T06:54:00Z"), &anna)
        .await;
    clock.set(ts("2026-12-07T06:55:00Z"));
    let monday = anna.reply().await;
    shows(&monday, "Standup</b>, today, Mon 7 Dec, 10:00–10:30");
    assert!(joins(&monday, &join_url(1)));
    calendar_data(&monday);
    clock.set(ts("2026-12-07T07:00:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_now(Some("Standup"), &join_url(1))
    );
    // Tuesday: another meeting, another link.
    clock.set(ts("2026-12-08T06:55:00Z"));
    let tuesday = anna.reply().await;
    shows(&tuesday, &join_url(2));
    assert_eq!(app.tm.requests().len(), 2);
    assert_eq!(app.recorded_meetings(anna.chat, 2).await.len(), 2);

    // Still listed until cancelled, then quiet.
    anna.send("/upcoming");
    let list = anna.reply().await;
    shows(&list, "1. Standup: every weekday");
    let cancel = list.data()[0].to_owned();
    assert!(cancel.starts_with("up:"), "{cancel}");
    let q = anna.press(&list, &cancel);
    assert_eq!(anna.answer_to(&q).await, en().schedule_cancelled());
    assert_eq!(anna.reply().await.text, en().upcoming_empty());
    app.quiet_at(&clock, ts("2026-12-09T07:00:00Z"), &anna)
        .await;
    assert_eq!(app.tm.requests().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn recurring_meetings_in_russian_and_on_chosen_days() {
    // Monday 30 November, 09:00 in Moscow.
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut boris = app.private(7601, "ru");
    app.with_token(&mut boris, "y0_boris").await;
    let panel = meet_panel(&mut boris, "каждый будний день 10:00 Стендап").await;
    shows(
        &panel,
        "Повтор: по будним дням, 10:00–10:30 (Europe/Moscow); сегодня, пн 30 нояб., 10:00–10:30",
    );
    set_up(&mut boris, &panel).await;
    clock.set(ts("2026-11-30T06:55:00Z"));
    let link = boris.reply().await;
    shows(&link, "Стендап</b>», сегодня, пн 30 нояб., 10:00–10:30");

    let mut anna = app.private(7602, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let panel = meet_panel(&mut anna, "every mon,thu 17:00 Sync").await;
    shows(
        &panel,
        "Repeats: every Mon, Thu, 17:00–17:30 (Europe/Moscow); today, Mon 30 Nov",
    );
    set_up(&mut anna, &panel).await;
    // Monday's at 16:55, then none until Thursday's.
    clock.set(ts("2026-11-30T13:55:00Z"));
    let monday = anna.reply().await;
    shows(&monday, "today, Mon 30 Nov, 17:00");
    clock.set(ts("2026-11-30T14:00:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_now(Some("Sync"), &join_url(2))
    );
    app.quiet_at(&clock, ts("2026-12-02T13:55:00Z"), &anna)
        .await;
    clock.set(ts("2026-12-03T13:55:00Z"));
    let thursday = anna.reply_where(|r| r.text.contains("Thu 3 Dec")).await;
    shows(&thursday, "today, Thu 3 Dec, 17:00");
    app.stop().await;
}

#[tokio::test]
async fn upcoming_in_a_group_is_cancelled_only_by_its_scheduler_or_an_admin() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna_private = app.private(7701, "en");
    app.with_token(&mut anna_private, "y0_anna").await;
    let mut anna = app.in_group(GROUP, 7701, "en");
    schedule(&mut anna, "tomorrow 15:00 Design review").await;
    anna.send("/meet every weekday 10:00 Standup");
    let panel = anna
        .reply_where(|r| r.message_id != 0 && r.has("create"))
        .await;
    set_up(&mut anna, &panel).await;

    let mut boris = app.in_group(GROUP, 7702, "en");
    boris.skip_past();
    boris.send("/upcoming");
    let list = boris.reply().await;
    shows(
        &list,
        "1. Standup: every weekday, 10:00–10:30; today, Mon 30 Nov, 10:00–10:30",
    );
    shows(&list, "2. Design review: tomorrow, Tue 1 Dec, 15:00–15:30");
    let labels: Vec<&str> = list.buttons.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["✖ Cancel 1", "✖ Cancel 2"]);
    // Boris neither scheduled them nor administers the group.
    let q = boris.press(&list, list.data()[1]);
    assert_eq!(boris.answer_to(&q).await, en().not_yours_to_cancel());
    // Made up data naming a meeting of another chat, or none: nothing.
    let q = boris.press(&list, "up:999");
    assert_eq!(boris.answer_to(&q).await, en().schedule_gone());
    // An admin may.
    app.tg.set_admin(GROUP, 7702, true);
    let q = boris.press(&list, list.data()[1]);
    assert_eq!(boris.answer_to(&q).await, en().schedule_cancelled());
    let edited = boris.reply().await;
    assert_eq!(edited.message_id, list.message_id);
    assert!(!edited.text.contains("Design review"), "{}", edited.text);
    shows(&edited, "1. Standup");
    // In a private chat, another user's meeting ids are someone else's chat: nothing found.
    let mut carol = app.private(7703, "en");
    carol.send("/upcoming");
    assert_eq!(carol.reply().await.text, en().upcoming_empty());
    app.stop().await;
}

#[tokio::test]
async fn reminders_survive_a_restart() {
    let (mut app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7801, "en");
    app.with_token(&mut anna, "y0_anna").await;
    schedule(&mut anna, "tomorrow 15:00 Design review").await;
    app.restart().await;
    clock.set(ts("2026-12-01T12:00:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_now(Some("Design review"), &join_url(1))
    );
    app.stop().await;
}

/// The "starting now" posts `telemost_bot_reminder_delay_seconds` has counted over its top
/// bucket (30 s after they were due), and the seconds late of all, from the process's
/// Prometheus recorder (installed by the first call).
fn starts_late() -> (f64, f64) {
    let text = telemost_bot::metrics::render(&telemost_bot::metrics::install());
    let value = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    };
    let name = "telemost_bot_reminder_delay_seconds";
    let over_30s = value(&format!("{name}_count{{step=\"start\"}}"))
        - value(&format!("{name}_bucket{{step=\"start\",le=\"30\"}}"));
    (over_30s, value(&format!("{name}_sum{{step=\"start\"}}")))
}

#[tokio::test]
async fn a_reminder_missed_while_the_bot_was_down_is_posted_late_or_reported() {
    let (mut app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(7901, "en");
    app.with_token(&mut anna, "y0_anna").await;
    schedule(&mut anna, "today 15:00 Design review").await;
    schedule(&mut anna, "today 16:00 Retro").await;

    // Down from 14:30 to 15:20: the 15:00 reminder comes 20 minutes late, saying so, and the
    // operator's metrics count a start posted 1200 s after it was due (other stories of this
    // file, run at once, only add to the counts).
    let (late_before, seconds_before) = starts_late();
    app.halt().await;
    clock.set(ts("2026-11-30T12:20:00Z"));
    app.resume().await;
    assert_eq!(
        anna.reply().await.text,
        en().reminder_late(Some("Design review"), "15:00", 20, &join_url(1))
    );
    // Counted once the post is answered, a moment after the fake has it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (late_after, seconds_after) = loop {
        let now = starts_late();
        if now.0 > late_before || tokio::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(late_after > late_before, "{late_before} then {late_after}");
    assert!(
        seconds_after - seconds_before >= 1200.0,
        "{seconds_before} then {seconds_after}"
    );
    // Down again until 17:30: the 16:00 one is reported as missed, with its link.
    app.halt().await;
    clock.set(ts("2026-11-30T14:30:00Z"));
    app.resume().await;
    assert_eq!(
        anna.reply().await.text,
        en().reminder_missed(Some("Retro"), "16:00", Some(&join_url(2)))
    );
    // Once: nothing more is due.
    app.quiet_at(&clock, ts("2026-11-30T14:31:00Z"), &anna)
        .await;
    app.stop().await;
}

#[tokio::test]
async fn add_to_calendar_sends_an_ics_that_parses_back() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(8001, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let done = schedule(&mut anna, "tomorrow 15:00 for 1h Design review; Q4, plans").await;
    let data = calendar_data(&done);
    anna.press(&done, &data);
    let (name, ics) = anna.document().await;
    assert_eq!(name, "meeting.ics");
    let calendar = support::ics::parse(&ics);
    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0];
    assert_eq!(event.time("DTSTART"), ts("2026-12-01T12:00:00Z"));
    assert_eq!(event.time("DTEND"), ts("2026-12-01T13:00:00Z"));
    assert_eq!(event.get("SUMMARY"), Some("Design review; Q4, plans"));
    assert_eq!(event.get("LOCATION"), Some(join_url(1).as_str()));
    assert_eq!(event.get("URL"), Some(join_url(1).as_str()));
    let uid = event.get("UID").unwrap().to_owned();
    // Pressed again: the same event (a calendar updates it rather than adding a second).
    anna.press(&done, &data);
    let (_, again) = anna.document().await;
    assert_eq!(
        support::ics::parse(&again).events[0].get("UID"),
        Some(uid.as_str())
    );
    // A button naming a meeting that is not this chat's: refused.
    let q = anna.press(&done, "cal:999:1796126400");
    assert_eq!(anna.answer_to(&q).await, en().schedule_gone());
    app.stop().await;
}

#[tokio::test]
async fn daylight_saving_keeps_a_recurring_meeting_at_its_local_time() {
    // Friday 26 March 2027 in Berlin, still winter time (UTC+1); summer time starts on Sunday.
    let (app, clock) = app_at("2027-03-26T12:00:00Z").await;
    let mut anna = app.private(8101, "en");
    app.with_token(&mut anna, "y0_anna").await;
    anna.send("/settings");
    let settings = anna.reply().await;
    anna.press(&settings, "cfg:tz:other");
    let ask = anna.reply().await;
    assert_eq!(ask.text, en().ask_timezone());
    anna.send("Mars/Olympus");
    assert_eq!(
        anna.reply().await.text,
        en().timezone_unknown("Mars/Olympus")
    );
    anna.send("Europe/Berlin");
    assert_eq!(
        anna.reply().await.text,
        en().timezone_saved("Europe/Berlin")
    );

    let panel = meet_panel(&mut anna, "every weekday 10:00 Standup").await;
    shows(&panel, "(Europe/Berlin); Mon 29 Mar, 10:00–10:30");
    set_up(&mut anna, &panel).await;
    // 09:55 in Berlin on Monday is 07:55 UTC in summer time (08:55 UTC had the change been
    // missed).
    app.quiet_at(&clock, ts("2027-03-29T07:54:00Z"), &anna)
        .await;
    clock.set(ts("2027-03-29T07:55:00Z"));
    let link = anna.reply().await;
    shows(&link, "today, Mon 29 Mar, 10:00–10:30");
    clock.set(ts("2027-03-29T08:00:00Z"));
    assert_eq!(
        anna.reply().await.text,
        en().reminder_now(Some("Standup"), &join_url(1))
    );
    app.stop().await;
}

/// Two bot processes on one PostgreSQL database and one clock: each reminder is posted once, and
/// each process takes its part. The replica's Bot API calls pass through a proxy of its own, which
/// shows whether it posted the first reminder; the process that did stops, and the other one
/// posts the second.
#[tokio::test]
async fn two_replicas_post_one_reminder() {
    let (mut app, clock) = app_at(MONDAY_9AM).await;
    if !app.is_postgres() {
        eprintln!(
            "skipped: two processes share only a PostgreSQL database (TEST_DATABASE=postgres)"
        );
        app.stop().await;
        return;
    }
    let mut anna = app.private(8201, "en");
    app.with_token(&mut anna, "y0_anna").await;
    schedule(&mut anna, "tomorrow 15:00 Design review").await;
    schedule(&mut anna, "tomorrow 16:00 Retro").await;
    let (replica, watched) = app.watched_replica().await;
    let before = app.tg.calls().len();
    let review = en().reminder_now(Some("Design review"), &join_url(1));
    let retro = en().reminder_now(Some("Retro"), &join_url(2));
    clock.set(ts("2026-12-01T12:00:00Z"));
    assert_eq!(anna.reply().await.text, review);
    // The proxy records a call before the fake Telegram has it.
    let replica_posted_first = !watched.calls_to("sendMessage", anna.chat).is_empty();
    // The one that posted stops (finishing what it has in hand); the other posts the next.
    let replica = if replica_posted_first {
        replica.stop().await;
        None
    } else {
        app.halt().await;
        Some(replica)
    };
    clock.set(ts("2026-12-01T13:00:00Z"));
    assert_eq!(anna.reply().await.text, retro);
    // Both stopped: whatever either would post has been posted.
    if let Some(replica) = replica {
        replica.stop().await;
    }
    app.halt().await;
    let sent: Vec<String> = app
        .tg
        .calls()
        .into_iter()
        .skip(before)
        .filter(|c| c.method == "sendMessage" && c.chat_id() == Some(anna.chat))
        .map(|c| c.text().to_owned())
        .collect();
    assert_eq!(sent, [review.clone(), retro.clone()], "each reminder once");
    let by_replica: Vec<String> = watched
        .calls_to("sendMessage", anna.chat)
        .iter()
        .map(|c| c.body["text"].as_str().unwrap_or("").to_owned())
        .collect();
    let expected = if replica_posted_first { review } else { retro };
    assert_eq!(by_replica, [expected], "the replica posted one of the two");
    app.stop().await;
}

#[test]
fn the_clock_in_these_stories_starts_on_a_monday() {
    let monday =
        ts(MONDAY_9AM).to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Moscow").unwrap());
    assert_eq!(monday.weekday(), jiff::civil::Weekday::Monday);
    assert_eq!(monday.hour(), 9);
}

#[tokio::test]
async fn a_reminder_goes_to_the_forum_topic_it_was_scheduled_in_at_the_chats_time() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna_private = app.private(8301, "en");
    app.with_token(&mut anna_private, "y0_anna").await;
    app.tg.set_admin(GROUP, 8301, true);
    let mut anna = app.in_topic(GROUP, 77, 8301, "en");
    anna.send("/settings");
    let settings = anna.reply().await;
    anna.press(&settings, "cfg:tz:Asia/Yekaterinburg");
    let saved = anna.reply().await;
    shows(&saved, "Time zone: Asia/Yekaterinburg");

    // 09:00 in Moscow is 11:00 in Yekaterinburg; 15:00 there is 10:00 UTC.
    let done = schedule(&mut anna, "today 15:00 Review").await;
    shows(
        &done,
        "When: today, Mon 30 Nov, 15:00–15:30 (Asia/Yekaterinburg)",
    );
    app.quiet_at(&clock, ts("2026-11-30T09:59:00Z"), &anna)
        .await;
    clock.set(ts("2026-11-30T10:00:00Z"));
    let reminder = anna.reply().await;
    assert_eq!(
        reminder.text,
        en().reminder_now(Some("Review"), &join_url(1))
    );
    let call = app
        .tg
        .calls_to("sendMessage", GROUP)
        .into_iter()
        .next_back()
        .unwrap();
    assert_eq!(call.body["message_thread_id"], 77, "{}", call.body);
    app.stop().await;
}

#[tokio::test]
async fn a_recurring_link_is_tried_again_while_telemost_is_down_and_there_is_time() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(8401, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let panel = meet_panel(&mut anna, "every weekday 10:00 Standup").await;
    set_up(&mut anna, &panel).await;
    // Telemost answers 503 to every attempt of the first try, at 09:55.
    for _ in 0..4 {
        app.tm.then(support::Answer::json(
            503,
            serde_json::json!({"error": "down"}),
        ));
    }
    clock.set(ts("2026-11-30T06:55:00Z"));
    app.tm.wait_requests(4).await;
    // Nothing said: the step is only put off to 06:56.
    app.quiet_at(&clock, ts("2026-11-30T06:55:30Z"), &anna)
        .await;
    // A minute later it is up again: the link comes, before the start.
    clock.set(ts("2026-11-30T06:56:00Z"));
    let link = anna.reply().await;
    shows(&link, "Standup</b>, today");
    shows(&link, "https://telemost");
    app.stop().await;
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_gets_no_more_meetings_made_for_them() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(8501, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let panel = meet_panel(&mut anna, "every weekday 10:00 Standup").await;
    set_up(&mut anna, &panel).await;
    app.tg.block_silently(anna.chat);
    // Monday's link is made, its post refused (403): the series ends there.
    clock.set(ts("2026-11-30T06:55:00Z"));
    app.tm.wait_requests(1).await;
    let db = app.side_db().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !db.schedules_of(anna.chat).await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the schedule stays");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    db.close().await;
    // The refused post of Monday's link.
    shows(&anna.reply().await, "Standup");
    app.quiet_at(&clock, ts("2026-12-01T06:55:00Z"), &anna)
        .await;
    assert_eq!(app.tm.requests().len(), 1, "no meeting made on Tuesday");
    app.stop().await;
}

#[tokio::test]
async fn a_series_stops_when_its_creator_may_no_longer_create_meetings_in_the_group() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut boris_private = app.private(8602, "en");
    app.with_token(&mut boris_private, "y0_boris").await;
    let mut boris = app.in_group(GROUP, 8602, "en");
    schedule_series(&mut boris, "every weekday 10:00 Standup").await;
    // An admin turns "only admins create meetings" on; Boris is not one.
    app.tg.set_admin(GROUP, 8601, true);
    let mut anna = app.in_group(GROUP, 8601, "en");
    anna.skip_past();
    anna.send("/settings");
    let settings = anna.reply().await;
    anna.press(&settings, "cfg:adm:on");
    anna.reply().await;
    boris.skip_past();
    clock.set(ts("2026-11-30T06:55:00Z"));
    let said = boris.reply().await;
    shows(&said, en().admins_only());
    assert!(said.text.ends_with(en().series_ended()), "{}", said.text);
    assert!(app.tm.requests().is_empty(), "no meeting made");
    app.quiet_at(&clock, ts("2026-12-01T06:55:00Z"), &boris)
        .await;
    app.stop().await;
}

/// `/meet every …` and Create: the confirmation.
async fn schedule_series(person: &mut Person, text: &str) -> Reply {
    let panel = meet_panel(person, text).await;
    set_up(person, &panel).await
}

#[tokio::test]
async fn a_reminder_for_a_topic_deleted_since_goes_to_general() {
    let (app, clock) = app_at(MONDAY_9AM).await;
    let mut anna_private = app.private(8701, "en");
    app.with_token(&mut anna_private, "y0_anna").await;
    let mut anna = app.in_topic(GROUP, 78, 8701, "en");
    schedule(&mut anna, "today 15:00 Review").await;
    // The topic is deleted: Telegram refuses sends into it.
    app.tg.fail(
        "sendMessage",
        1,
        400,
        serde_json::json!({"ok": false, "error_code": 400,
                           "description": "Bad Request: message thread not found"}),
    );
    clock.set(ts("2026-11-30T12:00:00Z"));
    // The refused one, then the one delivered.
    let reminder = anna.reply_where(|r| r.message_id != 0).await;
    assert_eq!(
        reminder.text,
        en().reminder_now(Some("Review"), &join_url(1))
    );
    let sent = app.tg.calls_to("sendMessage", GROUP);
    assert_eq!(
        sent.len(),
        3,
        "the panel, the refused reminder, the reminder"
    );
    let last = sent.last().unwrap();
    assert!(
        last.body.get("message_thread_id").is_none(),
        "in General: {}",
        last.body
    );
    app.stop().await;
}

/// The numbered lines of an `/upcoming` list as the user sees it, after asserting that Telegram
/// would take it (it parses, and is within 4096 UTF-16 units of what it shows) and that each
/// Cancel button is one of a line shown: "✖ Cancel n" for every line n, and no other. The last
/// line says how many of `total` meetings are not listed.
#[track_caller]
fn listed_whole(list: &Reply, total: usize) -> Vec<String> {
    assert!(support::telegram::html_parses(&list.text), "{}", list.text);
    assert!(support::telegram::within_limit(&list.text, true));
    let seen = support::shown(&list.text);
    let lines: Vec<String> = seen
        .lines()
        .skip(1)
        .filter(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<usize>().is_ok())
        })
        .map(str::to_owned)
        .collect();
    let labels: Vec<String> = list.buttons.iter().map(|(l, _)| l.clone()).collect();
    let expected: Vec<String> = (1..=lines.len())
        .map(|n| en().button_cancel_nth(n))
        .collect();
    assert_eq!(
        labels, expected,
        "a Cancel button for each line shown, and no other"
    );
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("{}. ", i + 1)), "{line}");
    }
    if lines.len() < total {
        assert_eq!(
            seen.lines().last(),
            Some(en().and_more(total - lines.len()).as_str())
        );
    }
    lines
}

/// 26 recurring meetings whose topics are long runs of emoji (two UTF-16 units each, which is
/// how Telegram counts), listed in a chat whose time zone is now another, so each line also
/// names its zone: `/upcoming` shows as many as fit one message whole, says how many more
/// there are, and offers Cancel only for those lines. Cancelling the last one shown cancels the
/// meeting on that line.
#[tokio::test]
async fn upcoming_offers_cancel_only_for_meetings_it_shows_whole() {
    let (app, _clock) = app_at(MONDAY_9AM).await;
    let mut anna = app.private(8801, "en");
    app.with_token(&mut anna, "y0_anna").await;
    let party = "🎉".repeat(80);
    for i in 1..=26 {
        schedule_series(
            &mut anna,
            &format!("every mon,tue,wed,thu,fri,sat 10:00 {i:02} {party}"),
        )
        .await;
    }
    anna.send("/settings");
    let settings = anna.reply().await;
    anna.press(&settings, "cfg:tz:other");
    anna.reply().await;
    anna.send("America/Argentina/Buenos_Aires");
    anna.reply().await;

    anna.send("/upcoming");
    let list = anna.reply().await;
    let lines = listed_whole(&list, 26);
    // Each line whole: its topic cut to 60 units, its days, its next time and its zone.
    let whole = |n: usize, topic: usize| {
        format!(
            "{n}. {topic:02} {}…: every Mon, Tue, Wed, Thu, Fri, Sat, 10:00–10:30; today, Mon 30 \
             Nov, 10:00–10:30 (Europe/Moscow)",
            "🎉".repeat(28)
        )
    };
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(*line, whole(i + 1, i + 1));
    }
    let shown = lines.len();
    assert!((20..25).contains(&shown), "{shown} lines: the list is cut");

    let q = anna.press(&list, list.data()[shown - 1]);
    assert_eq!(anna.answer_to(&q).await, en().schedule_cancelled());
    let edited = anna.reply().await;
    assert_eq!(edited.message_id, list.message_id);
    let lines = listed_whole(&edited, 25);
    for (i, line) in lines.iter().enumerate() {
        let topic = if i + 1 < shown { i + 1 } else { i + 2 };
        assert_eq!(*line, whole(i + 1, topic), "meeting {shown} is gone");
    }
    app.stop().await;
}

/// Issue 22: sixty people each scheduled a meeting in their chat, at sixty minutes from 12:01 to
/// 13:00, and the bot was down from 09:00 until 13:00: when it is back, all sixty reminders are
/// due at once. With Telegram's flood limits on, they go out at the limits' pace, never more
/// than 30 in any second, each once, in the order of their meetings' times. (A few may leave at
/// the same moment and reach Telegram in either order; one due later never comes a tenth of a
/// second before one due earlier.)
#[tokio::test]
async fn sixty_reminders_due_at_once_go_out_at_telegrams_pace_in_the_order_of_their_times() {
    const PEOPLE: i64 = 60;
    let clock = Clock::manual(ts(MONDAY_9AM));
    let mut app = TestApp::start_with(Options {
        clock: clock.clone(),
        telegram_rate_limit: true,
        ..Options::default()
    })
    .await;
    // Person k's meeting starts k + 1 minutes after 12:00 (Moscow), a few people at a time.
    let people: Vec<i64> = (0..PEOPLE).map(|k| 8801 + k).collect();
    for few in people.chunks(15) {
        let app = &app;
        futures_util::future::join_all(few.iter().map(|&user| async move {
            let mut person = app.private(user, "en");
            app.with_token(&mut person, "y0_team").await;
            let minute = user - 8801 + 1;
            let at = format!("{:02}:{:02}", 12 + minute / 60, minute % 60);
            schedule(&mut person, &format!("today {at} Standup")).await;
        }))
        .await;
    }
    app.halt().await;
    clock.set(ts("2026-11-30T10:00:00Z"));
    let from = app.tg.calls().len();
    app.resume().await;

    let reminders = |calls: Vec<support::telegram::Call>| -> Vec<support::telegram::Call> {
        calls
            .into_iter()
            .skip(from)
            .filter(|c| c.method == "sendMessage" && c.text().contains("Standup"))
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while reminders(app.tg.calls()).len() < PEOPLE as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {PEOPLE} reminders within 30 s",
            reminders(app.tg.calls()).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stopped, the bot lets the steps in hand finish and takes no more: whatever it would post
    // has been posted. Each step ended (its row gone), nothing is left to post again.
    app.halt().await;
    let sent = reminders(app.tg.calls());
    let mut chats: Vec<i64> = sent.iter().filter_map(|c| c.chat_id()).collect();
    chats.sort();
    assert_eq!(chats, people, "one reminder in each chat");
    let db = app.side_db().await;
    for &chat in &people {
        assert_eq!(db.schedules_count(chat).await.unwrap(), 0, "chat {chat}");
    }
    db.close().await;

    // As they reached Telegram: never more than 30 in any second.
    let times: Vec<_> = sent.iter().map(|c| c.at).collect();
    for (i, first) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .take_while(|t| **t - *first <= Duration::from_secs(1))
            .count();
        assert!(within <= 30, "{within} reminders within a second");
    }
    // In the order of their meetings' times (the chats' order).
    for (i, earlier) in sent.iter().enumerate() {
        for later in &sent[i + 1..] {
            assert!(
                later.chat_id() > earlier.chat_id()
                    || earlier.at - later.at < Duration::from_millis(100),
                "the reminder in chat {:?} came {:?} after the one in chat {:?}, due later",
                earlier.chat_id(),
                earlier.at - later.at,
                later.chat_id()
            );
        }
    }
    app.stop().await;
}
