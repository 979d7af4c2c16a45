#!/usr/bin/env bash
# Plays a short conversation with the bot through the fakes, and prints what the bot answered.
#
# Before running it, start the fakes and the bot (see "Trying it without Telegram" in README.md):
#   terminal 1:  cargo run --example fakes
#   terminal 2:  cargo run --release        (with .env pointing at the fakes)
#   terminal 3:  examples/try-with-fakes.sh
#
# It types /help, /token y0_demo and /meet as a user in a private chat, taps Create on the panel,
# and prints the join link. Needs only bash, curl, sed and grep.
#
# CONTROL (default http://127.0.0.1:8090) is the fakes' control API; CHAT (default 1) the private
# chat to talk in; WAIT (default 10) how many seconds to wait for each answer.
set -euo pipefail

control=${CONTROL:-http://127.0.0.1:8090}
chat=${CHAT:-1}
wait_s=${WAIT:-10}

die() {
    printf '\nError: %s\n' "$*" >&2
    exit 1
}

# The fakes' record of every Bot API call the bot made, one a line: "<index> <method> [-> message
# <id>] <JSON body>". Calls before `seen` have been shown already.
calls_from() {
    curl -sf --max-time 5 "$control/calls?from=$1" ||
        die "the fakes do not answer on $control. Start them first: cargo run --example fakes"
}

# The text of a JSON string as it appears in a body: escapes undone. Input is the raw inside of
# the quotes.
unjson() {
    sed -e 's/\\n/\n/g' -e 's/\\"/"/g' -e 's/\\\\/\\/g'
}

# A message's text as Telegram would show it: no HTML tags, entities undone.
unhtml() {
    sed -e 's/<[^>]*>//g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e 's/&amp;/\&/g'
}

# Prints one sendMessage or editMessageText body: its text, then its buttons, a row a line.
show_message() {
    local body=$1 how=$2 text markup
    # The body's keys are sorted, so the message's own "text" is the last key.
    text=$(printf '%s' "$body" | sed -n 's/.*"text":"\(.*\)"}$/\1/p' | unjson | unhtml)
    printf '%s' "$text" | sed -e "1s/^/bot:  $how/" -e '2,$s/^./      &/'
    printf '\n'
    markup=$(printf '%s' "$body" | sed -n 's/.*"inline_keyboard":\[\[\(.*\)\]\].*/\1/p')
    if [[ -n $markup ]]; then
        printf '%s\n' "$markup" | sed 's/\],\[/\n/g' | while IFS= read -r row; do
            labels=$(printf '%s' "$row" | grep -o '"text":"[^"]*"' |
                sed -e 's/^"text":"/[/' -e 's/"$/]/' | tr '\n' ' ')
            printf '      %s\n' "${labels% }"
        done
    fi
}

seen=0       # the index of the first call not yet looked at
last=''      # the last message shown to the chat: "<message id> <body>"

# Waits until the bot sends or edits a message in the chat (printing each) and one of them
# matches the pattern `until` (and not the pattern `unless`), or `wait_s` seconds pass.
await_answer() {
    local what=$1 until=$2 unless=${3:-^$} deadline=$((SECONDS + wait_s + 1))
    local calls line index method rest id body matched=''
    while [[ -z $matched ]]; do
        calls=$(calls_from "$seen")
        while IFS= read -r line; do
            [[ -n $line ]] || continue
            index=${line%% *}
            rest=${line#* }
            method=${rest%% *}
            rest=${rest#* }
            seen=$((index + 1))
            [[ $rest == *"\"chat_id\":$chat,"* ]] || continue
            id=''
            if [[ $rest == '-> message '* ]]; then
                rest=${rest#-> message }
                id=${rest%% *}
                rest=${rest#* }
            fi
            body=$rest
            case $method in
            sendMessage) show_message "$body" '' ;;
            editMessageText)
                id=$(printf '%s' "$body" | sed -n 's/.*"message_id":\([0-9]*\).*/\1/p')
                show_message "$body" '(edits its message) '
                ;;
            deleteMessage) printf 'bot:  (deletes your message)\n' ;;
            *) continue ;;
            esac
            last="$id $body"
            [[ $body =~ $until && ! $body =~ $unless ]] && matched=yes
        done <<<"$calls"
        [[ -n $matched ]] && break
        if ((SECONDS >= deadline)); then
            hint="Is the bot running (cargo run --release), with these lines in its .env?
  TELOXIDE_TOKEN=1:x
  TELOXIDE_API_URL=http://127.0.0.1:8081/
  TELEMOST_API_URL=http://127.0.0.1:8082/v1/telemost-api"
            if ! calls_from 0 | grep -q ' getMe '; then
                hint="The bot has not called the fake Telegram at all. $hint"
            fi
            die "no answer to $what from the bot within $wait_s s. $hint"
        fi
        sleep 0.2
    done
}

say() {
    printf '\nyou:  %s\n' "$1"
    curl -sf --max-time 5 --data-binary "$1" "$control/say?chat=$chat&user=$chat&lang=en" >/dev/null ||
        die "the fakes do not answer on $control. Start them first: cargo run --example fakes"
}

press() {
    local message=$1 data=$2 label=$3
    printf '\nyou:  (taps %s)\n' "$label"
    curl -sf --max-time 5 --data-binary "$data" \
        "$control/press?chat=$chat&user=$chat&message=$message" >/dev/null ||
        die "the fakes do not answer on $control"
}

# Skip what the bot did before this run.
seen=$(calls_from 0 | wc -l)

say '/help'
await_answer /help '.'

say '/token y0_demo'
await_answer /token 'Token saved'

say '/meet'
await_answer /meet '"callback_data":"create"|Join: '
if [[ $last != *'Join: '* ]]; then
    panel=${last%% *}
    press "$panel" create '✅ Create'
    # Any answer but "Creating the meeting…" (shown while Telemost takes over a second).
    await_answer 'the Create button' '.' 'Creating the meeting'
fi

url=$(printf '%s' "$last" | grep -o 'Join: https://[^"\\ ]*' | head -n 1 | sed 's/^Join: //' || true)
[[ -n $url ]] || die "the bot answered, but with no join link (see above). Is TELEMOST_API_URL=http://127.0.0.1:8082/v1/telemost-api in its .env?"
printf '\nJoin link: %s\n' "$url"
