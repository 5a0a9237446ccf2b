#!/usr/bin/env bash
# bench/count_insns.sh GUEST [N]
#
# Count the guest instructions in one iteration of a cpuheavy guest
# (cpuheavy or cpuheavy64), with QEMU: run it with iters=0 and iters=N
# (default 20) in single-step mode, log every executed translation block
# whose PC is in the kernel (0x100000-0x3fffff), and divide the difference
# by N.  QEMU re-executes a REP string instruction once per iteration;
# consecutive log lines with the same PC are counted once, so a REP counts
# as one instruction, as the architecture counts it.  Prints the count.
# Slow: about a minute for N = 20.  See docs/examples/cpuheavy.md.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/../tests/guest/examples_lib.sh"

guest=${1:?usage: $0 GUEST [N]}
n=${2:-20}
qemu=${QEMU:-qemu-system-x86_64}
image=$(example_image "$guest") || { echo "$0: no image for $guest; run make examples" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# QEMU looks up an ELF symbol for every logged line unless there are none.
cp "$image" "$tmp/kernel"
strip "$tmp/kernel" 2> /dev/null

count() {
    rm -f "$tmp/fifo"
    mkfifo "$tmp/fifo"
    # "Trace 0: 0x... [cs_base/pc/flags/cflags] ..." -> count PC changes
    awk -F'[[/]' '/^Trace/ { if ($3 != last) n++; last = $3 } END { print n + 0 }' \
        < "$tmp/fifo" > "$tmp/count" &
    "$qemu" -accel tcg -m 128 -display none -serial none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -singlestep -d exec,nochain -dfilter 0x100000..0x3fffff \
        -D "$tmp/fifo" -kernel "$tmp/kernel" -append "iters=$1"
    wait
    cat "$tmp/count"
}

base=$(count 0)
total=$(count "$n")
echo "$guest: $base instructions with iters=0, $total with iters=$n" >&2
echo $(( (total - base) / n ))
