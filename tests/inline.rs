//! User stories for inline mode, formatting and the command menus.

mod support;

use serde_json::{Value, json};
use support::{Answer, Call, TestApp, en};

fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("User{id}"), "language_code": "en"})
}

fn inline_query(app: &TestApp, from: i64, id: &str, query: &str) {
    app.tg.push_update(json!({"inline_query": {
        "id": id, "from": user(from), "query": query, "offset": ""
    }}));
}

fn chosen(app: &TestApp, from: i64, result: &str, query: &str, inline_id: &str) {
    app.tg.push_update(json!({"chosen_inline_result": {
        "result_id": result, "from": user(from), "query": query, "inline_message_id": inline_id
    }}));
}

async fn answer_to(app: &TestApp, query_id: &str) -> Call {
    app.tg
        .wait_call(0, "answerInlineQuery", |c| {
            c.method == "answerInlineQuery" && c.body["inline_query_id"] == query_id
        })
        .await
        .1
}

async fn inline_edit(app: &TestApp, inline_id: &str) -> Call {
    app.tg
        .wait_call(0, "an inline message edit", |c| {
            c.method == "editMessageText" && c.body["inline_message_id"] == inline_id
        })
        .await
        .1
}

/// Dana has no token yet: typing @bot offers no results but a button to the bot's private chat
/// (deep link parameter "inline"), personal and uncached. Nothing reaches Telemost.
#[tokio::test]
async fn inline_without_a_token_offers_the_setup_button() {
    let app = TestApp::start().await;
    inline_query(&app, 5001, "iq1", "");
    let answer = answer_to(&app, "iq1").await;
    assert_eq!(answer.body["results"], json!([]));
    assert_eq!(
        answer.body["button"],
        json!({"text": en().inline_set_token(), "start_parameter": "inline"})
    );
    assert_eq!(answer.body["cache_time"], 0);
    assert_eq!(answer.body["is_personal"], true);
    assert!(app.tm.requests().is_empty());
    app.stop().await;
}

/// Eve has a token. Typing offers a meeting, and with text also a stream titled by it; merely
/// typing creates nothing. Choosing the meeting creates it with her token and her defaults and
/// puts the links into the message she sent.
#[tokio::test]
async fn inline_meeting_is_created_when_chosen() {
    let mut app = TestApp::start().await;
    let mut eve = app.private(5002, "en");
    app.with_token(&mut eve, "y0_eve").await;

    inline_query(&app, 5002, "iq2", "");
    let answer = answer_to(&app, "iq2").await;
    let results = answer.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["id"], "meet");
    assert_eq!(results[0]["title"], en().new_meeting());
    assert!(
        results[0]["reply_markup"]["inline_keyboard"].is_array(),
        "a keyboard, so the chosen result comes with an inline_message_id"
    );

    inline_query(&app, 5002, "iq3", "Weekly sync");
    let answer = answer_to(&app, "iq3").await;
    let ids: Vec<&str> = answer.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["meet", "stream"]);
    assert_eq!(
        answer.body["results"][0]["title"],
        en().inline_new_meeting("Weekly sync"),
        "the typed text is the meeting's topic"
    );
    assert_eq!(
        answer.body["results"][1]["title"],
        en().inline_new_stream("Weekly sync")
    );
    // Answering asked nothing of Telemost (the answer is the query handler's last act).
    assert!(
        app.tm.all_requests().is_empty(),
        "{:?}",
        app.tm.all_requests()
    );

    chosen(&app, 5002, "meet", "Weekly sync", "im-1");
    let edit = inline_edit(&app, "im-1").await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].authorization, "OAuth y0_eve");
    assert_eq!(reqs[0].body, json!({"waiting_room_level": "PUBLIC"}));
    let join = support::telemost::join_url(1);
    assert_eq!(
        edit.body["text"],
        en().meeting_created(Some("Weekly sync"), &join)
    );
    assert_eq!(edit.body["parse_mode"], "HTML");
    assert_eq!(
        edit.body["reply_markup"]["inline_keyboard"][0][0]["url"],
        join
    );
    let share = edit.body["reply_markup"]["inline_keyboard"][1][0]["url"]
        .as_str()
        .unwrap();
    assert!(share.contains("text=Weekly+sync"), "{share}");
    // Stopped, the bot lets every handler in flight finish: all Telemost was ever asked is the
    // chosen result's meeting, nothing for the query.
    app.halt().await;
    assert_eq!(
        app.tm.all_requests().len(),
        1,
        "{:?}",
        app.tm.all_requests()
    );
    app.stop().await;
}

