//! The architecture as the README's Layout section draws it, checked against the code: each
//! module under src/bot uses only modules in rows below its own (so there is no import cycle,
//! and no feature uses another), every module is in the table, and the layers under the bot
//! (storage, the Telemost client, Yandex OAuth, the probes, the metrics' names, the schedule and
//! the clock) know nothing of it or of Telegram.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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

/// The modules of src/bot a file there refers to (`super::x`, `super::{x, y::z}`,
/// `crate::bot::x`), outside its tests. `depth` is how many `super::` lead from the file to
/// src/bot: one for a file there and a folder's `mod.rs`, two for a folder's other files (whose
/// `super::x` is the folder's own).
fn uses(source: &str, depth: usize) -> BTreeSet<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = BTreeSet::new();
    let mut add = |name: &str| {
        let name = name.trim().split("::").next().unwrap_or("").trim();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            found.insert(name.to_owned());
        }
    };
    for (i, _) in code.match_indices("crate::bot::") {
        let rest = &code[i + "crate::bot::".len()..];
        add(&rest[..rest
            .find(|c: char| !c.is_alphanumeric() && c != '_')
            .unwrap_or(0)]);
    }
    let to_bot = "super::".repeat(depth);
    for (i, _) in code.match_indices(&to_bot) {
        // Only the whole path: `super::super::x` is not a `super::` of its second half.
        if code[..i].ends_with("super::") {
            continue;
        }
        let rest = &code[i + to_bot.len()..];
        if depth > 1 && rest.starts_with("super::") {
            continue;
        }
        if let Some(list) = rest.strip_prefix('{') {
            for part in list[..list.find('}').unwrap_or(0)].split(',') {
                add(part);
            }
        } else {
            add(&rest[..rest
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .unwrap_or(0)]);
        }
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
    let mut seen = BTreeSet::new();
    let mut wrong = Vec::new();
    // A folder is one module, named after it, whatever its files use of each other.
    let mut files: Vec<(String, String, usize)> = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).unwrap() {
                let inner = inner.unwrap().path();
                let depth = if inner.file_name().unwrap() == "mod.rs" {
                    1
                } else {
                    2
                };
                files.push((
                    name.clone(),
                    std::fs::read_to_string(&inner).unwrap(),
                    depth,
                ));
            }
        } else {
            files.push((name, std::fs::read_to_string(&path).unwrap(), 1));
        }
    }
    for (module, source, depth) in &files {
        seen.insert(module.clone());
        let Some(&mine) = row_of.get(module.as_str()) else {
            wrong.push(format!(
                "src/bot/{module} is missing from the README's layer table"
            ));
            continue;
        };
        for used in uses(source, *depth) {
            if &used == module {
                continue;
            }
            match row_of.get(used.as_str()) {
                Some(&theirs) if theirs > mine => {}
                Some(_) => wrong.push(format!("{module} uses {used}, which is not below it")),
                // Not a module of the bot (an item of mod.rs, say): mod.rs is the top row.
                None => wrong.push(format!("{module} uses super::{used}")),
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

#[test]
fn the_layers_under_the_bot_know_nothing_of_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut check = |path: &Path, forbidden: &[&str]| {
        let source = std::fs::read_to_string(path).unwrap();
        let code = source.split("#[cfg(test)]").next().unwrap_or("");
        for f in forbidden {
            if code.contains(f) {
                wrong.push(format!("{} mentions {f}", path.display()));
            }
        }
    };
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
    // Meetings for later: reading times, recurrences and calendar files are about the calendar
    // alone, and so is the clock.
    for entry in std::fs::read_dir(src.join("schedule")).unwrap() {
        check(
            &entry.unwrap().path(),
            &["crate::", "teloxide", "sqlx", "reqwest"],
        );
    }
    check(&src.join("clock.rs"), &["crate::", "teloxide", "sqlx"]);
    assert!(wrong.is_empty(), "{wrong:#?}");
}
