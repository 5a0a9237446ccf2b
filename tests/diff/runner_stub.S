/* The native side's way into a test instruction (tests/diff/runner.c).
 *
 * diff_native_enter() loads RFLAGS and all sixteen GPRs from the control
 * block at DIFF_CTL, then jumps to the instruction: a near jump for 64-bit
 * code, a far jump to the 32-bit user code segment (selector 0x23) for
 * compatibility mode.  It never returns: every path ends in a signal (the
 * INT3 bytes around the instruction, or the instruction's own fault), whose
 * handler reads the final state from the ucontext and siglongjmps back.
 *
 * Only MOV and jumps follow POPFQ, so the flags reach the instruction as
 * loaded.  Absolute disp32 addressing needs no free register. */
#define CTL 0x10010000
#define CTL_RFLAGS (CTL + 128)
#define CTL_GO     (CTL + 136)
#define CTL_FAR    (CTL + 144)

    .text
    .globl diff_native_enter
    .type diff_native_enter, @function
diff_native_enter:
    pushq CTL_RFLAGS
    popfq
    movq CTL + 0*8, %rax
    movq CTL + 1*8, %rcx
    movq CTL + 2*8, %rdx
    movq CTL + 3*8, %rbx
    movq CTL + 5*8, %rbp
    movq CTL + 6*8, %rsi
    movq CTL + 7*8, %rdi
    movq CTL + 8*8, %r8
    movq CTL + 9*8, %r9
    movq CTL + 10*8, %r10
    movq CTL + 11*8, %r11
    movq CTL + 12*8, %r12
    movq CTL + 13*8, %r13
    movq CTL + 14*8, %r14
    movq CTL + 15*8, %r15
    movq CTL + 4*8, %rsp
    /* A CMP on the mode would change the flags: the caller stored where to
     * go in CTL_GO instead (the instruction, or diff_native_go32). */
    jmpq *CTL_GO
    .size diff_native_enter, .-diff_native_enter

    .globl diff_native_go32
diff_native_go32:
    ljmpl *CTL_FAR
    .section .note.GNU-stack,"",@progbits
