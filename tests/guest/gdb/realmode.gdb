# teach-kernel.img (a boot sector, no symbols): real-mode PC as a linear
# address (CS.base + IP), CS != 0, the real-to-protected switch, then kill.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
show architecture
printf "START_PC=%#x\n", $pc
x/i $pc
set $cs = 0x7c0
set $pc = 0x7c00
monitor mode
printf "SEG_PC=%#x CS=%#x\n", $pc, $cs
x/i $pc
stepi
printf "FAR_PC=%#x CS=%#x\n", $pc, $cs
find /b 0x7c00, 0x7e00, 0x0f, 0x22, 0xc0
break *($_ + 3)
continue
x/i $pc
stepi
printf "PM_PC=%#x CS=%#x\n", $pc, $cs
monitor mode
set architecture i386
x/i $pc
kill
