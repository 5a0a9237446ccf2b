#!/bin/sh
# Bad input: hand glass broken files and flags; each must give a non-zero
# exit (a warning case excepted) with a one-line message naming the culprit
# on stderr, never a crash (status >= 128) or a hang (10 s), and must leave
# every input file exactly as it was.
#
#   sh tests/guest/bad_input.sh ./glass
set -u

GLASS=${1:?usage: bad_input.sh path/to/glass}
case $GLASS in */*) ;; *) GLASS=./$GLASS ;; esac
[ -x "$GLASS" ] || { echo "bad_input.sh: $GLASS is not executable"; exit 2; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/glass-bad-input.XXXXXX")
trap 'rm -rf "$DIR"' EXIT INT TERM
pass=0
fail=0

# Binary files from octal escapes (printf is the only portable way).
bytes() { printf "$1"; }
zeros() { head -c "$1" /dev/zero; }

# Multiboot magic 0x1BADB002, flags 0, checksum 0xE4524FFE (little-endian).
MB_HDR='\002\260\255\033\000\000\000\000\376\117\122\344'

# A truncated ELF kernel: ELF magic, a multiboot header at offset 16, and
# the file ends at 28 bytes, long before the 52-byte ELF header does.
{ bytes '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000'; bytes "$MB_HDR"; } \
    > "$DIR/truncated.elf"
# A valid a.out-kludge multiboot kernel (flags 0x10000, loaded at 1 MiB,
# entry 0x100020 spinning on jmp $) for the module test.
{ bytes '\002\260\255\033\000\000\001\000\376\117\121\344'
  bytes '\000\000\020\000\000\000\020\000\000\000\000\000\000\000\000\000\040\000\020\000'
  bytes '\353\376'; zeros 30; } > "$DIR/aout.elf"
# A multiboot header with a bad checksum.
{ zeros 64; bytes '\002\260\255\033\000\000\000\000\377\117\122\344'; zeros 64; } > "$DIR/badsum.elf"
# Not multiboot: 16 KiB that look like a Linux bzImage ("HdrS" at 0x202).
{ zeros 514; bytes 'HdrS'; zeros 15866; } > "$DIR/bzImage"
# A disk image of 1000 bytes (not a multiple of 512) that boots: its boot
# sector writes 0 to the isa-debug-exit port 0xf4 (exit status 1), then halts.
{ bytes '\260\000\346\364\372\364'; zeros 504; bytes '\125\252'; zeros 488; } > "$DIR/odd.img"
# A disk without the 0x55AA signature.
zeros 1024 > "$DIR/nosig.img"

sums() { (cd "$DIR" && md5sum aout.elf truncated.elf badsum.elf bzImage odd.img nosig.img); }
sums > "$DIR.sums-before"

# run NAME EXPECT CULPRIT ARGS...
#   EXPECT: "error" (non-zero exit, exactly one stderr line) or "warn"
#   (any exit below 128, some stderr line).  CULPRIT must appear on stderr.
run() {
    name=$1 expect=$2 culprit=$3
    shift 3
    timeout 10 "$GLASS" "$@" > "$DIR/out" 2> "$DIR/err" < /dev/null
    status=$?
    # The board's one informational line about which accelerator "auto"
    # took is not an error message: leave it out of the count.
    lines=$(grep -vc '^glass: accel auto: ' "$DIR/err")
    why=""
    if [ "$status" = 124 ]; then
        why="hung (killed after 10 s)"
    elif [ "$status" -ge 128 ]; then
        why="crashed (exit status $status)"
    elif [ "$expect" = error ] && [ "$status" = 0 ]; then
        why="exit status 0, expected an error"
    elif [ "$expect" = error ] && [ "$lines" != 1 ]; then
        why="$lines lines on stderr, expected one"
    elif ! grep -qF -- "$culprit" "$DIR/err"; then
        why="stderr does not name '$culprit'"
    fi
    if [ -z "$why" ]; then
        echo "PASS $name: $(grep -F -m 1 -- "$culprit" "$DIR/err")"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $why; stderr:"
        sed 's/^/    /' "$DIR/err"
        fail=$((fail + 1))
    fi
}

run "missing kernel" error "$DIR/nonexistent.elf" -kernel "$DIR/nonexistent.elf"
run "truncated kernel" error "truncated ELF header" -kernel "$DIR/truncated.elf"
run "bad checksum" error "bad checksum" -kernel "$DIR/badsum.elf"
run "non-multiboot kernel" error "no multiboot header" -kernel "$DIR/bzImage"
run "kernel is a directory" error "not a regular file" -kernel "$DIR"
run "missing module" error "$DIR/nomod.bin" -kernel "$DIR/aout.elf" -initrd "$DIR/nomod.bin arg"
run "odd-size disk" warn "is 1000 bytes, not a multiple of 512" -nographic -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -drive file="$DIR/odd.img",format=raw,index=0,media=disk
run "disk without signature" error "no boot signature 0x55AA" -hda "$DIR/nosig.img"
run "missing disk" error "$DIR/nodisk.img" -drive file="$DIR/nodisk.img",format=raw,index=0
run "nothing to boot" error "nothing to boot" -m 64
run "unknown option" error "unknown option '-foo'" -foo
run "-m 0" error "-m: invalid size '0'" -m 0
run "-m too big" error "-m: size '64G'" -m 64G
run "-accel bogus" error "unknown accelerator 'bogus'" -accel bogus
run "missing argument" error "-kernel: missing argument" -kernel
run "qcow2 drive" error "format 'qcow2'" -drive file="$DIR/odd.img",format=qcow2

sums > "$DIR.sums-after"
if cmp -s "$DIR.sums-before" "$DIR.sums-after"; then
    echo "PASS input files unchanged"
    pass=$((pass + 1))
else
    echo "FAIL input files changed:"
    diff "$DIR.sums-before" "$DIR.sums-after" | sed 's/^/    /'
    fail=$((fail + 1))
fi
rm -f "$DIR.sums-before" "$DIR.sums-after"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
