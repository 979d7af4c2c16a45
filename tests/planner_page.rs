//! User stories for the planner page itself, in a real browser: Debian's headless Chromium
//! driven by chromedriver (`support::browser`), at a phone's width, with Telegram's script
//! stubbed (it cannot be fetched here) and `initData` signed by the test with the bot's token.
//! The bot is the real one, serving the page and its API, against the fake Telegram and
//! Telemost; what the page does lands in the fake chat as it would in Telegram.
//!
//! Without Chromium and chromedriver installed each story says it is skipped and passes, unless
//! `REQUIRE_BROWSER=1` (which `.ci/run` sets) makes that a failure. Each story saves
//! screenshots under Cargo's test directory (`target/tmp/browser/`); with
//! `PLANNER_SCREENSHOTS=<dir>` the README's two are written there as well.

mod support;

use std::time::Duration;

use serde_json::json;
use support::browser::{Browser, Theme, screenshot_path};
use support::telemost::join_url;
use support::webapp::{sign_init_data, tamper, user};
use support::{BOT_TOKEN, Options, TestApp};
use telemost_bot::clock::Clock;
use telemost_bot::storage::ChatSettings;

/// Monday 7 December 2026, 09:41 in Moscow (the chats' default zone).
const MONDAY: &str = "2026-12-07T06:41:00Z";
const ANNA: i64 = 601;
const BORIS: i64 = 602;
const GROUP: i64 = -1_001_800_000_001;
/// A whole story, browser and bot included, takes seconds; this bounds a stuck one.
const STORY: Duration = Duration::from_secs(120);

/// A bot serving the planner, its clock at Monday 09:41.
async fn app() -> (TestApp, Clock) {
    let (options, clock) = Options::at(MONDAY);
    let app = TestApp::start_with(Options {
        planner: true,
        ..options
    })
    .await;
    (app, clock)
}

/// The planner opened by `who` in a browser with `theme`: in their private chat, or from a
/// group's link naming `group`. `None` when there is no browser to drive (the story is skipped).
async fn open(
    app: &TestApp,
    clock: &Clock,
    who: &serde_json::Value,
    group: Option<i64>,
    theme: Theme,
) -> Option<Browser> {
    let param = group.map(|g| format!("c{g}"));
    let init = sign_init_data(
        BOT_TOKEN,
        who,
        clock.now().as_second(),
        param.as_deref(),
        group.map(|_| "supergroup"),
    );
    open_with(app, &init, theme).await
}

async fn open_with(app: &TestApp, init_data: &str, theme: Theme) -> Option<Browser> {
    let browser = Browser::start(theme).await?;
    browser.stub_telegram(init_data, theme).await;
    browser.goto(&app.planner_url()).await;
    Some(browser)
}

/// Waits until the form is drawn for the chat (its zone named, beside the date and time).
async fn form_ready(b: &Browser) {
    b.wait_until(
        "document.getElementById('zone').textContent.includes('Europe/Moscow')",
        "the form drawn for the chat's time zone",
    )
    .await;
}

/// Records the page's own calls to its API from now on (`posted`).
async fn watch_calls(b: &Browser) {
    b.exec(
        "window.__calls = [];
         const real = window.fetch;
         window.fetch = (url, init) => { window.__calls.push(String(url)); return real(url, init); };",
        json!([]),
    )
    .await;
}

