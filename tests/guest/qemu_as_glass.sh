#!/bin/sh
# qemu_as_glass.sh - stands in for glass when testing the test scripts
# themselves: takes glass's command line (QEMU options plus -accel NAME)
# and runs QEMU with TCG instead.  ./run_examples.sh tests/guest/qemu_as_glass.sh
for arg; do
    shift
    case $prev in
    -accel) arg=tcg ;;
    esac
    set -- "$@" "$arg"
    prev=$arg
done
exec "${QEMU:-qemu-system-x86_64}" "$@"
