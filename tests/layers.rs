//! The architecture as the README's Layout section draws it, checked against the code: each
//! module under src/bot (a file, or a folder as a whole) uses only modules in rows below its own
//! (so there is no import cycle, and no feature uses another), every module is in the table, and
//! the layers under the bot (storage, the Telemost client, Yandex OAuth, the probes, the metrics'
//! names, the schedule, the clock, the configuration and the command line) know nothing of it or
//! of Telegram.
//!
//! Each file is read as Rust's tokens (comments, strings, characters and lifetimes are not taken
//! for code, brackets are matched), not as text. Test code is left out, and only test code: an
//! item under a `cfg` that needs `test` (`#[cfg(test)]`, `#[cfg(all(test, …))]`) is skipped to
//! its end, whatever follows it is read, and a file declared by `#[cfg(test)] mod x;` is not
//! read. Every path is read wherever it is written (a `use`, an expression, a type, a macro's
//! arguments), grouped (`crate::{bot, storage::x}`, `super::{a, b::{c}}`) or not, and made
//! absolute (`super::`, `self::` from the file's module and the `mod x { … }` it sits in).

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

/// A token of Rust source; brackets are groups of what they hold.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
    /// A string, byte string, character or number.
    Lit,
    /// `'a`, `'static`, a loop's label.
    Lifetime,
    /// `(…)`, `[…]` or `{…}`: its opening bracket and its tokens.
    Group(char, Vec<Tok>),
}

/// `source` as tokens, or where it could not be read (an unclosed comment, string or bracket): a
/// file the check cannot read fails it rather than being skipped.
fn lex(source: &str) -> Result<Vec<Tok>, String> {
    let c: Vec<char> = source.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let line = |i: usize| c[..i.min(c.len())].iter().filter(|&&x| x == '\n').count() + 1;
    let is_start = |x: char| x.is_alphabetic() || x == '_';
    let is_cont = |x: char| x.is_alphanumeric() || x == '_';
    // After the opening quote of a string with escapes: just past its closing quote.
    let string_end = |mut i: usize| -> Result<usize, String> {
        let open = i;
        while i < c.len() && c[i] != '"' {
            i += if c[i] == '\\' { 2 } else { 1 };
        }
        if i >= c.len() {
            return Err(format!("line {}: unclosed string", line(open)));
        }
        Ok(i + 1)
    };
    // At the opening quote of a character (`'x'`, `'\n'`, `'\u{7b}'`) or a lifetime (`'a`):
    // just past it, and whether it was a character.
    let quote_end = |i: usize| -> Result<(usize, bool), String> {
        if at(i + 1) == '\\' {
            // The escaped character itself is never the closing quote.
            let mut j = i + 3;
            while j < c.len() && c[j] != '\'' && c[j] != '\n' {
                j += 1;
            }
            if at(j) != '\'' {
                return Err(format!("line {}: unclosed character", line(i)));
            }
            Ok((j + 1, true))
        } else if at(i + 2) == '\'' {
            Ok((i + 3, true))
        } else {
            let mut j = i + 1;
            while is_cont(at(j)) {
                j += 1;
            }
            Ok((j, false))
        }
    };
    let mut stack: Vec<(char, usize, Vec<Tok>)> = vec![('\0', 0, Vec::new())];
    let mut i = 0;
    while i < c.len() {
        let x = c[i];
        let tok = if x.is_whitespace() {
            i += 1;
            continue;
        } else if x == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            continue;
        } else if x == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let (open, mut depth) = (i, 0usize);
            loop {
                if i >= c.len() {
                    return Err(format!("line {}: unclosed comment", line(open)));
                }
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            continue;
        } else if matches!(x, '(' | '[' | '{') {
            stack.push((x, i, Vec::new()));
            i += 1;
            continue;
        } else if matches!(x, ')' | ']' | '}') {
            let opening = match x {
                ')' => '(',
                ']' => '[',
                _ => '{',
            };
            if stack.len() < 2 || stack.last().unwrap().0 != opening {
                return Err(format!("line {}: {x} closes nothing open", line(i)));
            }
            let (open, _, inner) = stack.pop().unwrap();
            i += 1;
            Tok::Group(open, inner)
        } else if x == '"' {
            i = string_end(i + 1)?;
            Tok::Lit
        } else if x == '\'' {
            let (end, character) = quote_end(i)?;
            i = end;
            if character { Tok::Lit } else { Tok::Lifetime }
        } else if x == ':' && at(i + 1) == ':' {
            i += 2;
            Tok::Sep
        } else if is_start(x) {
            let start = i;
            while is_cont(at(i)) {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let hashes = c[i..].iter().take_while(|&&h| h == '#').count();
            match word.as_str() {
                // A raw string: to its closing quote and as many `#`.
                "r" | "br" | "cr" if at(i + hashes) == '"' => {
                    let open = i;
                    i += hashes + 1;
                    loop {
                        if i >= c.len() {
                            return Err(format!("line {}: unclosed raw string", line(open)));
                        }
                        if c[i] == '"' && c[i + 1..].iter().take(hashes).all(|&h| h == '#') {
                            let closed = c[i + 1..].iter().take(hashes).count() == hashes;
                            if closed {
                                i += 1 + hashes;
                                break;
                            }
                        }
                        i += 1;
                    }
                    Tok::Lit
                }
                // A raw identifier: `r#type` is `type`.
                "r" if hashes == 1 && is_start(at(i + 1)) => {
                    let start = i + 1;
                    i = start;
                    while is_cont(at(i)) {
                        i += 1;
                    }
                    Tok::Ident(c[start..i].iter().collect())
                }
                "b" | "c" if at(i) == '"' => {
                    i = string_end(i + 1)?;
                    Tok::Lit
                }
                "b" if at(i) == '\'' => {
                    i = quote_end(i)?.0;
                    Tok::Lit
                }
                _ => Tok::Ident(word),
            }
        } else if x.is_ascii_digit() {
            while is_cont(at(i)) || (at(i) == '.' && at(i + 1).is_ascii_digit()) {
                i += 1;
            }
            Tok::Lit
        } else {
            i += 1;
            Tok::Punct(x)
        };
        stack.last_mut().unwrap().2.push(tok);
    }
    if stack.len() > 1 {
        let (open, at, _) = stack.last().unwrap();
        return Err(format!("line {}: {open} is never closed", line(*at)));
    }
    Ok(stack.pop().unwrap().2)
}

