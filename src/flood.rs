//! Telegram's flood limits as arithmetic, knowing nothing of Telegram or the database: a chat's
//! token bucket (`Bucket`: a burst, then a steady rate, with a pause a 429 set), the bot's sliding
//! window over when its messages go (`Calendar`), and `reserve`, which places one message in
//! both. The outbox keeps these in memory for one process; the storage keeps them in the database
//! for processes that share it (see `storage::limits`); both count with this, so the two never
//! count differently.
//!
//! Times are unix milliseconds (or any one clock's milliseconds).

use std::time::Duration;

/// A chat's limit: `burst` messages at once, then `per_sec` a second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_sec: f64,
    pub burst: f64,
}

/// The bot's limit: at most `most` messages go in any `per_ms` milliseconds (a sliding window,
/// each `[t, t + per_ms)`), so at most `k · most` in any `k · per_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub most: usize,
    pub per_ms: i64,
}

/// The chat a message goes to, as a scope of the limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChatScope {
    /// The chat's id (never `OVERALL_SCOPE`).
    pub id: i64,
    pub rate: Rate,
    /// Whether the message counts in the chat: a new message does; an edit only waits out a
    /// pause on it.
    pub counts: bool,
}

/// A token bucket with a pause. Taking may bring the level below zero: the taker then waits
/// until its token will have come, so concurrent takers queue fairly and nothing is held while
/// they wait. A paused scope's messages queue from the end of the pause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Messages that may go at once as of `at_ms`; below zero, how many are owed.
    pub level: f64,
    /// When `level` holds (unix ms, or any one clock's ms); later than now when a message was
    /// taken for a later time.
    pub at_ms: i64,
    /// Nothing goes in this scope before this (same clock).
    pub paused_until: i64,
}

impl Bucket {
    pub fn full(rate: Rate, now_ms: i64) -> Self {
        Self {
            level: rate.burst,
            at_ms: now_ms,
            paused_until: 0,
        }
    }

    /// Brings the level up to date as of `at_ms`; never back in time.
    fn refill(&mut self, rate: Rate, at_ms: i64) {
        if at_ms > self.at_ms {
            let elapsed = (at_ms - self.at_ms) as f64 / 1000.0;
            self.level = (self.level + elapsed * rate.per_sec).min(rate.burst);
            self.at_ms = at_ms;
        }
    }

    /// Takes one message that may not go before `not_before_ms` (nor before a pause ends) when
    /// it `counts` here; one that does not only waits out a pause. Returns how long from `now_ms`
    /// it must wait. A message counted here is counted for when it will go: not before the time
    /// the level holds for, so it queues behind those taken earlier (and a clock behind the last
    /// writer's adds no token).
    pub fn take(&mut self, rate: Rate, now_ms: i64, not_before_ms: i64, counts: bool) -> Duration {
        let mut from = now_ms.max(not_before_ms).max(self.paused_until);
        let mut owed = 0.0;
        if counts {
            from = from.max(self.at_ms);
            self.refill(rate, from);
            self.level -= 1.0;
            owed = (-self.level / rate.per_sec).max(0.0);
        }
        Duration::from_millis((from - now_ms) as u64) + Duration::from_secs_f64(owed)
    }

    /// The first whole millisecond at which a message taken at `now_ms` may go; nothing is
    /// taken.
    pub fn turn(&self, rate: Rate, now_ms: i64, counts: bool) -> i64 {
        let mut peek = *self;
        let wait = peek.take(rate, now_ms, now_ms, counts);
        now_ms + wait.as_nanos().div_ceil(1_000_000) as i64
    }

    /// Holds the scope's messages until `until_ms`, unless a longer pause is set already.
    pub fn pause(&mut self, until_ms: i64) {
        self.paused_until = self.paused_until.max(until_ms);
    }

    /// Whether the bucket is as good as new at `now_ms`: full and not paused.
    pub fn is_idle(&self, rate: Rate, now_ms: i64) -> bool {
        let mut refilled = *self;
        refilled.refill(rate, now_ms);
        refilled.level >= rate.burst && self.at_ms <= now_ms && self.paused_until <= now_ms
    }
}

/// When the bot's messages go: those of the last window and those queued, in order, and a
/// pause a 429 set. A message takes the earliest time, not before it may go, at which every
/// window stays within the limit, before messages queued earlier if there is room there: one
/// held back by its chat's limit is placed at its chat's turn, and the messages of other chats
/// reserved after it still go before it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calendar {
    /// When each message goes (same clock as the callers'), ascending.
    pub sends: Vec<i64>,
    /// Nothing goes before this.
    pub paused_until: i64,
}

