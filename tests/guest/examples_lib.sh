# shellcheck shell=bash
# examples_lib.sh - shared by run_examples.sh, check_against_qemu.sh and
# bench/run.sh (source it; bash).  It knows where the example guests are,
# where their images are built and how each one is started.
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

# example_compare NAME OUT STATUS: compare a run with the expected files;
# prints nothing and returns 0 when they match, else prints the reason.
example_compare() {
    local name=$1 out=$2 status=$3 want reasons=() line got exp
    want=$(cat "$EXAMPLES_SRC/$name/expected.status")
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        reasons+=("timed out after ${EXAMPLES_TIMEOUT} s")
    elif [ "$status" != "$want" ]; then
        reasons+=("exit status $status, expected $want")
    fi
    local expf=$EXAMPLES_SRC/$name/expected.serial diff
    if ! cmp -s "$out" "$expf"; then
        diff=$(cmp "$out" "$expf" 2>&1)
        if [ ! -s "$out" ]; then
            reasons+=("no serial output")
        elif [[ $diff == *"EOF on $out"* ]]; then
            reasons+=("serial output stops after line $(wc -l < "$out") of $(wc -l < "$expf")")
        elif [[ $diff == *"EOF on $expf"* ]]; then
            reasons+=("serial output goes on after the expected $(wc -l < "$expf") lines")
        else
            # the first line that differs, shown as it is, shortened
            line=${diff##* line }
            got=$(sed -n "${line}p" "$out" | cut -c1-60)
            exp=$(sed -n "${line}p" "$expf" | cut -c1-60)
            reasons+=("serial line $line is \"$got\", expected \"$exp\"")
        fi
    fi
    [ ${#reasons[@]} -eq 0 ] && return 0
    local joined=${reasons[0]} r
    for r in "${reasons[@]:1}"; do
        joined="$joined; $r"
    done
    printf '%s\n' "$joined"
    return 1
}