fn is_punct(tok: Option<&Tok>, p: char) -> bool {
    tok == Some(&Tok::Punct(p))
}

fn ident(tok: Option<&Tok>) -> Option<&str> {
    match tok {
        Some(Tok::Ident(w)) => Some(w),
        _ => None,
    }
}

/// `toks` cut at each top-level `,`.
fn split_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    toks.split(|t| t == &Tok::Punct(',')).collect()
}

/// Whether an attribute's tokens (inside `#[…]`) are a `cfg` that holds only in tests.
fn cfg_needs_test(attr: &[Tok]) -> bool {
    fn needs(pred: &[Tok]) -> bool {
        match pred {
            [Tok::Ident(w)] => w == "test",
            [Tok::Ident(w), Tok::Group('(', list)] if w == "all" => {
                split_commas(list).into_iter().any(needs)
            }
            [Tok::Ident(w), Tok::Group('(', list)] if w == "any" => {
                let list: Vec<_> = split_commas(list)
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect();
                !list.is_empty() && list.into_iter().all(needs)
            }
            // `not(…)`, a feature, anything else: may hold outside tests.
            _ => false,
        }
    }
    matches!(attr, [Tok::Ident(cfg), Tok::Group('(', pred)] if cfg == "cfg" && needs(pred))
}

/// Whether `toks[i..]` is an attribute `#[…]` (or, `inner`, `#![…]`) that holds only in tests.
fn test_attribute(toks: &[Tok], i: usize, inner: bool) -> bool {
    let (bang, group) = if inner { (1, 2) } else { (0, 1) };
    is_punct(toks.get(i), '#')
        && (!inner || is_punct(toks.get(i + bang), '!'))
        && matches!(toks.get(i + group), Some(Tok::Group('[', attr)) if cfg_needs_test(attr))
}