impl Calendar {
    /// Places one message that may not go before `not_before_ms` (nor before a pause ends):
    /// when it goes.
    pub fn place(&mut self, limit: Window, not_before_ms: i64) -> i64 {
        let from = not_before_ms.max(self.paused_until);
        // A time can start to fit only at `from`, at a message already placed, or where a
        // message's window ends (see `fits`): the earliest of those that fits is the earliest
        // time. One a window after the last message always fits.
        let sends = &self.sends;
        let mut candidates: Vec<i64> = sends
            .iter()
            .flat_map(|&t| [t, t + limit.per_ms])
            .filter(|&t| t > from)
            .collect();
        candidates.sort_unstable();
        let after_all = sends.last().map_or(from, |&t| from.max(t + limit.per_ms));
        let at = std::iter::once(from)
            .chain(candidates)
            .find(|&t| fits(sends, limit, t))
            .unwrap_or(after_all);
        let i = sends.partition_point(|&t| t <= at);
        self.sends.insert(i, at);
        at
    }

    /// Forgets the messages that count no more for one going at `now_ms` or later.
    pub fn forget_before(&mut self, limit: Window, now_ms: i64) {
        let gone = self.sends.partition_point(|&t| t <= now_ms - limit.per_ms);
        self.sends.drain(..gone);
    }

    /// Holds the bot's messages until `until_ms`, unless a longer pause is set already.
    pub fn pause(&mut self, until_ms: i64) {
        self.paused_until = self.paused_until.max(until_ms);
    }
}

/// Whether one more message at `at` keeps every window of `sends` (ascending, within the limit)
/// within it: whether each run of `most + 1` messages around it, in order, spans a whole window.
fn fits(sends: &[i64], limit: Window, at: i64) -> bool {
    let n = limit.most;
    let i = sends.partition_point(|&t| t <= at);
    let run: Vec<i64> = sends[i.saturating_sub(n)..i]
        .iter()
        .copied()
        .chain([at])
        .chain(sends[i..].iter().copied().take(n))
        .collect();
    run.windows(n + 1).all(|w| w[n] - w[0] >= limit.per_ms)
}

/// Reserves one message at `now_ms` in the bot's window (`overall`) and, when it goes to a chat,
/// in the chat's bucket: when it may go (same clock).
///
/// The chat says when its turn comes; the bot's window places the message at the first time
/// from then it has room for; the chat counts it for that time. So each limit counts every
/// message for when it goes, however long the other held it up, and a chat's queue never holds
/// up another chat's messages: the bot's window has room for those before a message placed at its
/// chat's turn.
pub fn reserve(
    overall: (&mut Calendar, Window),
    chat: Option<(&mut Bucket, ChatScope)>,
    now_ms: i64,
) -> i64 {
    let (calendar, limit) = overall;
    calendar.forget_before(limit, now_ms);
    let Some((bucket, scope)) = chat else {
        return calendar.place(limit, now_ms);
    };
    let at = calendar.place(limit, bucket.turn(scope.rate, now_ms, scope.counts));
    bucket.take(scope.rate, now_ms, at, scope.counts);
    at
}

/// Limits and a "now" the tests of the arithmetic and of the storage's limits share.
#[cfg(test)]
pub(crate) mod examples {
    use super::{Rate, Window};

