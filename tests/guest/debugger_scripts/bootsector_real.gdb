# args: -drive file=bootsector.img,format=raw,index=0,media=disk
regs
x/2i 0x7c00
break *phys 0x7c05
continue
stepi 2
x/2xh cs:ip
xp/4xb 0x7c00
info idt 0x10
break mode protected
tbreak port 0x3f8
continue
info breakpoints
delete
continue
