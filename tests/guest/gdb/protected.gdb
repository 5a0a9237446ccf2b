# protected.elf (32-bit multiboot kernel, symbols from the ELF): a
# breakpoint on a symbol, registers and memory, a watchpoint on a global,
# a hardware breakpoint, single steps, monitor commands, then detach.
set pagination off
set confirm off
file @ELF@
target remote 127.0.0.1:@PORT@
show architecture
printf "START_PC=%#x\n", $pc
break kmain
continue
printf "AT_KMAIN=%d\n", $pc == kmain
printf "MAGIC_ARG=%#x\n", *(unsigned *)($esp + 4)
info registers
printf "PAGE_FAULTS=%d\n", *(int *)&page_faults
hbreak kprintf
continue
printf "AT_KPRINTF=%d\n", $pc == kprintf
x/s *(char **)($esp + 4)
delete
watch *(int *)&page_faults
continue
printf "PAGE_FAULTS=%d\n", *(int *)&page_faults
delete
stepi
printf "STEP1=%#x\n", $pc
stepi
printf "STEP2=%#x\n", $pc
monitor step-irq
monitor mode
detach
