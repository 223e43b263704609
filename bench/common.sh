# Shared by the benchmark scripts: where the server is and how to time a command.
# BENCH_DATABASE_URL names a server the scripts may create scratch databases on
# (default: the local one on 127.0.0.1:5432 as postgres).
set -euo pipefail
ADMIN_URL=${BENCH_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGVET=$ROOT/target/release/pgvet

# URL of database $1 on the same server.
db_url() { echo "${ADMIN_URL%/*}/$1"; }

recreate_db() {
  psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

# median_seconds N cmd...: runs cmd N times (output discarded), prints the median wall time.
median_seconds() {
  local n=$1; shift
  local times=()
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=("$(( end - start ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.4f\n", m / 1e9}'
}

# peak_rss_mib cmd...: the command's peak resident memory in MiB.
peak_rss_mib() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{printf "%.1f\n", $1 / 1024}'
}
