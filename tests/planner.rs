//! User stories for the planner Mini App's server side, told through its API as the page calls
//! it (the page itself, in a real browser, is `tests/planner_page.rs`): who may call it
//! (`initData` signed by Telegram for this bot, recent, for a chat the user is in, allowed to
//! create there), what a plan becomes (the same meeting, message and reminder as `/meet`), the
//! week, Cancel, and the explanations bad input gets. The bot's clock is a manual one the
//! stories move; `initData` is signed by the test with the bot's token at that clock's time.

mod support;

use std::time::Duration;

use jiff::SignedDuration;
use serde_json::{Value, json};
use support::telemost::join_url;
use support::webapp::{sign_init_data, tamper};
use support::{BOT_TOKEN, Options, TestApp, WEBAPP_SHORT_NAME, WEBAPP_URL};
use telemost_bot::clock::Clock;
use telemost_bot::storage::ChatSettings;

/// Monday 7 December 2026, 09:41 in Moscow (the chats' default zone).
const MONDAY: &str = "2026-12-07T06:41:00Z";
const ANNA: i64 = 501;
const BORIS: i64 = 502;
const GROUP: i64 = -1_001_700_000_001;
const OTHER_GROUP: i64 = -1_001_700_000_002;

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

fn user(id: i64, lang: &str) -> Value {
    json!({"id": id, "first_name": format!("User{id}"), "language_code": lang})
}

/// The page as opened by `user` (in their private chat, or from a group's link naming
/// `group`), calling the bot's API with the `initData` Telegram gave it.
struct Page {
    http: reqwest::Client,
    base: String,
    init_data: String,
}

impl Page {
    fn opened(app: &TestApp, init_data: String) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: app.planner_url(),
            init_data,
        }
    }

    /// Opened by `user` now (by the bot's clock) in their private chat.
    fn private(app: &TestApp, clock: &Clock, user: &Value) -> Self {
        let init = sign_init_data(BOT_TOKEN, user, clock.now().as_second(), None, None);
        Self::opened(app, init)
    }

    /// Opened by `user` now from the planner's link in `group`.
    fn in_group(app: &TestApp, clock: &Clock, user: &Value, group: i64) -> Self {
        let param = format!("c{group}");
        let init = sign_init_data(
            BOT_TOKEN,
            user,
            clock.now().as_second(),
            Some(&param),
            Some("supergroup"),
        );
        Self::opened(app, init)
    }

    /// POSTs `body` to `api/<what>` with the page's `initData`: the status and the answer.
    async fn call(&self, what: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}api/{what}", self.base))
            .header("Authorization", format!("tma {}", self.init_data))
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the planner answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON answer");
        (status, body)
    }

    async fn plan(&self, form: Value) -> (u16, Value) {
        self.call("meetings", form).await
    }

    async fn week(&self) -> Value {
        let (status, week) = self.call("week", json!({})).await;
        assert_eq!(status, 200, "{week}");
        week
    }
}

/// Every meeting the week view lists: (date, time, topic, id).
fn listed(week: &Value) -> Vec<(String, String, String, i64)> {
    let mut all = Vec::new();
    for day in week["days"].as_array().unwrap() {
        for item in day["items"].as_array().unwrap() {
            all.push((
                day["date"].as_str().unwrap().to_owned(),
                item["time"].as_str().unwrap().to_owned(),
                item["topic"].as_str().unwrap_or("").to_owned(),
                item["id"].as_i64().unwrap(),
            ));
        }
    }
    all
}

#[tokio::test]
async fn a_meeting_planned_for_tomorrow_lands_in_the_chat_with_its_link_and_reminder() {
    let (app, clock) = app().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "anna-token").await;
    let page = Page::private(&app, &clock, &user(ANNA, "en"));

    let (status, context) = page.call("context", json!({})).await;
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["zone"], "Europe/Moscow");
    assert_eq!(context["today"], "2026-12-07");
    assert_eq!(context["now"], "09:41");
    assert_eq!(context["lang"], "en");
    assert_eq!(context["chat"]["private"], true);

    let (status, made) = page
        .plan(json!({
            "topic": "Design review", "when": "later", "date": "2026-12-08", "time": "15:00",
            "duration_minutes": 60, "repeat": [], "waiting_room": "ORGANIZATION",
            "cohosts": ["boris@example.org"], "stream": null,
        }))
        .await;
    assert_eq!(status, 200, "{made}");
    let link = join_url(1);
    assert_eq!(made["link"], link.as_str());
    let message = made["message"].as_str().unwrap();
    assert!(message.contains("Design review"), "{message}");
    assert!(message.contains("15:00"), "{message}");
    assert!(!message.contains('<'), "plain text for the page: {message}");

    // The chat sees what /meet would have posted: the link, the time, Add to calendar.
    let posted = anna.reply().await;
    assert!(posted.text.contains(&link), "{}", posted.text);
    assert!(posted.text.contains("Design review"), "{}", posted.text);
    assert!(posted.text.contains("Tue 8 Dec"), "{}", posted.text);
    assert!(
        posted.data().iter().any(|d| d.starts_with("cal:")),
        "{:?}",
        posted.buttons
    );
    let created = app.tm.requests();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].body["waiting_room_level"], "ORGANIZATION");
    assert_eq!(
        created[0].body["cohosts"],
        json!([{"email": "boris@example.org"}])
    );
    assert_eq!(created[0].authorization, "OAuth anna-token");

    // Its cohost is remembered: the next page offers it.
    let (_, context) = page.call("context", json!({})).await;
    assert_eq!(context["cohosts"], json!(["boris@example.org"]));

    // Tomorrow at 15:00 the chat is reminded, with the link.
    clock.set("2026-12-08T12:00:00Z".parse().unwrap());
    let reminder = anna.reply().await;
    assert!(reminder.text.contains(&link), "{}", reminder.text);
    assert!(reminder.text.contains("Design review"), "{}", reminder.text);
}

