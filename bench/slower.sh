#!/usr/bin/env bash
# False and missed "slower" verdicts of the before/after comparison, from real saved runs.
# Goal at runs = 5: at most 1 false "slower" in 1,000 comparisons of unchanged queries
# (0.05 ms to 50 ms, runs taken minutes apart), and a same-plan 2x slowdown of a query of 1 ms
# or more flagged in at least 99 of 100 comparisons.
#
# Every ROUND (ROUNDS of them, PAUSE seconds apart) saves two runs with `pgvet check --save`:
# the suite "same" and the suite "doubled", whose queries are the same but each reads twice the
# rows with the same plan (an index range twice as long, a seq scan of a table twice as large).
# Then bench/slower_judge.py compares pairs of saved runs with `pgvet compare`, the real rule:
# same/same and doubled/doubled pairs are unchanged queries, same -> doubled is a 2x slowdown.
# KEEP=DIR keeps the saved runs there; `bench/slower_judge.py DIR` judges them again.
source "$(dirname "$0")/common.sh"
ROUNDS=${ROUNDS:-24}
PAUSE=${PAUSE:-22}
RUNS=${RUNS:-5}
DB=${DB:-pgvet_bench_slower}  # DB=name: another scratch database, for two collections at once
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
recreate_db $DB
URL=$(db_url $DB)
psql -X -q "$URL" <<'SQL'
CREATE TABLE big (id int PRIMARY KEY, g int NOT NULL, v float8 NOT NULL);
INSERT INTO big SELECT i, i % 1000, random() FROM generate_series(1, 1000000) i;
CREATE TABLE scan_1x AS SELECT i AS id, random() AS v FROM generate_series(1, 50000) i;
CREATE TABLE scan_2x AS SELECT i AS id, random() AS v FROM generate_series(1, 100000) i;
VACUUM ANALYZE;
SQL
# One backend per query: a parallel plan for the doubled range only would not be the same plan.
psql -X -q "$URL" -c "ALTER DATABASE $DB SET max_parallel_workers_per_gather = 0"

WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK/same" "$WORK/doubled" "$WORK/runs"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
# name, then the SQL of the same and of the doubled suite.
queries() {
  echo "point lookup|SELECT v FROM big WHERE id = 42|SELECT v FROM big WHERE id = 42"
  for k in 100 1000 5000 20000 60000 150000; do
    echo "sum over $k rows|SELECT sum(v) FROM big WHERE id BETWEEN 1001 AND $((1000 + k))|SELECT sum(v) FROM big WHERE id BETWEEN 1001 AND $((1000 + 2 * k))"
  done
  echo "group 50000 rows|SELECT g % 10, count(*), avg(v) FROM big WHERE id BETWEEN 1001 AND 51000 GROUP BY 1|SELECT g % 10, count(*), avg(v) FROM big WHERE id BETWEEN 1001 AND 101000 GROUP BY 1"
  echo "seq scan|SELECT count(*) FROM scan_1x WHERE v < 0.5|SELECT count(*) FROM scan_2x WHERE v < 0.5"
}
for suite in same doubled; do
  col=$([ $suite = same ] && echo 2 || echo 3)
  {
    printf '[settings]\nruns = %s\nwarmup = 1\n\n' "$RUNS"
    queries | while IFS='|' read -r -a q; do
      printf '[[query]]\nname = "%s"\nsql = "%s"\nexpect = "any"\n\n' "${q[0]}" "${q[$((col - 1))]}"
    done
  } > "$WORK/$suite/pgvet.toml"
done
# The point lookup reads one row in both suites: it is an unchanged query in every pair.
echo "point lookup" > "$WORK/unchanged_in_doubled.txt"

# BUSY: the machine's busy share (all cores, every process) since the last call, from /proc/stat.
busy_since() {
  local user nice system idle iowait irq softirq steal
  read -r _ user nice system idle iowait irq softirq steal _ < /proc/stat
  local total=$((user + nice + system + idle + iowait + irq + softirq + steal)) idle_all=$((idle + iowait))
  [ -z "${last_total:-}" ] || BUSY="$(( 100 * ((total - last_total) - (idle_all - last_idle)) / (total - last_total) ))%"
  last_total=$total last_idle=$idle_all
}
start=$(date +%s)
busy_since
for round in $(seq -w "$ROUNDS"); do
  for suite in same doubled; do
    "$PGVET" check "$WORK/$suite" --db "$URL" --save "$WORK/runs/$suite-$round.json" >/dev/null || true
  done
  [ "$round" -eq "$ROUNDS" ] || sleep "$PAUSE"
  # round, seconds since the start, CPU busy since the last round (both cores), 1-min load
  busy_since
  echo "$round $(( $(date +%s) - start )) $BUSY $(cut -d' ' -f1 /proc/loadavg)" >> "$WORK/load.txt"
done
echo "collected $ROUNDS rounds in $(( $(date +%s) - start )) s; per round: CPU busy (2 cores), 1-min load"
awk '{printf "%s/%s ", $3, $4} END {print ""}' "$WORK/load.txt"
python3 "$ROOT/bench/slower_judge.py" "$WORK"
psql -X -q "$ADMIN_URL" -c "DROP DATABASE $DB WITH (FORCE)"
