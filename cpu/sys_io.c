/* Port I/O: IN, OUT, INS, OUTS (SDM Vol. 1, ch. 19: I/O privilege and the
 * TSS I/O permission bitmap).  Every port access is one synchronous VM exit
 * (EXIT_IO_INSTRUCTION) answered by machine/. */
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"
#include "machine/vm_exit.h"

/* The I/O permission bitmap check, needed when CPL > IOPL or in vm86
 * (19.5.2): every bit for port .. port+size-1 must be 0, the bitmap must lie
 * inside a 32/64-bit TSS; otherwise #GP(0). */
static void check_io_permission(struct x86_cpu *cpu, uint16_t port, int size)
{
    if (!x86_protected(cpu))
        return;
    if (!x86_vm86(cpu) && cpu->cpl <= x86_iopl(cpu))
        return;
    const struct x86_segment *tr = &cpu->seg[S_TR];
    if (tr->unusable || tr->s || (tr->type != SYS_TSS32_AVAIL && tr->type != SYS_TSS32_BUSY)
        || tr->limit < 0x67)
        x86_raise(cpu, X86_GP, 0);
    uint64_t tss_base = tr->base;
    uint64_t mask_base = x86_long_mode(cpu) ? ~0ull : 0xffffffffull;
    uint32_t map = (uint32_t)x86_lin_read(cpu, (tss_base + 0x66) & mask_base, 2,
                                          ACC_READ | ACC_IMPLICIT_SV);
    uint32_t byte = map + port / 8u;
    if (byte + 1 > tr->limit)
        x86_raise(cpu, X86_GP, 0);
    uint32_t bits = (uint32_t)x86_lin_read(cpu, (tss_base + byte) & mask_base, 2,
                                           ACC_READ | ACC_IMPLICIT_SV);
    uint32_t want = ((1u << size) - 1) << (port % 8u);
    if (bits & want)
        x86_raise(cpu, X86_GP, 0);
}

/* One port access through machine/.  A negative answer asks the vCPU to
 * stop after this instruction. */
static uint32_t port_access(struct x86_cpu *cpu, uint16_t port, int size, bool in, uint32_t data)
{
    struct vm_exit e = {
        .reason = EXIT_IO_INSTRUCTION,
        .rip = cpu->rip,
        .io = { .port = port, .size = (uint8_t)size, .in = in, .data = in ? 0 : data },
    };
    if (cpu->env.exit) {
        if (cpu->env.exit(cpu->env.opaque, &e) < 0)
            x86_request_stop(cpu);
    } else if (in) {
        e.io.data = 0xffffffffu;   /* nothing attached: the bus floats high */
    }
    return in ? e.io.data & (uint32_t)x86_size_mask(size) : 0;
}

/* IN/OUT take the port from imm8 or DX; the data size is the operand size
 * (1, 2 or 4: 64-bit operand size is not encodable). */
static uint16_t io_port(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return in->form == FORM_DX ? (uint16_t)cpu->gpr[R_RDX] : (uint16_t)(in->imm & 0xff);
}

static int io_size(const struct x86_insn *in)
{
    return in->opsize > 4 ? 4 : in->opsize;
}

void exec_IN(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t port = io_port(cpu, in);
    int size = io_size(in);
    check_io_permission(cpu, port, size);
    uint32_t v = port_access(cpu, port, size, true, 0);
    x86_set_reg(cpu, R_RAX, size, false, v);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_OUT(struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint16_t port = io_port(cpu, in);
    int size = io_size(in);
    check_io_permission(cpu, port, size);
    port_access(cpu, port, size, false, (uint32_t)x86_get_reg(cpu, R_RAX, size, false));
    cpu->rip = x86_next_rip(cpu, in);
}

/* The count register of a REP string instruction, by address size. */
static uint64_t rep_count(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    return cpu->gpr[R_RCX] & x86_size_mask(in->addrsize);
}

static void set_masked(uint64_t *reg, uint64_t mask, uint64_t val)
{
    /* A 32-bit address size zero-extends, as any 32-bit register write. */
    if (mask == 0xffffffffull)
        *reg = val & mask;
    else
        *reg = (*reg & ~mask) | (val & mask);
}

/* INS/OUTS, one element at a time; each element is committed (RDI/RSI, RCX)
 * before the next, so a fault leaves a restartable state with RIP still at
 * the instruction.  REP_BUDGET elements at most per execution (cpu/exec.h),
 * and none more once a stop is requested: RIP stays at the instruction. */
static void string_io(struct x86_cpu *cpu, const struct x86_insn *in, bool is_in)
{
    uint16_t port = (uint16_t)cpu->gpr[R_RDX];
    int size = io_size(in);
    bool rep = (in->flags & (INSN_REP | INSN_REPNE)) != 0;
    uint64_t amask = x86_size_mask(in->addrsize);
    int seg = is_in ? S_ES : (in->seg_override != S_NONE ? in->seg_override : S_DS);
    int idx = is_in ? R_RDI : R_RSI;
    int64_t step = (x86_get_rflags(cpu) & FL_DF) ? -size : size;

    check_io_permission(cpu, port, size);
    if (rep && rep_count(cpu, in) == 0) {
        cpu->rip = x86_next_rip(cpu, in);
        return;
    }
    for (unsigned budget = REP_BUDGET;; budget--) {
        uint64_t off = cpu->gpr[idx] & amask;
        if (is_in) {
            /* Fault on the destination before the port is read. */
            uint64_t lin = x86_seg_linear(cpu, seg, off, size, ACC_WRITE);
            x86_lin_ptr(cpu, lin, size, ACC_WRITE);
            uint32_t v = port_access(cpu, port, size, true, 0);
            x86_lin_write(cpu, lin, size, v, ACC_WRITE);
        } else {
            uint32_t v = (uint32_t)x86_read(cpu, seg, off, size);
            port_access(cpu, port, size, false, v);
        }
        set_masked(&cpu->gpr[idx], amask, off + (uint64_t)step);
        if (!rep)
            break;
        set_masked(&cpu->gpr[R_RCX], amask, rep_count(cpu, in) - 1);
        if (rep_count(cpu, in) == 0)
            break;
        if (cpu->env.stop_request || budget == 1)
            return;   /* resume the REP later: RIP still at the instruction */
    }
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_INS(struct x86_cpu *cpu, const struct x86_insn *in) { string_io(cpu, in, true); }
void exec_OUTS(struct x86_cpu *cpu, const struct x86_insn *in) { string_io(cpu, in, false); }
