; fs.asm - builds fs.img, a teachfs disk (see disk.c for the layout).
; Build: nasm -f bin -i examples/teach/fs/ -o fs.img fs.asm

        org 0

; A directory entry: name (NUL-padded to 24 bytes), first sector, length.
%macro ENTRY 3
%%name: db %1
        times 24 - ($ - %%name) db 0
        dd (%2 - $$) / 512
        dd %3
%endmacro

superblock:
        db      "TEACHFS1"
        dd      2                       ; files
        dd      (disk_end - $$) / 512   ; sectors on the disk
        times   32 - ($ - $$) db 0
        ENTRY   "hello.txt", hello, hello_end - hello
        ENTRY   "boot.log", bootlog, 14
        times   512 - ($ - $$) db 0

hello:  incbin  "hello.txt"
hello_end:
        times   (512 - ($ - $$) % 512) % 512 db 0

bootlog:
        db      "boots: 000000", 10     ; the kernel counts its boots here
        times   (512 - ($ - $$) % 512) % 512 db 0

        times   65536 - ($ - $$) db 0   ; a 64 KiB disk
disk_end:
