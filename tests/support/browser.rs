//! A headless Chromium for the Mini App's page, driven over WebDriver: Debian's
//! `/usr/bin/chromedriver` and `/usr/bin/chromium`, one of each per `Browser`, so tests run in
//! parallel. Nothing leaves 127.0.0.1 (every other host name fails to resolve, telegram.org
//! included); `stub_telegram` puts a stand-in for Telegram's script (`telegram_stub.js`) in the
//! page before any of its own scripts run.
//!
//! ```ignore
//! let Some(b) = Browser::start(Theme::Dark).await else { return };  // skipped: no browser
//! b.stub_telegram(&webapp::sign_init_data(BOT_TOKEN, &user, now, None, None), Theme::Dark).await;
//! b.goto(&format!("{base}app/")).await;
//! b.wait_text("#zone", "Europe/Moscow").await;
//! b.main_button_click().await;
//! assert_eq!(b.page_errors().await, Vec::<String>::new());
//! ```
//!
//! Every wait is bounded (`WAIT`, 10 s) and panics saying what it waited for. Without Chromium
//! the tests that need it say so on stderr and pass, unless `REQUIRE_BROWSER=1` (CI), where
//! they fail.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a wait lasts before it panics.
pub const WAIT: Duration = Duration::from_secs(10);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);
/// WebDriver's name for an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Telegram's colour theme: the palette the stub gives the page, and `prefers-color-scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    /// `colorScheme`: "light" or "dark".
    pub fn scheme(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// `themeParams` as Telegram sends them (its default light and night palettes).
    pub fn params(self) -> Value {
        match self {
            Theme::Light => json!({
                "bg_color": "#ffffff",
                "text_color": "#000000",
                "hint_color": "#707579",
                "link_color": "#3390ec",
                "button_color": "#3390ec",
                "button_text_color": "#ffffff",
                "secondary_bg_color": "#f4f4f5",
                "header_bg_color": "#ffffff",
                "bottom_bar_bg_color": "#ffffff",
                "accent_text_color": "#3390ec",
                "section_bg_color": "#ffffff",
                "section_header_text_color": "#3390ec",
                "section_separator_color": "#e7e7e7",
                "subtitle_text_color": "#707579",
                "destructive_text_color": "#e53935",
            }),
            Theme::Dark => json!({
                "bg_color": "#212121",
                "text_color": "#ffffff",
                "hint_color": "#aaaaaa",
                "link_color": "#8774e1",
                "button_color": "#8774e1",
                "button_text_color": "#ffffff",
                "secondary_bg_color": "#0f0f0f",
                "header_bg_color": "#212121",
                "bottom_bar_bg_color": "#212121",
                "accent_text_color": "#8774e1",
                "section_bg_color": "#212121",
                "section_header_text_color": "#aaaaaa",
                "section_separator_color": "#3d3d3d",
                "subtitle_text_color": "#aaaaaa",
                "destructive_text_color": "#ff595a",
            }),
        }
    }

    /// One of `params`' colours as `getComputedStyle` reports it: `rgb(33, 33, 33)`.
    pub fn rgb(self, name: &str) -> String {
        let params = self.params();
        let hex = params[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name:?} in the {self:?} theme"));
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
        format!("rgb({}, {}, {})", channel(1), channel(3), channel(5))
    }
}

/// A WebDriver error answer: its `error` code and message.
#[derive(Debug)]
pub struct DriverError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// Errors worth trying again while a wait lasts: the page is still rendering or changing.
fn transient(e: &DriverError) -> bool {
    matches!(
        e.error.as_str(),
        "no such element"
            | "element not interactable"
            | "element click intercepted"
            | "stale element reference"
            | "invalid element state"
    )
}

pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>`, chromedriver's.
    driver: String,
    port: u16,
    session: String,
    theme: Theme,
    child: Child,
    /// The profile (`--user-data-dir`) and chromedriver's log.
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("driver", &self.driver)
            .field("session", &self.session)
            .finish()
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().unwrap().port()
}

fn log_tail(path: &Path) -> String {
    let log = match std::fs::read_to_string(path) {
        Ok(log) => log,
        Err(e) => return format!("(the log {} cannot be read: {e})", path.display()),
    };
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Kills chromedriver's whole process group (Chromium is in it, and would outlive chromedriver
/// killed alone), then reaps chromedriver.
fn kill_group(child: &mut Child) {
    // chromedriver is not reaped yet, so its pid (the group's id) cannot have been reused.
    let killed = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !killed {
        let _ = child.kill();
    }
    let _ = child.wait();
}

impl Browser {
    /// A fresh headless Chromium (390×844, a phone) with `theme` as its `prefers-color-scheme`,
    /// or `None`, said on stderr, when Chromium or chromedriver is not installed. With
    /// `REQUIRE_BROWSER=1` a missing browser panics instead. A browser that is installed but
    /// does not start always panics.
    pub async fn start(theme: Theme) -> Option<Browser> {
        let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            let why = format!(
                "chromium/chromedriver not installed (apt-get install chromium chromium-driver): \
                 no {}",
                missing.join(", ")
            );
            if std::env::var("REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("REQUIRE_BROWSER=1 but {why}");
            }
            eprintln!("skipped: {why}");
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory for the browser");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let log = dir.path().join("chromedriver.log");
        // The port is free when chosen, but another test may take it before chromedriver binds
        // it: then chromedriver exits, and another port is tried.
        let mut tries = 0;
        let (child, port) = loop {
            tries += 1;
            let port = free_port();
            let mut child = spawn_driver(port, &log);
            match wait_ready(&http, port, &mut child).await {
                Ok(()) => break (child, port),
                Err(why) if tries < 3 => {
                    kill_group(&mut child);
                    eprintln!("chromedriver on port {port}: {why}; trying another port");
                }
                Err(why) => {
                    kill_group(&mut child);
                    panic!(
                        "chromedriver did not start ({why}); its log:\n{}",
                        log_tail(&log)
                    );
                }
            }
        };
        let mut browser = Browser {
            http,
            driver: format!("http://127.0.0.1:{port}"),
            port,
            session: String::new(),
            theme,
            child,
            dir,
        };
        browser.new_session().await;
        browser.emulate_scheme(theme).await;
        browser.emulate_phone().await;
        Some(browser)
    }

    async fn new_session(&mut self) {
        let profile = self.dir.path().join("profile");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=390,844".to_owned(),
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "timeouts": {"implicit": 0, "pageLoad": WAIT.as_millis() as u64,
                         "script": WAIT.as_millis() as u64},
            "unhandledPromptBehavior": "accept",
        }}});
        let answer = self
            .call(reqwest::Method::POST, "/session", Some(capabilities))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "chromedriver could not start Chromium ({e}); its log:\n{}",
                    log_tail(&self.dir.path().join("chromedriver.log"))
                )
            });
        self.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a new session without an id: {answer}"))
            .to_owned();
    }

    /// `prefers-color-scheme` as `theme` says, for this tab's documents from now on.
    async fn emulate_scheme(&self, theme: Theme) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": theme.scheme()}]}),
        )
        .await;
    }

    /// A phone's screen, 390×844 CSS pixels: headless Chromium keeps its windows at least 500
    /// pixels wide whatever `--window-size` says, so the width is emulated.
    async fn emulate_phone(&self) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
    }

    /// The theme the browser was started with.
    pub fn theme(&self) -> Theme {
        self.theme
    }

    /// The directory of this browser's profile and chromedriver's log (deleted on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// One WebDriver call: its `value`, or the error it answered with.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        let url = format!("{}{path}", self.driver);
        let mut request = self.http.request(method.clone(), &url);
        // POSTs carry a JSON body, if only `{}`.
        if method == reqwest::Method::POST {
            request = request.json(&body.unwrap_or_else(|| json!({})));
        }
        let response = request.send().await.map_err(|e| DriverError {
            error: "no answer from chromedriver".into(),
            message: format!("{method} {path}: {e}"),
        })?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| DriverError {
            error: "unreadable answer from chromedriver".into(),
            message: format!("{method} {path}: {e}"),
        })?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(DriverError {
                error: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
                message: value["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            })
        }
    }

    /// A call in this session that must succeed.
    async fn session_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let what = format!("{method} {path}");
        self.call(method, &format!("/session/{}{path}", self.session), body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver {what}: {e}"))
    }

    /// A call in this session that may fail.
    async fn try_session_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
            .await
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.session_call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    /// Installs the Telegram stub (`telegram_stub.js`) for every document loaded from now on,
    /// before any of its scripts: `Telegram.WebApp` with `init_data` (its user's
    /// `language_code` is the user's language) and `theme`'s colours. Call before `goto`.
    pub async fn stub_telegram(&self, init_data: &str, theme: Theme) {
        let source = stub_source(init_data, theme);
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        )
        .await;
    }

    /// Telegram switching to `theme` while the page is open: new `themeParams`, `colorScheme`
    /// and CSS variables, then the `themeChanged` event.
    pub async fn change_theme(&self, theme: Theme) {
        self.emulate_scheme(theme).await;
        self.exec(
            "window.__tg.setTheme(arguments[0], arguments[1]);",
            json!([theme.params(), theme.scheme()]),
        )
        .await;
    }

    /// Opens `url` and waits for it to load (at most `WAIT`).
    pub async fn goto(&self, url: &str) {
        self.session_call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        let url = self.session_call(reqwest::Method::GET, "/url", None).await;
        url.as_str().unwrap_or_default().to_owned()
    }

    async fn try_find(&self, css: &str) -> Result<String, DriverError> {
        let found = self
            .try_session_call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        Ok(found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("an element without a reference: {found}"))
            .to_owned())
    }

    /// The WebDriver id of the first element matching `css`, once there is one.
    pub async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.try_find(css).await {
                Ok(id) => return id,
                Err(e) if transient(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await
                }
                Err(e) => panic!("waited {WAIT:?} for an element matching {css:?}: {e}"),
            }
        }
    }

    /// An action on the element matching `css`, tried again while the element is missing,
    /// hidden, covered or replaced, up to `WAIT`.
    async fn act(&self, css: &str, what: &str, action: &str, body: Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let result = match self.try_find(css).await {
                Ok(id) => {
                    // To the middle of the screen first: the stub's MainButton is fixed at the
                    // bottom (in Telegram it is outside the page), and a WebDriver click would
                    // scroll the element just into view, under it.
                    let element = json!({ ELEMENT: id });
                    let _ = self
                        .try_session_call(
                            reqwest::Method::POST,
                            "/execute/sync",
                            Some(json!({
                                "script": "arguments[0].scrollIntoView({block: 'center'});",
                                "args": [element],
                            })),
                        )
                        .await;
                    self.try_session_call(
                        reqwest::Method::POST,
                        &format!("/element/{id}/{action}"),
                        Some(body.clone()),
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(value) => return value,
                Err(e) if transient(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await
                }
                Err(e) => panic!("waited {WAIT:?} to {what} {css:?}: {e}"),
            }
        }
    }

    /// A GET about the element matching `css` (`text`, `property/value`…), found first.
    async fn element_get(&self, css: &str, what: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let id = self.find(css).await;
            match self
                .try_session_call(reqwest::Method::GET, &format!("/element/{id}/{what}"), None)
                .await
            {
                Ok(value) => return value,
                Err(e) if transient(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await
                }
                Err(e) => panic!("waited {WAIT:?} to read {what} of {css:?}: {e}"),
            }
        }
    }

    /// Clicks the element matching `css` as a user would (it must be shown and not covered).
    pub async fn click(&self, css: &str) {
        self.act(css, "click", "click", json!({})).await;
    }

    /// Types `text` into the element matching `css` (keys as a user presses them; `\u{E007}` is
    /// Enter).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.act(css, "type into", "value", json!({"text": text}))
            .await;
    }

    /// Empties the input matching `css`.
    pub async fn clear(&self, css: &str) {
        self.act(css, "clear", "clear", json!({})).await;
    }

    /// The text of the element matching `css` as shown (empty when it is hidden).
    pub async fn text(&self, css: &str) -> String {
        let text = self.element_get(css, "text").await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// The current `value` of the input matching `css`.
    pub async fn value(&self, css: &str) -> String {
        match self.element_get(css, "property/value").await {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// The attribute `name` of the element matching `css`, when it has one.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        match self.element_get(css, &format!("attribute/{name}")).await {
            Value::String(s) => Some(s),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// Whether the element matching `css` (which must exist: see `count`) is shown.
    pub async fn displayed(&self, css: &str) -> bool {
        self.element_get(css, "displayed").await.as_bool() == Some(true)
    }

    /// How many elements match `css` now (no waiting).
    pub async fn count(&self, css: &str) -> usize {
        let found = self
            .session_call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found.as_array().map_or(0, Vec::len)
    }

    /// Runs `js` as the body of a function in the page (`arguments[0]`… are `args`, a JSON
    /// array) and returns what it returns. A script that throws panics.
    pub async fn exec(&self, js: &str, args: Value) -> Value {
        let args = if args.is_null() { json!([]) } else { args };
        self.try_session_call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": args})),
        )
        .await
        .unwrap_or_else(|e| panic!("the script failed: {e}\n{js}"))
    }

    /// Sets the input matching `css` to `value` as if picked (for date and time inputs, whose
    /// typed form depends on the locale): the value, then `input` and `change` events.
    pub async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        let set = self
            .exec(
                r#"const el = document.querySelector(arguments[0]);
                   if (!el) return 'missing';
                   const proto = Object.getPrototypeOf(el);
                   const setter = Object.getOwnPropertyDescriptor(proto, 'value');
                   if (setter && setter.set) { setter.set.call(el, arguments[1]); }
                   else { el.value = arguments[1]; }
                   el.dispatchEvent(new Event('input', {bubbles: true}));
                   el.dispatchEvent(new Event('change', {bubbles: true}));
                   return el.value;"#,
                json!([css, value]),
            )
            .await;
        assert_eq!(
            set.as_str(),
            Some(value),
            "{css:?} did not take the value {value:?}"
        );
    }

    /// Waits until the JavaScript expression `predicate` is true (truthy) in the page; panics
    /// after `WAIT` naming `what` was awaited. A script error is retried (the page may be
    /// loading) and reported if it persists.
    pub async fn wait_until(&self, predicate: &str, what: &str) {
        let script = format!("return !!({predicate});");
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self
                .try_session_call(
                    reqwest::Method::POST,
                    "/execute/sync",
                    Some(json!({"script": script, "args": []})),
                )
                .await
            {
                Ok(Value::Bool(true)) => return,
                Ok(other) => format!("it was {other}"),
                Err(e) => format!("the last try failed: {e}"),
            };
            if Instant::now() >= deadline {
                panic!("waited {WAIT:?} for {what} ({predicate}); {last}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the element matching `css` shows a text containing `contains`; returns it.
    pub async fn wait_text(&self, css: &str, contains: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = match self.try_find(css).await {
                Ok(id) => match self
                    .try_session_call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                    .await
                {
                    Ok(text) => {
                        let text = text.as_str().unwrap_or_default().to_owned();
                        if text.contains(contains) {
                            return text;
                        }
                        format!("its text was {text:?}")
                    }
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                panic!("waited {WAIT:?} for {css:?} to show {contains:?}: {last}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The state of Telegram's MainButton: `{text, visible, active, progress}`.
    pub async fn main_button(&self) -> Value {
        self.exec(
            "const b = window.Telegram.WebApp.MainButton;
             return {text: b.text, visible: b.isVisible, active: b.isActive,
                     progress: b.isProgressVisible};",
            json!([]),
        )
        .await
    }

    /// Clicks Telegram's MainButton as a user would, once it is shown; a disabled one (or one
    /// showing progress) takes the click and does nothing, as in Telegram.
    pub async fn main_button_click(&self) {
        self.wait_until(
            "window.Telegram && Telegram.WebApp.MainButton.isVisible \
             && document.getElementById('tg-main-button')",
            "the MainButton to be shown",
        )
        .await;
        self.click("#tg-main-button").await;
    }

    /// The MainButton's text.
    pub async fn main_button_text(&self) -> String {
        let text = self
            .exec("return window.Telegram.WebApp.MainButton.text;", json!([]))
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// Saves a PNG of the viewport at `path` (its folders made); returns its bytes.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> Vec<u8> {
        let path = path.as_ref();
        let encoded = self
            .session_call(reqwest::Method::GET, "/screenshot", None)
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("a screenshot is base64 text"))
            .expect("a screenshot is valid base64");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("writing {path:?}: {e}"));
        png
    }

    /// A list the stub keeps in `window.__tg`, as strings.
    async fn recorded(&self, list: &str) -> Vec<String> {
        let values = self
            .exec(
                "return (window.__tg && window.__tg[arguments[0]]) || [];",
                json!([list]),
            )
            .await;
        values
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// What the page showed with `Telegram.WebApp.showAlert`, oldest first.
    pub async fn alerts(&self) -> Vec<String> {
        self.recorded("alerts").await
    }

    /// What the page asked with `Telegram.WebApp.showConfirm`, oldest first.
    pub async fn confirms(&self) -> Vec<String> {
        self.recorded("confirms").await
    }

    /// The next `showConfirm`s' answer (true, "OK", unless told otherwise).
    pub async fn answer_confirms(&self, answer: bool) {
        self.exec("window.__tg.confirmAnswer = arguments[0];", json!([answer]))
            .await;
    }

    /// `showPopup`'s parameters, oldest first, as JSON.
    pub async fn popups(&self) -> Vec<String> {
        self.recorded("popups").await
    }

    /// The links the page opened with `openLink` / `openTelegramLink`.
    pub async fn opened(&self) -> Vec<String> {
        self.recorded("opened").await
    }

    /// The page's uncaught errors, unhandled rejections and `console.error` calls so far.
    pub async fn page_errors(&self) -> Vec<String> {
        self.recorded("errors").await
    }

    /// Panics, listing them, if the page had any errors.
    pub async fn assert_no_page_errors(&self) {
        let errors = self.page_errors().await;
        assert!(
            errors.is_empty(),
            "the page had errors:\n{}",
            errors.join("\n")
        );
    }

    /// Ends the session (Chromium closes) and chromedriver. Dropping does the same.
    pub async fn quit(mut self) {
        let session = std::mem::take(&mut self.session);
        if !session.is_empty() {
            let _ = self
                .call(
                    reqwest::Method::DELETE,
                    &format!("/session/{session}"),
                    None,
                )
                .await;
        }
        // Drop kills chromedriver.
    }
}

/// The stub's source for `init_data` and `theme`.
pub fn stub_source(init_data: &str, theme: Theme) -> String {
    const STUB: &str = include_str!("telegram_stub.js");
    let literal = |v: &Value| serde_json::to_string(v).unwrap();
    STUB.replace("__TG_INIT_DATA__", &literal(&json!(init_data)))
        .replace("__TG_THEME_PARAMS__", &literal(&theme.params()))
        .replace("__TG_COLOR_SCHEME__", &literal(&json!(theme.scheme())))
}

fn spawn_driver(port: u16, log: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // A group of its own, with Chromium in it, to be killed as one.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"))
}

/// Waits (at most `WAIT`) for chromedriver's `/status` to say it is ready.
async fn wait_ready(http: &reqwest::Client, port: u16, child: &mut Child) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    let url = format!("http://127.0.0.1:{port}/status");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status})"));
        }
        if let Ok(response) = http.get(&url).timeout(Duration::from_secs(2)).send().await
            && let Ok(status) = response.json::<Value>().await
            && status["value"]["ready"] == json!(true)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("/status was not ready within {WAIT:?}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `DELETE /session/<id>` without a runtime (for `Drop`), waiting at most a few seconds.
fn delete_session_blocking(port: u16, session: &str) {
    let Ok(mut stream) = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    ) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: 0\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return;
    }
    // chromedriver answers once Chromium has quit; it may keep the connection open after that,
    // so the answer's head is enough.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            delete_session_blocking(self.port, &self.session);
        }
        kill_group(&mut self.child);
    }
}

/// Where a test may keep its screenshots for a person to look at: `<target>/tmp/browser/<name>`
/// (Cargo's directory for integration tests' files; the system's temporary directory when this
/// file is built into something else, such as an example).
pub fn screenshot_path(name: &str) -> PathBuf {
    option_env!("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("browser")
        .join(name)
}
