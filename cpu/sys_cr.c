/* Control and debug registers: MOV CRn/DRn, LMSW, SMSW, CLTS, INVLPG, WBINVD,
 * INVD (SDM Vol. 2 and Vol. 3, 2.5). */
#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"

/* CR0 bits that exist; writes to the other bits of CR0[31:0] are ignored and
 * ET reads as 1 (SDM Vol. 3, 2.5). */
#define CR0_WRITABLE (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP | CR0_AM \
    | CR0_NW | CR0_CD | CR0_PG)

int x86_set_cr0(struct x86_cpu *cpu, uint64_t val)
{
    if (val >> 32)
        return -1;
    if ((val & CR0_PG) && !(val & CR0_PE))
        return -1;
    if ((val & CR0_NW) && !(val & CR0_CD))
        return -1;
    uint64_t old = cpu->cr0;
    uint64_t efer = cpu->efer;
    bool pg_on = (val & CR0_PG) && !(old & CR0_PG);
    bool pg_off = !(val & CR0_PG) && (old & CR0_PG);
    if (pg_on && (efer & EFER_LME)) {
        /* Activating IA-32e mode needs PAE and a non-64-bit CS (10.8.5). */
        if (!(cpu->cr4 & CR4_PAE) || cpu->seg[S_CS].l)
            return -1;
        efer |= EFER_LMA;
    }
    if (pg_off && (efer & EFER_LMA)) {
        /* Leaving IA-32e mode is allowed only from compatibility mode. */
        if (x86_code64(cpu))
            return -1;
        efer &= ~(uint64_t)EFER_LMA;
    }
    cpu->cr0 = (val & CR0_WRITABLE) | CR0_ET;
    cpu->efer = efer;
    if ((old ^ cpu->cr0) & (CR0_PG | CR0_WP | CR0_PE))
        x86_tlb_flush(cpu, 1);
    if (!(cpu->cr0 & CR0_PE))
        cpu->cpl = 0;
    return 0;
}

int x86_set_cr3(struct x86_cpu *cpu, uint64_t val)
{
    /* Bits above MAXPHYADDR are reserved (PCID is not modelled). */
    if (x86_long_mode(cpu) && (val >> GLASS_PHYS_ADDR_BITS))
        return -1;
    if (!x86_long_mode(cpu))
        val &= 0xffffffffull;
    cpu->cr3 = val;
    x86_tlb_flush(cpu, 0);
    return 0;
}

int x86_set_cr4(struct x86_cpu *cpu, uint64_t val)
{
    if (val & ~(uint64_t)CR4_SUPPORTED)
        return -1;
    if (x86_long_mode(cpu) && !(val & CR4_PAE))
        return -1;
    uint64_t old = cpu->cr4;
    cpu->cr4 = val;
    if ((old ^ val) & (CR4_PGE | CR4_PAE | CR4_PSE))
        x86_tlb_flush(cpu, 1);
    return 0;
}

int x86_set_cr8(struct x86_cpu *cpu, uint64_t val)
{
    if (val & ~0xfull)
        return -1;
    cpu->cr8 = val;
    /* CR8 is the local APIC's TPR[7:4] (SDM 10.8.6.1): the LAPIC holds it. */
    if (cpu->env.cr8_hook)
        cpu->env.cr8_hook(cpu->env.opaque, &val, 1);
    return 0;
}

/* MOV CRn/DRn always use 32-bit registers outside 64-bit mode, 64-bit inside
 * (the ModRM mod bits are ignored). */
static int cr_op_size(const struct x86_cpu *cpu)
{
    return x86_code64(cpu) ? 8 : 4;
}

static bool valid_cr(const struct x86_cpu *cpu, int cr)
{
    return cr == 0 || cr == 2 || cr == 3 || cr == 4 || (cr == 8 && x86_code64(cpu));
}

