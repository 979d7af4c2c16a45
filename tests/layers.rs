//! The architecture as the README's Layout section draws it, checked against the code: each
//! module under src/bot (a file, or a folder as a whole) uses only modules in rows below its own
//! (so there is no import cycle, and no feature uses another), every module is in the table, and
//! the layers under the bot (storage, the Telemost client, Yandex OAuth, the probes, the metrics'
//! names, the schedule, the clock, the configuration and the command line) know nothing of it or
//! of Telegram. Test code is left out, and only test code: an item marked `#[cfg(test)]` is
//! skipped to its end, and whatever follows it is read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The rows of the README's layer table, top first: each row's module names.
fn readme_rows() -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- layers -->")
        .expect("the README marks its layer table with <!-- layers -->");
    let end = readme[start..]
        .find("<!-- /layers -->")
        .expect("and ends it with <!-- /layers -->")
        + start;
    readme[start..end]
        .lines()
        .filter_map(|line| line.split_once(" — "))
        .map(|(names, _)| names.split_whitespace().map(str::to_owned).collect())
        .filter(|row: &Vec<String>| !row.is_empty())
        .collect()
}

/// `source` without its test code: each item under `#[cfg(test)]` (a `mod tests { … }`, a
/// helper function, a `mod x;`) is cut out up to its end.
fn without_tests(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        rest = &rest[item_end(rest)..];
    }
    out.push_str(rest);
    out
}

/// Where the item at the start of `s` ends: after its `;` if it has no body, else after the
/// brace closing its body (braces in string and character literals and comments not counted).
fn item_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += s[i..].find('\n').unwrap_or(s.len() - i);
            }
            // A raw string (`r"…"`, `r#"…"#`): to its closing quote and as many `#`.
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                let hashes = s[i + 1..].bytes().take_while(|b| *b == b'#').count();
                if bytes.get(i + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let body = i + 2 + hashes;
                    i = s[body..]
                        .find(&close)
                        .map_or(s.len(), |end| body + end + close.len() - 1);
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b';' if depth == 0 => return i + 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// The names a path list starting at `rest` refers to: `x::…` gives `x`, `{x, y::z}` gives `x`
/// and `y`, `*` gives `*` (a glob: everything, so never allowed across modules).
fn names_at(rest: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '*')
            .collect()
    };
    if let Some(list) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut end = list.len();
        for (i, c) in list.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        // Top-level items of the list only.
        let mut names = Vec::new();
        let (mut depth, mut start) = (0, 0);
        let list = &list[..end];
        for (i, c) in list.char_indices().chain([(list.len(), ',')]) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let name = ident(&list[start..i]);
                    if !name.is_empty() {
                        names.push(name);
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        names
    } else {
        vec![ident(rest)]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect()
    }
}

/// A file of src/bot: the module of the layer table it belongs to (its own name at the top,
/// its folder's name inside a folder), and how many folders deep under src/bot its own module
/// sits (0 for `x.rs` and `mod.rs`, 1 for `intake/turns.rs`, 2 for `speak/texts/en.rs`).
struct BotFile {
    module: String,
    depth: usize,
    path: PathBuf,
}

fn bot_files(dir: &Path, under: &[String], found: &mut Vec<BotFile>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            let mut deeper = under.to_vec();
            deeper.push(stem);
            bot_files(&path, &deeper, found);
            continue;
        }
        // `x/mod.rs` is module `x` itself: as deep as its folder's other files' parent.
        let depth = if stem == "mod" {
            under.len().saturating_sub(1)
        } else {
            under.len()
        };
        let module = under.first().cloned().unwrap_or(stem);
        found.push(BotFile {
            module,
            depth,
            path,
        });
    }
}

/// The modules of the bot (by their row names) a file of it refers to, outside its tests:
/// `crate::bot::x`, and `super::` paths climbing out of the file's own module to src/bot.
/// A path that stays inside the file's folder is its own module's business. A glob at the bot's
/// level (`use super::*` in a file of src/bot) is reported as `*`.
fn uses(file: &BotFile, source: &str) -> BTreeSet<String> {
    let code = without_tests(source);
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::bot::") {
        found.extend(names_at(&code[i + "crate::bot::".len()..]));
    }
    // `super::` repeated as often as the file's module is deep, plus one, reaches src/bot.
    let climb = "super::".repeat(file.depth + 1);
    let mut at = 0;
    while let Some(i) = code[at..].find(&climb) {
        let start = at + i;
        let end = start + climb.len();
        at = end;
        // Exactly this many: not the tail of a longer climb, and not followed by another.
        if code[..start].ends_with("super::") || code[end..].starts_with("super::") {
            continue;
        }
        found.extend(names_at(&code[end..]));
    }
    found
}

