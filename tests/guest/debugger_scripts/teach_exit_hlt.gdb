# args: -drive file=teach-kernel.img,index=0,media=disk,format=raw -drive file=teach-fs.img,index=1,media=disk,format=raw
# break exit HLT on the teaching kernel (one vCPU): kmain waits for 10
# timer ticks with STI; HLT, so the first HLT exit is there, before
# "timer: ok" is printed.
symbol-file @EX@/obj/teach/kernel.elf
break exit HLT
continue
info exits 1
quit
