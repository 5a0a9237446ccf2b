# args: -smp 2 -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw
# `cpu` and `cpu N` on the teaching kernel with two vCPUs: the list (APIC
# ids, states, modes, CS:RIP), selecting the AP before it is started, bad
# numbers, a breakpoint hit by the AP while it is current, registers, LAPIC
# and stepping per vCPU, and a port
# breakpoint hit by the other vCPU making it current (the AP's "cpu 1:
# online" on COM1, while the BSP waits in HLT for it).
symbol-file @EX@/obj/teach/kernel.elf
cpu
cpu 1
info registers
cpu 2
cpu one
cpu -1
break ap_main
continue
cpu
info registers
stepi
cpu
cpu 0
info registers
x/i $eip
info lapic
cpu 1
info lapic
print $esp
delete
cpu 0
break port 0x3f8
continue
cpu
quit
