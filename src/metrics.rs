//! The metrics the bot keeps, by name: the one list of them (the README's table follows it). They
//! go through the `metrics` facade, so recording one where nothing is installed (the tests, a
//! bot without probes) costs next to nothing; `install` puts the Prometheus recorder behind it.

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
}