/// The item (or field, variant, match arm, statement) starting at `toks[from]`, past the
/// attribute that put it under a cfg: where it ends. When in doubt it ends early, so that code
/// after it is read, never skipped.
fn item_end(toks: &[Tok], from: usize) -> usize {
    // Its first word past its other attributes, its visibility and its qualifiers.
    let mut j = from;
    let mut qualifiers = Vec::new();
    loop {
        match toks.get(j) {
            Some(Tok::Punct('#')) if matches!(toks.get(j + 1), Some(Tok::Group('[', _))) => j += 2,
            Some(Tok::Ident(w)) if w == "pub" => {
                j += 1;
                if matches!(toks.get(j), Some(Tok::Group('(', _))) {
                    j += 1;
                }
            }
            Some(Tok::Ident(w))
                if ["const", "async", "unsafe", "extern", "default", "safe"]
                    .contains(&w.as_str()) =>
            {
                qualifiers.push(w.as_str());
                j += 1;
            }
            // An ABI: `extern "C"`.
            Some(Tok::Lit) if qualifiers.last() == Some(&"extern") => j += 1,
            _ => break,
        }
    }
    let word = ident(toks.get(j)).unwrap_or("");
    let with_body = [
        "fn",
        "impl",
        "trait",
        "struct",
        "enum",
        "union",
        "mod",
        "macro_rules",
    ]
    .contains(&word);
    // A `const X: T = …;` (not a `const fn`), `static`, `type`, `use`, `let`: to its `;`, its
    // value may hold braces.
    let to_semicolon = !with_body
        && (qualifiers.contains(&"const") || ["static", "type", "use", "let"].contains(&word));
    for (k, tok) in toks.iter().enumerate().skip(j) {
        match tok {
            Tok::Punct(';') => return k + 1,
            Tok::Group('{', _) if !to_semicolon => return k + 1,
            // A field, a variant, a match arm, an argument; an item's generics have commas too,
            // so an item ends at its body.
            Tok::Punct(',') if !with_body && !to_semicolon => return k + 1,
            _ => {}
        }
    }
    toks.len()
}

/// `toks` without test code, in every group.
fn without_tests(toks: &[Tok]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // `#![cfg(test)]`: all the rest of the module or block it is in is test code.
        if test_attribute(toks, i, true) {
            return out;
        }
        if test_attribute(toks, i, false) {
            i = item_end(toks, i + 2);
            continue;
        }
        out.push(match &toks[i] {
            Tok::Group(open, inner) => Tok::Group(*open, without_tests(inner)),
            tok => tok.clone(),
        });
        i += 1;
    }
    out
}

/// The modules under a `cfg` that needs `test` (`#[cfg(test)] mod tests;`, or `{ … }`), as
/// absolute paths, `module` being the one `toks` are in: the files of these are test code.
fn test_modules(toks: &[Tok], module: &[String], found: &mut Vec<Vec<String>>) {
    let mut i = 0;
    while i < toks.len() {
        if test_attribute(toks, i, false) {
            let end = item_end(toks, i + 2);
            if let Some(k) = (i + 2..end).find(|&k| ident(toks.get(k)) == Some("mod"))
                && let Some(name) = ident(toks.get(k + 1))
            {
                found.push([module, &[name.to_owned()]].concat());
            }
            i = end;
            continue;
        }
        if ident(toks.get(i)) == Some("mod")
            && let Some(name) = ident(toks.get(i + 1))
            && let Some(Tok::Group('{', inner)) = toks.get(i + 2)
        {
            test_modules(inner, &[module, &[name.to_owned()]].concat(), found);
            i += 3;
            continue;
        }
        if let Tok::Group(_, inner) = &toks[i] {
            test_modules(inner, module, found);
        }
        i += 1;
    }
}

/// The paths written at the start of `toks` (a use tree: `a::b`, `a::{b, c::{d, *}}`), as
/// written, each segment once.
fn use_tree(toks: &[Tok]) -> Vec<Vec<String>> {
    let mut prefix = Vec::new();
    let mut j = 0;
    loop {
        match toks.get(j) {
            Some(Tok::Ident(w)) => prefix.push(w.clone()),
            Some(Tok::Punct('*')) => {
                prefix.push("*".to_owned());
                return vec![prefix];
            }
            Some(Tok::Group('{', list)) => {
                return split_commas(list)
                    .into_iter()
                    .filter(|part| !part.is_empty())
                    .flat_map(use_tree)
                    .map(|tail| [prefix.clone(), tail].concat())
                    .collect();
            }
            _ => return vec![prefix],
        }
        j += 1;
        if toks.get(j) != Some(&Tok::Sep) {
            return vec![prefix];
        }
        j += 1;
    }
}

