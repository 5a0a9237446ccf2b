# args: -kernel protected.elf -append mode=demo,answer=42
# Run control and breakpoint management on the protected-mode example:
# tbreak, disable/enable, delete N, until, next over a CALL, finish,
# conditional breakpoints with every operator, help, quit.
help
help x
help info pit
break kprintf
tbreak kmain
info breakpoints
continue
info breakpoints
disable 1
info breakpoints
until 0x1006f3
next
enable 1
continue
finish
delete 1
info breakpoints
# conditional port breakpoints: each stops on the first serial byte that
# satisfies it ("glass protected-mode ...")
tbreak port 0x3f8 if eax == 0x67
continue
tbreak port 0x3f8 if eax != 0x67
continue
tbreak port 0x3f8 if eax <= 0x61
continue
tbreak port 0x3f8 if eax > 0x72
continue
tbreak port 0x3f8 if eax < 0x41
continue
tbreak port 0x3f8 if eax >= 0x6c
continue
info breakpoints
# a conditional linear breakpoint that never holds, then one that does
break kprintf if esp == 0x1234
break *0x100dc0 if ecx >= 0
info breakpoints
continue
delete 2
delete 9 10
info breakpoints
break bogus_symbol
help nosuchcommand
quit
echo not reached
