#!/usr/bin/env bash
# test_accel_switch.sh GLASS_BINARY
#
# Switching accelerators while the guest runs (machine_switch_accel, the
# debugger's `accel NAME`), and the debugger's run loop on a multi-CPU
# guest (machine_run_debug).  Each case is a --debug-script run; the guest
# must end exactly as a run without the debugger does:
#   - cpuheavy, protected, longmode: `stepi 30000` / `accel bt` / `stepi
#     30000` / `accel interp` / ... / `continue`, starting on interp and on
#     bt; serial output and exit status compared with the example's
#     expected.serial / expected.status (kvm joins the rotation where it is
#     usable; elsewhere `accel kvm` must say why it cannot);
#   - the teaching kernel with -smp 2: break on fs_mount (after the APs
#     started), continue to the end; and the same with switches on the way.
#     Serial output, exit status and the second disk are compared with a
#     run of the same kernel without the debugger.
# One line per case, PASS/FAIL, then "N passed, N failed".  BUILD and
# EXAMPLES_TIMEOUT as in examples_lib.sh.
set -u

. "$(dirname "${BASH_SOURCE[0]}")/examples_lib.sh"

glass=${1:?usage: $0 GLASS_BINARY}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
    [ -n "${VERBOSE:-}" ] && cat "$tmp/dbg.out"
}

# The rotation, starting on FIRST: to the other one, back, to kvm (which
# either works or says why not), to the other one, to the end.
rotation() {
    local first=$1 other=bt
    [ "$first" = bt ] && other=interp
    printf '%s\n' "stepi 30000" "accel $other" "stepi 30000" "accel $first" \
        "stepi 30000" "accel kvm" "stepi 1000" "accel $other" "continue"
}

# check_switches: the switches the script asked for were all made (kvm
# only where it is usable; elsewhere `accel kvm` must say why not).
check_switches() {
    local n want=3
    n=$(grep -c -E "^accelerator: [a-z]+ -> [a-z]+$" "$tmp/dbg.out")
    if grep -q -E "^accelerator: [a-z]+ -> kvm$" "$tmp/dbg.out"; then
        want=4
    elif ! grep -q "cannot switch to 'kvm': kvm is not usable here: ." "$tmp/dbg.out"; then
        echo "accel kvm neither switched nor said why it cannot"
        return 1
    fi
    if [ "$n" != "$want" ]; then
        echo "$n switches made, expected $want"
        return 1
    fi
    return 0
}

for name in cpuheavy protected longmode; do
    image=$(example_image "$name") || { fail "$name" "no image (make examples)"; continue; }
    example_args "$name" "$image"
    args=()
    for w in "${EXAMPLE_ARGS[@]}"; do
        [ "$w" = stdio ] && w=file:$tmp/serial
        args+=("$w")
    done
    for first in interp bt; do
        case_name="$name ($first, switching)"
        rotation "$first" > "$tmp/script.gdb"
        rm -f "$tmp/serial"
        timeout -k 5 "$EXAMPLES_TIMEOUT" "$glass" "${args[@]}" -accel "$first" \
            --debug-script "$tmp/script.gdb" < /dev/null > "$tmp/dbg.out" 2>&1
        status=$?
        [ -f "$tmp/serial" ] || : > "$tmp/serial"
        if ! why=$(example_compare "$name" "$tmp/serial" "$status"); then
            fail "$case_name" "$why"
        elif ! why=$(check_switches); then
            fail "$case_name" "$why"
        else
            pass "$case_name"
        fi
    done
done

# --- the teaching kernel, -smp 2 ---------------------------------------------

src=$EXAMPLES_SRC/teach
kernel=$EXAMPLES_OUT/teach-kernel.img
fs=$EXAMPLES_OUT/teach-fs.img
elf=$EXAMPLES_OUT/obj/teach/kernel.elf

# teach_run TAG [GLASS ARGS...]: fresh disks, serial to $tmp/TAG.serial;
# sets STATUS.
teach_run() {
    local tag=$1 w words args=()
    shift
    cp "$kernel" "$tmp/kernel.img"
    cp "$fs" "$tmp/fs.img"
    read -r -a words < "$src/teach.args"
    for w in "${words[@]}"; do
        w=${w//@IMAGE@/$tmp/kernel.img}
        w=${w//@FS@/$tmp/fs.img}
        [ "$w" = mon:stdio ] && w=file:$tmp/$tag.serial
        args+=("$w")
    done
    timeout -k 5 "$EXAMPLES_TIMEOUT" "$glass" "${args[@]}" -smp 2 "$@" \
        < /dev/null > "$tmp/dbg.out" 2>&1
    STATUS=$?
    sha256sum < "$tmp/fs.img" | cut -d' ' -f1 > "$tmp/$tag.fs"
}

if [ ! -f "$kernel" ] || [ ! -f "$fs" ] || [ ! -f "$elf" ]; then
    fail "teach smp2" "no images $kernel, $fs, $elf; run make teach"
else
    teach_run ref -accel interp
    ref_status=$STATUS
    for variant in plain switching; do
        {
            echo "symbol-file $elf"
            echo "break fs_mount"
            echo "continue"
            echo "info symbol \$eip"
            echo "delete"
            if [ $variant = switching ]; then
                echo "accel bt"
                echo "stepi 20000"
                echo "accel interp"
                echo "stepi 20000"
                echo "accel bt"
            fi
            echo "continue"
        } > "$tmp/script.gdb"
        case_name="teach smp2 under the debugger (break fs_mount, $variant)"
        teach_run dbg -accel interp --debug-script "$tmp/script.gdb"
        if ! grep -q "is fs_mount" "$tmp/dbg.out"; then
            fail "$case_name" "did not stop at fs_mount"
        elif [ "$STATUS" != "$ref_status" ]; then
            fail "$case_name" "exit status $STATUS, without the debugger $ref_status"
        elif ! cmp -s "$tmp/dbg.serial" "$tmp/ref.serial"; then
            fail "$case_name" "serial output differs from the run without the debugger"
        elif ! cmp -s "$tmp/dbg.fs" "$tmp/ref.fs"; then
            fail "$case_name" "the fs disk differs from the run without the debugger"
        else
            pass "$case_name"
        fi
    done
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
