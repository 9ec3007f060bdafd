#!/usr/bin/env bash
# The library's ABI against its record: the symbols of namespace Conclave that the built
# libconclave.so.N exports, compared with lib/abi/libconclave.so.N.symbols. A recorded symbol
# that is gone is an ABI break: it fails, unless the SONAME (CONCLAVE_SOVERSION) was raised and a
# record for the new one made. New symbols are compatible; they are listed, to be recorded.
#   tests/abi.sh SOURCE_DIR LIBRARY [--update]
set -euo pipefail
SRC=$1 LIB=$2 MODE=${3:-}
command -v nm >/dev/null || { echo "error: nm not found (Debian package binutils)" >&2; exit 1; }
soname=$(objdump -p "$LIB" | sed -n 's/^ *SONAME *//p')
[ -n "$soname" ] || { echo "error: $LIB has no SONAME" >&2; exit 1; }
record=$SRC/lib/abi/$soname.symbols
now=$(mktemp)
trap 'rm -f "$now"' EXIT
# Our own functions, variables, vtables and type info; not the template code of Qt or the
# standard library that the compiler happened to emit for our types.
nm -D --defined-only -C "$LIB" | sed -E 's/^[0-9a-f]+ +[A-Za-z] +//' \
    | grep -E '^(Conclave::|vtable for Conclave::|typeinfo for Conclave::|typeinfo name for Conclave::|non-virtual thunk to Conclave::)' \
    | grep -vE 'lambda|\{unnamed|guard variable' | LC_ALL=C sort -u >"$now"
if [ "$MODE" = --update ]; then
    cp "$now" "$record"
    echo "recorded $(wc -l <"$record") symbols of $soname in $record"
    exit 0
fi
[ -f "$record" ] || { echo "error: no record of $soname's ABI ($record): a new SONAME? run tests/abi.sh $SRC $LIB --update" >&2; exit 1; }
removed=$(LC_ALL=C comm -23 "$record" "$now")
added=$(LC_ALL=C comm -13 "$record" "$now")
if [ -n "$added" ]; then
    echo "added to $soname (compatible; record them with --update):"
    echo "$added" | sed 's/^/  + /'
fi
if [ -n "$removed" ]; then
    echo "error: gone from $soname, an ABI break. Restore them, or raise CONCLAVE_SOVERSION in" >&2
    echo "lib/CMakeLists.txt (renaming libconclaveN in debian/) and record the new SONAME:" >&2
    echo "$removed" | sed 's/^/  - /' >&2
    exit 1
fi
echo "$soname: $(wc -l <"$now") symbols, none of the $(wc -l <"$record") recorded is gone"
