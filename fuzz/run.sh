#!/bin/sh
# Runs one fuzz target the way docs/FUZZING.md records it: one process, its corpus in
# fuzz/corpus/TARGET, the committed seeds and the project's fixtures as read-only seed corpora,
# the target's dictionary, no sanitizer (the fuzzed code has no `unsafe`; see docs/FUZZING.md).
#
#   fuzz/run.sh TARGET [libFuzzer flags...]     e.g. fuzz/run.sh explain_walker -max_total_time=60
#
# Defaults: stop at 10 million executions or 25 minutes, whichever comes first.
# libFuzzer's log goes to fuzz/fuzz-0.log (-jobs=1); a crash input to fuzz/artifacts/TARGET/.
set -eu
target=${1:?usage: fuzz/run.sh suite_parser|explain_walker|markdown_filler|saved_report|conninfo_parser|setup_script [libFuzzer flags...]}
shift
cd "$(dirname "$0")"
case $target in
    suite_parser) seeds="seeds/suite_parser ../queries/codetune" ;;
    explain_walker) seeds="seeds/explain_walker ../fixtures/plans" ;;
    markdown_filler) seeds="seeds/markdown_filler ../fixtures/checklists" ;;
    saved_report) seeds="seeds/saved_report ../fixtures/reports" ;;
    conninfo_parser) seeds="seeds/conninfo_parser" ;;
    setup_script) seeds="seeds/setup_script ../fixtures/dump ../fixtures/codetune" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p "corpus/$target"
# shellcheck disable=SC2086 # $seeds is a list of directories
RUSTC_BOOTSTRAP=1 exec cargo fuzz run --sanitizer none "$target" "corpus/$target" $seeds -- \
    -dict="dict/$target.dict" -runs=10000000 -max_total_time=1500 \
    -jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$@" </dev/null