/// Choosing the stream result creates a stream titled with the typed text.
#[tokio::test]
async fn inline_stream_uses_the_typed_title() {
    let app = TestApp::start().await;
    let mut eve = app.private(5003, "en");
    app.with_token(&mut eve, "y0_eve3").await;
    chosen(&app, 5003, "stream", "Town hall", "im-2");
    let edit = inline_edit(&app, "im-2").await;
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(
        reqs[0].body,
        json!({"waiting_room_level": "PUBLIC",
               "live_stream": {"access_level": "PUBLIC", "title": "Town hall"}})
    );
    let text = edit.body["text"].as_str().unwrap();
    assert!(text.contains(&support::telemost::watch_url(1)), "{text}");
    app.stop().await;
}

/// A revoked token: the sent message says so instead of the links.
#[tokio::test]
async fn inline_with_a_revoked_token_says_so() {
    let app = TestApp::start().await;
    let mut eve = app.private(5004, "en");
    app.with_token(&mut eve, "y0_revoked").await;
    app.tm.then(Answer::json(401, json!({})));
    chosen(&app, 5004, "meet", "", "im-3");
    let edit = inline_edit(&app, "im-3").await;
    assert_eq!(
        edit.body["text"],
        en().telemost_error(&telemost_bot::telemost::TelemostError::Unauthorized)
    );
    app.stop().await;
}

/// A title full of HTML and Markdown characters reaches Telemost as typed, and is shown
/// escaped (the message is HTML), never interpreted.
#[tokio::test]
async fn titles_full_of_markup_are_escaped() {
    let app = TestApp::start().await;
    let mut fay = app.private(5005, "en");
    app.with_token(&mut fay, "y0_fay").await;
    let title = "<b>Q&A</b> *bold* _it_ [x](y) `c`";
    fay.send(&format!("/stream {title}"));
    let panel = fay.reply().await;
    assert!(
        panel
            .text
            .contains("&lt;b&gt;Q&amp;A&lt;/b&gt; *bold* _it_ [x](y) `c`"),
        "{}",
        panel.text
    );
    assert!(!panel.text.contains("<b>Q&A"), "{}", panel.text);
    fay.press(&panel, "create");
    let done = fay.reply_where(|r| r.text.contains("https://")).await;
    assert!(
        done.text.contains("&lt;b&gt;Q&amp;A&lt;/b&gt;"),
        "{}",
        done.text
    );
    let reqs = app.tm.wait_requests(1).await;
    assert_eq!(reqs[0].body["live_stream"]["title"], title);
    let sends: Vec<Call> = app
        .tg
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage" || c.method == "editMessageText")
        .collect();
    assert!(sends.iter().all(|c| c.body["parse_mode"] == "HTML"));
    app.stop().await;
}

/// At start the bot sets its menu in English and Russian, for private chats and for groups
/// apart: /token only where it may be used, /connect only in groups.
#[tokio::test]
async fn command_menus_per_language_and_scope() {
    let app = TestApp::start().await;
    let wait = async {
        loop {
            let m: Vec<Call> = app
                .tg
                .calls()
                .into_iter()
                .filter(|c| c.method == "setMyCommands")
                .collect();
            if m.len() >= 4 {
                break m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let menus = tokio::time::timeout(std::time::Duration::from_secs(10), wait)
        .await
        .expect("four menus within 10 s");
    assert_eq!(menus.len(), 4);
    let names = |c: &Call| -> Vec<String> {
        c.body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["command"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = Vec::new();
    for m in &menus {
        let scope = m.body["scope"]["type"].as_str().unwrap().to_owned();
        let lang = m.body["language_code"].as_str().unwrap_or("").to_owned();
        let cmds = names(m);
        assert!(cmds.contains(&"meet".to_owned()));
        match scope.as_str() {
            "all_private_chats" => {
                assert!(cmds.contains(&"token".to_owned()), "{cmds:?}");
                assert!(!cmds.contains(&"connect".to_owned()), "{cmds:?}");
            }
            "all_group_chats" => {
                assert!(cmds.contains(&"connect".to_owned()), "{cmds:?}");
                assert!(!cmds.contains(&"token".to_owned()), "{cmds:?}");
            }
            other => panic!("unexpected scope {other}"),
        }
        if lang == "ru" {
            assert_eq!(
                m.body["commands"][0]["description"],
                "Создать встречу в Телемосте, сейчас или на потом"
            );
            assert!(cmds.contains(&"upcoming".to_owned()), "{cmds:?}");
        }
        seen.push((scope, lang));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("all_group_chats".to_owned(), String::new()),
            ("all_group_chats".to_owned(), "ru".to_owned()),
            ("all_private_chats".to_owned(), String::new()),
            ("all_private_chats".to_owned(), "ru".to_owned()),
        ]
    );
    app.stop().await;
}
