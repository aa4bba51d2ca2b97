#!/usr/bin/env bash
# Regenerate screenshots/*.png: every view of the browser, from the demo.
#
#   scripts/screenshots.sh            # runs `hostlife demo`
#   HOSTLIFE_SCREENSHOTS_DB='host=... dbname=...' scripts/screenshots.sh
#                                     # the browser on an existing database
#
# How: the release binary runs in a private tmux server at a fixed size;
# keys are sent with `tmux send-keys`, each view is awaited (polling the
# pane for a marker, with a deadline), captured with colours
# (`capture-pane -e -p`), turned into HTML by scripts/ansi2html.py and
# rendered to PNG by headless Chromium. Everything is local. Missing tools
# are installed with apt-get (Debian); running it again redoes the same
# screenshots.
#
# The wipe confirmation is cancelled (Esc): the script writes nothing.
# SCREENSHOT_HOST picks the host shown (default: the first in the list),
# SCREENSHOT_WIPE_HOST the one whose wipe is previewed (default: the same).

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/screenshots"
COLS=${SCREENSHOT_COLS:-132}
ROWS=${SCREENSHOT_ROWS:-36}
DEADLINE=${SCREENSHOT_DEADLINE:-60}
SOCKET="hostlife-screenshots-$$"
SESSION=shots

need() { command -v "$1" >/dev/null 2>&1; }

install_missing() {
    local pkgs=()
    need tmux || pkgs+=(tmux)
    need python3 || pkgs+=(python3)
    need chromium || pkgs+=(chromium)
    # The page asks for DejaVu Sans Mono; without it the cells misalign.
    fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" || pkgs+=(fonts-dejavu-core fontconfig)
    if ((${#pkgs[@]})); then
        echo "installing: ${pkgs[*]}" >&2
        local sudo=()
        [ "$(id -u)" -eq 0 ] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${pkgs[@]}" >/dev/null
    fi
}

install_missing

# PostgreSQL's server binaries, for the demo's throwaway cluster.
if ! need initdb; then
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && PATH="$d:$PATH"
    done
fi

(cd "$ROOT" && cargo build --release --quiet)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/hostlife

WORK=$(mktemp -d)
tm() { tmux -L "$SOCKET" -f /dev/null "$@"; }
cleanup() {
    tm kill-server 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${HOSTLIFE_SCREENSHOTS_DB:-}" ]; then
    CMD=("$BIN" --db "$HOSTLIFE_SCREENSHOTS_DB")
else
    CMD=("$BIN" demo)
fi

# A fixed size, colours on, and the pane kept after the program exits so
# a failure can be shown.
tm new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    -e TERM=tmux-256color -e NO_COLOR= -e PATH="$PATH" "$(printf '%q ' "${CMD[@]}")"
tm set-option -t "$SESSION" remain-on-exit on >/dev/null
tm set-option -t "$SESSION" status off >/dev/null
tm set-option -s default-terminal tmux-256color >/dev/null

pane() { tm capture-pane -t "$SESSION" -p; }

# Wait until the pane shows $1 (a fixed string), or fail with the pane.
wait_for() {
    local end=$((SECONDS + DEADLINE))
    until pane | grep -qF -- "$1"; do
        if ((SECONDS >= end)) || [ "$(tm display -p -t "$SESSION" '#{pane_dead}')" = 1 ]; then
            echo "screenshots: timed out waiting for \"$1\"; the screen:" >&2
            pane >&2
            exit 1
        fi
        sleep 0.1
    done
}

# Wait until the pane no longer shows $1.
wait_gone() {
    local end=$((SECONDS + DEADLINE))
    while pane | grep -qF -- "$1"; do
        if ((SECONDS >= end)); then
            echo "screenshots: \"$1\" still shown; the screen:" >&2
            pane >&2
            exit 1
        fi
        sleep 0.1
    done
}

keys() { tm send-keys -t "$SESSION" "$@"; }

CHROMIUM=$(command -v chromium)
shot() {
    local name=$1
    # Let the frame that followed the marker settle: the loop draws once
    # per burst of events, so a second identical capture means done.
    local a b
    a=$(tm capture-pane -t "$SESSION" -e -p)
    for _ in $(seq 50); do
        sleep 0.1
        b=$(tm capture-pane -t "$SESSION" -e -p)
        [ "$a" = "$b" ] && break
        a=$b
    done
    printf '%s\n' "$a" >"$WORK/$name.ans"
    local size
    size=$(python3 "$ROOT/scripts/ansi2html.py" "$WORK/$name.ans" "$WORK/$name.html" "$COLS" "$ROWS")
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$WORK/chromium" \
        --window-size="$size" --screenshot="$OUT/$name.png" \
        "file://$WORK/$name.html" >/dev/null 2>&1
    [ -s "$OUT/$name.png" ] || { echo "screenshots: no $name.png" >&2; exit 1; }
    echo "screenshots/$name.png"
}

mkdir -p "$OUT"

# The hosts list, loaded (the title counts hosts once they are in).
wait_for "┌ Hosts · "
wait_gone "loading…"
HOST=${SCREENSHOT_HOST:-}
if [ -n "$HOST" ]; then
    keys / "$HOST" Enter
    wait_for "$HOST"
    keys Escape
fi
shot hosts

# The whole suspects ranking.
keys !
wait_for "┌ Which jobs break hosts? "
wait_gone "loading…"
shot suspects
keys Escape
wait_gone "┌ Which jobs break hosts? "

# The host: its rows and the listing. Open it through the palette so the
# host is known whatever the list's order.
if [ -z "$HOST" ]; then
    HOST=$(pane | sed -n 's/^│▶ *[●○] *[0-9]* *\([^ ]*\).*/\1/p' | head -n 1)
fi
[ -n "$HOST" ] || { echo "screenshots: no host selected" >&2; pane >&2; exit 1; }
keys : "goto $HOST" Enter
wait_for "┌ $HOST "
wait_gone "loading…"
shot host

# A job's runvars, from the host's selected row.
keys Enter
wait_for "┌ Runvars "
wait_gone "loading…"
shot runvars

# "Was it the host?" for that job.
keys b
wait_for "┌ Was it the host? "
wait_gone "loading…"
shot blame
keys Escape
wait_gone "┌ Was it the host? "

# Back to the host, then its history.
keys Escape
wait_for "┌ $HOST "
keys h
wait_for "┌ History of $HOST"
wait_gone "loading…"
shot history

# Back to the host, then its timeline.
keys Escape
wait_for "┌ $HOST "
keys t
wait_for "┌ Timeline of $HOST"
wait_gone "loading…"
shot tui-timeline

# The palette, completing a command.
keys Escape
wait_for "┌ $HOST "
keys :
wait_for "┌ Command "
keys "wiped "
wait_for ": wiped "
shot palette

# The wipe confirmation with its plan, then cancelled: nothing written.
keys "${SCREENSHOT_WIPE_HOST:-$HOST}" Enter
wait_for "┌ Confirm write "
wait_gone "checking"
shot wipe
keys Escape
wait_for "cancelled"

# Help for the host view.
keys ?
wait_for "┌ Keys "
shot help

keys q
