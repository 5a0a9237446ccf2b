#!/usr/bin/env bash
# bench/run.sh [GLASS_BINARY]
#
# Time the benchmark guests on glass (each accelerator in ACCELS) and on
# QEMU's TCG (-accel tcg) in the same run, and print one table:
#
#   guest, engine, iterations, wall and user seconds (best wall of RUNS,
#   with that run's user time), wall time relative to QEMU, speed relative
#   to glass's interpreter (its wall time / this one's), guest MIPS
#
# For cpuheavy and cpuheavy64 a "host-native" row times the same workload
# compiled for the host and run natively (bench/cpuheavy_native.c, built
# by `make bench`): what the hardware does with this code, the ceiling a
# translator can approach.  It is the x86-64 build for both guests
# (cpuheavy64's machine code; a host without 32-bit support cannot run the
# other).
#
# Guests: cpuheavy (32-bit) and cpuheavy64, the CPU benchmark (guest MIPS
# = iterations * instructions per iteration / wall seconds; the
# instructions per iteration were measured once with QEMU, see
# docs/examples/cpuheavy.md, and are the constants below), and teach, the
# teaching kernel's boot with no input (examples/teach/teach.args, -smp 1:
# it boots, runs its programs and exits; the time to exit).  The wall time
# includes starting the emulator.  The engines take turns, round by round,
# so that the host's slower and faster spells fall on all of them alike.
# A run counts only if the guest exited
# with its success status and (cpuheavy) printed the same checksum as on
# QEMU; otherwise the row says "failed" (or "wrong").
#
# Environment:
#   GLASS    the glass binary (default: ./glass, or the first argument)
#   ACCELS   glass accelerators to time (default: "interp bt")
#   GUESTS   which guests (default: "cpuheavy cpuheavy64 teach")
#   ITERS    cpuheavy iterations per run (default: the guest's own, 8000)
#   RUNS     runs per engine, the best is kept (default: 3)
#   QEMU     the QEMU binary (default: qemu-system-x86_64)
#   BENCH_TIMEOUT  seconds before a run counts as failed (default: 900)
#   BUILD    the build directory with examples/ in it (default: build;
#            make examples teach)
#   NATIVE   the host-native workload (default: $BUILD/bench/cpuheavy-native;
#            rows say "missing" without it)
set -u

. "$(dirname "${BASH_SOURCE[0]}")/../tests/guest/examples_lib.sh"

