#!/usr/bin/env bash
# check_against_qemu.sh [--record]
#
# Rerun every example guest on QEMU (TCG) with the arguments in
# examples/NAME/qemu.args and compare with the recorded expected.serial and
# expected.status; so the reference outputs stay honest as the examples
# change.  With --record, write QEMU's output as the new expected files.
# Prints SKIP and succeeds when qemu-system-x86_64 is not installed.
#
# Environment: QEMU (default qemu-system-x86_64), and see examples_lib.sh.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/examples_lib.sh"

qemu=${QEMU:-qemu-system-x86_64}
if ! command -v "$qemu" > /dev/null 2>&1; then
    echo "SKIP: $qemu is not installed"
    exit 0
fi

if [ "${1:-}" != "--record" ]; then
    exec "$(dirname "${BASH_SOURCE[0]}")/run_examples.sh" "$qemu" tcg
fi

status_all=0
for name in ${EXAMPLES:-$(examples_list)}; do
    if ! image=$(example_image "$name"); then
        echo "no image for $name in $EXAMPLES_OUT; run make examples" >&2
        status_all=1
        continue
    fi
    dir=$EXAMPLES_SRC/$name
    err=$(mktemp)
    example_run "$qemu" tcg "$name" "$image" "$dir/expected.serial" "$err"
    status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "$name: timed out; nothing recorded" >&2
        status_all=1
    else
        echo "$status" > "$dir/expected.status"
        echo "recorded $name: exit status $status, $(wc -l < "$dir/expected.serial") lines"
    fi
    rm -f "$err"
done
exit $status_all
