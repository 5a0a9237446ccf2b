; trampoline.asm - where the other CPUs (APs) start.  The BSP copies this
; to 0x8000 and sends STARTUP IPIs with vector 0x08: the AP begins in real
; mode at 0800:0000 = physical 0x8000.  Below it, the BSP leaves:
;   0x7FF4  the page directory (CR3)
;   0x7FF8  the C function to call
;   0x7FFC  the top of this AP's stack
; Build: nasm -f bin -o trampoline.bin trampoline.asm

        bits 16
        org 0x8000

        cli
        xor     ax, ax
        mov     ds, ax
        lgdt    [gdt_desc]
        mov     eax, cr0
        or      eax, 1                  ; PE
        mov     cr0, eax
        jmp     dword 0x08:pm32

        bits 32
pm32:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     fs, ax
        mov     gs, ax
        mov     eax, cr4
        or      eax, 0x10               ; PSE: the kernel uses 4 MiB pages
        mov     cr4, eax
        mov     eax, [0x7FF4]
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80010000         ; PG, WP
        mov     cr0, eax
        mov     esp, [0x7FFC]
        call    [0x7FF8]
.halt:  cli
        hlt
        jmp     .halt

        align 8
gdt:
        dq      0
        dq      0x00CF9A000000FFFF      ; flat code
        dq      0x00CF92000000FFFF      ; flat data
gdt_desc:
        dw      gdt_desc - gdt - 1
        dd      gdt
