; entry.asm - the self-modifying-code example's entry and the code it
; rewrites.  Everything here lives in .text, which the kernel writes to:
; paging is off until paging_on(), then every page is mapped read-write.
;
; The functions are called from kernel.c (cdecl: arguments on the stack,
; result in EAX).  Each rewrite is done by an ordinary store, so an
; emulator that caches translated or decoded code must notice it.

        bits 32

MB_MAGIC        equ 0x1BADB002
MB_FLAGS        equ 0x00000003

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
        xor     ebp, ebp
        push    0
        popfd
        push    ebx
        push    eax
        call    kmain
.hang:  cli
        hlt
        jmp     .hang

; uint32_t imm_fn(void): returns the immediate that patch_imm rewrites.
        global  imm_fn, imm_fn_imm
imm_fn:
        mov     eax, 0x11111111
imm_fn_imm equ imm_fn + 1
        ret

; uint32_t call_site(void): calls whatever its rel32 names (fn_a or fn_b).
        global  call_site, call_site_rel, fn_a, fn_b
call_site:
        call    fn_a
call_site_rel equ call_site + 1
        add     eax, 0x100
        ret
fn_a:   mov     eax, 0xa
        ret
fn_b:   mov     eax, 0xb
        ret

; uint32_t next_insn(uint32_t v): stores the low byte of v into the
; immediate of the very next instruction, in the same basic block; the
; CPU must execute the new bytes (SDM 3A 11.6, self-modifying code).
        global  next_insn
next_insn:
        mov     ecx, [esp + 4]
        mov     [.target + 1], cl
.target:
        mov     eax, 0x5a
        add     eax, 0x1000
        ret

; uint32_t loop_patch(void): a loop whose body rewrites an instruction
; further down the same loop: iteration i adds i's patched immediate.
        global  loop_patch
loop_patch:
        xor     eax, eax
        mov     ecx, 1
.again: mov     [.add + 2], cl      ; the next add adds ecx's low byte
.add:   add     eax, 0x7f           ; imm8 form: 83 c0 ib
        inc     ecx
        cmp     ecx, 10
        jbe     .again
        ret                         ; 1 + 2 + ... + 10 = 55

; The page-crossing function: cross_fn's MOV EAX, imm32 starts two bytes
; before a 4 KiB boundary, so its immediate lies on two pages.
        section .crosspage progbits alloc exec write align=4096
        times 4096 - 2 db 0x90
        global  cross_fn, cross_fn_imm
cross_fn:
        mov     eax, 0x01020304
cross_fn_imm equ cross_fn + 1
        ret

        section .bss
        align 16
        resb    16384
stack_top:
