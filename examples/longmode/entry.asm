; entry.asm - from multiboot's 32-bit protected mode into 64-bit long mode.
;
; Multiboot Specification 0.6.96, 3.2: we start in flat 32-bit protected
; mode, paging off, EAX = 0x2BADB002, EBX = physical address of the
; multiboot information.  Intel SDM Vol. 3A 10.8.5 "Initializing IA-32e
; Mode" lists the steps this file takes:
;   1. build 4-level page tables (here: 2 MiB pages, SDM 3A 4.5, Table 4-17)
;   2. CR4.PAE = 1
;   3. CR3 = the PML4 table
;   4. IA32_EFER.LME = 1 (MSR 0xC0000080, bit 8)
;   5. CR0.PG = 1: the CPU is now in IA-32e mode (EFER.LMA = 1), still
;      running 32-bit compatibility-mode code
;   6. a far jump to a code segment with L = 1: 64-bit mode.
;
; The image is a flat binary, not an ELF: QEMU's multiboot loader refuses
; ELF64 files, so the header below carries the "a.out kludge" addresses
; (flags bit 16, Multiboot 3.1.3) and the loader copies the file to
; load_addr as it is.  This file is shared with the cpuheavy64 example.

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00010003      ; bit 0: page-align modules
                                    ; bit 1: memory information, please
                                    ; bit 16: the address fields below are valid

EFER_MSR        equ 0xC0000080
EFER_LME        equ 1 << 8
CR0_PG          equ 1 << 31
CR4_PAE         equ 1 << 5
PG_P            equ 1 << 0          ; page-table entry bits, SDM 3A 4.5
PG_RW           equ 1 << 1
PG_PS           equ 1 << 7          ; in a PDE: a 2 MiB page

SEL_CODE64      equ 0x08
SEL_DATA        equ 0x10

        extern  __load_end, __bss_end   ; from link.ld
        extern  kmain64

; --- the multiboot header, first thing in the file ---------------------------
        section .multiboot
        bits 32
        align 4
mb_header:
        dd      MB_MAGIC
        dd      MB_FLAGS
        dd      -(MB_MAGIC + MB_FLAGS)
        dd      mb_header               ; header_addr: where this header lands
        dd      mb_header               ; load_addr: the file's first byte goes here
        dd      __load_end              ; load_end_addr: end of text + data
        dd      __bss_end               ; bss_end_addr: the loader zeroes up to here
        dd      _start32                ; entry_addr

; --- 32-bit protected mode -------------------------------------------------
        section .text32 progbits alloc exec
        bits 32
        global  _start32
_start32:
        cli
        mov     esp, stack_top
        mov     [mb_magic], eax         ; keep the loader's EAX/EBX for C
        mov     [mb_info], ebx

        ; Does this CPU do long mode?  CPUID 0x80000001: EDX bit 29 (LM).
        mov     eax, 0x80000000
        cpuid
        cmp     eax, 0x80000001
        jb      .no_long_mode
        mov     eax, 0x80000001
        cpuid
        test    edx, 1 << 29
        jz      .no_long_mode

        ; 1. Page tables.  The loader zeroed .bss, but clear them anyway:
        ;    a stale bit here would be a very confusing bug.
        mov     edi, page_tables_start
        mov     ecx, (page_tables_end - page_tables_start) / 4
        xor     eax, eax
        rep     stosd

        ; Virtual 0..1 GiB -> physical 0..1 GiB: PML4[0] -> PDPT[0] -> PD,
        ; 512 PDEs of 2 MiB each.
        mov     dword [pml4], pdpt + (PG_RW | PG_P)
        mov     dword [pdpt], pd + (PG_RW | PG_P)
        mov     edi, pd
        mov     eax, PG_PS | PG_RW | PG_P
        mov     ecx, 512
.fill_pd:
        mov     [edi], eax              ; low half: physical address + flags
        mov     dword [edi + 4], 0      ; high half: address bits 32 and up
        add     eax, 0x200000
        add     edi, 8
        loop    .fill_pd

        ; The same 1 GiB once more at 0xFFFFFFFF80000000 (the top 2 GiB,
        ; where kernels usually live): PML4[511] -> PDPT_HIGH[510] -> PD.
        mov     dword [pml4 + 511 * 8], pdpt_high + (PG_RW | PG_P)
        mov     dword [pdpt_high + 510 * 8], pd + (PG_RW | PG_P)

        ; 2. PAE on.
        mov     eax, cr4
        or      eax, CR4_PAE
        mov     cr4, eax
        ; 3. CR3 = PML4.
        mov     eax, pml4
        mov     cr3, eax
        ; 4. EFER.LME on.
        mov     ecx, EFER_MSR
        rdmsr
        or      eax, EFER_LME
        wrmsr
        ; 5. Paging on: IA-32e mode is active from here.
        mov     eax, cr0
        or      eax, CR0_PG
        mov     cr0, eax
        ; 6. A GDT with a 64-bit code segment, and a far jump into it.
        lgdt    [gdt_ptr]
        jmp     SEL_CODE64:long_mode_entry

