#!/usr/bin/env bash
# run_kvm.sh GLASS_BINARY
#
# Boot every example guest (and the teaching kernel) with -accel kvm and
# compare with what QEMU printed, as run_examples.sh and run_teach.sh do for
# the other accelerators.  Where KVM cannot be used, every run is skipped
# with the reason, one line each:
#     SKIP kvm: NAME: REASON
# and the last line is "N passed, N failed, N skipped"; exit status 1 only
# if something failed.  Reasons:
#   - /dev/kvm missing, or not accessible (read/write) to this user;
#   - this glass has no kvm accelerator (-accel kvm says so);
#   - /dev/kvm is PVM (module kvm_pvm, or a CPU without vmx/svm flags):
#     there only 64-bit ring-3 code runs natively, the rest is emulated,
#     and 32-bit paging triple-faults, so the guests that use 32-bit paging
#     (protected, teach) are skipped; the others run.
#
# Build the images first (make examples teach).  BUILD, EXAMPLES_TIMEOUT:
# see examples_lib.sh.  EXAMPLES="a b" runs only those examples.
set -u

here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=tests/guest/examples_lib.sh
. "$here/examples_lib.sh"

example_cmdline "$0" GLASS_BINARY "$@"      # no ACCEL: always kvm

# Guests that turn on 32-bit (non-PAE) paging: PVM cannot run them.
paging32="protected teach"

names=${EXAMPLES:-$(examples_list) teach}
passed=0
failed=0
skipped=0

skip() {
    echo "SKIP kvm: $1: $2"
    skipped=$((skipped + 1))
}

# Why KVM cannot run anything here ("" if it can).
kvm_unusable() {
    if [ ! -e /dev/kvm ]; then
        echo "/dev/kvm missing"
    elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "/dev/kvm not accessible (no read/write permission; group kvm?)"
    fi
}

# Why KVM here is PVM ("" if it is not).
kvm_pvm() {
    if [ -d /sys/module/kvm_pvm ]; then
        echo "/dev/kvm is PVM (/sys/module/kvm_pvm exists)"
    elif grep -q '^kvm_pvm ' /proc/modules 2> /dev/null; then
        echo "/dev/kvm is PVM (module kvm_pvm is loaded)"
    elif ! grep -qwE 'vmx|svm' /proc/cpuinfo 2> /dev/null; then
        echo "/dev/kvm is not VT-x/AMD-V (no vmx or svm cpu flag: PVM)"
    fi
}

unusable=$(kvm_unusable)
pvm=$(kvm_pvm)
logdir=$EXAMPLES_OUT/../tests/guest
mkdir -p "$logdir"

for name in $names; do
    if [ -n "$unusable" ]; then
        skip "$name" "$unusable"
        continue
    fi
    if [ -n "$pvm" ] && [[ " $paging32 " == *" $name "* ]]; then
        skip "$name" "$pvm, where 32-bit paging triple-faults"
        continue
    fi
    if [ "$name" = teach ]; then
        # run_teach.sh prints PASS/FAIL lines and "N passed, N failed".
        out=$(bash "$here/run_teach.sh" "$glass" kvm)
        printf '%s\n' "$out" | grep -E '^(PASS|FAIL)'
        p=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n 1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n 1)
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-1}))
        continue
    fi
    if ! image=$(example_image "$name"); then
        echo "FAIL $name (kvm): no image $EXAMPLES_OUT/$name.{img,elf,bin}; run make examples"
        failed=$((failed + 1))
        continue
    fi
    out=$logdir/$name.kvm.serial
    err=$logdir/$name.kvm.stderr
    example_run "$glass" kvm "$name" "$image" "$out" "$err"
    status=$?
    # A glass without the kvm accelerator: nothing else will run either.
    if grep -qE -- '-accel kvm: (not built|unknown accelerator)' "$err"; then
        unusable="this glass has no kvm accelerator ($(grep -m1 -- '-accel kvm' "$err" | cut -c1-80))"
        skip "$name" "$unusable"
        rm -f "$out" "$err"
        continue
    fi
    reason=$(example_compare "$name" "$out" "$status")
    example_report "$name (kvm)" "$out" "$err" "$reason"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
