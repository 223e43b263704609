#!/usr/bin/env bash
# Timing with params: pgvet's median for a query with `params` (a prepared statement executed
# with the values bound, extended protocol) against pgbench's median latency with
# `-M prepared -c 1` and the same values; and, to show what the protocol changes, the same
# query with the values written into its text, timed by pgvet (simple protocol) and by
# `pgbench -M simple`. Goal: the prepared medians within 15% of pgbench, as for bench/timing.sh.
# pgvet receives the rows of a prepared statement in binary format (as tokio-postgres, pgx and
# asyncpg do), pgbench in text (as libpq-based drivers do): epoch_ids and epoch_floats return the
# same 49,590 rows as filter_by_epoch, one integer or three floats each, to show what that costs.
# Data: the CodeTune fixtures at full volume (1,000,000 metric rows), migrated and vacuumed.
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-100}
ROUNDS=${ROUNDS:-5}
DB=pgvet_bench_params
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
recreate_db $DB
URL=$(db_url $DB)
psql -X -q "$URL" -f "$ROOT/fixtures/codetune/schema.sql" -f "$ROOT/fixtures/codetune/data.sql" \
  -f "$ROOT/fixtures/codetune/migration.sql" >/dev/null
psql -X -q "$URL" -c "VACUUM ANALYZE"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# name|SQL with $1|the value (TOML)|the value as pgbench's -D takes it|the SQL with the value inlined
QUERIES=(
  "point_lookup|SELECT * FROM training_metric WHERE id = \$1|123456|123456|SELECT * FROM training_metric WHERE id = 123456"
  "fetch_by_config|SELECT * FROM training_metric WHERE config_id = \$1|1|1|SELECT * FROM training_metric WHERE config_id = 1"
  "latest_by_timestamp|SELECT * FROM training_metric ORDER BY timestamp DESC LIMIT \$1|100|100|SELECT * FROM training_metric ORDER BY timestamp DESC LIMIT 100"
  "filter_by_epoch|SELECT * FROM training_metric WHERE epoch = \$1|5|5|SELECT * FROM training_metric WHERE epoch = 5"
  "epoch_ids|SELECT id FROM training_metric WHERE epoch = \$1|5|5|SELECT id FROM training_metric WHERE epoch = 5"
  "epoch_floats|SELECT train_loss, eval_loss, learning_rate FROM training_metric WHERE epoch = \$1|5|5|SELECT train_loss, eval_loss, learning_rate FROM training_metric WHERE epoch = 5"
  "join_by_model_type|SELECT tc.*, tm.* FROM training_config tc JOIN training_metric tm ON tc.id = tm.config_id WHERE tc.model_type = \$1|\"bert-base\"|bert-base|SELECT tc.*, tm.* FROM training_config tc JOIN training_metric tm ON tc.id = tm.config_id WHERE tc.model_type = 'bert-base'"
)
# pgbench_ms MODE FILE [-D ...]: the median latency of RUNS transactions on one connection (one
# prepared statement for -M prepared, as pgvet's), from pgbench's per-transaction log, after a
# first pgbench run that warms the caches. The median, as pgvet's: on a shared machine the mean
# (pgbench's "latency average") takes every scheduling delay in.
pgbench_ms() {
  local mode=$1 file=$2; shift 2
  pgbench -n -M "$mode" -c 1 -t 3 -f "$file" "$@" "$URL" >/dev/null 2>&1
  rm -f "$WORK"/pgbench_log.*
  pgbench -n -M "$mode" -c 1 -t "$RUNS" -f "$file" -l --log-prefix="$WORK/pgbench_log" "$@" "$URL" >/dev/null 2>&1
  awk '{print $3 / 1000}' "$WORK"/pgbench_log.* | sort -g | awk '{a[NR]=$1} END {printf "%.4f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

# The machine is shared: each round measures every query with the four methods back to back,
# so that a busy moment falls on all four; the table gives the median of the rounds.
: > "$WORK/results.tsv"
for round in $(seq "$ROUNDS"); do
  for entry in "${QUERIES[@]}"; do
    IFS='|' read -r name sql value define inline <<<"$entry"
    mkdir -p "$WORK/$name"
    {
      printf '[settings]\nruns = %s\nwarmup = 3\n' "$RUNS"
      printf '\n[[query]]\nname = "prepared"\nsql = "%s"\nparams = [%s]\nexpect = "any"\n' "$sql" "$value"
      printf '\n[[query]]\nname = "inline"\nsql = "%s"\nexpect = "any"\n' "$inline"
    } > "$WORK/$name/pgvet.toml"
    printf '%s;\n' "${sql//\$1/:v}" > "$WORK/$name/prepared.sql"
    printf '%s;\n' "$inline" > "$WORK/$name/simple.sql"
    "$PGVET" check "$WORK/$name" --db "$URL" --format json 2>/dev/null > "$WORK/$name/report.json"
    prepared=$(pgbench_ms prepared "$WORK/$name/prepared.sql" -D "v=$define")
    simple=$(pgbench_ms simple "$WORK/$name/simple.sql")
    python3 - "$WORK/$name/report.json" "$name" "$prepared" "$simple" >> "$WORK/results.tsv" <<'PY'
import json, sys
report, name, prepared, simple = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
queries = {q['name']: q for q in json.load(open(report))['queries']}
p, s = queries['prepared']['timing'], queries['inline']['timing']
assert p['protocol'] == 'extended' and s['protocol'] == 'simple'
cache = p['plan_cache']
print(name, prepared, p['median_ms'], cache['generic_plans'], cache['generic_plans'] + cache['custom_plans'],
      simple, s['median_ms'], sep='\t')
PY
  done
  echo "round $round of $ROUNDS done" >&2
done

python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
rows = [line.split('\t') for line in open(sys.argv[1]).read().splitlines()]
pct = lambda a, b: (a - b) / b * 100
print(f"{'query':20s} {'pgbench -M prepared':>19s} {'pgvet params':>12s} {'diff':>7s} {'(rounds)':>15s}"
      f" {'pgbench -M simple':>17s} {'pgvet inline':>12s} {'diff':>7s} {'params vs inline':>16s} {'generic':>8s}")
for name in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == name]
    med = lambda i: statistics.median(float(r[i]) for r in mine)
    bp, vp, bs, vs = med(1), med(2), med(5), med(6)
    per_round = [pct(float(r[2]), float(r[1])) for r in mine]
    spread = f"{min(per_round):+.0f}..{max(per_round):+.0f}%"
    generic = f"{mine[0][3]}/{mine[0][4]}"
    print(f"{name:20s} {bp:19.3f} {vp:12.3f} {pct(vp, bp):+6.1f}% {spread:>15s}"
          f" {bs:17.3f} {vs:12.3f} {pct(vs, bs):+6.1f}% {pct(vp, vs):+15.1f}% {generic:>8s}")
print(f"({len(rows) // len(set(r[0] for r in rows))} rounds; medians of the rounds' medians, in ms)")
PY
psql -X -q "$ADMIN_URL" -c "DROP DATABASE $DB WITH (FORCE)"
