#!/usr/bin/env bash
# bench/run.sh [GLASS_BINARY]
#
# Time the cpuheavy benchmark guests on glass (each accelerator in ACCELS)
# and on QEMU's TCG in the same run, and print one table:
#
#   guest, engine, iterations, wall seconds (best of RUNS), time relative
#   to QEMU, guest MIPS
#
# Guest MIPS = iterations * instructions per iteration / seconds; the
# instructions per iteration were measured once with QEMU (see
# docs/examples/cpuheavy.md) and are the constants below.  The wall time
# includes booting, which is a few milliseconds.  A run counts only if
# the guest printed the same checksum as on QEMU and exited with its
# success status; otherwise the row says "failed" (or "wrong").
#
# Environment:
#   GLASS    the glass binary (default: ./glass, or the first argument)
#   ACCELS   glass accelerators to time (default: "interp bt")
#   GUESTS   which guests (default: "cpuheavy cpuheavy64")
#   ITERS    iterations per run (default: the guest's own, 8000)
#   RUNS     runs per engine, the best is kept (default: 3)
#   QEMU     the QEMU binary (default: qemu-system-x86_64)
#   BENCH_TIMEOUT  seconds before a run counts as failed (default: 900)
#   BUILD    the build directory with examples/ in it (default: build)
set -u

. "$(dirname "${BASH_SOURCE[0]}")/../tests/guest/examples_lib.sh"

GLASS=${1:-${GLASS:-./glass}}
ACCELS=${ACCELS:-interp bt}
GUESTS=${GUESTS:-cpuheavy cpuheavy64}
RUNS=${RUNS:-3}
QEMU=${QEMU:-qemu-system-x86_64}
EXAMPLES_TIMEOUT=${BENCH_TIMEOUT:-900}

# Guest instructions in one workload iteration, counted with QEMU's
# -singlestep -d exec trace (a REP string instruction counts once).
insns_per_iter() {
    case $1 in
    cpuheavy) echo 537341 ;;
    cpuheavy64) echo 531386 ;;
    *) echo 0 ;;
    esac
}

cd "$EXAMPLES_ROOT" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# calc EXPRESSION: floating-point arithmetic, printed with printf FORMAT.
calc() {
    awk "BEGIN { printf \"$1\", $2 }"
}

# bench_args GUEST IMAGE: the guest's qemu.args without its -append (the
# tests use a small iteration count), plus -append iters=$ITERS if set.
bench_args() {
    local i
    example_args "$1" "$2"
    BENCH_ARGS=()
    for ((i = 0; i < ${#EXAMPLE_ARGS[@]}; i++)); do
        if [ "${EXAMPLE_ARGS[i]}" = -append ]; then
            i=$((i + 1))
            continue
        fi
        BENCH_ARGS+=("${EXAMPLE_ARGS[i]}")
    done
    [ -n "${ITERS:-}" ] && BENCH_ARGS+=(-append "iters=$ITERS")
}

# time_runs BINARY ACCEL GUEST: the best wall time of RUNS runs, in
# seconds, on stdout; "failed" if a run failed.  The last run's serial
# output is left in $tmp/serial.
time_runs() {
    local bin=$1 accel=$2 guest=$3 best='' i t0 t1 t status
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s.%N)
        timeout -k 5 "$EXAMPLES_TIMEOUT" "$bin" "${BENCH_ARGS[@]}" \
            -accel "$accel" < /dev/null > "$tmp/serial" 2> "$tmp/stderr"
        status=$?
        t1=$(date +%s.%N)
        if [ "$status" != "$(cat "$EXAMPLES_SRC/$guest/expected.status")" ]; then
            echo failed
            return
        fi
        t=$(calc %.3f "$t1 - $t0")
        if [ -z "$best" ] || [ "$(calc %d "$t < $best")" = 1 ]; then
            best=$t
        fi
    done
    echo "$best"
}

row() {
    printf '%-11s %-14s %10s %10s %9s %11s\n' "$@"
}

row guest engine iterations seconds "vs QEMU" "guest MIPS"
for guest in $GUESTS; do
    if ! image=$(example_image "$guest"); then
        row "$guest" - - "no image" - -
        continue
    fi
    per_iter=$(insns_per_iter "$guest")
    bench_args "$guest" "$image"
    qemu_time='' qemu_sum=''

    engines=("qemu-tcg")
    for accel in $ACCELS; do engines+=("glass-$accel"); done
    for engine in "${engines[@]}"; do
        if [ "$engine" = qemu-tcg ]; then
            if ! command -v "$QEMU" > /dev/null 2>&1; then
                row "$guest" "$engine" - "missing" - -
                continue
            fi
            t=$(time_runs "$QEMU" tcg "$guest")
        else
            if ! command -v "$GLASS" > /dev/null 2>&1; then
                row "$guest" "$engine" - "failed" - -
                continue
            fi
            t=$(time_runs "$GLASS" "${engine#glass-}" "$guest")
        fi
        iters=$(sed -n 's/^iterations: //p' "$tmp/serial")
        sum=$(sed -n 's/^checksum: //p' "$tmp/serial")
        if [ "$t" = failed ] || [ -z "$iters" ] || [ -z "$sum" ]; then
            row "$guest" "$engine" "${iters:--}" failed - -
            continue
        fi
        if [ "$engine" = qemu-tcg ]; then
            qemu_time=$t
            qemu_sum=$sum
        elif [ -n "$qemu_sum" ] && [ "$sum" != "$qemu_sum" ]; then
            row "$guest" "$engine" "$iters" "wrong" "checksum" "$sum"
            continue
        fi
        ratio=-
        [ -n "$qemu_time" ] && ratio=$(calc %.2fx "$t / $qemu_time")
        mips=-
        [ "$per_iter" -gt 0 ] &&
            mips=$(calc %.0f "$iters * $per_iter / $t / 1000000")
        row "$guest" "$engine" "$iters" "$t" "$ratio" "$mips"
    done
done