GLASS=${1:-${GLASS:-./glass}}
ACCELS=${ACCELS:-interp bt}
GUESTS=${GUESTS:-cpuheavy cpuheavy64 teach}
RUNS=${RUNS:-3}
QEMU=${QEMU:-qemu-system-x86_64}
EXAMPLES_TIMEOUT=${BENCH_TIMEOUT:-900}
NATIVE=${NATIVE:-$PWD/${BUILD:-build}/bench/cpuheavy-native}

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
# teach: teach.args with a fresh copy of its file-system disk, -smp 1.
bench_args() {
    local i w words
    BENCH_ARGS=()
    if [ "$1" = teach ]; then
        cp "$EXAMPLES_OUT/teach-fs.img" "$tmp/fs.img" || return 1
        read -r -a words < "$EXAMPLES_SRC/teach/teach.args"
        for w in "${words[@]}"; do
            w=${w//@FS@/$tmp/fs.img}
            BENCH_ARGS+=("${w//@IMAGE@/$2}")
        done
        BENCH_ARGS+=(-smp 1)
        return 0
    fi
    example_args "$1" "$2"
    for ((i = 0; i < ${#EXAMPLE_ARGS[@]}; i++)); do
        if [ "${EXAMPLE_ARGS[i]}" = -append ]; then
            i=$((i + 1))
            continue
        fi
        BENCH_ARGS+=("${EXAMPLE_ARGS[i]}")
    done
    [ -n "${ITERS:-}" ] && BENCH_ARGS+=(-append "iters=$ITERS")
}

expected_status() {
    if [ "$1" = teach ]; then
        cat "$EXAMPLES_SRC/teach/expected-noinput.status"
    else
        cat "$EXAMPLES_SRC/$1/expected.status"
    fi
}

# run_once BINARY ACCEL GUEST: "WALL USER" of one run, in seconds, on
# stdout; "failed" if it failed.  Its serial output is left in
# $tmp/serial.ENGINE.
run_once() {
    local bin=$1 accel=$2 guest=$3 engine=$4 t u status expect
    [ "$guest" = teach ] && { bench_args teach "$image" || { echo failed; return; }; }
    local cmd=("$bin" "${BENCH_ARGS[@]}" -accel "$accel")
    expect=$(expected_status "$guest")
    if [ "$engine" = host-native ]; then
        cmd=("$bin" ${ITERS:-})
        expect=0
    fi
    /usr/bin/time -f '%e %U' -o "$tmp/time" timeout -k 5 "$EXAMPLES_TIMEOUT" \
        "${cmd[@]}" < /dev/null > "$tmp/serial.$engine" 2> "$tmp/stderr"
    status=$?
    if [ "$status" != "$expect" ]; then
        echo failed
        return
    fi
    read -r t u < <(tail -n 1 "$tmp/time")
    echo "$t $u"
}

row() {
    printf '%-11s %-12s %10s %8s %8s %8s %9s %10s\n' "$@"
}

row guest engine iterations wall user "vs QEMU" "vs interp" "guest MIPS"
for guest in $GUESTS; do
    if [ "$guest" = teach ]; then
        image=$EXAMPLES_OUT/teach-kernel.img
        [ -f "$image" ] && [ -f "$EXAMPLES_OUT/teach-fs.img" ] || {
            row "$guest" - - "no image" - - - -
            continue
        }
    elif ! image=$(example_image "$guest"); then
        row "$guest" - - "no image" - - - -
        continue
    fi
    per_iter=$(insns_per_iter "$guest")
    bench_args "$guest" "$image"
    qemu_time='' qemu_sum='' interp_time=''

    engines=("qemu-tcg")
    for accel in $ACCELS; do engines+=("glass-$accel"); done
    [ "$guest" != teach ] && engines+=("host-native")
    # RUNS rounds, each running every engine once in turn (so that a
    # slower or faster spell of the host falls on all of them alike); each
    # engine's best wall time is kept, with that run's user time.
    declare -A best=() user=()
    for ((round = 0; round < RUNS; round++)); do
        for engine in "${engines[@]}"; do
            [ "${best[$engine]:-}" = failed ] && continue
            if [ "$engine" = qemu-tcg ]; then
                command -v "$QEMU" > /dev/null 2>&1 || { best[$engine]=missing; continue; }
                r=$(run_once "$QEMU" tcg "$guest" "$engine")
            elif [ "$engine" = host-native ]; then
                [ -x "$NATIVE" ] || { best[$engine]=missing; continue; }
                r=$(run_once "$NATIVE" - "$guest" "$engine")
            else
                command -v "$GLASS" > /dev/null 2>&1 || { best[$engine]=failed; continue; }
                r=$(run_once "$GLASS" "${engine#glass-}" "$guest" "$engine")
            fi
            read -r t u <<< "$r"
            if [ "$t" = failed ]; then
                best[$engine]=failed
            elif [ -z "${best[$engine]:-}" ] || [ "$(calc %d "$t < ${best[$engine]}")" = 1 ]; then
                best[$engine]=$t
                user[$engine]=$u
            fi
        done
    done
    for engine in "${engines[@]}"; do
        if [ "${best[$engine]:-}" = missing ]; then
            row "$guest" "$engine" - "missing" - - - -
            continue
        fi
        r="${best[$engine]:-failed} ${user[$engine]:-}"
        read -r t u <<< "$r"
        if [ "$guest" = teach ]; then
            iters=- sum=boot
        else
            iters=$(sed -n 's/^iterations: //p' "$tmp/serial.$engine")
            sum=$(sed -n 's/^checksum: //p' "$tmp/serial.$engine")
        fi
        if [ "$t" = failed ] || [ -z "$iters" ] || [ -z "$sum" ]; then
            row "$guest" "$engine" "${iters:--}" failed - - - -
            continue
        fi
        if [ "$engine" = qemu-tcg ]; then
            qemu_time=$t
            qemu_sum=$sum
        elif [ -n "$qemu_sum" ] && [ "$sum" != "$qemu_sum" ]; then
            row "$guest" "$engine" "$iters" "wrong" "checksum" "$sum" - -
            continue
        fi
        [ "$engine" = glass-interp ] && interp_time=$t
        ratio=-
        [ -n "$qemu_time" ] && ratio=$(calc %.2fx "$t / $qemu_time")
        speedup=-
        [ -n "$interp_time" ] && speedup=$(calc %.1fx "$interp_time / $t")
        mips=-
        [ "$per_iter" -gt 0 ] &&
            mips=$(calc %.0f "$iters * $per_iter / $t / 1000000")
        row "$guest" "$engine" "$iters" "$t" "$u" "$ratio" "$speedup" "$mips"
    done
done