#[tokio::test]
async fn a_recurring_meeting_and_a_one_time_one_in_the_week_and_cancel_removes_one() {
    let (app, clock) = app().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "anna-token").await;
    let page = Page::private(&app, &clock, &user(ANNA, "en"));

    let (status, series) = page
        .plan(json!({
            "topic": "Standup", "when": "later", "date": "2026-12-07", "time": "10:00",
            "duration_minutes": 15, "repeat": ["tue", "thu"], "cohosts": [],
        }))
        .await;
    assert_eq!(status, 200, "{series}");
    assert_eq!(
        series["link"],
        Value::Null,
        "each occurrence gets its own link"
    );
    let set_up = anna.reply().await;
    assert!(set_up.text.contains("Standup"), "{}", set_up.text);
    assert!(set_up.text.contains("Tue, Thu"), "{}", set_up.text);
    assert!(app.tm.requests().is_empty(), "no meeting made yet");

    let (status, _) = page
        .plan(json!({
            "topic": "Retro", "when": "later", "date": "2026-12-11", "time": "17:30",
            "duration_minutes": 60,
        }))
        .await;
    assert_eq!(status, 200);
    anna.reply().await;

    let week = page.week().await;
    assert_eq!(week["zone"], "Europe/Moscow");
    let days = week["days"].as_array().unwrap();
    assert_eq!(days.len(), 14, "this week and the next, from Monday");
    assert_eq!(days[0]["date"], "2026-12-07");
    assert_eq!(days[0]["label"], "Mon 7 Dec");
    assert_eq!(days[0]["today"], true);
    let standups: Vec<_> = listed(&week)
        .into_iter()
        .filter(|(_, _, topic, _)| topic == "Standup")
        .map(|(date, time, _, _)| (date, time))
        .collect();
    assert_eq!(
        standups,
        [
            ("2026-12-08".into(), "10:00".into()),
            ("2026-12-10".into(), "10:00".into()),
            ("2026-12-15".into(), "10:00".into()),
            ("2026-12-17".into(), "10:00".into()),
        ]
    );
    let retro: Vec<_> = listed(&week)
        .into_iter()
        .filter(|(_, _, topic, _)| topic == "Retro")
        .collect();
    assert_eq!(retro.len(), 1);
    assert_eq!(
        (retro[0].0.as_str(), retro[0].1.as_str()),
        ("2026-12-11", "17:30")
    );
    let retro_item = &days[4]["items"][0];
    assert_eq!(retro_item["link"], join_url(1).as_str());
    assert_eq!(retro_item["end"], "18:30");
    assert_eq!(retro_item["can_cancel"], true);

    // Cancel the series: the retro stays.
    let standup_id = listed(&week)
        .into_iter()
        .find(|(_, _, topic, _)| topic == "Standup")
        .unwrap()
        .3;
    let (status, cancelled) = page.call("cancel", json!({"id": standup_id})).await;
    assert_eq!(status, 200, "{cancelled}");
    assert!(
        cancelled["message"]
            .as_str()
            .unwrap()
            .starts_with("Cancelled."),
        "{cancelled}"
    );
    let topics: Vec<_> = listed(&page.week().await)
        .into_iter()
        .map(|(_, _, topic, _)| topic)
        .collect();
    assert_eq!(topics, ["Retro"]);
    // Again: it is gone.
    let (status, again) = page.call("cancel", json!({"id": standup_id})).await;
    assert_eq!(status, 404, "{again}");
}

