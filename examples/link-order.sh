#!/usr/bin/env bash
# Writes src/link-order.txt again (see build.rs and docs/performance.md, "The code's layout"), or
# with --check, says whether the list still names the functions of the release binary.
#
#   examples/link-order.sh           profile the release binary, write the list, build again
#   examples/link-order.sh --check   fail when under 90% of the listed functions are in the binary
#
# The list names functions as the compiler mangles them, and those names change with the Rust
# version and with the dependencies (Cargo.lock): after either, --check fails and the list must be
# written again. Writing needs valgrind; with TEST_POSTGRES_URL (or POSTGRES_URL) set, the webhook
# mode on PostgreSQL is profiled too. It takes about five minutes, most of it the two builds.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/telemost-bot
list=src/link-order.txt

check() {
    local listed found
    listed=$(sort -u "$list" | wc -l)
    found=$(nm --defined-only "$bin" | awk '{print $NF}' | sort -u | comm -12 - <(sort -u "$list") | wc -l)
    echo "link order: $found of the $listed functions of $list are in $bin"
    if [ $((found * 100)) -lt $((listed * 90)) ]; then
        echo "link order: the list is stale (a new Rust version or new dependencies); write it again with examples/link-order.sh" >&2
        return 1
    fi
}

if [ "${1:-}" = "--check" ]; then
    [ -x "$bin" ] || { echo "link order: build the release binary first (cargo build --release)" >&2; exit 1; }
    check
    exit
fi

command -v valgrind >/dev/null || { echo "link order: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
cargo build --release --locked
cargo build --release --locked --example fakes --example loadtest --example planner_bench --example link_order
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/telemost-bot"
profiled() { # a wrapper that runs the bot under callgrind, its profiles named $1.<pid>
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --demangle=no --callgrind-out-file=%s/%s.%%p %s/telemost-bot "$@"\n' \
        "$work" "$1" "$work" > "$work/$1.sh"
    chmod +x "$work/$1.sh"
    echo "$work/$1.sh"
}

# From start to idle, against the fakes (on 8081, 8082 and 8090).
examples=$PWD/target/release/examples
(
    cd "$work"
    printf 'TELOXIDE_TOKEN=1:x\nTELOXIDE_API_URL=http://127.0.0.1:8081/\nTELEMOST_API_URL=http://127.0.0.1:8082/v1/telemost-api\n' > .env
    "$examples/fakes" > fakes.log 2>&1 & fakes=$!
    sleep 1
    kill -0 $fakes 2>/dev/null || {
        echo "link order: the fakes did not start (is something on 8081, 8082 or 8090?):" >&2
        cat fakes.log >&2
        exit 1
    }
    "$(profiled idle)" > idle.log 2>&1 & bot=$!
    sleep 30
    kill -TERM $bot; wait $bot || true
    kill $fakes 2>/dev/null || true
    wait $fakes 2>/dev/null || true
)
# A meeting's path in long polling (and the flood limiter's), the planner, and webhook mode.
LOADTEST_BOT=$(profiled load) "$examples/loadtest" --chats 100 --flow defaults > /dev/null
PLANNER_BOT=$(profiled planner) "$examples/planner_bench" --users 100 --rounds 2 --renders 1 > /dev/null
postgres=${TEST_POSTGRES_URL:-${POSTGRES_URL:-}}
if [ -n "$postgres" ]; then
    LOADTEST_BOT=$(profiled webhook) "$examples/loadtest" --chats 100 --mode webhook --postgres "$postgres" > /dev/null
fi
profiles=()
for kind in idle load webhook planner; do
    for p in "$work/$kind".[0-9]*; do [ -e "$p" ] && profiles+=("$p"); done
done
"$examples/link_order" telemost-bot "${profiles[@]}" > "$list.new"
mv "$list.new" "$list"
cargo build --release --locked
check
