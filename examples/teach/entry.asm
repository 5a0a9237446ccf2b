; entry.asm - the kernel's assembly: its first instruction, the interrupt
; entry stubs, the return-to-user path and the context switch.  Also the
; two binaries the kernel carries: the AP start-up code and the user
; program (built separately, included with INCBIN).

        bits 32

; ---- the kernel's first instruction (the boot sector jumps here) --------
        section .text.entry
        global  _start
        extern  kmain, __bss_start, __bss_end
_start:
        mov     esp, boot_stack_top
        ; The flat binary holds no .bss: zero it ourselves.
        mov     edi, __bss_start
        mov     ecx, __bss_end
        sub     ecx, edi
        xor     eax, eax
        cld
        rep     stosb
        call    kmain
.hang:  cli
        hlt
        jmp     .hang

; ---- interrupt entry ----------------------------------------------------
; One stub per vector.  The CPU pushes an error code for some exceptions
; (8, 10-14, 17, 21); for the others we push 0 so every trap frame has the
; same layout (struct trapframe in kernel.h).  Then the vector number.
        section .text
%macro VECTOR 1
vector%1:
%if (%1 = 8) || (%1 >= 10 && %1 <= 14) || (%1 = 17) || (%1 = 21)
%else
        push    0
%endif
        push    %1
        jmp     alltraps
%endmacro
%assign i 0
%rep 256
        VECTOR  i
%assign i i + 1
%endrep

        section .data
        global  vectors
vectors:                                ; the table idt_init() reads
%assign i 0
%rep 256
        dd      vector %+ i
%assign i i + 1
%endrep

        section .text
        extern  trap
; Save the rest of the state, switch to the kernel's data segments, call
; trap(struct trapframe *).
alltraps:
        push    ds
        push    es
        push    fs
        push    gs
        pusha
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        push    esp                     ; the trap frame's address
        call    trap
        add     esp, 4
; Undo alltraps.  A new process also starts here (see proc_create).
        global  trapret
trapret:
        popa
        pop     gs
        pop     fs
        pop     es
        pop     ds
        add     esp, 8                  ; the vector and error code
        iret                            ; back to where we came from: ring 3
                                        ; pops ESP and SS too

; ---- void swtch(uint32_t **old_sp, uint32_t *new_sp) ---------------------
; Save the callee-saved registers on the current stack, store the stack
; pointer in *old_sp, switch to new_sp and pop the registers saved there.
; The RET then returns into whatever called swtch on that stack.
        global  swtch
swtch:
        mov     eax, [esp + 4]
        mov     edx, [esp + 8]
        push    ebp
        push    ebx
        push    esi
        push    edi
        mov     [eax], esp
        mov     esp, edx
        pop     edi
        pop     esi
        pop     ebx
        pop     ebp
        ret

; ---- binaries carried by the kernel -------------------------------------
        section .rodata
        global  trampoline_start, trampoline_end, user_start, user_end
trampoline_start:
        incbin  "trampoline.bin"
trampoline_end:
        align   16
user_start:
        incbin  "user.bin"
user_end:

; ---- the boot stack -------------------------------------------------------
        section .bss
        align   16
boot_stack:
        resb    16384
boot_stack_top:
