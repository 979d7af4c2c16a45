//! The metrics the bot keeps, by name: the one list of them (the README's table follows it). They
//! go through the `metrics` facade, so recording one where nothing is installed (the tests, a
//! bot without probes) costs next to nothing; `install` puts the Prometheus recorder behind it.

pub mod process;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Updates taken for handling (a webhook resend of one already taken is not counted again).
pub const UPDATES_RECEIVED: &str = "telemost_bot_updates_received_total";
/// Webhook posts of an update already received, dropped.
pub const UPDATES_DUPLICATE: &str = "telemost_bot_updates_duplicate_total";
/// Updates taken and not yet handled (gauge).
pub const UPDATES_WAITING: &str = "telemost_bot_updates_waiting";
/// How long the oldest of those has waited, in seconds (gauge; 0 when none waits).
pub const UPDATES_OLDEST_WAITING: &str = "telemost_bot_updates_oldest_waiting_seconds";
/// Time from an update's turn to the end of its handler (histogram).
pub const HANDLER_SECONDS: &str = "telemost_bot_handler_seconds";
/// Telemost API calls by `endpoint` and `status` (the HTTP status, or `error` when no answer
/// came).
pub const TELEMOST_REQUESTS: &str = "telemost_bot_telemost_requests_total";
/// Failed Telegram calls by `code` (the kind of error Telegram gave, or `network`).
pub const TELEGRAM_ERRORS: &str = "telemost_bot_telegram_errors_total";
/// Time a message waited for the flood limiter or a 429's `retry_after` (histogram).
pub const FLOOD_WAIT_SECONDS: &str = "telemost_bot_flood_wait_seconds";
/// Meetings created, by `kind`: `meeting` or `stream`.
pub const MEETINGS_CREATED: &str = "telemost_bot_meetings_created_total";

/// Scheduled meetings' reminders, by `step` (`remind`: "starts in N minutes", `start`: "starting
/// now"): seconds from when one was due to when it was posted (histogram).
pub const REMINDER_DELAY_SECONDS: &str = "telemost_bot_reminder_delay_seconds";
/// 1 while the process would answer `/readyz` with 200 (gauge, set at each scrape).
pub const READY: &str = "telemost_bot_ready";
/// Always 1, labelled with the `version` and git `commit` built (gauge).
pub const BUILD_INFO: &str = "telemost_bot_build_info";

/// Histogram buckets for the `…_seconds` metrics: 1 ms to 30 s.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Installs the Prometheus recorder (once per process; later calls get the same handle) and
/// returns the handle that renders the text format.
pub fn install() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            describe();
            register();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(UPDATES_RECEIVED, "Updates taken for handling");
    describe_counter!(
        UPDATES_DUPLICATE,
        "Webhook posts of an update already received, dropped"
    );
    describe_gauge!(UPDATES_WAITING, "Updates taken and not yet handled");
    describe_gauge!(
        UPDATES_OLDEST_WAITING,
        Unit::Seconds,
        "How long the oldest update not yet handled has waited"
    );
    describe_histogram!(HANDLER_SECONDS, Unit::Seconds, "Time handling an update");
    describe_counter!(
        TELEMOST_REQUESTS,
        "Telemost API calls by endpoint and HTTP status"
    );
    describe_counter!(TELEGRAM_ERRORS, "Failed Telegram calls by kind of error");
    describe_histogram!(
        FLOOD_WAIT_SECONDS,
        Unit::Seconds,
        "Time a message waited for Telegram's flood limits"
    );
    describe_counter!(MEETINGS_CREATED, "Meetings and streams created");
    describe_histogram!(
        REMINDER_DELAY_SECONDS,
        Unit::Seconds,
        "How late scheduled meetings' reminders were posted"
    );
    describe_gauge!(READY, "1 while the process is ready (as /readyz says)");
    describe_gauge!(BUILD_INFO, "The version and git commit built");
}

/// The series that exist from the start, at 0, so that a rate or an absence can be told from
/// a process that never did the thing (an alert on "no meeting made" needs a series to read).
fn register() {
    metrics::gauge!(
        BUILD_INFO,
        "version" => env!("CARGO_PKG_VERSION"),
        "commit" => commit(),
    )
    .set(1.0);
    metrics::counter!(UPDATES_RECEIVED).absolute(0);
    metrics::counter!(UPDATES_DUPLICATE).absolute(0);
    for kind in ["meeting", "stream"] {
        metrics::counter!(MEETINGS_CREATED, "kind" => kind).absolute(0);
    }
    metrics::gauge!(READY).set(0.0);
    let _ = metrics::histogram!(HANDLER_SECONDS);
    let _ = metrics::histogram!(FLOOD_WAIT_SECONDS);
    for step in ["remind", "start"] {
        let _ = metrics::histogram!(REMINDER_DELAY_SECONDS, "step" => step);
    }
}

/// The git commit built (its short hash), or `unknown` when not built from a checkout.
fn commit() -> &'static str {
    env!("TELEMOST_BOT_COMMIT")
        .strip_prefix("git ")
        .unwrap_or("unknown")
}

/// The text `/metrics` answers: the bot's own metrics, then the process's.
pub fn render(handle: &PrometheusHandle) -> String {
    handle.run_upkeep();
    let mut out = handle.render();
    process::Process::read().render(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_alerts_read_exist_from_the_start() {
        let text = render(&install());
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            text.contains(&format!(
                "{BUILD_INFO}{{version=\"{version}\",commit=\"{}\"}} 1\n",
                commit()
            )),
            "{text}"
        );
        for series in [
            format!("{MEETINGS_CREATED}{{kind=\"meeting\"}} 0\n"),
            format!("{MEETINGS_CREATED}{{kind=\"stream\"}} 0\n"),
            format!("{UPDATES_RECEIVED} 0\n"),
            format!("{REMINDER_DELAY_SECONDS}_count{{step=\"remind\"}} 0\n"),
            format!("{HANDLER_SECONDS}_count 0\n"),
        ] {
            assert!(text.contains(&series), "{series:?} not in:\n{text}");
        }
    }
}
