# args: -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw -accel bt
# The teaching kernel run to its end on bt: info tbstats counts the system
# calls (INT 0x40) its user processes made, delivered as events raised by
# instructions; the timer's interrupts are not among them.
continue
info tbstats
quit
