; entry.asm - the first instructions of the protected-mode example, and the
; small pieces of it that C cannot express: loading GDTR and the segment
; registers, and the interrupt entry stubs.
;
; Multiboot Specification 0.6.96, 3.2 "Machine state": on entry EAX holds
; 0x2BADB002, EBX the physical address of the multiboot information, CS/DS/
; ES/FS/GS/SS are flat 4 GiB segments, paging is off, interrupts are
; disabled; ESP, GDTR and IDTR are undefined, so we set them ourselves.

        bits 32

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000003      ; bit 0: page-align modules
                                    ; bit 1: give us mem_lower/mem_upper/mmap
                                    ; (no bit 16: this is an ELF, the loader
                                    ;  takes the addresses from its headers)

; 3.1.1 "The layout of Multiboot header": magic, flags, checksum, with
; magic + flags + checksum = 0 (mod 2^32).  The linker script puts this
; section first, well inside the first 8192 bytes of the file.
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
        xor     ebp, ebp            ; the end of the frame-pointer chain
        push    0                   ; clear EFLAGS (DF, IF, ...): SDM 3A 2.3
        popfd
        push    ebx                 ; kmain(magic, mbi)
        push    eax
        call    kmain
.hang:  cli
        hlt
        jmp     .hang

; void gdt_load(const struct gdt_ptr *ptr, uint16_t code_sel, uint16_t data_sel)
;
; LGDT alone changes nothing visible: each segment register keeps its cached
; descriptor until it is loaded again (SDM 3A 3.4.3).  So reload the data
; segments with MOV and CS with a far return.
        global  gdt_load
gdt_load:
        mov     eax, [esp + 4]
        lgdt    [eax]
        mov     eax, [esp + 12]
        mov     ds, ax
        mov     es, ax
        mov     fs, ax
        mov     gs, ax
        mov     ss, ax
        pop     edx                 ; our return address
        movzx   eax, word [esp + 4] ; code_sel (the stack moved by 4)
        push    eax
        push    edx
        retf                        ; pops EIP, then CS

; Interrupt and exception entry (SDM 3A 6.12.1).  The CPU pushes EFLAGS, CS,
; EIP and, for some exceptions, an error code.  Each stub makes the frame
; uniform - a dummy 0 where the CPU pushes no error code - adds the vector
; number and the general registers, and calls
;     void isr_dispatch(struct trap_frame *frame)
; which may change the saved registers; IRETD resumes at the saved EIP.
        extern  isr_dispatch

%macro ISR_NOERR 1
isr%1:  push    0
        push    %1
        jmp     isr_common
%endmacro
%macro ISR_ERR 1                    ; the CPU already pushed an error code
isr%1:  push    %1
        jmp     isr_common
%endmacro

; Vectors with an error code: 8, 10-14, 17, 21 (SDM 3A Table 6-1).
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

isr_common:
        pushad                      ; EAX ECX EDX EBX ESP EBP ESI EDI
        cld                         ; the C code expects DF = 0
        push    esp                 ; the argument: a pointer to the frame
        call    isr_dispatch
        add     esp, 4
        popad
        add     esp, 8              ; drop the vector and the error code
        iretd

; The stub addresses, for the C code that fills the IDT.
        section .rodata
        global  isr_stubs
isr_stubs:
%assign v 0
%rep 32
        dd      isr %+ v
%assign v v + 1
%endrep

        section .bss
        align   16
        resb    16384
stack_top:
