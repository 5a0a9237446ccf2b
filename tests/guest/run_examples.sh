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

# shellcheck source=tests/guest/examples_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/examples_lib.sh"

example_cmdline "$0" "GLASS_BINARY [ACCEL...]" "$@"

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
        reason=$(example_compare "$name" "$out" "$status")
        example_report "$name ($accel)" "$out" "$err" "$reason"
    done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
