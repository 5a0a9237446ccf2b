; entry.asm - the 32-bit entry of the cpuheavy benchmark: a multiboot ELF
; kernel (Multiboot Specification 0.6.96, 3.1.1 header, 3.2 machine state).
; Set a stack, call kmain(magic, mbi).  The 64-bit variant (cpuheavy64)
; enters through examples/longmode/entry.asm instead.

        bits 32

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000003      ; page-aligned modules, memory information

        section .multiboot
        align 4
        dd      MB_MAGIC
        dd      MB_FLAGS
        dd      -(MB_MAGIC + MB_FLAGS)

        section .text
        global  _start
        extern  kmain
_start:
        mov     esp, stack_top
        push    0                   ; EFLAGS = 0: DF clear for the C code
        popfd
        push    ebx                 ; kmain(magic, mbi)
        push    eax
        call    kmain
.hang:  cli
        hlt
        jmp     .hang

        section .bss
        align   16
        resb    16384
stack_top:
