#!/usr/bin/env bash
# Timing fidelity: pgvet's median for a query against pgbench's average latency for the same
# query on the same server (simple protocol, one client). Goal: within 15%.
# Data: the CodeTune fixtures at full volume (1,000,000 metric rows), migrated.
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-30}
DB=pgvet_bench_timing
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
recreate_db $DB
URL=$(db_url $DB)
psql -X -q "$URL" -f "$ROOT/fixtures/codetune/schema.sql" -f "$ROOT/fixtures/codetune/data.sql" \
  -f "$ROOT/fixtures/codetune/migration.sql" >/dev/null
psql -X -q "$URL" -c "VACUUM ANALYZE"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT"/queries/codetune/*.sql "$WORK/"
# The issue's yardstick: a GROUP BY over 800k rows.
echo "SELECT config_id, avg(train_loss) FROM training_metric WHERE step < 400 GROUP BY config_id;" > "$WORK/group_by_800k.sql"
{
  printf '[settings]\nruns = %s\nwarmup = 3\n\n' "$RUNS"
  for f in "$WORK"/*.sql; do
    printf '[[query]]\nname = "%s"\nfile = "%s"\nexpect = "any"\n\n' "$(basename "$f" .sql)" "$(basename "$f")"
  done
} > "$WORK/pgvet.toml"

"$PGVET" check "$WORK" --db "$URL" --format json > "$WORK/report.json"
printf '%-22s %11s %13s %7s %11s %7s\n' query pgbench_ms pgvet_median diff pgvet_mean diff
for f in "$WORK"/*.sql; do
  name=$(basename "$f" .sql)
  pgbench -n -M simple -c 1 -t 3 -f "$f" "$URL" >/dev/null 2>&1   # warm-up, as pgvet's
  bench=$(pgbench -n -M simple -c 1 -t "$RUNS" -f "$f" "$URL" 2>/dev/null | awk '/latency average/ {print $4}')
  python3 - "$WORK/report.json" "$name" "$bench" <<'PY'
import json, sys
report, name, bench = sys.argv[1], sys.argv[2], float(sys.argv[3])
t = next(q['timing'] for q in json.load(open(report))['queries'] if q['name'] == name)
med, mean = t['median_ms'], t['mean_ms']
print(f"{name:22s} {bench:11.3f} {med:13.3f} {(med - bench) / bench * 100:+6.1f}% {mean:11.3f} {(mean - bench) / bench * 100:+6.1f}%")
PY
done
psql -X -q "$ADMIN_URL" -c "DROP DATABASE $DB WITH (FORCE)"
