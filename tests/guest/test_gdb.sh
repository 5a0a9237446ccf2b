#!/usr/bin/env bash
# test_gdb.sh GLASS_BINARY
#
# Debian's gdb against glass's gdb stub (docs/gdb.md): gdb in batch mode
# runs the command files in tests/guest/gdb/ against `glass -gdb tcp::PORT
# -S` on the example guests, and this script checks what gdb printed and
# how glass ended.  One PASS/FAIL line a check, then "N passed, N failed".
# Needs the example images (make examples teach) in $BUILD/examples
# (BUILD defaults to build).  Logs: $BUILD/tests/guest/gdb-*.
set -u

glass=${1:?usage: $0 GLASS_BINARY [ACCEL]}
accel=${2:-}   # e.g. interp or bt; default: -accel auto
BUILD=${BUILD:-build}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ex=$BUILD/examples
logs=$BUILD/tests/guest
mkdir -p "$logs"
passed=0
failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

if ! command -v gdb > /dev/null; then
    echo "FAIL gdb: not installed (apt-get install gdb)"
    echo "0 passed, 1 failed"
    exit 1
fi

# check NAME FILE PATTERN: PASS when the extended regex is in FILE.
check() {
    if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1" "no /$3/ in $2"; fi
}

# run_case NAME GDBFILE SEDEXPR GLASS_ARGS...: start glass on a free port,
# run gdb on the command file (tests/guest/gdb/GDBFILE, or an absolute
# path; placeholders filled by SEDEXPR and @PORT@),
# wait for glass; leaves $logs/gdb-NAME.{gdb,out,serial,stderr,status}.
run_case() {
    local name=$1 cmds=$2 sedexpr=$3
    shift 3
    local base=$logs/gdb-$name port pid tries=0
    while :; do
        port=$((20000 + RANDOM % 40000))
        timeout 60 "$glass" ${accel:+-accel "$accel"} -gdb "tcp::$port" -S "$@" > "$base.serial" 2> "$base.stderr" < /dev/null &
        pid=$!
        for _ in $(seq 50); do
            grep -q "waiting for gdb" "$base.stderr" 2> /dev/null && break
            kill -0 $pid 2> /dev/null || break
            sleep 0.1
        done
        grep -q "waiting for gdb" "$base.stderr" && break
        wait $pid 2> /dev/null
        tries=$((tries + 1))
        if ! grep -q "cannot listen" "$base.stderr" || [ $tries -ge 5 ]; then
            echo "glass did not start listening: $(head -3 "$base.stderr")" > "$base.out"
            echo none > "$base.status"
            return
        fi
    done
    case $cmds in /*) ;; *) cmds=$here/gdb/$cmds ;; esac    # a file here, or a path
    sed -e "s|@PORT@|$port|g" -e "$sedexpr" "$cmds" > "$base.gdb"
    timeout 60 gdb -batch -nx -x "$base.gdb" > "$base.out" 2>&1 < /dev/null
    wait $pid
    echo $? > "$base.status"
}

# ---- protected.elf: symbols, registers, memory, watch, hbreak, detach ----
elf=$ex/protected.elf
run_case protected protected.gdb "s|@ELF@|$elf|" \
    -nographic -m 128 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$elf" -append mode=demo,answer=42
out=$logs/gdb-protected.out
check "protected: description is i386" "$out" 'currently "i386"'
check "protected: stopped at the multiboot entry (-S)" "$out" "START_PC=$(nm "$elf" | awk '$3=="_start"{print "0x"substr($1,3)}')"
check "protected: breakpoint on kmain hit" "$out" '^Breakpoint 1, .* in kmain'
check "protected: \$pc == kmain" "$out" '^AT_KMAIN=1'
check "protected: stack argument (multiboot magic)" "$out" '^MAGIC_ARG=0x2badb002'
check "protected: 32-bit register layout (eax, eip, no rip)" "$out" '^eip +0x1006d0'
check "protected: eax holds the multiboot magic" "$out" '^eax +0x2badb002'
check "protected: global variable read" "$out" '^PAGE_FAULTS=0'
check "protected: hardware breakpoint on kprintf" "$out" '^AT_KPRINTF=1'
check "protected: string read from guest memory" "$out" 'glass protected-mode example'
check "protected: watchpoint on page_faults" "$out" 'New value = 1'
check "protected: global variable after the watchpoint" "$out" '^PAGE_FAULTS=1'
check "protected: stepi moves the pc" "$out" '^STEP2=0x'
check "protected: monitor step-irq" "$out" 'step-irq is off'
check "protected: detached" "$out" 'Inferior 1 .* detached'
check "protected: the guest ran on after detach" "$logs/gdb-protected.serial" 'protected mode done'
check "protected: glass exit status 35 (the guest's)" "$logs/gdb-protected.status" '^35$'

# ---- monitor CMD: the REPL's commands from gdb (qRcmd) -------------------
monitor_cmds=$(cd "$logs" && pwd)/gdb-monitor.cmds
cat > "$monitor_cmds" <<'EOF'
set pagination off
set confirm off
file @ELF@
target remote 127.0.0.1:@PORT@
break kmain
continue
monitor info registers
monitor info symbol kmain+4
monitor cpu
monitor stepi
monitor cpu 1
monitor set eax = 0x1234
maintenance flush register-cache
printf "EAX=%#x\n", $eax
monitor accel bt
monitor info tbstats
monitor help
continue
EOF
run_case monitor "$monitor_cmds" "s|@ELF@|$elf|" \
    -nographic -m 128 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$elf" -append mode=demo,answer=42
out=$logs/gdb-monitor.out
check "monitor: info registers (the REPL's view)" "$out" '^eax  0x2badb002  ebx  0x[0-9a-f]{8}  ecx'
check "monitor: info symbol" "$out" '^0x[0-9a-f]+ is kmain\+0x4$'
check "monitor: cpu lists the vCPU" "$out" '^\* 0 +0 +running +protected mode +0008:[0-9a-f]{8} <kmain>$'
check "monitor: stepi is refused (gdb runs the guest)" "$out" '^monitor stepi: this runs the guest'
check "monitor: cpu N is refused (gdb's thread N)" "$out" '^monitor cpu 1: .*thread N\+1'
check "monitor: set eax writes the register" "$out" '^EAX=0x1234$'
check "monitor: accel bt" "$out" '^accelerator: ([a-z]+ -> )?bt$'
check "monitor: info tbstats on bt" "$out" '^blocks: [0-9]+ translated'
check "monitor: help lists the REPL's commands" "$out" '^  symbol-file$'
check "monitor: the guest finished on bt" "$logs/gdb-monitor.serial" 'protected mode done'
check "monitor: glass exit status 35 (the guest's)" "$logs/gdb-monitor.status" '^35$'

# ---- longmode.bin: the protected-to-long switch --------------------------
lelf=$ex/obj/longmode.elf
# the far jump: the 7-byte instruction before _start32.no_long_mode
sym() { nm "$lelf" 2> /dev/null | awk -v n="$1" '$3==n{print $1}'; }
jmp=$(printf '0x%x' $((16#$(sym _start32.no_long_mode) - 7)))
lme=$(printf '0x%x' $((16#$(sym long_mode_entry))))
run_case longmode longmode.gdb "s|@ELF@|$lelf|;s|@JMP@|$jmp|" \
    -nographic -m 128 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$ex/longmode.bin" -append mode=long
out=$logs/gdb-longmode.out
check "longmode: connected in 32-bit protected mode, i386" "$out" 'currently "i386"'
check "longmode: 32-bit layout (eip)" "$out" '^eip +0x'
check "longmode: breakpoint at the far jump" "$out" "^Breakpoint 1, $(printf '0x%08x' "$jmp")"
check "longmode: the far jump disassembled" "$out" 'ljmp +\$0x8,'
check "longmode: glass announces the switch to 64-bit code" "$out" 'glass: the guest now runs 64-bit code'
check "longmode: \$pc after stepi is long_mode_entry" "$out" "^AFTER_JMP_PC=$lme\$"
if grep -q "too long" "$out"; then fail "longmode: no 'Remote g packet reply is too long'"; else pass "longmode: no 'Remote g packet reply is too long'"; fi
check "longmode: reconnected with i386:x86-64" "$out" 'currently "i386:x86-64"'
check "longmode: \$pc after reconnect" "$out" "^RECONNECT_PC=$lme\$"
check "longmode: 64-bit layout (rip)" "$out" "^rip +$lme"
check "longmode: breakpoint on kmain64" "$out" '^Breakpoint 2, .* in kmain64'
check "longmode: rdi holds the magic (64-bit register)" "$out" '^rdi +0x2badb002'
check "longmode: control registers (CR0.PG, EFER.LMA)" "$out" '^CR0=0x800000[0-9a-f]{2} EFER=0x5'
check "longmode: the guest ran on after detach" "$logs/gdb-longmode.serial" 'long mode done'
check "longmode: glass exit status 37 (the guest's)" "$logs/gdb-longmode.status" '^37$'

# ---- teach-kernel.img: real mode and the real-to-protected switch --------
# The teaching kernel writes to its file-system disk: run on copies, so the
# build's images stay as built (other tests compare against them).
scratch=$(mktemp -d "${TMPDIR:-/tmp}/glass-gdb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
cp "$ex/teach-fs.img" "$ex/teach-kernel.img" "$scratch/"
run_case realmode realmode.gdb "s|@ELF@||" \
    -nographic -m 128 -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -drive "file=$scratch/teach-fs.img,index=1,media=disk,format=raw" \
    -drive "file=$scratch/teach-kernel.img,index=0,media=disk,format=raw"
out=$logs/gdb-realmode.out
check "realmode: description is i8086" "$out" 'currently "i8086"'
check "realmode: pc is the boot sector's linear address" "$out" '^START_PC=0x7c00$'
check "realmode: 16-bit disassembly" "$out" 'ljmp +\$0x0,\$0x7c05'
check "realmode: pc = CS.base + IP with CS=07c0" "$out" '^SEG_PC=0x7c00 CS=0x7c0$'
check "realmode: monitor mode shows CS:IP" "$out" 'real mode, 16-bit code, CS:IP 07c0:0 \(linear 7c00\)'
check "realmode: far jump to 0000:7c05" "$out" '^FAR_PC=0x7c05 CS=0$'
check "realmode: glass announces 32-bit code" "$out" 'glass: the guest now runs 32-bit code'
check "realmode: protected mode after the far jump" "$out" '^PM_PC=0x7c[0-9a-f]+ CS=0x8$'
check "realmode: monitor mode in protected mode" "$out" 'protected mode, 32-bit code'
check "realmode: 32-bit disassembly after set architecture" "$out" 'mov +\$0x10,%ax'
check "realmode: kill ends glass (status 0)" "$logs/gdb-realmode.status" '^0$'

# ---- teach-kernel.img -smp 2: a breakpoint reached by the other vCPU ----------
cp "$ex/teach-fs.img" "$scratch/smp-fs.img"
run_case smp smp.gdb "s|@ELF@|$ex/obj/teach/kernel.elf|" \
    -nographic -m 128 -no-reboot -smp 2 \
    -drive "file=$scratch/smp-fs.img,index=1,media=disk,format=raw" \
    -drive "file=$scratch/teach-kernel.img,index=0,media=disk,format=raw"
out=$logs/gdb-smp.out
check "smp: the AP hits ap_main, gdb switches to thread 2" "$out" '^Thread 2 hit Breakpoint 1, .* in ap_main'
check "smp: info threads, thread 2 current at ap_main" "$out" '^\* 2 +Thread 2 \(vCPU 1, protected mode\) .* in ap_main'
check "smp: thread 1 is the BSP, elsewhere" "$out" '^  1 +Thread 1 \(vCPU 0, protected mode\)'
ap_main=$((0x$(nm "$ex/obj/teach/kernel.elf" | awk '$3=="ap_main"{print $1}')))
check "smp: \$pc is ap_main" "$out" "^AP_PC=$(printf '%#x' $ap_main)$"
check "smp: stepi steps the AP (sub esp, 0xc: 3 bytes)" "$out" "^AP_STEP_PC=$(printf '%#x' $((ap_main + 3)))$"

# ---- Ctrl-C: gdb's 0x03 byte interrupts a running guest ------------------
if command -v python3 > /dev/null; then
    base=$logs/gdb-ctrlc
    port=$((20000 + RANDOM % 40000))
    timeout 60 "$glass" ${accel:+-accel "$accel"} -gdb "tcp::$port" -S -nographic -m 128 -no-reboot \
        -drive "file=$scratch/teach-fs.img,index=1,media=disk,format=raw" \
        -drive "file=$scratch/teach-kernel.img,index=0,media=disk,format=raw" \
        > "$base.serial" 2> "$base.stderr" < /dev/null &
    pid=$!
    sleep 0.5
    timeout 30 python3 - "$port" > "$base.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def pkt(data):
    s.sendall(b"$%s#%02x" % (data, sum(data) & 0xff))
pending = b""
def reply():
    # the next packet that is not console output ('O')
    global pending
    while True:
        while not (b"#" in pending and len(pending) >= pending.index(b"#") + 3):
            pending += s.recv(4096)
        start, end = pending.index(b"$") + 1, pending.index(b"#")
        body, pending = pending[start:end], pending[end + 3:]
        if not (body.startswith(b"O") and body != b"OK"):
            return body
pkt(b"QStartNoAckMode"); print("noack", reply())
s.sendall(b"+")   # the last ack: the stub waits for it
pkt(b"vCont;c")
time.sleep(1.0)
s.sendall(b"\x03")
print("stop", reply().decode())
pkt(b"qC"); print("qC", reply().decode())
pkt(b"k")
PY
    wait $pid
    echo $? > "$base.status"
    check "ctrl-c: 0x03 stops the running guest with SIGINT" "$base.out" '^stop T02thread:1;'
    check "ctrl-c: the stub answers after the stop" "$base.out" '^qC QC1'
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
