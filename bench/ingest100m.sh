#!/bin/bash
# Ingests a synthetic chain too large to keep whole on disk, as
# BENCHMARKS.md's 100,000,000-transaction figures were measured: the
# generator writes block files; complete ones (all but the newest while it
# runs) are moved, 40 at a time, to a staging directory, ingested with
# the CLI (block files that start past genesis continue the index), and
# deleted. Memory is sampled every 5 s into $WORK/memory.log.
#
#   bench/ingest100m.sh ENTENTE_BINARY WORK_DIR [TXS]
#
# WORK_DIR gets economy/ (truth and tags stay), node/ (the index), stage/,
# gen.log, ingest.N.log (each with /usr/bin/time -v), rounds and
# memory.log. Needs about 45 GB free for 100,000,000 transactions.
set -u
BIN=${1:?entente binary}
WORK=${2:?work directory}
TXS=${3:-100000000}
OUT=$WORK/economy NODE=$WORK/node STAGE=$WORK/stage
mkdir -p "$STAGE"
rm -f "$WORK/done"

sample() {
  while [ ! -f "$WORK/done" ]; do
    for p in $(pgrep -f "$BIN chain ingest"); do
      [ "$(readlink /proc/$p/exe 2>/dev/null)" = "$(readlink -f "$BIN")" ] || continue
      echo "$(date +%T) pid=$p $(awk '/^Rss|^Anonymous/ {printf "%s=%s ", $1, $2}' /proc/$p/smaps_rollup 2>/dev/null)$(free -m | awk '/Mem:/ {print "used_mb="$3" avail_mb="$7}')"
    done
    sleep 5
  done
}
sample >> "$WORK/memory.log" &

start=$(date +%s)
/usr/bin/time -v "$BIN" sim generate --seed 7 --txs "$TXS" --out "$OUT" > "$WORK/gen.log" 2>&1 &
GEN=$!
round=0
while :; do
  sleep 15
  running=1; kill -0 $GEN 2>/dev/null || running=0
  files=$(ls "$OUT/blocks/" 2>/dev/null | grep '^blk' | sort)
  n=$(echo "$files" | grep -c blk)
  if [ $running = 1 ]; then take=$((n-1)); else take=$n; fi
  if [ $take -ge 40 ] || { [ $running = 0 ] && [ $take -gt 0 ]; }; then
    for f in $(echo "$files" | head -n $take); do mv "$OUT/blocks/$f" "$STAGE/"; done
    round=$((round+1))
    echo "round $round: $take files at $(date +%T)" >> "$WORK/rounds"
    /usr/bin/time -v "$BIN" chain ingest --data "$NODE" --blocks "$STAGE" > "$WORK/ingest.$round.log" 2>&1 || { echo "ingest failed in round $round" >> "$WORK/rounds"; touch "$WORK/done"; exit 1; }
    rm -f "$STAGE"/*.dat
  fi
  if [ $running = 0 ] && [ $take -le 0 ]; then break; fi
done
echo "done in $(( $(date +%s) - start )) s" >> "$WORK/rounds"
touch "$WORK/done"
"$BIN" chain stats --data "$NODE" --json
