# args: -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw
# Single-stepping onto the HLT of kmain's "wait for 10 ticks" loop (STI;
# HLT) with external interrupts held back (step-irq off, the default) must
# come back to the prompt (halted, or the step done), not spin on HLT; then
# with step-irq on the timer interrupt gets in.
symbol-file @EX@/obj/teach/kernel.elf
break *0x100b61
continue
delete
stepi 3
set step-irq on
stepi 3
quit