.no_long_mode:
        mov     dx, 0xF4                ; isa-debug-exit with code 2: status 5
        mov     eax, 2
        out     dx, eax
.hang32:
        hlt
        jmp     .hang32

; --- 64-bit mode -----------------------------------------------------------
        section .text
        bits 64
        default rel                     ; [symbol] is RIP-relative from here on
long_mode_entry:
        mov     ax, SEL_DATA            ; in 64-bit mode DS/ES/SS bases are
        mov     ds, ax                  ; ignored, but stale 32-bit selectors
        mov     es, ax                  ; are not welcome either
        mov     ss, ax
        xor     eax, eax
        mov     fs, ax
        mov     gs, ax
        mov     rsp, stack_top          ; 16-byte aligned (System V ABI)
        mov     edi, [mb_magic]         ; kmain64(magic, mbi): RDI, RSI;
        mov     esi, [mb_info]          ; 32-bit MOVs clear the upper halves
        call    kmain64
.hang:  cli
        hlt
        jmp     .hang

; 64-bit interrupt and exception entry (SDM 3A 6.14.2): the CPU aligns RSP
; to 16 bytes and pushes SS, RSP, RFLAGS, CS, RIP and maybe an error code.
; Each stub pushes a dummy error code when there is none and the vector,
; then isr_common64 saves the general registers and calls
;     void isr_dispatch64(struct trap_frame64 *frame)
; which may change the saved registers, including RIP.
        extern  isr_dispatch64

%macro ISR_NOERR 1
isr%1:  push    0
        push    %1
        jmp     isr_common64
%endmacro
%macro ISR_ERR 1
isr%1:  push    %1
        jmp     isr_common64
%endmacro

ISR_NOERR 0
ISR_NOERR 1
ISR_NOERR 2
ISR_NOERR 3
ISR_NOERR 4
ISR_NOERR 5
ISR_NOERR 6
ISR_NOERR 7
ISR_ERR   8
ISR_NOERR 9
ISR_ERR   10
ISR_ERR   11
ISR_ERR   12
ISR_ERR   13
ISR_ERR   14
ISR_NOERR 15
ISR_NOERR 16
ISR_ERR   17
ISR_NOERR 18
ISR_NOERR 19
ISR_NOERR 20
ISR_ERR   21
%assign v 22
%rep 10
ISR_NOERR v
%assign v v + 1
%endrep

isr_common64:
        push    rax
        push    rbx
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    rbp
        push    r8
        push    r9
        push    r10
        push    r11
        push    r12
        push    r13
        push    r14
        push    r15                     ; 15 registers + 2 + 5 = 22 qwords:
        cld                             ; RSP stays 16-byte aligned
        mov     rdi, rsp
        call    isr_dispatch64
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rbp
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rbx
        pop     rax
        add     rsp, 16                 ; the vector and the error code
        iretq

        section .rodata
        global  isr_stubs64
isr_stubs64:
%assign v 0
%rep 32
        dq      isr %+ v
%assign v v + 1
%endrep

; --- data --------------------------------------------------------------------
        section .data
        align 8
; SDM 3A 3.4.5 and 5.2.1: in 64-bit mode base and limit are ignored; what
; matters is P, DPL, S, type and, for code, L = 1 with D = 0.
gdt:
        dq      0                       ; null
        dq      0x00AF9A000000FFFF      ; 0x08: code, L = 1, execute/read
        dq      0x00CF92000000FFFF      ; 0x10: data, read/write
gdt_end:
gdt_ptr:
        dw      gdt_end - gdt - 1
        dd      gdt                     ; LGDT in 32-bit code: a 32-bit base

mb_magic:       dd 0
mb_info:        dd 0

        section .bss
        align   4096
page_tables_start:
pml4:           resb 4096
pdpt:           resb 4096
pdpt_high:      resb 4096
pd:             resb 4096
page_tables_end:
        align   16
                resb 16384
stack_top:
