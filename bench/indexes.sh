#!/usr/bin/env bash
# 5,000 expected indexes on 1,000 tables: pgvet's whole run (start, connect, check, report)
# against the floor of one bare catalog query through psql. Goal: at most 2.5x the floor.
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-11}
DB=pgvet_bench_indexes
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
recreate_db $DB
URL=$(db_url $DB)
psql -X -q "$URL" <<'SQL'
DO $$
BEGIN
  FOR t IN 1..1000 LOOP
    EXECUTE format('CREATE TABLE bench_t%s (id int PRIMARY KEY, a int, b int, c text, d timestamptz, e int)', t);
    EXECUTE format('CREATE INDEX ix_bench_t%s_a ON bench_t%s (a)', t, t);
    EXECUTE format('CREATE INDEX ix_bench_t%s_b_c ON bench_t%s (b, c)', t, t);
    EXECUTE format('CREATE INDEX ix_bench_t%s_d ON bench_t%s (d)', t, t);
    EXECUTE format('CREATE UNIQUE INDEX ix_bench_t%s_e ON bench_t%s (e)', t, t);
    EXECUTE format('CREATE INDEX ix_bench_t%s_lower_c ON bench_t%s (lower(c))', t, t);
  END LOOP;
END $$;
SQL
SUITE=$(mktemp -d)
trap 'rm -rf "$SUITE"' EXIT
{
  for t in $(seq 1000); do
    printf '[[index]]\nname = "ix_bench_t%s_a"\ntable = "bench_t%s"\ncolumns = ["a"]\n\n' "$t" "$t"
    printf '[[index]]\nname = "ix_bench_t%s_b_c"\ntable = "bench_t%s"\ncolumns = ["b", "c"]\n\n' "$t" "$t"
    printf '[[index]]\nname = "ix_bench_t%s_d"\ntable = "bench_t%s"\ncolumns = ["d"]\n\n' "$t" "$t"
    printf '[[index]]\nname = "ix_bench_t%s_e"\ntable = "bench_t%s"\nunique = true\n\n' "$t" "$t"
    printf '[[index]]\nname = "ix_bench_t%s_lower_c"\ntable = "bench_t%s"\ncolumns = ["lower(c)"]\n\n' "$t" "$t"
  done
} > "$SUITE/pgvet.toml"

"$PGVET" check "$SUITE" --db "$URL" --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
s = r["summary"]
assert s["indexes_total"] == 5000 and s["indexes_failed"] == 0, s
print("pgvet verified 5000 indexes, all pass")'

BARE="SELECT c.relname, t.relname, i.indisvalid, i.indisready, i.indisunique, pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
floor=$(median_seconds "$RUNS" psql -X -q -At "$URL" -c "$BARE")
whole=$(median_seconds "$RUNS" "$PGVET" check "$SUITE" --db "$URL" --format json)
rss=$(peak_rss_mib "$PGVET" check "$SUITE" --db "$URL" --format json)
ratio=$(python3 -c "print(f'{$whole / $floor:.2f}')")
echo "indexes: 5000 on 1000 tables; runs: $RUNS (median)"
echo "floor (psql, one bare catalog query): ${floor} s"
echo "pgvet check (whole run):              ${whole} s  = ${ratio}x the floor (goal <= 2.5x)"
echo "pgvet peak memory:                    ${rss} MiB"
psql -X -q "$ADMIN_URL" -c "DROP DATABASE $DB WITH (FORCE)"