#[test]
fn each_bot_module_uses_only_the_layers_below_it() {
    let rows = readme_rows();
    let row_of: BTreeMap<&str, usize> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bot");
    let mut files = Vec::new();
    bot_files(&dir, &[], &mut files);
    assert!(
        files.iter().any(|f| f.depth == 2),
        "the walk reaches files two folders deep (speak/texts/en.rs)"
    );
    let mut seen = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in &files {
        let module = &file.module;
        seen.insert(module.clone());
        let Some(&mine) = row_of.get(module.as_str()) else {
            wrong.push(format!(
                "src/bot/{module} is missing from the README's layer table"
            ));
            continue;
        };
        let source = std::fs::read_to_string(&file.path).unwrap();
        for used in uses(file, &source) {
            if &used == module {
                continue;
            }
            match row_of.get(used.as_str()) {
                Some(&theirs) if theirs > mine => {}
                Some(_) => wrong.push(format!(
                    "{} uses {used}, which is not below it",
                    file.path.display()
                )),
                // Not a module of the bot (an item of mod.rs, or a glob): mod.rs is the top
                // row, and a glob would hide what is used.
                None => wrong.push(format!(
                    "{} uses bot::{used}, which is no module of the table",
                    file.path.display()
                )),
            }
        }
    }
    for m in row_of.keys() {
        if !seen.contains(*m) {
            wrong.push(format!("the README lists {m}, which is not in src/bot"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The check above, on made-up files: it sees what it must, and skips only test code.
#[test]
fn the_check_reads_every_form_of_path_and_skips_only_tests() {
    let top = BotFile {
        module: "dialogue".into(),
        depth: 0,
        path: PathBuf::new(),
    };
    let inner = BotFile {
        module: "speak".into(),
        depth: 1,
        path: PathBuf::new(),
    };
    let source = r##"
use super::{perm, speak::outbox::Outbox};
use crate::bot::{meetings, state::{Draft, Step}};
#[cfg(test)]
fn helper() { let s = "}"; let r = r#"{"a":"}"}"#; use super::tokens; }
use super::groups;
#[cfg(test)]
mod tests { use super::*; use super::login; }
"##;
    let found: Vec<String> = uses(&top, source).into_iter().collect();
    assert_eq!(
        found,
        ["groups", "meetings", "perm", "speak", "state"],
        "code after a test helper is read; the helper and the tests are not"
    );
    assert_eq!(
        uses(&top, "use super::*;").into_iter().collect::<Vec<_>>(),
        ["*"]
    );
    let source = "use super::texts::Lang;\nuse super::super::core::TgBot;\nuse crate::bot::state;";
    assert_eq!(
        uses(&inner, source).into_iter().collect::<Vec<_>>(),
        ["core", "state"],
        "inside a folder, a sibling is the folder's own"
    );
}

#[test]
fn the_layers_under_the_bot_know_nothing_of_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut check = |path: &Path, forbidden: &[&str]| {
        let source = std::fs::read_to_string(path).unwrap();
        let code = without_tests(&source);
        for f in forbidden {
            if code.contains(f) {
                wrong.push(format!("{} mentions {f}", path.display()));
            }
        }
    };
    // Nothing under the wiring knows of it.
    let wiring = ["crate::app", "crate::admin"];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in &files {
        let name = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !["main.rs", "app.rs", "admin.rs", "lib.rs"].contains(&name.as_str()) {
            check(path, &wiring);
        }
    }
    for entry in std::fs::read_dir(src.join("storage")).unwrap() {
        check(
            &entry.unwrap().path(),
            &["crate::bot", "teloxide", "crate::telemost", "crate::oauth"],
        );
    }
    for entry in std::fs::read_dir(src.join("telemost")).unwrap() {
        check(
            &entry.unwrap().path(),
            &["crate::bot", "teloxide", "crate::storage"],
        );
    }
    check(
        &src.join("oauth.rs"),
        &["crate::bot", "teloxide", "crate::storage"],
    );
    // The probes read storage and the metrics; the metrics' names depend on nothing.
    check(
        &src.join("ops.rs"),
        &["crate::bot", "teloxide", "crate::telemost", "crate::oauth"],
    );
    check(&src.join("metrics.rs"), &["crate::", "teloxide", "super::"]);
    // The settings and the command line: read once, knowing nothing of Telegram or the bot.
    for file in ["config.rs", "cli.rs"] {
        check(&src.join(file), &["crate::bot", "teloxide"]);
    }
    // The subcommands use the bot only through what `bot/mod.rs` offers (the update kinds, the
    // webhook's connections, redacting errors), never a module of it.
    let admin = std::fs::read_to_string(src.join("admin.rs")).unwrap();
    let code = without_tests(&admin);
    let mut through_modules = Vec::new();
    for (i, _) in code.match_indices("crate::bot::") {
        for name in names_at(&code[i + "crate::bot::".len()..]) {
            if name.chars().all(|c| c.is_ascii_lowercase() || c == '_') && name != "redacted" {
                through_modules.push(format!("src/admin.rs uses the bot's module {name}"));
            }
        }
    }
    // Meetings for later: reading times, recurrences and calendar files are about the calendar
    // alone, and so is the clock.
    let mut dirs = vec![src.join("schedule")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                check(&path, &["crate::", "teloxide", "sqlx", "reqwest"]);
            }
        }
    }
    check(&src.join("clock.rs"), &["crate::", "teloxide", "sqlx"]);
    // What a Mini App page sends is checked knowing nothing of the bot, Telegram's API or the
    // database.
    check(
        &src.join("web/init_data.rs"),
        &["crate::", "teloxide", "sqlx", "reqwest"],
    );
    // The flood limits' arithmetic, which the outbox and the storage both count with.
    check(&src.join("flood.rs"), &["crate::", "teloxide", "sqlx"]);
    wrong.extend(through_modules);
    assert!(wrong.is_empty(), "{wrong:#?}");
}
