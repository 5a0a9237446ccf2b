# shellcheck shell=bash
# examples_lib.sh - shared by run_examples.sh, run_teach.sh, run_kvm.sh,
# check_against_qemu.sh, test_accel_switch.sh and bench/ (source it; bash).
# It knows where the example guests are, where their images are built, how
# each one is started, how a run is compared with what QEMU did and how the
# scripts report it.
#
# Environment:
#   BUILD             build directory, relative to the repository root or
#                     absolute (default: build); images in $BUILD/examples/
#   EXAMPLES_TIMEOUT  seconds a guest may run before it counts as hung (60)

EXAMPLES_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EXAMPLES_SRC=$EXAMPLES_ROOT/examples
BUILD=${BUILD:-build}
case $BUILD in
/*) EXAMPLES_OUT=$BUILD/examples ;;
*) EXAMPLES_OUT=$EXAMPLES_ROOT/$BUILD/examples ;;
esac
EXAMPLES_TIMEOUT=${EXAMPLES_TIMEOUT:-60}

# The examples: every directory of examples/ with a qemu.args, sorted.
examples_list() {
    local d
    for d in "$EXAMPLES_SRC"/*/qemu.args; do
        [ -e "$d" ] || continue
        d=${d%/qemu.args}
        printf '%s\n' "${d##*/}"
    done
}

# example_image NAME: print the built image's path, or fail.
example_image() {
    local ext
    for ext in img elf bin; do
        if [ -f "$EXAMPLES_OUT/$1.$ext" ]; then
            printf '%s\n' "$EXAMPLES_OUT/$1.$ext"
            return 0
        fi
    done
    return 1
}

# example_args NAME IMAGE: fill the array EXAMPLE_ARGS with the words of
# examples/NAME/qemu.args, @IMAGE@ replaced by IMAGE.  The file is one line
# of words separated by blanks; no quoting (no argument contains a blank).
example_args() {
    local w words
    read -r -a words < "$EXAMPLES_SRC/$1/qemu.args"
    EXAMPLE_ARGS=()
    for w in "${words[@]}"; do
        EXAMPLE_ARGS+=("${w//@IMAGE@/$2}")
    done
}

# example_run BINARY ACCEL NAME IMAGE OUT ERR [EXTRA ARGS...]: run one guest,
# serial output to OUT, the emulator's stderr to ERR; returns its exit
# status (124 when it timed out).
example_run() {
    local bin=$1 accel=$2 name=$3 image=$4 out=$5 err=$6
    shift 6
    example_args "$name" "$image"
    timeout -k 5 "$EXAMPLES_TIMEOUT" "$bin" "${EXAMPLE_ARGS[@]}" "$@" \
        -accel "$accel" < /dev/null > "$out" 2> "$err"
}

# run_reasons STATUS WANT OUT EXPECTED: why a run is not the recorded one,
# one reason a line, nothing when it is: its exit status STATUS against
# WANT (124 or 137: it timed out), its serial output, the file OUT, against
# the file EXPECTED.
run_reasons() {
    local status=$1 want=$2 out=$3 expf=$4 diff line got exp
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        printf '%s\n' "timed out after ${EXAMPLES_TIMEOUT} s"
    elif [ "$status" != "$want" ]; then
        printf '%s\n' "exit status $status, expected $want"
    fi
    if ! cmp -s "$out" "$expf"; then
        diff=$(cmp "$out" "$expf" 2>&1)
        if [ ! -s "$out" ]; then
            printf '%s\n' "no serial output"
        elif [[ $diff == *"EOF on $out"* ]]; then
            printf '%s\n' "serial output stops after line $(wc -l < "$out") of $(wc -l < "$expf")"
        elif [[ $diff == *"EOF on $expf"* ]]; then
            printf '%s\n' "serial output goes on after the expected $(wc -l < "$expf") lines"
        else
            # the first line that differs, shown as it is, shortened
            line=${diff##* line }
            got=$(sed -n "${line}p" "$out" | cut -c1-60)
            exp=$(sed -n "${line}p" "$expf" | cut -c1-60)
            printf '%s\n' "serial line $line is \"$got\", expected \"$exp\""
        fi
    fi
}

# join_reasons [REASON...]: the reasons on one line, "; " between them.
join_reasons() {
    [ $# -eq 0 ] && return 0
    local joined=$1 r
    shift
    for r in "$@"; do
        joined="$joined; $r"
    done
    printf '%s\n' "$joined"
}

# example_compare NAME OUT STATUS: compare a run with the expected files;
# prints nothing and returns 0 when they match, else prints the reason.
example_compare() {
    local reasons
    mapfile -t reasons < <(run_reasons "$3" "$(cat "$EXAMPLES_SRC/$1/expected.status")" \
        "$2" "$EXAMPLES_SRC/$1/expected.serial")
    [ ${#reasons[@]} -eq 0 ] && return 0
    join_reasons "${reasons[@]}"
    return 1
}

# example_report LABEL OUT ERR [REASON]: the line for one run, counted in
# the caller's passed or failed.  No REASON: "PASS LABEL", and the run's
# serial output OUT and stderr ERR are removed.  Else "FAIL LABEL: REASON"
# with the last line of ERR, and both files are kept.
example_report() {
    local label=$1 out=$2 err=$3 reason=${4:-} last
    if [ -z "$reason" ]; then
        echo "PASS $label"
        passed=$((passed + 1))
        rm -f "$out" "$err"
        return 0
    fi
    last=$(grep -v '^[[:space:]]*$' "$err" | tail -n 1 | cut -c1-100)
    [ -n "$last" ] && reason="$reason; stderr: $last"
    echo "FAIL $label: $reason"
    failed=$((failed + 1))
}

# example_cmdline PROG USAGE [GLASS_BINARY [ACCEL...]]: the command line of
# the run_*.sh scripts.  Sets glass, and the array accels (default:
# interp); exits 2 with "usage: PROG USAGE" when there is no GLASS_BINARY,
# or when it is not a program.
example_cmdline() {
    local prog=$1 usage=$2
    shift 2
    if [ $# -lt 1 ]; then
        echo "usage: $prog $usage" >&2
        exit 2
    fi
    glass=$1
    shift
    accels=("$@")
    [ ${#accels[@]} -eq 0 ] && accels=(interp)
    if ! command -v "$glass" > /dev/null 2>&1; then
        echo "$prog: $glass: no such program" >&2
        exit 2
    fi
}
