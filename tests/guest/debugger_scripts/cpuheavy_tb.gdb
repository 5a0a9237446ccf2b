# args: -kernel cpuheavy.elf -append iters=3 -accel bt
info tbstats
info tb
continue
info tbstats
info tb kmain
help info tb
quit
