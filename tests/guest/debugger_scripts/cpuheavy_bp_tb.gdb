# args: -kernel cpuheavy.elf -append iters=3 -accel bt
# A breakpoint armed while the guest runs: the code before it runs
# translated (blocks end before a breakpoint), not one instruction at a
# time on the interpreter.
break workload_run
continue
info tbstats
delete
continue
quit
