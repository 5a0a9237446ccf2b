# args: -smp 2 -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw
# Linear breakpoints are armed on every vCPU: with the BSP current, the AP
# runs over a breakpoint whose condition is false there (a tbreak, which
# would be deleted had it fired) and stops at one only it reaches, after
# printing its line; the AP becomes current, and stepi steps it.
symbol-file @EX@/obj/teach/kernel.elf
cpu
tbreak ap_main if $esp == 0x1234
break ap_main+0x50
continue
cpu
info breakpoints
stepi
cpu
quit