#[tokio::test]
async fn forged_expired_and_other_chats_init_data_are_refused_and_nothing_happens() {
    let (app, clock) = app().await;
    // Anna's own token, which acts for her in the group while she is in it.
    app.with_token(&mut app.private(ANNA, "en"), "anna-token")
        .await;
    let mut anna = app.in_group(GROUP, ANNA, "en");
    let now = clock.now().as_second();
    let group = format!("c{GROUP}");
    let good = sign_init_data(
        BOT_TOKEN,
        &user(ANNA, "en"),
        now,
        Some(&group),
        Some("supergroup"),
    );
    let form = json!({"when": "now", "topic": "Sync"});
    let base = app.planner_url();
    let http = reqwest::Client::new();

    // No initData at all.
    let bare = http
        .post(format!("{base}api/meetings"))
        .json(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 401);

    let refused = [
        ("signed for another bot", {
            sign_init_data(
                "999:another-bot",
                &user(ANNA, "en"),
                now,
                Some(&group),
                None,
            )
        }),
        ("someone else's id put in", {
            tamper(&good, "user", &user(BORIS, "en").to_string())
        }),
        ("replayed for another chat", {
            tamper(&good, "start_param", &format!("c{OTHER_GROUP}"))
        }),
        ("over an hour old", {
            let old = now - 3601;
            sign_init_data(BOT_TOKEN, &user(ANNA, "en"), old, Some(&group), None)
        }),
        ("not initData", "hash=00".to_owned()),
    ];
    for (what, init_data) in refused {
        let (status, answer) = Page::opened(&app, init_data).plan(form.clone()).await;
        assert_eq!(status, 401, "{what}: {answer}");
    }

    // Signed properly, for a group Anna is not in.
    app.tg.set_gone(OTHER_GROUP, ANNA, "left");
    let elsewhere = Page::in_group(&app, &clock, &user(ANNA, "en"), OTHER_GROUP);
    let (status, answer) = elsewhere.plan(form.clone()).await;
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("not in that chat"),
        "{answer}"
    );
    // Nor may a page opened in Anna's private chat name Boris's.
    let (status, _) = Page::opened(
        &app,
        sign_init_data(
            BOT_TOKEN,
            &user(ANNA, "en"),
            now,
            Some(&format!("c{BORIS}")),
            None,
        ),
    )
    .plan(form.clone())
    .await;
    assert_eq!(status, 403);

    assert!(app.tm.requests().is_empty(), "no meeting was made");
    assert!(
        app.tg.calls_to("sendMessage", OTHER_GROUP).is_empty(),
        "nothing posted"
    );

    // The good one works.
    let (status, made) = Page::opened(&app, good).plan(form).await;
    assert_eq!(status, 200, "{made}");
    let posted = anna.reply().await;
    assert!(posted.text.contains(&join_url(1)), "{}", posted.text);
}

#[tokio::test]
async fn where_only_admins_create_a_member_is_refused_and_an_admin_is_not() {
    let (app, clock) = app().await;
    app.with_token(&mut app.private(ANNA, "ru"), "anna-token")
        .await;
    app.tg.set_admin(GROUP, ANNA, true);
    let db = app.side_db().await;
    let settings = ChatSettings {
        admins_only: true,
        ..db.settings(GROUP).await.unwrap()
    };
    db.save_settings(GROUP, &settings).await.unwrap();

    let boris = Page::in_group(&app, &clock, &user(BORIS, "ru"), GROUP);
    let (status, context) = boris.call("context", json!({})).await;
    assert_eq!(status, 200, "{context}");
    assert_eq!(context["lang"], "ru");
    assert_eq!(
        context["chat"],
        json!({"private": false, "title": format!("Group {GROUP}")})
    );
    let (status, answer) = boris.plan(json!({"when": "now"})).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(
        answer["error"],
        "Это могут делать только администраторы группы."
    );
    assert!(app.tm.requests().is_empty());
    // He still sees the week: reading is for members.
    let week = boris.week().await;
    assert_eq!(week["days"].as_array().unwrap().len(), 14);

    let admin = Page::in_group(&app, &clock, &user(ANNA, "ru"), GROUP);
    let (status, made) = admin.plan(json!({"when": "now"})).await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(app.tm.requests().len(), 1);
}