/// The API calls the page made since `watch_calls`.
async fn posted(b: &Browser) -> Vec<String> {
    let calls = b.exec("return window.__calls || [];", json!([])).await;
    calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

/// Picks "later" on `date` at `time` (what the platform's pickers would set).
async fn later(b: &Browser, date: &str, time: &str) {
    b.click("#when-later").await;
    b.set_value("#date", date).await;
    b.set_value("#time", time).await;
}

/// Saves a screenshot for a person to look at, and for the README when asked to.
async fn screenshot(b: &Browser, name: &str) {
    let png = b.screenshot(screenshot_path(name)).await;
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    if let Ok(dir) = std::env::var("PLANNER_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(name), &png).unwrap();
    }
}

#[tokio::test]
async fn anna_plans_tomorrow_15_00_with_a_cohost_from_the_chips_and_it_lands_in_her_chat() {
    tokio::time::timeout(STORY, async {
        let (app, clock) = app().await;
        let mut anna = app.private(ANNA, "en");
        app.with_token(&mut anna, "anna-token").await;
        // Boris was a cohost before: the chat remembers him.
        let db = app.side_db().await;
        db.remember_cohosts(ANNA, &["boris@example.org"])
            .await
            .unwrap();
        let Some(b) = open(&app, &clock, &user(ANNA, "Anna", "en"), None, Theme::Light).await
        else {
            return;
        };
        form_ready(&b).await;
        screenshot(&b, "planner-light-en.png").await;
        assert_eq!(b.main_button_text().await, "Create");

        b.type_into("#topic", "Design review").await;
        later(&b, "2026-12-08", "15:00").await;
        b.set_value("#duration", "60").await;
        b.click("#cohost-chips button.chip[data-email=\"boris@example.org\"]")
            .await;
        b.find("#cohost-list li[data-email=\"boris@example.org\"]")
            .await;
        // A typo is caught as it is typed.
        b.type_into("#cohost-input", "kira@").await;
        b.wait_until(
            "!document.getElementById('cohost-input-error').hidden",
            "the address marked wrong",
        )
        .await;
        b.clear("#cohost-input").await;
        b.main_button_click().await;

        let link = join_url(1);
        b.wait_until(
            "!document.getElementById('result').hidden",
            "the result shown",
        )
        .await;
        assert_eq!(
            b.attr("#result-link", "href").await.as_deref(),
            Some(link.as_str())
        );
        let message = b.text("#result-message").await;
        assert!(message.contains("Design review"), "{message}");
        screenshot(&b, "planner-result-light-en.png").await;

        // The chat got what /meet would have posted.
        let posted = anna.reply().await;
        assert!(posted.text.contains(&link), "{}", posted.text);
        assert!(posted.text.contains("Tue 8 Dec"), "{}", posted.text);
        assert!(posted.text.contains("15:00"), "{}", posted.text);
        let created = app.tm.requests();
        assert_eq!(created.len(), 1);
        assert_eq!(
            created[0].body["cohosts"],
            json!([{"email": "boris@example.org"}])
        );

        // Copy puts the link on the clipboard, or says it did.
        b.click("#copy-link").await;
        b.wait_until(
            "document.getElementById('status').textContent.length > 0",
            "a notice that the link was copied",
        )
        .await;
        b.assert_no_page_errors().await;

        // At 15:00 tomorrow the chat is reminded.
        clock.set("2026-12-08T12:00:00Z".parse().unwrap());
        let reminder = anna.reply().await;
        assert!(reminder.text.contains(&link), "{}", reminder.text);
    })
    .await
    .expect("the story ends in time");
}

#[tokio::test]
async fn boris_sets_up_a_standup_on_two_weekdays_sees_the_week_and_cancels_the_retro() {
    tokio::time::timeout(STORY, async {
        let (app, clock) = app().await;
        let mut boris = app.private(BORIS, "ru");
        app.with_token(&mut boris, "boris-token").await;
        let Some(b) = open(&app, &clock, &user(BORIS, "Борис", "ru"), None, Theme::Dark).await
        else {
            return;
        };
        form_ready(&b).await;
        screenshot(&b, "planner-dark-ru.png").await;
        assert_eq!(b.main_button_text().await, "Создать");

        b.type_into("#topic", "Стендап").await;
        later(&b, "2026-12-07", "10:00").await;
        b.set_value("#duration", "15").await;
        b.click("#repeat-tue").await;
        b.click("#repeat-thu").await;
        b.main_button_click().await;
        b.wait_until(
            "!document.getElementById('result').hidden",
            "the series set up",
        )
        .await;
        let set_up = boris.reply().await;
        assert!(set_up.text.contains("Стендап"), "{}", set_up.text);
        assert!(
            app.tm.requests().is_empty(),
            "each occurrence gets its link later"
        );

        b.click("#result-new").await;
        b.clear("#topic").await;
        b.type_into("#topic", "Ретро").await;
        later(&b, "2026-12-11", "17:30").await;
        b.main_button_click().await;
        b.wait_until(
            "document.getElementById('result-link').getAttribute('href')",
            "the retro's link",
        )
        .await;
        boris.reply().await;

        b.click("#tab-week").await;
        b.wait_until(
            "document.querySelectorAll('#week .meeting').length == 5",
            "four standups and the retro in the two weeks",
        )
        .await;
        assert_eq!(b.count("#week section.day").await, 14);
        for date in ["2026-12-08", "2026-12-10", "2026-12-15", "2026-12-17"] {
            let day = b
                .text(&format!("#week section.day[data-date=\"{date}\"]"))
                .await;
            assert!(
                day.contains("10:00") && day.contains("Стендап"),
                "{date}: {day}"
            );
        }
        let friday = b.text("#week section.day[data-date=\"2026-12-11\"]").await;
        assert!(
            friday.contains("17:30") && friday.contains("Ретро"),
            "{friday}"
        );
        screenshot(&b, "planner-week-dark-ru.png").await;

        // Cancel the retro (the page asks first).
        b.click("#week section.day[data-date=\"2026-12-11\"] button.cancel")
            .await;
        b.wait_until(
            "document.querySelectorAll('#week .meeting').length == 4",
            "the retro gone from the week",
        )
        .await;
        assert_eq!(b.confirms().await.len(), 1, "asked before cancelling");
        let friday = b.text("#week section.day[data-date=\"2026-12-11\"]").await;
        assert!(!friday.contains("Ретро"), "{friday}");
        b.assert_no_page_errors().await;
    })
    .await
    .expect("the story ends in time");
}

#[tokio::test]
async fn a_stream_title_over_the_limit_is_refused_on_the_page_before_any_request() {
    tokio::time::timeout(STORY, async {
        let (app, clock) = app().await;
        let mut anna = app.private(ANNA, "en");
        app.with_token(&mut anna, "anna-token").await;
        let Some(b) = open(&app, &clock, &user(ANNA, "Anna", "en"), None, Theme::Dark).await else {
            return;
        };
        form_ready(&b).await;
        b.click("#stream").await;
        b.set_value("#stream-title", &"x".repeat(1025)).await;
        b.wait_text("#stream-title-count", "1025 / 1024").await;
        assert_eq!(
            b.attr("#stream-title", "aria-invalid").await.as_deref(),
            Some("true")
        );
        screenshot(&b, "planner-stream-over-dark-en.png").await;
        watch_calls(&b).await;
        b.main_button_click().await;
        b.wait_until(
            "document.getElementById('title-error').textContent.includes('1024')
             || document.getElementById('error').textContent.includes('1024')",
            "the title's limit explained",
        )
        .await;
        assert!(posted(&b).await.is_empty(), "no request was made");
        assert!(app.tm.requests().is_empty());
        b.assert_no_page_errors().await;
    })
    .await
    .expect("the story ends in time");
}

#[tokio::test]
async fn a_forged_page_and_a_member_where_only_admins_create_are_told_so() {
    tokio::time::timeout(STORY, async {
        let (app, clock) = app().await;
        app.with_token(&mut app.private(BORIS, "ru"), "boris-token")
            .await;
        let db = app.side_db().await;
        let settings = ChatSettings {
            admins_only: true,
            ..db.settings(GROUP).await.unwrap()
        };
        db.save_settings(GROUP, &settings).await.unwrap();

        // Someone else's user put into Anna's signed data: refused, and the page says so.
        let anna = sign_init_data(
            BOT_TOKEN,
            &user(ANNA, "Anna", "en"),
            clock.now().as_second(),
            None,
            None,
        );
        let forged = tamper(&anna, "user", &user(BORIS, "Boris", "en").to_string());
        let Some(b) = open_with(&app, &forged, Theme::Light).await else {
            return;
        };
        b.wait_text("body", "open the planner from Telegram again")
            .await;
        drop(b);

        // Boris, a member of a group where only admins create, from its link.
        let Some(b) = open(
            &app,
            &clock,
            &user(BORIS, "Борис", "ru"),
            Some(GROUP),
            Theme::Light,
        )
        .await
        else {
            return;
        };
        form_ready(&b).await;
        b.wait_text("#chat-note", &format!("Group {GROUP}")).await;
        b.main_button_click().await;
        b.wait_text("#error", "только администраторы").await;
        screenshot(&b, "planner-admins-only-light-ru.png").await;
        assert!(app.tm.requests().is_empty());
        assert!(app.tg.calls_to("sendMessage", GROUP).is_empty());
        b.assert_no_page_errors().await;
    })
    .await
    .expect("the story ends in time");
}
