#!/bin/bash
# Scripted debugger sessions (--debug-script) on the example guests: each
# tests/guest/debugger_scripts/NAME.gdb runs with the arguments on its first
# line ("# args: ..."; image names are looked up in $BUILD/examples), and
# every line of NAME.expect (an extended regular expression) must match some
# line of the output, in order.
# Each script runs once per accelerator (default: interp and bt), unless its
# args line names one with -accel.
# Guests write their disks (the teaching kernel updates teach-fs.img), so
# every run gets fresh copies of the images it names, in a temporary
# directory; @EX@ in the args or the script stands for $BUILD/examples (for
# symbol-file on the ELFs under obj/, which are only read).
#   usage: tests/guest/run_debugger_scripts.sh GLASS [ACCEL...]
GLASS=${1:?usage: $0 GLASS [ACCEL...]}
shift
ACCELS=${*:-interp bt}
BUILD=${BUILD:-build}
DIR=$(dirname "$0")/debugger_scripts
EX=$BUILD/examples
pass=0; fail=0
for script in "$DIR"/*.gdb; do
  base=$(basename "$script" .gdb)
  args0=$(sed -n '1s/^# args: //p' "$script" | sed "s#@EX@#$EX#g")
  images=$(echo "$args0" | grep -oE -- "(-kernel |file=)[a-z0-9_.-]+" | sed -E 's#^(-kernel |file=)##')
  accels=$ACCELS
  case " $args0 " in *" -accel "*) accels=given ;; esac
  for accel in $accels; do
    name="$base ($accel)"
    accel_arg=""
    [ "$accel" != given ] && accel_arg="-accel $accel"
    tmp=$(mktemp -d)
    for img in $images; do
        cp "$EX/$img" "$tmp/$img"
    done
    args=$(echo "$args0" | sed -E "s#(-kernel |file=)([a-z0-9_.-]+)#\1$tmp/\2#g")
    sed "s#@EX@#$EX#g" "$script" > "$tmp/$base.gdb"
    out=$(timeout 60 $GLASS -m 128 -display none -serial stdio -no-reboot \
          -device isa-debug-exit,iobase=0xf4,iosize=0x04 $args $accel_arg --debug-script "$tmp/$base.gdb" \
          </dev/null 2>&1)
    rm -rf "$tmp"
    ok=1; rest="$out"; missing=""
    while IFS= read -r pat; do
        [ -z "$pat" ] && continue
        line=$(printf '%s\n' "$rest" | grep -n -E -m1 -- "$pat" | cut -d: -f1)
        if [ -z "$line" ]; then ok=0; missing="$pat"; break; fi
        rest=$(printf '%s\n' "$rest" | tail -n +"$((line + 1))")
    done < "$DIR/$base.expect"
    if [ $ok = 1 ]; then
        echo "PASS $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: no match (in order) for: $missing"; fail=$((fail + 1))
        [ -n "$VERBOSE" ] && printf '%s\n' "$out"
    fi
  done
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
