# args: -smp 2 -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw
# The device views on the teaching kernel (two vCPUs, the PIT, the 8259A
# pair, local APIC and I/O APIC, IDE with a second disk, COM1, the RTC),
# exit breakpoints by name and number, the exit log and trace, step-irq.
symbol-file @EX@/obj/teach/kernel.elf
info symbol kmain+5
info symbol pit_init
accel
break port 0x43
continue
info tss
info ldt
info msr
info pic
info pit
info lapic
info ioapic
info irq
info rtc
info uart
info ide
delete
break exit 48
continue
info breakpoints
delete
info pit
set step-irq on
set step-irq off
break fs_boot_record
continue
info ide
delete
break exit io_instruction
trace exits on
continue
trace exits off
info exits 2
quit