void exec_MOV_TO_CR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!valid_cr(cpu, in->reg))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    x86_require_cpl0(cpu);
    int size = cr_op_size(cpu);
    uint64_t val = x86_get_reg(cpu, in->rm, size, false);
    int r = 0;
    switch (in->reg) {
    case 0: r = x86_set_cr0(cpu, val); break;
    case 2: cpu->cr2 = val; break;
    case 3: r = x86_set_cr3(cpu, val); break;
    case 4: r = x86_set_cr4(cpu, val); break;
    case 8: r = x86_set_cr8(cpu, val); break;
    }
    if (r < 0)
        x86_raise(cpu, X86_GP, 0);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_MOV_FROM_CR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!valid_cr(cpu, in->reg))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    x86_require_cpl0(cpu);
    uint64_t val = 0;
    switch (in->reg) {
    case 0: val = cpu->cr0; break;
    case 2: val = cpu->cr2; break;
    case 3: val = cpu->cr3; break;
    case 4: val = cpu->cr4; break;
    case 8:
        val = cpu->cr8;
        if (cpu->env.cr8_hook)  /* the LAPIC's TPR may have been written by MMIO */
            cpu->env.cr8_hook(cpu->env.opaque, &val, 0);
        break;
    }
    x86_set_reg(cpu, in->rm, cr_op_size(cpu), false, val);
    cpu->rip = x86_next_rip(cpu, in);
}

#define DR6_FIXED1 0xffff0ff0ull
#define DR6_BD (1ull << 13)
#define DR7_FIXED1 0x400ull
#define DR7_GD (1ull << 13)
#define DR7_RESERVED0 0xd800ull  /* bits 11, 12, 14, 15 */

/* The debug register a MOV DRn names: DR4/DR5 alias DR6/DR7 unless CR4.DE
 * (then #UD); raises #DB when DR7.GD is set (SDM Vol. 3, 18.2.4). */
static int debug_register(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int dr = in->reg;
    if (dr > 7 || ((dr == 4 || dr == 5) && (cpu->cr4 & CR4_DE)))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    x86_require_cpl0(cpu);
    if (cpu->dr[7] & DR7_GD) {
        cpu->dr[6] |= DR6_BD;
        cpu->dr[7] &= ~DR7_GD;
        x86_raise(cpu, X86_DB, X86_NO_ERRCODE);
    }
    return dr == 4 || dr == 5 ? dr + 2 : dr;
}

void exec_MOV_TO_DR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int dr = debug_register(cpu, in);
    int size = cr_op_size(cpu);
    uint64_t val = x86_get_reg(cpu, in->rm, size, false);
    if (dr == 6 || dr == 7) {
        if (val >> 32)
            x86_raise(cpu, X86_GP, 0);
        if (dr == 6)
            val = (val & ~0x1000ull) | DR6_FIXED1;
        else
            val = (val & ~DR7_RESERVED0) | DR7_FIXED1;
    }
    cpu->dr[dr] = val;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_MOV_FROM_DR(struct x86_cpu *cpu, const struct x86_insn *in)
{
    int dr = debug_register(cpu, in);
    x86_set_reg(cpu, in->rm, cr_op_size(cpu), false, cpu->dr[dr]);
    cpu->rip = x86_next_rip(cpu, in);
}

/* LMSW: loads PE, MP, EM, TS; cannot clear PE. */
void exec_LMSW(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_cpl0(cpu);
    uint64_t src = x86_read_rm(cpu, in, 2) & 0xf;
    uint64_t val = (cpu->cr0 & ~0xeull) | src;   /* PE stays if set */
    if (x86_set_cr0(cpu, val) < 0)
        x86_raise(cpu, X86_GP, 0);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_SMSW(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_check_umip(cpu);
    int size = (in->flags & INSN_MEM) ? 2 : in->opsize;
    x86_write_rm(cpu, in, size, cpu->cr0);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_CLTS(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_cpl0(cpu);
    cpu->cr0 &= ~(uint64_t)CR0_TS;
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_INVLPG(struct x86_cpu *cpu, const struct x86_insn *in)
{
    if (!(in->flags & INSN_MEM))
        x86_raise(cpu, X86_UD, X86_NO_ERRCODE);
    x86_require_cpl0(cpu);
    /* The linear address of the operand; INVLPG never faults on it. */
    uint64_t ea = x86_ea(cpu, in);
    uint64_t lin;
    if (x86_code64(cpu))
        lin = ea + ((in->mem.seg == S_FS || in->mem.seg == S_GS) ? cpu->seg[in->mem.seg].base : 0);
    else
        lin = (cpu->seg[in->mem.seg].base + ea) & 0xffffffffull;
    x86_tlb_flush_page(cpu, lin);
    cpu->rip = x86_next_rip(cpu, in);
}

/* Caches are not modelled: WBINVD and INVD only check privilege. */
void exec_WBINVD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_cpl0(cpu);
    cpu->rip = x86_next_rip(cpu, in);
}

void exec_INVD(struct x86_cpu *cpu, const struct x86_insn *in)
{
    x86_require_cpl0(cpu);
    cpu->rip = x86_next_rip(cpu, in);
}
