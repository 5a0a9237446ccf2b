#!/usr/bin/env bash
# run_examples.sh GLASS_BINARY [ACCEL...]
#
# Boot every example guest (examples/*/qemu.args) on GLASS_BINARY with each
# accelerator (default: interp) and compare what it printed on COM1 and its
# isa-debug-exit status with examples/NAME/expected.serial and
# expected.status, recorded from QEMU.  One line per run:
#     PASS name (accel)
#     FAIL name (accel): reason
# then "N passed, N failed"; exit status 1 if anything failed.
#
# Build the images first (make examples).  BUILD and EXAMPLES_TIMEOUT: see
# examples_lib.sh.  EXAMPLES="a b" runs only those examples.  What a failed
# run printed is kept in $BUILD/tests/guest/NAME.ACCEL.{serial,stderr}.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/examples_lib.sh"

if [ $# -lt 1 ]; then
    echo "usage: $0 GLASS_BINARY [ACCEL...]" >&2
    exit 2
fi
glass=$1
shift
accels=("$@")
[ ${#accels[@]} -eq 0 ] && accels=(interp)
if ! command -v "$glass" > /dev/null 2>&1; then
    echo "$0: $glass: no such program" >&2
    exit 2
fi

logdir=$EXAMPLES_OUT/../tests/guest
mkdir -p "$logdir"
names=${EXAMPLES:-$(examples_list)}
passed=0
failed=0

for accel in "${accels[@]}"; do
    for name in $names; do
        if ! image=$(example_image "$name"); then
            echo "FAIL $name ($accel): no image $EXAMPLES_OUT/$name.{img,elf,bin}; run make examples"
            failed=$((failed + 1))
            continue
        fi
        out=$logdir/$name.$accel.serial
        err=$logdir/$name.$accel.stderr
        example_run "$glass" "$accel" "$name" "$image" "$out" "$err"
        status=$?
        if reason=$(example_compare "$name" "$out" "$status"); then
            echo "PASS $name ($accel)"
            passed=$((passed + 1))
            rm -f "$out" "$err"
        else
            last=$(grep -v '^[[:space:]]*$' "$err" | tail -n 1 | cut -c1-100)
            [ -n "$last" ] && reason="$reason; stderr: $last"
            echo "FAIL $name ($accel): $reason"
            failed=$((failed + 1))
        fi
    done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
