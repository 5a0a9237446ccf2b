# args: -kernel protected.elf -append mode=demo,answer=42
# Memory views (x in every format and size, xp, SEG:OFF, disas with a
# count), symbols (info symbol, symbol-file with an offset, absolute
# symbols: found by name, never naming an address) and read,
# access and physical watchpoints on the protected-mode example.
x/s 0x1016fc
x/2s 0x1016fc
x/5c 0x1016fc
x/4xb 0x1016fc
x/2xh 0x1016fc
x/2gx 0x1016fc
x/2dw 0x1016fc
x/d 0x1016fc
x/ub 0x1016fc
x/2dh $esp
x/3uw $esp
x/2ob $esp
x/tb $esp
x/2i $eip
x
xp/4xb 0x1016fc
xp/s 0x1016fc
xp/2gx 0x1016fc
x/xw ds:0x1016fc
x/xw 0x10:0x1016fc
disas 0x100dc0 3
disas /16 0x7c00 2
disas kmain 1
info symbol 0x100dc5
info symbol put_number+0x20
info symbol 3
info symbol MB_MAGIC
print MB_FLAGS
x/2xb 0x1016fc
x
symbol-file @EX@/protected.elf 0x1000
info symbol 0x101dc0
print put_number
print MB_MAGIC
symbol-file /nonexistent.elf
rwatch page_faults
continue
info breakpoints
delete
awatch page_faults
continue
continue
delete
watch phys 0x106008 4
continue
info breakpoints
delete
rwatch phys 0x106008 4
continue
delete
continue
