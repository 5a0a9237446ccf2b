#!/usr/bin/env bash
# run_teach.sh GLASS_BINARY [ACCEL...]
#
# Boot the teaching kernel (examples/teach/) on GLASS_BINARY with -smp 1, 2
# and 4, feeding "hello glass" on standard input, and once more with no
# input at all (-smp 1), and compare with what QEMU did
# (examples/teach/expected-*):
#   - the serial output (COM1 through -serial mon:stdio) with
#     expected-smpN.serial or expected-noinput.serial;
#   - the isa-debug-exit status with expected.status (a line was typed) or
#     expected-noinput.status;
#   - the second disk after the run: the kernel counts its boot in boot.log,
#     so its SHA-256 must be expected-fs.sha256; the boot disk must be
#     unchanged.
# Every run gets fresh copies of the images.  One line per run:
#     PASS teach smpN (accel)
#     FAIL teach smpN (accel): reason
# then "N passed, N failed"; exit status 1 if anything failed.
#
# Build the images first: make teach (they are $BUILD/examples/teach-
# kernel.img and teach-fs.img).  BUILD and EXAMPLES_TIMEOUT (default 60 s):
# see examples_lib.sh.  What a failed run printed is kept in
# $BUILD/tests/guest/teach-*.{serial,stderr}.
#
# To record the expected files from QEMU (after changing the kernel):
#     RECORD=1 tests/guest/run_teach.sh tests/guest/qemu_as_glass.sh
set -u

# shellcheck source=tests/guest/examples_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/examples_lib.sh"

example_cmdline "$0" "GLASS_BINARY [ACCEL...]" "$@"

src=$EXAMPLES_SRC/teach
kernel=$EXAMPLES_OUT/teach-kernel.img
fs=$EXAMPLES_OUT/teach-fs.img
logdir=$EXAMPLES_OUT/../tests/guest
mkdir -p "$logdir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
record=${RECORD:-}

# teach_run NAME SMP INPUT ACCEL: one run; sets OUT, ERR, STATUS.
teach_run() {
    local name=$1 smp=$2 input=$3 accel=$4 w words args=()
    cp "$kernel" "$tmp/kernel.img"
    cp "$fs" "$tmp/fs.img"
    read -r -a words < "$src/teach.args"
    for w in "${words[@]}"; do
        w=${w//@IMAGE@/$tmp/kernel.img}
        args+=("${w//@FS@/$tmp/fs.img}")
    done
    OUT=$logdir/teach-$name.$accel.serial
    ERR=$logdir/teach-$name.$accel.stderr
    printf '%s' "$input" | timeout -k 5 "$EXAMPLES_TIMEOUT" "$glass" \
        "${args[@]}" -smp "$smp" -accel "$accel" > "$OUT" 2> "$ERR"
    STATUS=$?
}

# teach_check NAME SERIAL_FILE STATUS_FILE: compare the last run.
teach_check() {
    local name=$1 reasons sum
    mapfile -t reasons < <(run_reasons "$STATUS" "$(cat "$3")" "$OUT" "$2")
    sum=$(sha256sum < "$tmp/fs.img" | cut -d' ' -f1)
    if [ "$sum" != "$(cat "$src/expected-fs.sha256")" ]; then
        if cmp -s "$tmp/fs.img" "$fs"; then
            reasons+=("the fs disk was not written")
        else
            reasons+=("the fs disk differs: $(cmp -l "$tmp/fs.img" "$fs" | wc -l) bytes changed from the fresh image")
        fi
    fi
    if ! cmp -s "$tmp/kernel.img" "$kernel"; then
        reasons+=("the boot disk changed")
    fi
    example_report "teach $name ($accel)" "$OUT" "$ERR" "$(join_reasons "${reasons[@]}")"
}

if [ ! -f "$kernel" ] || [ ! -f "$fs" ]; then
    echo "FAIL teach: no images $kernel, $fs; run make teach"
    echo "0 passed, 1 failed"
    exit 1
fi

for accel in "${accels[@]}"; do
    for smp in 1 2 4; do
        teach_run "smp$smp" "$smp" $'hello glass\n' "$accel"
        if [ -n "$record" ]; then
            cp "$OUT" "$src/expected-smp$smp.serial"
            echo "$STATUS" > "$src/expected.status"
            sha256sum < "$tmp/fs.img" | cut -d' ' -f1 > "$src/expected-fs.sha256"
        fi
        teach_check "smp$smp" "$src/expected-smp$smp.serial" \
            "$src/expected.status"
    done
    teach_run noinput 1 "" "$accel"
    if [ -n "$record" ]; then
        cp "$OUT" "$src/expected-noinput.serial"
        echo "$STATUS" > "$src/expected-noinput.status"
    fi
    teach_check noinput "$src/expected-noinput.serial" \
        "$src/expected-noinput.status"
    record=                     # record from the first accelerator only
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
