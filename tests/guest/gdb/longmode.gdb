# longmode.bin (symbols from obj/longmode.elf, an x86-64 ELF): connect in
# 32-bit protected mode without the ELF (gdb takes its architecture from
# the file, and an x86-64 file would reject glass's i386 description), load
# the symbols, step through the far jump into 64-bit code, reconnect to get
# the x86-64 description (docs/gdb.md), check the registers, detach.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
symbol-file @ELF@
show architecture
printf "START_PC=%#x\n", $pc
info registers eip
break *@JMP@
continue
x/i $pc
stepi
printf "AFTER_JMP_PC=%#x\n", $pc
info registers cs
disconnect
target remote 127.0.0.1:@PORT@
show architecture
printf "RECONNECT_PC=%#lx\n", $pc
info registers rip cs
x/2i $pc
break kmain64
continue
info registers rdi rsp rip
printf "CR0=%#lx EFER=%#lx\n", $cr0, $efer
detach
