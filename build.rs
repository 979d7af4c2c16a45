// Rebuild when a migration is added or changed: `sqlx::migrate!` embeds them at compile time,
// and cargo does not otherwise notice a new file in `migrations/`. Also names the git commit
// built (for `--version`), when built from a checkout, and lays out the release binary's code
// (`link_order`).
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    link_order();
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let commit = match commit {
        Some(c) => format!("git {c}"),
        None => "not built from a git checkout".to_owned(),
    };
    println!("cargo:rustc-env=TELEMOST_BOT_COMMIT={commit}");
    // A new commit moves HEAD (a branch switch) or the branch's ref; watch those that exist
    // (cargo reruns a script always for a path that does not).
    let git_path = |path: &str| {
        Command::new("git")
            .args(["rev-parse", "--git-path", path])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
    };
    if let Some(head) = git_path("HEAD") {
        let branch = std::fs::read_to_string(&head)
            .ok()
            .and_then(|h| h.trim().strip_prefix("ref: ").map(str::to_owned));
        let watched = [
            Some(head),
            branch.and_then(|b| git_path(&b)),
            git_path("packed-refs"),
        ];
        for path in watched {
            if let Some(path) = path.filter(|p| std::path::Path::new(p).exists()) {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}

/// Lays out the release binary's code so that what the bot runs sits together.
///
/// The kernel maps a program's code into memory in 64 KB pieces around each page it runs (its
/// "fault-around"), so the memory an idle bot shows is set less by how much code it ran than by
/// how widely that code is spread: from start to idle the bot ran 3.9 MB of code, spread over
/// 8.2 MB of such pieces. `src/link-order.txt` lists the functions the bot runs (from start to
/// idle, then a meeting's path) and the linker puts them first, in that order. A function
/// missing from the list (new, or renamed since) is placed with the rest: the list makes the
/// binary smaller in memory, never wrong. `examples/link-order.sh` writes it again (and
/// `--check` tells whether it still fits); docs/performance.md explains.
///
/// Only for release builds on x86_64 Linux with glibc, where Rust links with LLD (its default
/// since Rust 1.90), which reads such a list.
fn link_order() {
    const ORDER: &str = "src/link-order.txt";
    println!("cargo:rerun-if-changed={ORDER}");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("PROFILE") == "release"
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
    {
        let path = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join(ORDER);
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            path.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
