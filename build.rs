// Rebuild when a migration is added or changed: `sqlx::migrate!` embeds them at compile time,
// and cargo does not otherwise notice a new file in `migrations/`. Also names the git commit
// built (for `--version`), when built from a checkout.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
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
