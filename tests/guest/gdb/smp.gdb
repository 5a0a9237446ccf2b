# teach-kernel.img with -smp 2: a breakpoint on ap_main, which only the AP
# runs, set while thread 1 (the BSP) is gdb's current thread: the AP stops
# there and gdb switches to thread 2; stepi steps the AP; thread 1 is still
# the BSP, waiting for it.
set pagination off
set confirm off
file @ELF@
target remote 127.0.0.1:@PORT@
break ap_main
continue
info threads
printf "AP_PC=%#x\n", $pc
stepi
printf "AP_STEP_PC=%#x\n", $pc
kill
