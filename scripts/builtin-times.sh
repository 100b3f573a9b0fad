#!/usr/bin/env bash
# Prints a Markdown table of every built-in scenario: simulated duration,
# events, wall seconds and events per wall second, from `pipelab run <name>
# --json` (its `simulated_s`, `events`, `wall_s`) with the release binary
# pinned to one core. Each built-in runs REPEAT times (default 3) and the
# fastest run counts, since other work on the machine only ever slows a run.
# "CPU s" is that run's user + system time (/usr/bin/time), which other work
# on a busy machine inflates much less than wall time. The first and last
# lines give the machine's load (`uptime`), to read the figures by.
#
#   scripts/builtin-times.sh            # CPU 1, best of 3
#   CPU=0 REPEAT=5 scripts/builtin-times.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin pipelab
bin="${CARGO_TARGET_DIR:-target}/release/pipelab"
cpu="${CPU:-1}"
repeat="${REPEAT:-3}"

echo "load before: $(uptime | sed 's/.*load average/load average/'); CPU $cpu; best of $repeat"
echo
echo "| built-in | simulated | events | wall s | CPU s | events/s (wall) |"
echo "|---|---:|---:|---:|---:|---:|"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for name in $("$bin" list | awk '{print $1}'); do
  best=""
  for _ in $(seq "$repeat"); do
    json=$(/usr/bin/time -f '%U %S' -o "$tmp" taskset -c "$cpu" "$bin" run "$name" --json)
    row=$(jq -c --argjson cpu "$(awk '{print $1 + $2}' "$tmp")" '{simulated_s, events, wall_s, cpu: $cpu}' <<<"$json")
    if [ -z "$best" ] || [ "$(jq -n --argjson a "$row" --argjson b "$best" '$a.wall_s < $b.wall_s')" = true ]; then
      best="$row"
    fi
  done
  jq -r --arg name "$name" '
    def dur: if . >= 172800 then "\(. / 86400 * 10 | round / 10) d"
             elif . >= 3600 then "\(. / 3600 * 10 | round / 10) h"
             elif . >= 60 then "\(. / 60 * 10 | round / 10) min"
             else "\(.) s" end;
    def g: if length <= 3 then . else (.[:-3] | g) + "," + .[-3:] end;
    def grouped: tostring | g;
    "| `\($name)` | \(.simulated_s | dur) | \(.events | grouped) | \(.wall_s * 1000 | round / 1000) | \(.cpu) | \(.events / .wall_s | round | grouped) |"
  ' <<<"$best"
done
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
