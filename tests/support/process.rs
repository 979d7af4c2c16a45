//! The real binary as a child process, its stdout and stderr captured to files. Killed if the
//! test ends without it having exited.

// Each test crate including this file uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct BotProcess {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl BotProcess {
    /// The binary with none of the variables a `.env` could set (those `.env.example` names, set
    /// or commented out, and every variable the bot reads), run in `dir`, where no `.env` is.
    pub fn command(dir: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_telemost-bot"));
        let documented = documented_variables();
        let known = [
            "TELOXIDE_TOKEN",
            "TELOXIDE_API_URL",
            "TELEMOST_API_URL",
            "DATABASE_URL",
            "TELEGRAM_RATE_LIMIT",
            "TOKEN_ENCRYPTION_KEY",
            "YANDEX_CLIENT_ID",
            "YANDEX_CLIENT_SECRET",
            "YANDEX_OAUTH_URL",
            "RUST_LOG",
            "NO_COLOR",
        ];
        for var in known
            .into_iter()
            .chain(documented.iter().map(String::as_str))
        {
            cmd.env_remove(var);
        }
        cmd.current_dir(dir).stdin(Stdio::null());
        cmd
    }

    /// Starts the binary in `dir` with `env`, stdout and stderr going to files in `dir`.
    pub fn spawn(dir: &Path, env: &[(&str, String)]) -> Self {
        Self::spawn_command(Self::command(dir), dir, env)
    }

    /// Like `spawn`, with the file-creation mask `umask`: `sh` sets it and `exec`s the binary in
    /// its place, so the process is the bot's.
    pub fn spawn_with_umask(dir: &Path, env: &[(&str, String)], umask: u32) -> Self {
        let bot = Self::command(dir);
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask:03o} && exec \"$0\""))
            .arg(bot.get_program());
        for (name, value) in bot.get_envs() {
            match value {
                Some(value) => cmd.env(name, value),
                None => cmd.env_remove(name),
            };
        }
        cmd.current_dir(dir).stdin(Stdio::null());
        Self::spawn_command(cmd, dir, env)
    }

    /// The process's file-creation mask, as Linux reports it (`/proc/<pid>/status`).
    pub fn umask(&self) -> Option<u32> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    }

    fn spawn_command(mut cmd: Command, dir: &Path, env: &[(&str, String)]) -> Self {
        let stdout = dir.join("stdout.log");
        let stderr = dir.join("stderr.log");
        for (name, value) in env {
            cmd.env(name, value);
        }
        let child = cmd
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("the binary starts");
        Self {
            child,
            stdout,
            stderr,
        }
    }

    pub fn sigterm(&self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
    }

    /// Kills the process with SIGKILL, as when it dies (no chance to clean up), and waits for
    /// it to be gone.
    pub fn sigkill(&mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-KILL", &pid]).status().unwrap();
        assert!(status.success());
        let _ = self.child.wait();
    }

    /// Freezes the process (`SIGSTOP`), as a paused VM or container would be: it holds its
    /// connections and does nothing until `thaw`.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// `SIGCONT`: the frozen process goes on where it stopped.
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args([which, &pid]).status().unwrap();
        assert!(status.success());
    }

    /// The memory the process holds now (VmRSS from /proc), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS in /proc/<pid>/status: the process runs")
    }

    /// Waits (without blocking the fakes) for the process to exit.
    pub async fn exit_within(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running {within:?} after SIGTERM; stderr:\n{}",
                String::from_utf8_lossy(&self.stderr())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the bot wrote to stdout so far. A file that cannot be read fails the test: read as
    /// empty, it would pass every "nothing bad was logged".
    pub fn stdout(&self) -> Vec<u8> {
        read_output(&self.stdout)
    }

    /// What the bot wrote to stderr so far (its log); failing the test when unreadable.
    pub fn stderr(&self) -> Vec<u8> {
        read_output(&self.stderr)
    }
}

fn read_output(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read the bot's {}: {e}", path.display()))
}

/// The variables `.env.example` names, set or commented out. A missing or unreadable file fails
/// the test: read as empty, the bot would inherit whatever the environment sets (a
/// `WEBHOOK_URL`, a `HISTORY_DAYS`) and the story would test something else.
pub fn documented_variables() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
    let example = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let names: Vec<String> = example
        .lines()
        .filter_map(|line| {
            let (name, _) = line.trim_start_matches(['#', ' ']).split_once('=')?;
            let is_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            is_name.then(|| name.to_owned())
        })
        .collect();
    assert!(
        names.iter().any(|n| n == "TELOXIDE_TOKEN") && names.len() >= 10,
        "{path} names too few variables to be the real one: {names:?}"
    );
    names
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