#[tokio::test]
async fn bad_input_gets_the_chats_explanations_and_no_request() {
    let (app, clock) = app().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "anna-token").await;
    let page = Page::private(&app, &clock, &user(ANNA, "en"));

    let cases = [
        (
            json!({"when": "now", "stream": {"title": "x".repeat(1025), "access": "PUBLIC"}}),
            "title",
            "1025",
        ),
        (
            json!({"when": "now", "cohosts": ["boris@example", "anna@example.org"]}),
            "cohosts",
            "boris@example",
        ),
        (
            json!({"when": "later", "date": "2026-12-07", "time": "09:00"}),
            "date",
            "already passed",
        ),
        (
            json!({"when": "later", "date": "2026-12-08", "time": "15:00", "duration_minutes": 2000}),
            "duration",
            "2000 min",
        ),
    ];
    for (form, field, says) in cases {
        let (status, answer) = page.plan(form.clone()).await;
        assert_eq!(status, 400, "{form}: {answer}");
        assert_eq!(answer["field"], field, "{form}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(says), "{form}: {error}");
    }
    // Not a form at all.
    let garbage = reqwest::Client::new()
        .post(format!("{}api/meetings", app.planner_url()))
        .header("Authorization", format!("tma {}", page.init_data))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    let answer: Value = garbage.json().await.unwrap();
    assert!(
        answer["error"].as_str().unwrap().contains("Reload"),
        "{answer}"
    );

    assert!(app.tm.requests().is_empty(), "nothing reached Telemost");
    anna.skip_past();
    assert!(
        app.tg.calls_to("sendMessage", ANNA).len() <= 1,
        "nothing posted beyond the token's confirmation"
    );
}

#[tokio::test]
async fn a_user_calling_too_often_is_asked_to_wait() {
    let (app, clock) = app().await;
    let page = Page::private(&app, &clock, &user(ANNA, "en"));
    let mut statuses = Vec::new();
    for _ in 0..61 {
        statuses.push(page.call("context", json!({})).await.0);
    }
    assert!(statuses[..60].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses[60], 429);
    let (_, answer) = page.call("context", json!({})).await;
    assert!(
        answer["error"].as_str().unwrap().contains("Wait a minute"),
        "{answer}"
    );
    // Boris is not held up by Anna's calls; a minute later, neither is she.
    let boris = Page::private(&app, &clock, &user(BORIS, "en"));
    assert_eq!(boris.call("context", json!({})).await.0, 200);
    clock.advance(SignedDuration::from_secs(60));
    let page = Page::private(&app, &clock, &user(ANNA, "en"));
    assert_eq!(page.call("context", json!({})).await.0, 200);
}

#[tokio::test]
async fn the_meet_panel_opens_the_planner_in_private_chats_and_by_link_in_groups() {
    let (app, _clock) = app().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "anna-token").await;
    let panel = anna.meet_panel().await;
    let planner = panel
        .buttons
        .iter()
        .find(|(label, _)| label.contains("Planner"))
        .expect("a planner button");
    assert_eq!(planner.1, WEBAPP_URL);
    let call = app.tg.calls_to("sendMessage", ANNA).pop().unwrap();
    let rows = call.body["reply_markup"]["inline_keyboard"].to_string();
    assert!(
        rows.contains(r#""web_app":{"url":"https://bot.example.org/app/"}"#),
        "{rows}"
    );

    app.with_token(&mut app.private(BORIS, "ru"), "boris-token")
        .await;
    let mut boris = app.in_group(GROUP, BORIS, "ru");
    let panel = boris.meet_panel().await;
    let planner = panel
        .buttons
        .iter()
        .find(|(label, _)| label.contains("Планировщик"))
        .expect("a planner button");
    assert_eq!(
        planner.1,
        format!(
            "https://t.me/{}/{WEBAPP_SHORT_NAME}?startapp=c{GROUP}",
            support::telegram::BOT_USERNAME
        )
    );

    // The menu button opens it too.
    let menu = app
        .tg
        .calls()
        .into_iter()
        .find(|c| c.method == "setChatMenuButton")
        .expect("the menu button set at start");
    assert_eq!(menu.body["menu_button"]["type"], "web_app");
    assert_eq!(menu.body["menu_button"]["web_app"]["url"], WEBAPP_URL);
}

#[tokio::test]
async fn without_webapp_url_the_panel_is_as_it_was() {
    let app = TestApp::start().await;
    let mut anna = app.private(ANNA, "en");
    app.with_token(&mut anna, "anna-token").await;
    let panel = anna.meet_panel().await;
    assert!(
        !panel
            .buttons
            .iter()
            .any(|(label, _)| label.contains("Planner")),
        "{:?}",
        panel.buttons
    );
    assert!(
        !app.tg
            .calls()
            .iter()
            .any(|c| c.method == "setChatMenuButton")
    );
}

#[tokio::test]
async fn the_page_is_served_with_its_words_and_nothing_from_elsewhere() {
    let (app, _clock) = app().await;
    let page = reqwest::get(app.planner_url()).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(!html.contains("__TEXTS__"));
    assert!(html.contains("Создать"), "the Russian words are in");
    // Every script or style it loads is Telegram's own: nothing else is fetched.
    for (at, _) in html.match_indices("src=\"") {
        let src = &html[at + 5..];
        assert!(
            src.starts_with("https://telegram.org/js/telegram-web-app.js"),
            "{}",
            &src[..src.find('"').unwrap_or(src.len())]
        );
    }
    assert!(!html.contains("<link"), "no stylesheet from elsewhere");
}