/// A path as written, from inside `module`, made absolute (`crate::…`): `None` if it is not
/// rooted in the crate (an extern crate's, or a name in scope), or names nothing past its
/// `crate`, `super` and `self` (`pub(crate)`, `pub(super)`).
fn absolute(written: &[String], module: &[String]) -> Option<Vec<String>> {
    let mut path = match written.first()?.as_str() {
        "crate" => vec!["crate".to_owned()],
        "self" | "super" => module.to_vec(),
        _ => return None,
    };
    let mut rest = &written[1..];
    if written[0] == "super" {
        path.pop();
        while rest.first().is_some_and(|s| s == "super") {
            path.pop();
            rest = &rest[1..];
        }
        if path.is_empty() {
            return None;
        }
    }
    let rest: Vec<String> = rest.iter().filter(|s| *s != "self").cloned().collect();
    if rest.is_empty() {
        return None;
    }
    path.extend(rest);
    Some(path)
}

/// What the code (tests left out) names: every path rooted in the crate, absolute, and every
/// word (for extern crates: `teloxide` written anywhere but in a comment or a string).
#[derive(Default)]
struct Names {
    paths: BTreeSet<Vec<String>>,
    words: BTreeSet<String>,
}

fn collect(toks: &[Tok], module: &[String], names: &mut Names) {
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            // `mod x { … }`: its paths are from inside `x`.
            Tok::Ident(w)
                if w == "mod"
                    && ident(toks.get(i + 1)).is_some()
                    && matches!(toks.get(i + 2), Some(Tok::Group('{', _))) =>
            {
                let name = ident(toks.get(i + 1)).unwrap().to_owned();
                names.words.insert(name.clone());
                if let Some(Tok::Group(_, inner)) = toks.get(i + 2) {
                    collect(inner, &[module, &[name]].concat(), names);
                }
                i += 3;
                continue;
            }
            // `pub(in crate::x)` says who may see an item, it uses nothing.
            Tok::Ident(w) if w == "pub" && matches!(toks.get(i + 1), Some(Tok::Group('(', _))) => {
                i += 2;
                continue;
            }
            Tok::Ident(w) => {
                names.words.insert(w.clone());
                let root = ["crate", "super", "self"].contains(&w.as_str());
                let inside = i > 0 && toks[i - 1] == Tok::Sep;
                if root && !inside {
                    for written in use_tree(&toks[i..]) {
                        names.paths.extend(absolute(&written, module));
                    }
                }
            }
            Tok::Group(_, inner) => collect(inner, module, names),
            _ => {}
        }
        i += 1;
    }
}

/// What a file of module `module` (`["crate", "storage", "chats"]`) names outside its tests.
fn names(module: &[String], source: &str) -> Result<Names, String> {
    let code = without_tests(&lex(source)?);
    let mut names = Names::default();
    collect(&code, module, &mut names);
    Ok(names)
}

/// A file of src/, read.
struct SrcFile {
    path: PathBuf,
    /// Its module: `["crate", "bot", "speak", "outbox"]`; `["crate"]` for lib.rs and main.rs.
    module: Vec<String>,
    source: String,
}

fn module_of(relative: &Path) -> Vec<String> {
    let mut module = vec!["crate".to_owned()];
    let parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for (k, part) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        if !(last && ["mod", "lib", "main"].contains(&part.as_str())) {
            module.push(part.clone());
        }
    }
    module
}

/// Every .rs file of src/ but those of test modules (`#[cfg(test)] mod tests;`).
fn production_files() -> Vec<SrcFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = module_of(path.strip_prefix(&src).unwrap());
                let source = std::fs::read_to_string(&path).unwrap();
                files.push(SrcFile {
                    path,
                    module,
                    source,
                });
            }
        }
    }
    let mut tests = Vec::new();
    for file in &files {
        let toks = lex(&file.source).unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
        test_modules(&toks, &file.module, &mut tests);
    }
    files.retain(|f| !tests.iter().any(|t| f.module.starts_with(t)));
    files
}

