# args: -kernel longmode.bin -append mode=long
break mode long
continue
sregs
stepi 2
info pagewalk $rip
disas $rip 2
regs
continue
