#!/usr/bin/env bash
# Screenshots of the app's five tabs and its chess board in a real window (Xvfb, 1280x800, no window manager),
# each with content: a K_5 avoid run made by the CLI and resumed by the app (training,
# its Ramsey witnesses and recorded games), a search with the bundled network, a game in
# progress, a chess game against the bundled chess network. Checks that the window stays up for 20 s with the run going. Writes
# docs/app/<tab>.png.
#
#   docs/app/screenshots.sh [WGZERO]      (default: target/release/wgzero)
set -euo pipefail
wgzero=$(realpath "${1:-target/release/wgzero}")
out=$(realpath "$(dirname "$0")")
work=$(mktemp -d)
display=:97
cleanup() {
    kill "$app" "$xvfb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$wgzero" train --backend cpu --n 5 --k 3 --mode avoid --iterations 5 --out "$work/k5" >/dev/null
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp &
xvfb=$!
sleep 1
unset WAYLAND_DISPLAY
export DISPLAY=$display
"$wgzero" app --backend cpu --resume "$work/k5" >"$work/app.log" 2>&1 &
app=$!
shot() { import -window root "$out/$1.png"; }
click() { xdotool mousemove "$1" "$2" click 1; sleep "${3:-1}"; }

sleep 20
kill -0 "$app" || { echo "the app exited:"; cat "$work/app.log"; exit 1; }
echo "the app is up after 20 s with the run going"
shot train
click 169 12 3          # Search: the bundled network loads
click 47 693 4          # Run search (200 simulations)
click 580 44 2          # Expand the most visited
shot search
click 225 12 3          # Play
click 651 200 4         # edge 0–3; the agent answers
click 15 275 2          # Show the agent's policy and value
shot play
click 283 12 3          # Ramsey: the run's witnesses
shot ramsey
click 348 12 2          # Games
click 180 100 1         # the newest recorded game
for _ in 1 2 3 4; do click 830 62 0.3; done   # Next move, four times
shot games
click 225 12 2          # Play
click 134 38 2          # chess
click 232 117 3         # against the bundled chess network
click 646 551 1         # e2
click 646 403 6         # e4; the agent answers
shot chess
kill -0 "$app" || { echo "the app exited:"; cat "$work/app.log"; exit 1; }
echo "screenshots in $out"