    /// A fixed "now", well after the epoch.
    pub(crate) const NOW: i64 = 1_800_000_000_000;
    /// A bot's limit for the tests (the bot's own is the outbox's).
    pub(crate) const BOT: Window = Window {
        most: 30,
        per_ms: 1000,
    };
    pub(crate) const ONE_A_SECOND: Rate = Rate {
        per_sec: 1.0,
        burst: 3.0,
    };
    pub(crate) const TWENTY_A_MINUTE: Rate = Rate {
        per_sec: 20.0 / 60.0,
        burst: 3.0,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::examples::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_bucket_bursts_then_spreads_and_refills() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        let waits: Vec<Duration> = (0..5)
            .map(|_| b.take(ONE_A_SECOND, NOW, NOW, true))
            .collect();
        assert_eq!(waits, [ms(0), ms(0), ms(0), ms(1000), ms(2000)]);
        assert!(!b.is_idle(ONE_A_SECOND, NOW + 4000));
        assert!(b.is_idle(ONE_A_SECOND, NOW + 5000), "full again: {b:?}");
        // An edit waits for nothing but a pause, and takes nothing.
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, false), ms(0));
        assert_eq!(b.level, -2.0);
        // A message that cannot go for 1.5 s anyway (the bot's queue) is counted for then: in
        // the chat it goes a second after the one before, and the next one a second later.
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW + 1500, true), ms(3000));
        assert_eq!((b.level, b.at_ms), (-1.5, NOW + 1500));
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, true), ms(4000));
    }

    #[test]
    fn a_paused_bucket_queues_from_the_end_of_the_pause() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        b.pause(NOW + 2000);
        b.pause(NOW + 1000);
        assert_eq!(b.paused_until, NOW + 2000, "never shortened");
        assert_eq!(b.take(ONE_A_SECOND, NOW, NOW, false), ms(2000));
        let waits: Vec<Duration> = (0..4)
            .map(|_| b.take(ONE_A_SECOND, NOW, NOW, true))
            .collect();
        assert_eq!(waits, [ms(2000), ms(2000), ms(2000), ms(3000)]);
        assert!(!b.is_idle(ONE_A_SECOND, NOW + 1000));
    }

    #[test]
    fn a_clock_behind_the_last_writers_adds_nothing() {
        let mut b = Bucket::full(ONE_A_SECOND, NOW);
        for _ in 0..3 {
            b.take(ONE_A_SECOND, NOW, NOW, true);
        }
        // Another process, 50 ms behind: its token comes a second after the first one's now.
        assert_eq!(b.take(ONE_A_SECOND, NOW - 50, NOW - 50, true), ms(1050));
        assert_eq!(b.at_ms, NOW);
        // The first again, half a second later.
        assert_eq!(b.take(ONE_A_SECOND, NOW + 500, NOW + 500, true), ms(1500));
    }

    /// Three in any 100 ms: a message goes at the first time there is room for it, which may be
    /// before a message placed for later.
    #[test]
    fn the_window_places_each_message_where_it_has_room() {
        let limit = Window {
            most: 3,
            per_ms: 100,
        };
        let mut c = Calendar::default();
        let at: Vec<i64> = (0..5).map(|_| c.place(limit, 0)).collect();
        assert_eq!(at, [0, 0, 0, 100, 100]);
        // One held back until 500 (by its chat, say) waits for nothing else…
        assert_eq!(c.place(limit, 500), 500);
        // …and holds nothing up: the next from now goes where there is room, before it.
        assert_eq!(c.place(limit, 0), 100);
        assert_eq!(c.place(limit, 0), 200);
        assert_eq!(c.place(limit, 450), 450);
        assert_eq!(c.place(limit, 450), 450);
        assert_eq!(
            c.place(limit, 450),
            550,
            "450, 450, 500 are in [450, 550) already"
        );
        c.pause(1000);
        assert_eq!(c.place(limit, 0), 1000);
        c.forget_before(limit, 600);
        assert_eq!(
            c.sends,
            [550, 1000],
            "those that no longer count are forgotten"
        );
    }

    /// Random reservations, as many chats and processes would make them, on a simulated clock:
    /// whatever their order, no window ever holds more than the bot's limit, no chat gets more
    /// than its bucket lets through, nothing goes before a pause ends, and messages that wait
    /// for nothing but the bot's window go in the order they were reserved.
    #[test]
    fn no_sequence_of_reservations_breaks_a_limit() {
        const CHATS: [(i64, Rate); 4] = [
            (1, ONE_A_SECOND),
            (2, ONE_A_SECOND),
            (-3, TWENTY_A_MINUTE),
            (4, ONE_A_SECOND),
        ];
        let limit = Window {
            most: 3,
            per_ms: 120,
        };
        let mut rng = NOW as u64;
        let mut next = move |n: u64| {
            // xorshift64
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for _ in 0..200 {
            let mut calendar = Calendar::default();
            let mut buckets: Vec<Bucket> = CHATS.iter().map(|c| Bucket::full(c.1, 0)).collect();
            let mut all = Vec::new();
            let mut counted: Vec<Vec<i64>> = vec![Vec::new(); CHATS.len()];
            let mut free_last = i64::MIN;
            let mut now = 0;
            for _ in 0..300 {
                now += [0, 0, 1, 7, 40, 300][next(6) as usize] as i64;
                let who = next(CHATS.len() as u64 + 1) as usize;
                if next(20) == 0 {
                    let until = now + next(3000) as i64;
                    match buckets.get_mut(who) {
                        Some(b) => b.pause(until),
                        None => calendar.pause(until),
                    }
                    continue;
                }
                let counts = next(4) != 0;
                let free = match buckets.get(who) {
                    Some(b) => b.turn(CHATS[who].1, now, counts) <= now,
                    None => true,
                } && calendar.paused_until <= now;
                let chat = buckets.get_mut(who).map(|b| {
                    let (id, rate) = CHATS[who];
                    (b, ChatScope { id, rate, counts })
                });
                let paused = chat
                    .as_ref()
                    .map_or(0, |(b, _)| b.paused_until)
                    .max(calendar.paused_until);
                let at = reserve((&mut calendar, limit), chat, now);
                assert!(at >= now);
                assert!(at >= paused, "a message went before its pause ended");
                if free {
                    assert!(
                        at >= free_last,
                        "a free message went before one reserved earlier"
                    );
                    free_last = at;
                }
                all.push(at);
                if counts && who < CHATS.len() {
                    assert!(
                        counted[who].last().is_none_or(|&last| at >= last),
                        "a chat's messages went out of order"
                    );
                    counted[who].push(at);
                }
            }
            all.sort();
            for run in all.windows(limit.most + 1) {
                assert!(run[limit.most] - run[0] >= limit.per_ms, "{run:?}");
            }
            for (times, (id, rate)) in counted.iter().zip(CHATS) {
                for (i, first) in times.iter().enumerate() {
                    for (j, last) in times.iter().enumerate().skip(i) {
                        let allowed = rate.burst + rate.per_sec * (last - first) as f64 / 1000.0;
                        assert!(
                            (j - i + 1) as f64 <= allowed + 1e-9,
                            "chat {id}: {} within {} ms",
                            j - i + 1,
                            last - first
                        );
                    }
                }
            }
        }
    }
}
