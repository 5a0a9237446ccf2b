# args: -kernel protected.elf -append mode=demo,answer=42
regs
sregs
info gdt
disas _start 3
info symbol $eip
break kmain
continue
stepi
next
x/4xw $esp
print kmain+4
info breakpoints
help break
quit
