//! The process's own metrics in the names every Prometheus dashboard knows
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …), read from `/proc` at each
//! scrape and written in the text format after the bot's own. Linux only: elsewhere there are
//! none, and nothing fails.

use std::fmt::Write;

/// `/proc`'s clock ticks a second (USER_HZ): 100 on every Linux architecture Rust builds for.
const TICKS_PER_SECOND: f64 = 100.0;

/// What was read of the process; a value that could not be read is left out.
#[derive(Debug, Default, PartialEq)]
pub struct Process {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub virtual_bytes: Option<u64>,
    pub threads: Option<u64>,
    pub start_time_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
}

impl Process {
    /// This process, now.
    pub fn read() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let mut p = Self::default();
        if let Some(stat) = read("/proc/self/stat") {
            p.read_stat(&stat, read("/proc/stat").as_deref().and_then(boot_time));
        }
        if let Some(status) = read("/proc/self/status") {
            p.resident_bytes = kilobytes(&status, "VmRSS:");
            p.virtual_bytes = kilobytes(&status, "VmSize:");
        }
        p.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64);
        p.max_fds = read("/proc/self/limits")
            .as_deref()
            .and_then(max_open_files);
        p
    }

    /// CPU time, threads and start time from `/proc/self/stat` (`boot`: the machine's boot
    /// time, unix seconds).
    fn read_stat(&mut self, stat: &str, boot: Option<f64>) {
        // The command's name, in parentheses, may hold spaces and parentheses: the fields
        // counted from 3 (`state`) start after its last `)`.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Field n (1-based, as proc(5) numbers them) is fields[n - 3].
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            self.cpu_seconds = Some((user + system) as f64 / TICKS_PER_SECOND);
        }
        self.threads = field(20);
        self.start_time_seconds = boot
            .zip(field(22))
            .map(|(boot, ticks)| boot + ticks as f64 / TICKS_PER_SECOND);
    }

    /// The text format, with each metric's HELP and TYPE.
    pub fn render(&self, out: &mut String) {
        let mut metric = |name: &str, kind: &str, help: &str, value: Option<String>| {
            if let Some(value) = value {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
                );
            }
        };
        let int = |v: Option<u64>| v.map(|v| v.to_string());
        let float = |v: Option<f64>| v.map(|v| v.to_string());
        metric(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            float(self.cpu_seconds),
        );
        metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            int(self.resident_bytes),
        );
        metric(
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            int(self.virtual_bytes),
        );
        metric(
            "process_threads",
            "gauge",
            "Number of OS threads in the process.",
            int(self.threads),
        );
        metric(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            float(self.start_time_seconds),
        );
        metric(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            int(self.open_fds),
        );
        metric(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            int(self.max_fds),
        );
    }
}

/// The machine's boot time (unix seconds), from `/proc/stat`'s `btime` line.
fn boot_time(stat: &str) -> Option<f64> {
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// A `kB` value of `/proc/self/status` in bytes.
fn kilobytes(status: &str, key: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix(key))?;
    let kb: u64 = line.split_whitespace().next()?.parse().ok()?;
    kb.checked_mul(1024)
}

/// The soft limit on open files from `/proc/self/limits` (none when `unlimited`).
fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_name_whatever_it_holds() {
        // A name with a space and a parenthesis; utime 250 ticks, stime 50, 7 threads,
        // started 1000 ticks after boot.
        let stat = "4242 (tele) most) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 7 0 \
                    1000 123456 789 18446744073709551615";
        let mut p = Process::default();
        p.read_stat(stat, Some(1_700_000_000.0));
        assert_eq!(p.cpu_seconds, Some(3.0));
        assert_eq!(p.threads, Some(7));
        assert_eq!(p.start_time_seconds, Some(1_700_000_010.0));
        // A line cut short gives nothing rather than a wrong value.
        let mut cut = Process::default();
        cut.read_stat("4242 (bot) S 1 2", Some(0.0));
        assert_eq!(cut, Process::default());
    }

    #[test]
    fn status_and_limits_are_read_by_their_keys() {
        let status = "Name:\tbot\nVmSize:\t  123456 kB\nVmRSS:\t   16384 kB\nThreads:\t5\n";
        assert_eq!(kilobytes(status, "VmRSS:"), Some(16 * 1024 * 1024));
        assert_eq!(kilobytes(status, "VmSize:"), Some(123_456 * 1024));
        assert_eq!(kilobytes(status, "VmSwap:"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(max_open_files(unlimited), None);
        assert_eq!(
            boot_time("cpu 1 2 3\nbtime 1765000000\n"),
            Some(1_765_000_000.0)
        );
    }

    #[test]
    fn rendered_in_the_text_format_leaving_out_what_is_unknown() {
        let p = Process {
            cpu_seconds: Some(1.5),
            resident_bytes: Some(4096),
            ..Process::default()
        };
        let mut out = String::new();
        p.render(&mut out);
        assert!(
            out.contains(
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"
            )
        );
        assert!(out.contains("process_resident_memory_bytes 4096\n"));
        assert!(!out.contains("process_open_fds"), "{out}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_is_read() {
        let p = Process::read();
        assert!(p.resident_bytes.is_some_and(|b| b > 0), "{p:?}");
        assert!(p.threads.is_some_and(|t| t >= 1), "{p:?}");
        assert!(p.open_fds.is_some_and(|n| n >= 3), "{p:?}");
        assert!(p.cpu_seconds.is_some(), "{p:?}");
        assert!(p.start_time_seconds.is_some_and(|s| s > 1.0e9), "{p:?}");
    }
}
