//! Writes `src/link-order.txt` from callgrind profiles: the functions of one program that ran, in
//! the order the profiles first name them, one symbol a line (mangled, as the linker knows them).
//! See build.rs for why, and docs/performance.md ("The code's layout") for the whole procedure.
//!
//! ```sh
//! cargo run --release --example link_order -- telemost-bot /tmp/order/idle.* /tmp/order/load.* > src/link-order.txt
//! ```
//!
//! The profiles must come from `valgrind --tool=callgrind --demangle=no`. In callgrind's format a
//! name is written once, as `fn=(7) name`, and later only as `fn=(7)`; `ob=` sets the program or
//! library the following `fn=` lines belong to (`cob=` and `cfn=` name a call's target, and only
//! define names).

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [program, profiles @ ..] = args.as_slice() else {
        return usage();
    };
    if profiles.is_empty() {
        return usage();
    }
    let suffix = format!("/{program}");
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    for path in profiles {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => {
                eprintln!("link_order: {path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut objects: HashMap<&str, &str> = HashMap::new();
        let mut functions: HashMap<&str, &str> = HashMap::new();
        let mut in_program = false;
        for line in text.lines() {
            let Some((key, rest)) = line.split_once("=(") else {
                continue;
            };
            let Some((id, name)) = rest.split_once(')') else {
                continue;
            };
            let name = name.trim_start();
            match key {
                "ob" | "cob" => {
                    if !name.is_empty() {
                        objects.insert(id, name);
                    }
                    if key == "ob" {
                        in_program = objects.get(id).is_some_and(|o| o.ends_with(&suffix));
                    }
                }
                "fn" | "cfn" => {
                    if !name.is_empty() {
                        functions.insert(id, name);
                    }
                    if key == "fn" && in_program {
                        let name = functions.get(id).copied().unwrap_or("");
                        // Callgrind names a function it has no symbol for by its address.
                        if !name.is_empty()
                            && !name.starts_with("0x")
                            && seen.insert(name.to_owned())
                        {
                            order.push(name.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if order.is_empty() {
        eprintln!("link_order: no function of {program} in the profiles");
        return ExitCode::FAILURE;
    }
    for name in order {
        println!("{name}");
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: link_order PROGRAM_FILE_NAME CALLGRIND_PROFILE...");
    ExitCode::from(2)
}
