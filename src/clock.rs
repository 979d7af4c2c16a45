//! What time it is, for everything that depends on the calendar: scheduled meetings, their
//! reminders, "today" and "tomorrow". The bot reads the time only through a `Clock`, so tests run
//! a scheduled meeting's whole life (a reminder next Monday, a daylight-saving change) by moving a
//! manual clock instead of waiting. Leases, timeouts and retries stay on the system's clock: they
//! are about processes and networks, not about the calendar. That clock is read here too, once
//! for the whole program (`unix_now`, `unix_now_ms`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// Now on the system's clock, in unix seconds: what stored timestamps (tokens' expiry, webhook
/// updates, pruning) and the deadlines compared with them are counted in. Not the calendar's
/// time: that is a `Clock`'s.
pub fn unix_now() -> i64 {
    since_epoch().map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Now on the system's clock, in unix milliseconds: what leases, logins' polls and the flood
/// limits are counted in.
pub fn unix_now_ms() -> i64 {
    since_epoch().map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Time since 1970 on the system's clock; `None` on a clock set before it.
fn since_epoch() -> Option<std::time::Duration> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok()
}

/// A handle on the time; cheap to clone. All clones of a manual clock move together.
#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    Manual {
        /// Unix milliseconds.
        now_ms: AtomicI64,
        /// Bumped on every move, so that waiting work looks again at once.
        moved: watch::Sender<u64>,
    },
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Source::System => f.write_str("Clock::System"),
            Source::Manual { .. } => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The system's clock: what production runs on.
    pub fn system() -> Self {
        Self(Arc::new(Source::System))
    }

    /// A clock that stands at `at` until `set` or `advance` moves it (for tests).
    pub fn manual(at: Timestamp) -> Self {
        let (moved, _) = watch::channel(0);
        Self(Arc::new(Source::Manual {
            now_ms: AtomicI64::new(at.as_millisecond()),
            moved,
        }))
    }

    pub fn now(&self) -> Timestamp {
        match &*self.0 {
            Source::System => Timestamp::now(),
            Source::Manual { now_ms, .. } => {
                Timestamp::from_millisecond(now_ms.load(Ordering::SeqCst)).unwrap_or_default()
            }
        }
    }

    /// Now, in unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().as_second()
    }

    /// Moves a manual clock to `at` (a system clock ignores it).
    pub fn set(&self, at: Timestamp) {
        if let Source::Manual { now_ms, moved } = &*self.0 {
            now_ms.store(at.as_millisecond(), Ordering::SeqCst);
            moved.send_modify(|n| *n += 1);
        }
    }

    /// Moves a manual clock forward by `by`.
    pub fn advance(&self, by: SignedDuration) {
        self.set(self.now().saturating_add(by).unwrap_or(self.now()));
    }

    /// A receiver that changes whenever a manual clock is moved; a system clock's never does.
    pub fn moves(&self) -> Option<watch::Receiver<u64>> {
        match &*self.0 {
            Source::System => None,
            Source::Manual { moved, .. } => Some(moved.subscribe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_manual_clock_moves_only_when_told_and_says_so() {
        let start: Timestamp = "2026-11-30T07:00:00Z".parse().unwrap();
        let clock = Clock::manual(start);
        let other = clock.clone();
        let mut moves = clock.moves().unwrap();
        assert_eq!(clock.now(), start);
        other.advance(SignedDuration::from_mins(90));
        assert_eq!(clock.now(), "2026-11-30T08:30:00Z".parse().unwrap());
        assert!(moves.has_changed().unwrap());
        moves.mark_unchanged();
        assert!(Clock::system().moves().is_none());
        let before = Timestamp::now();
        assert!(Clock::system().now() >= before);
    }
}
