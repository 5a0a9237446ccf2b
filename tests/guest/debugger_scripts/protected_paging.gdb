# args: -kernel protected.elf -append mode=demo,answer=42
break vector 14
watch 0x40000004
continue
continue
info idt 14
info pagewalk 0x40000000
info pagewalk 0x80001234
info mem
info tlb
info ept 0x100000
delete
break port 0xf4 if eax == 0x11
continue
info exits 3
info pic
info uart
continue