/// The modules of the bot (by their row names) a file of module `module` (under
/// `["crate", "bot"]`) refers to, outside its tests. Paths inside the file's own module of the
/// table are its own business. A glob at the bot's level (`use super::*` in a file of src/bot)
/// is reported as `*`, and an item of mod.rs (or the bot itself, `use crate::bot;`) by its name.
fn uses(module: &[String], source: &str) -> Result<BTreeSet<String>, String> {
    let own = module.get(2).map_or("mod", String::as_str);
    let mut found = BTreeSet::new();
    for path in names(module, source)?.paths {
        if path.get(1).is_some_and(|s| s == "bot") {
            let used = path.get(2).map_or("bot", String::as_str);
            if used != own {
                found.insert(used.to_owned());
            }
        }
    }
    Ok(found)
}

#[test]
fn each_bot_module_uses_only_the_layers_below_it() {
    let rows = readme_rows();
    let row_of: BTreeMap<&str, usize> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().map(move |m| (m.as_str(), i)))
        .collect();
    let files: Vec<SrcFile> = production_files()
        .into_iter()
        .filter(|f| f.module.get(1).is_some_and(|m| m == "bot"))
        .collect();
    assert!(
        files.iter().any(|f| f.module.len() == 5),
        "the walk reaches files two folders deep (speak/texts/en.rs)"
    );
    let mut seen = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in &files {
        let module = file.module.get(2).cloned().unwrap_or_else(|| "mod".into());
        seen.insert(module.clone());
        let Some(&mine) = row_of.get(module.as_str()) else {
            wrong.push(format!(
                "src/bot/{module} is missing from the README's layer table"
            ));
            continue;
        };
        let used = uses(&file.module, &file.source)
            .unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
        for used in used {
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

/// What a layer must not name.
#[derive(Clone, Copy)]
enum Rule {
    /// A module of the crate, and everything in it: `"crate::bot"`.
    Module(&'static str),
    /// An extern crate, by its name written anywhere in code: `"teloxide"`.
    Crate(&'static str),
    /// Anything of the crate outside this module: `"crate::schedule"`.
    Outside(&'static str),
}

/// What of `rules` a file of module `module` breaks, outside its tests.
fn breaks(module: &[String], source: &str, rules: &[Rule]) -> Result<Vec<String>, String> {
    let names = names(module, source)?;
    let segments = |p: &str| -> Vec<String> { p.split("::").map(str::to_owned).collect() };
    let mut broken = Vec::new();
    for rule in rules {
        match *rule {
            Rule::Module(p) => {
                let p = segments(p);
                for path in names.paths.iter().filter(|path| path.starts_with(&p)) {
                    broken.push(path.join("::"));
                }
            }
            Rule::Crate(c) => {
                if names.words.contains(c) {
                    broken.push(c.to_owned());
                }
            }
            Rule::Outside(p) => {
                let p = segments(p);
                for path in names.paths.iter().filter(|path| !path.starts_with(&p)) {
                    broken.push(path.join("::"));
                }
            }
        }
    }
    Ok(broken)
}

#[test]
fn the_layers_under_the_bot_know_nothing_of_it() {
    use Rule::{Crate, Module, Outside};
    let files = production_files();
    let mut wrong = Vec::new();
    let mut check = |file: &SrcFile, rules: &[Rule]| {
        let broken = breaks(&file.module, &file.source, rules)
            .unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
        for name in broken {
            wrong.push(format!("{} names {name}", file.path.display()));
        }
    };
    let under = |file: &SrcFile, module: &str| file.module.get(1).is_some_and(|m| m == module);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let at = |file: &SrcFile, name: &str| file.path == src.join(name);
    let mut checked = BTreeSet::new();
    for file in &files {
        // Nothing under the wiring knows of it.
        if !["main.rs", "app.rs", "admin.rs", "lib.rs"]
            .iter()
            .any(|n| at(file, n))
        {
            check(file, &[Module("crate::app"), Module("crate::admin")]);
        }
        let rules: &[Rule] = if under(file, "telemost") || at(file, "oauth.rs") {
            &[
                Module("crate::bot"),
                Crate("teloxide"),
                Module("crate::storage"),
            ]
        } else if under(file, "storage") || at(file, "ops.rs") {
            // The probes (ops.rs) read storage and the metrics.
            &[
                Module("crate::bot"),
                Crate("teloxide"),
                Module("crate::telemost"),
                Module("crate::oauth"),
            ]
        } else if at(file, "metrics.rs") {
            // The metrics' names depend on nothing.
            &[Outside("crate::metrics"), Crate("teloxide")]
        } else if at(file, "config.rs") || at(file, "cli.rs") {
            // The settings and the command line: read once, knowing nothing of Telegram or
            // the bot.
            &[Module("crate::bot"), Crate("teloxide")]
        } else if under(file, "schedule") {
            // Meetings for later: reading times, recurrences and calendar files are about the
            // calendar alone.
            &[
                Outside("crate::schedule"),
                Crate("teloxide"),
                Crate("sqlx"),
                Crate("reqwest"),
            ]
        } else if at(file, "clock.rs") {
            &[Outside("crate::clock"), Crate("teloxide"), Crate("sqlx")]
        } else if at(file, "web/init_data.rs") {
            // What a Mini App page sends is checked knowing nothing of the bot, Telegram's API
            // or the database.
            &[
                Outside("crate::web::init_data"),
                Crate("teloxide"),
                Crate("sqlx"),
                Crate("reqwest"),
            ]
        } else if at(file, "flood.rs") {
            // The flood limits' arithmetic, which the outbox and the storage both count with.
            &[Outside("crate::flood"), Crate("teloxide"), Crate("sqlx")]
        } else {
            continue;
        };
        checked.insert(file.module.get(1).cloned().unwrap_or_default());
        check(file, rules);
    }
    for layer in [
        "storage", "telemost", "oauth", "ops", "metrics", "config", "cli", "schedule", "clock",
        "web", "flood",
    ] {
        assert!(checked.contains(layer), "src/{layer} was found and checked");
    }
    // The subcommands use the bot only through what `bot/mod.rs` offers (the update kinds, the
    // webhook's connections, redacting errors), never a module of it.
    let admin = files
        .iter()
        .find(|f| at(f, "admin.rs"))
        .expect("src/admin.rs");
    for name in bot_modules_named(&admin.module, &admin.source) {
        wrong.push(format!("src/admin.rs uses the bot's module {name}"));
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The bot's modules (lower-case names under `crate::bot`, `redacted` being a function) a file
/// names, and the bot itself (`use crate::bot;`, which would open every module).
fn bot_modules_named(module: &[String], source: &str) -> Vec<String> {
    let names = names(module, source).unwrap_or_else(|e| panic!("{e}"));
    names
        .paths
        .iter()
        .filter(|p| p.get(1).is_some_and(|s| s == "bot"))
        .map(|p| p.get(2).cloned().unwrap_or_else(|| "bot".into()))
        .filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_') && n != "redacted")
        .collect()
}

// The checks above on made-up files: each must see what it is there to see, and skip only tests.

fn module(path: &str) -> Vec<String> {
    path.split("::").map(str::to_owned).collect()
}

/// What the storage rule finds in `source` as src/storage/chats.rs.
fn storage_breaks(source: &str) -> Vec<String> {
    breaks(
        &module("crate::storage::chats"),
        source,
        &[Rule::Module("crate::bot"), Rule::Crate("teloxide")],
    )
    .unwrap()
}

fn bot_uses(path: &str, source: &str) -> Vec<String> {
    uses(&module(path), source).unwrap().into_iter().collect()
}

#[test]
fn a_test_helper_hides_only_itself() {
    // A #[cfg(test)] method among production ones, then production code with what is forbidden.
    let source = r#"
impl Db {
    #[cfg(test)]
    fn sqlite(&self) -> &sqlite::Sqlite {
        match self.backend() { Backend::Sqlite(s) => s, _ => panic!("not SQLite") }
    }

    pub fn name(&self) -> &'static str {
        crate::bot::core::name()
    }
}
#[cfg(test)]
pub(crate) fn helper<A, B>(a: A, b: B) -> [u8; 2] { use crate::bot::planner; [0; 2] }
use teloxide::types::Message;
"#;
    assert_eq!(
        storage_breaks(source),
        ["crate::bot::core::name", "teloxide"]
    );
    // The same as a bot file: the helper's `use` is left out, what follows it is read.
    let source = "
impl Lanes {
    #[cfg(test)]
    fn busy_chats(&self) -> usize { use super::super::login; self.busy.lock().unwrap().len() }
}
use super::super::schema;
#[cfg(test)]
fn helper() { use crate::bot::planner; }
use crate::bot::dialogue::Draft;
";
    assert_eq!(
        bot_uses("crate::bot::intake::lanes", source),
        ["dialogue", "schema"]
    );
}

#[test]
fn grouped_and_glob_imports_are_read() {
    assert_eq!(storage_breaks("use crate::{bot, storage};"), ["crate::bot"]);
    assert_eq!(
        storage_breaks("use crate::{clock::Clock, bot::{core::Ctx, state}};"),
        ["crate::bot::core::Ctx", "crate::bot::state"]
    );
    assert_eq!(
        storage_breaks("use crate::{\n    flood,\n    bot::*,\n};"),
        ["crate::bot::*"]
    );
    assert_eq!(
        storage_breaks("use super::super::{bot::core, storage::Db};"),
        ["crate::bot::core"]
    );
    assert_eq!(
        storage_breaks("use ::teloxide::{types::Message};"),
        ["teloxide"]
    );
    let source = "
use super::{perm, speak::outbox::Outbox};
use crate::bot::{meetings, state::{Draft, Step}};
use crate::{bot::{tokens::Pasted, vote}, storage::Db};
use crate::bot::dialogue::{self, Answer};
";
    assert_eq!(
        bot_uses("crate::bot::dialogue", source),
        ["meetings", "perm", "speak", "state", "tokens", "vote"]
    );
    assert_eq!(bot_uses("crate::bot::dialogue", "use super::*;"), ["*"]);
    assert_eq!(bot_uses("crate::bot::dialogue", "use crate::bot;"), ["bot"]);
    // Inside a folder, a sibling is the folder's own.
    let source = "use super::texts::Lang;\nuse super::super::core::TgBot;\nuse crate::bot::{state, speak::panel};";
    assert_eq!(
        bot_uses("crate::bot::speak::outbox", source),
        ["core", "state"]
    );
    // mod.rs of a folder climbs one `super` less.
    assert_eq!(
        bot_uses(
            "crate::bot::speak",
            "use super::core;\nuse self::texts::Lang;"
        ),
        ["core"]
    );
}

#[test]
fn paths_written_in_code_are_read_without_a_use() {
    let source = r#"
pub async fn save(db: &Db) -> Result<(), Error> {
    let chat: crate::bot::core::ChatId = crate::bot::core::chat(1);
    tracing::info!("saved {}", crate::bot::speak::texts::name(&chat));
    let _ = <teloxide::types::Message as Clone>::clone;
    Ok(())
}
fn sibling() -> super::super::bot::state::State { todo!() }
"#;
    assert_eq!(
        storage_breaks(source),
        [
            "crate::bot::core::ChatId",
            "crate::bot::core::chat",
            "crate::bot::speak::texts::name",
            "crate::bot::state::State",
            "teloxide",
        ]
    );
    // A module written inline is where its `super::` starts from.
    assert_eq!(
        storage_breaks("mod inner { use super::super::super::bot::core; }"),
        ["crate::bot::core"]
    );
    assert_eq!(
        bot_uses(
            "crate::bot::dialogue",
            "fn f() { let x = super::vote::start(); $crate::bot::login::go!(x); }"
        ),
        ["login", "vote"]
    );
    // Visibility names no module it uses.
    assert_eq!(
        bot_uses(
            "crate::bot::dialogue",
            "pub(super) fn a() {} pub(crate) fn b() {} pub(in crate::bot) fn c() {}"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn which_cfg_is_test_code() {
    // A test module in its own file: the declaration is skipped, the code after it is read and
    // the file itself is test code.
    let source = "#[cfg(test)]\nmod tests;\nuse crate::bot::core;\n";
    assert_eq!(storage_breaks(source), ["crate::bot::core"]);
    let mut tests = Vec::new();
    let toks = lex("#[cfg(test)]\nmod tests;\nmod inner { #[cfg(all(test, unix))] pub mod x; }\n#[cfg(not(test))]\nmod real;").unwrap();
    test_modules(&toks, &module("crate::schedule::when"), &mut tests);
    assert_eq!(
        tests,
        [
            module("crate::schedule::when::tests"),
            module("crate::schedule::when::inner::x"),
        ]
    );
    // Test code under any cfg that holds only in tests; code that may run outside tests read.
    let source = r##"
#[cfg(all(test, feature = "postgres"))]
mod pg { use crate::bot::a; }
#[cfg(any(test, feature = "demo"))]
fn demo() { crate::bot::b::f(); }
#[cfg(not(test))]
use crate::bot::c;
#[cfg_attr(test, allow(dead_code))]
use crate::bot::d;
#[cfg(any(test, all(test, unix)))]
use crate::bot::e;
mod deeper {
    #![cfg(test)]
    use crate::bot::f;
}
// #[cfg(test)]
use crate::bot::g;
/** #[cfg(test)] */
use crate::bot::h;
const NOTE: &str = "#[cfg(test)]";
use crate::bot::i;
"##;
    assert_eq!(
        storage_breaks(source),
        [
            "crate::bot::b::f",
            "crate::bot::c",
            "crate::bot::d",
            "crate::bot::g",
            "crate::bot::h",
            "crate::bot::i",
        ]
    );
}

#[test]
fn brackets_in_literals_comments_and_lifetimes_do_not_end_a_test_item() {
    // Each test item holds a stray bracket that, counted, would end it early (and report its
    // `use`) or late (and skip the `use` after it).
    let items = [
        r#"fn t() { let s = "}"; use crate::bot::x; }"#,
        r#"fn t() { let s = "\"}"; use crate::bot::x; }"#,
        r##"fn t() { let s = r#"{"a":"}"}"#; use crate::bot::x; }"##,
        r#"fn t() { let s = b"{"; let c = br"}"; use crate::bot::x; }"#,
        "fn t() { let c = '}'; use crate::bot::x; }",
        "fn t() { let c = '{'; let d = b'{'; use crate::bot::x; }",
        r#"fn t() { let c = '"'; let s = "}"; use crate::bot::x; }"#,
        r#"fn t() { let c = '\"'; let s = "}"; use crate::bot::x; }"#,
        r"fn t() { let c = '\''; let d = '}'; use crate::bot::x; }",
        r"fn t() { let c = '\u{7d}'; use crate::bot::x; }",
        r"fn t() { let c = '\\'; let s = '}'; use crate::bot::x; }",
        "fn t<'a>(s: &'a str) -> &'a str { 'outer: loop { break 'outer; } let c = '}'; use crate::bot::x; s }",
        "fn t() { // }\n use crate::bot::x; }",
        "fn t() { /* } */ use crate::bot::x; }",
        "fn t() { /* /* } */ } */ use crate::bot::x; }",
        "fn t() { /* \" */ use crate::bot::x; }",
        "fn t() { let r#type = 1; use crate::bot::x; }",
        "mod tests { use super::*; #[test] fn t() { assert_eq!(f(\"}\"), '{'); } use crate::bot::x; }",
        "struct T<'a> { a: &'a str, b: [u8; 2], c: fn() -> crate::bot::x::Y<'a> }",
    ];
    for item in items {
        let source = format!("#[cfg(test)]\n{item}\nuse crate::bot::after;\n");
        assert_eq!(
            storage_breaks(&source),
            ["crate::bot::after"],
            "the test item ends where it does, and only it is skipped:\n{source}"
        );
    }
    // Other items under a cfg of tests: a field, a macro call with braces, an `if`.
    let source = "
struct S {
    #[cfg(test)]
    probe: Probe,
    real: crate::bot::core::Ctx,
}
#[cfg(test)]
thread_local! { static X: u8 = 0; }
use crate::bot::after;
fn f() {
    #[cfg(test)]
    let probe = if x { 1 } else { 2 };
    crate::bot::state::go();
}
";
    assert_eq!(
        storage_breaks(source),
        [
            "crate::bot::after",
            "crate::bot::core::Ctx",
            "crate::bot::state::go"
        ]
    );
    // A file that cannot be read fails the check.
    for broken in ["fn f() { \"}", "fn f() { /* }", "fn f() {", "fn f() }"] {
        assert!(lex(broken).is_err(), "{broken} is not read as code");
    }
}
