#!/usr/bin/env bash
# README cannot drift:
#  - every ```cpp block after "<!-- snippet: PATH -->" equals PATH's text between
#    "README snippet begins" and "README snippet ends" (dedented as the begin marker);
#  - the ```sh block after "<!-- run: tests/readme.sh -->" runs as written (in a scratch
#    directory where build/run is this build and examples/ the source's), and builds;
#  - every option shown for scripts/run, conclave-monitor, conclave-candidate and conclave-chaos in a ```sh
#    block is one the program accepts (its --help lists it);
#  - every relative link points at a file that exists.
#   tests/readme.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
readme=$src/README.md
scratch=$(mktemp -d /tmp/conclave-readme.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# block_after MARKER: the fenced block that follows the line MARKER in README.
block_after() {
    awk -v marker="$1" '
        found == 0 && $0 == marker { found = 1; next }
        found == 1 && /^```/ { found = 2; next }
        found == 2 && /^```/ { exit }
        found == 2 { print }
    ' "$readme"
}

# 1. Snippets.
snippets=$(sed -n 's/^<!-- snippet: \(.*\) -->$/\1/p' "$readme")
[ -n "$snippets" ] || fail "README has no snippet markers"
for path in $snippets; do
    [ -f "$src/$path" ] || { fail "snippet source $path does not exist"; continue; }
    indent=$(sed -n 's/^\([[:space:]]*\)\/\/ README snippet begins$/\1/p' "$src/$path" | head -1 | wc -c)
    indent=$((indent - 1))
    sed -n '/\/\/ README snippet begins$/,/\/\/ README snippet ends$/p' "$src/$path" | sed '1d;$d' \
        | sed -E "s/^ {0,$indent}//" > "$scratch/expected"
    block_after "<!-- snippet: $path -->" > "$scratch/shown"
    [ -s "$scratch/expected" ] || { fail "$path has no README snippet markers"; continue; }
    if ! diff -u "$scratch/expected" "$scratch/shown" > "$scratch/diff"; then
        fail "README's snippet differs from $path:"; cat "$scratch/diff"
    else
        echo "snippet $path: matches ($(wc -l < "$scratch/shown") lines)"
    fi
done

# 2. The install-and-build commands, as written.
block_after "<!-- run: tests/readme.sh -->" > "$scratch/commands.sh"
if [ ! -s "$scratch/commands.sh" ]; then
    fail "README has no '<!-- run: tests/readme.sh -->' block"
else
    mkdir -p "$scratch/home" "$scratch/cwd/build"
    ln -s "$build" "$scratch/cwd/build/run"
    ln -s "$src/examples" "$scratch/cwd/examples"
    if (cd "$scratch/cwd" && HOME=$scratch/home bash -euxo pipefail "$scratch/commands.sh") > "$scratch/run.log" 2>&1; then
        [ -x "$scratch/cwd/build/minimal/conclave-minimal" ] || fail "the README commands did not build conclave-minimal"
        [ -x "$scratch/cwd/build/minimal-pc" ] || fail "the README's pkg-config line did not build minimal-pc"
        [ -f "$scratch/home/conclave/lib/cmake/Conclave/ConclaveConfig.cmake" ] \
            || [ -n "$(find "$scratch/home/conclave" -name ConclaveConfig.cmake)" ] || fail "nothing installed under \$HOME/conclave"
        echo "install commands: ran ($(wc -l < "$scratch/commands.sh") lines)"
    else
        fail "the README's install commands failed:"; tail -30 "$scratch/run.log"
    fi
fi

# 3. Options shown in shell blocks exist.
awk '/^```sh/ { on = 1; next } /^```/ { on = 0 } on' "$readme" | sed 's/#.*//' > "$scratch/sh-lines"
check_options() { # PROGRAM-NAME HELP-TEXT-FILE
    local name=$1 help=$2 opt
    # Only its own options: whatever follows a lone "--" belongs to the command it runs.
    for opt in $(grep -E "(^|[ /])$name( |$)" "$scratch/sh-lines" | sed 's/ -- .*//' | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        grep -qE -- "(^|[ ,])$opt([ =,]|$)" "$help" || fail "README shows $name $opt, which $name does not accept"
    done
}
"$build/monitor/conclave-monitor" --help > "$scratch/monitor-help" 2>&1 || fail "conclave-monitor --help failed"
"$build/examples/candidate/conclave-candidate" --help > "$scratch/candidate-help" 2>&1 || fail "conclave-candidate --help failed"
"$src/scripts/run" --help > "$scratch/run-help" 2>&1 || fail "scripts/run --help failed"
check_options conclave-monitor "$scratch/monitor-help"
check_options conclave-candidate "$scratch/candidate-help"
check_options scripts/run "$scratch/run-help"
"$build/tests/chaos/conclave-chaos" --help > "$scratch/chaos-help" 2>&1 || fail "conclave-chaos --help failed"
check_options conclave-chaos "$scratch/chaos-help"
grep -qE '^scripts/run( |$)' "$scratch/sh-lines" || fail "README's quick start lacks scripts/run"
grep -qE '^scripts/test( |$)' "$scratch/sh-lines" || fail "README's quick start lacks scripts/test"
grep -qE '^scripts/test( \|\||$)' "$src/.ci/run" || fail ".ci/run does not run README's test command"

# 4. Relative links.
for link in $(grep -oE '\]\([^)#:]+\)' "$readme" | sed -E 's/^\]\((.*)\)$/\1/' | sort -u); do
    [ -e "$src/$link" ] || fail "README links to $link, which does not exist"
done

[ $failures -eq 0 ] || { echo "$failures problem(s) in README"; exit 1; }
echo "readme ok"
