/* The system instructions (cpu/sys_*.c), reset (cpu/reset.c), CPUID
 * (cpu/cpuid.c) and MSRs (cpu/msr.c): handlers run on hand-built decoded
 * instructions against a GDT and TSS in guest memory. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/msr.h"
#include "cpu/seg.h"
#include "cpu/sys_regs.h"
#include "cpu/x86_cpu.h"
#include "machine/vm_exit.h"
#include "mem/memmap.h"
#include "tests/unit/descriptor_fixture.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;
static struct x86_cpu *cpu;

#define GDT 0x1000
#define TSS 0x3000
#define K_CODE 0x08
#define K_DATA 0x10
#define U_CODE 0x1b
#define U_DATA 0x23
#define TSS_SEL 0x28
#define ABSENT_CODE 0x30
#define K_CODE64 0x38

static void put(uint64_t gpa, uint64_t v, int size) { guest_put(&mm, gpa, v, size); }
static uint64_t get(uint64_t gpa, int size) { return guest_get(&mm, gpa, size); }


/* The machine side of port I/O. */
static struct vm_exit last_exit;
static int nexits;
static int fake_exit(void *opaque, struct vm_exit *e)
{
    (void)opaque;
    last_exit = *e;
    nexits++;
    if (e->reason == EXIT_IO_INSTRUCTION && e->io.in)
        e->io.data = 0xa5a5a5a5u;
    return 0;
}

/* Run one handler: 0 if it completed, 1 if it raised (see cpu->pending). */
static int run(x86_exec_fn fn, const struct x86_insn *in)
{
    jmp_buf jb;
    cpu->pending.type = EV_NONE;
    cpu->fault_jmp = &jb;
    if (setjmp(jb)) {
        cpu->fault_jmp = NULL;
        return 1;
    }
    fn(cpu, in);
    cpu->fault_jmp = NULL;
    return 0;
}

static void expect_fault(int vector, uint32_t error)
{
    ck_assert_int_eq(cpu->pending.type, EV_HW_EXCEPTION);
    ck_assert_int_eq(cpu->pending.vector, vector);
    ck_assert_uint_eq(cpu->pending.error_code, error);
}

/* A decoded instruction of `len` bytes with no operands. */
static struct x86_insn insn(int op, int opsize, int len)
{
    return (struct x86_insn){ .op = (uint16_t)op, .len = (uint8_t)len, .opsize = (uint8_t)opsize,
                              .addrsize = 4, .seg_override = S_NONE,
                              .mem = { .base = -1, .index = -1, .scale = 1, .seg = S_DS } };
}

/* A memory operand at DS:disp. */
static struct x86_insn insn_mem(int op, int opsize, uint64_t disp)
{
    struct x86_insn in = insn(op, opsize, 3);
    in.flags = INSN_MEM | INSN_MODRM;
    in.form = FORM_RM;
    in.mem.disp = (int64_t)disp;
    return in;
}

static void load_flat(int sreg, uint16_t sel, uint8_t access, uint8_t flags)
{
    x86_desc_to_segment(seg_desc(0, 0xfffff, access, flags), sel, &cpu->seg[sreg]);
}

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 1 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0, 1 << 20), 0);
    cpu = calloc(1, sizeof(*cpu));
    cpu->env.mem = &mm;
    cpu->env.exit = fake_exit;
    nexits = 0;
    x86_cpu_reset(cpu);
    put(GDT + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xc), 8);
    put(GDT + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc), 8);
    put(GDT + 0x18, seg_desc(0, 0xfffff, 0xfb, 0xc), 8);
    put(GDT + 0x20, seg_desc(0, 0xfffff, 0xf3, 0xc), 8);
    put(GDT + 0x28, seg_desc(TSS, 0x67 + 0x2000 / 8 + 1, 0x89, 0), 8);  /* TSS + bitmap */
    put(GDT + 0x30, seg_desc(0, 0xfffff, 0x1b, 0xc), 8);  /* code, not present */
    put(GDT + 0x38, seg_desc(0, 0xfffff, 0x9b, 0xa), 8);  /* code64 */
    /* 0x40: 32-bit call gate, DPL 3, to K_CODE:0x5000, copying 2 dwords. */
    put(GDT + 0x40, 0x5000 | ((uint64_t)K_CODE << 16) | (2ull << 32) | (0xecull << 40), 8);
    cpu->gdtr = (struct x86_dtable){ GDT, 0x4f };
}

static void teardown(void)
{
    free(cpu);
    memmap_destroy(&mm);
}

static void protected_mode(int cpl)
{
    cpu->cr0 = CR0_PE | CR0_ET;
    load_flat(S_CS, cpl ? U_CODE : K_CODE, cpl ? 0xfb : 0x9b, 0xc);
    load_flat(S_SS, cpl ? U_DATA : K_DATA, cpl ? 0xf3 : 0x93, 0xc);
    load_flat(S_DS, cpl ? U_DATA : K_DATA, cpl ? 0xf3 : 0x93, 0xc);
    load_flat(S_ES, K_DATA, 0x93, 0xc);
    cpu->cpl = (uint8_t)cpl;
    cpu->rip = 0x1000;
    cpu->gpr[R_RSP] = 0x9000;
    x86_set_rflags(cpu, FL_FIXED1);
}

/* --- reset, CPUID, MSRs --------------------------------------------------- */

START_TEST(reset_state_matches_table_10_1)
{
    cpu->env.opaque = &nexits;
    cpu->gpr[R_RAX] = 0x1234;
    x86_cpu_reset(cpu);
    ck_assert_ptr_eq(cpu->env.opaque, &nexits);     /* env survives */
    ck_assert_ptr_eq(cpu->env.exit, fake_exit);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0);
    ck_assert_uint_eq(cpu->gpr[R_RDX], GLASS_CPUID_SIGNATURE);
    ck_assert_uint_eq(cpu->cr0, 0x60000010);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, 0xf000);
    ck_assert_uint_eq(cpu->seg[S_CS].base, 0xffff0000);
    ck_assert_uint_eq(cpu->seg[S_CS].limit, 0xffff);
    ck_assert_uint_eq(cpu->rip, 0xfff0);
    ck_assert_uint_eq(cpu->seg[S_DS].base, 0);
    ck_assert_uint_eq(cpu->seg[S_SS].limit, 0xffff);
    ck_assert_uint_eq(cpu->gdtr.limit, 0xffff);
    ck_assert_uint_eq(cpu->idtr.limit, 0xffff);
    ck_assert_uint_eq(x86_get_rflags(cpu), 2);
    ck_assert_uint_eq(cpu->dr[6], 0xffff0ff0);
    ck_assert_uint_eq(cpu->dr[7], 0x400);
    ck_assert_uint_eq(cpu->msr.pat, 0x0007040600070406ull);
    ck_assert_uint_eq(cpu->msr.apic_base, 0xfee00900);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_int_eq(x86_code_bits(cpu), 16);
    /* The TSC starts near 0. */
    ck_assert_uint_lt(x86_guest_tsc(cpu), 1ull << 40);
}
END_TEST

START_TEST(cpuid_model)
{
    uint32_t r[4];
    char vendor[13] = { 0 };
    x86_cpuid(0, 0, r);
    ck_assert_uint_eq(r[0], 7);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    ck_assert_str_eq(vendor, "GlassVirtCPU");
    x86_cpuid(1, 0, r);
    ck_assert_uint_eq(r[0], GLASS_CPUID_SIGNATURE);
    ck_assert_uint_eq(r[3] & 1, 0);                          /* no x87 yet */
    ck_assert_uint_eq(r[3] & (1u << 25), 0);                 /* no SSE */
    ck_assert(r[3] & CPUID_1_EDX_PAE);
    ck_assert(r[3] & CPUID_1_EDX_TSC);
    ck_assert(r[2] & CPUID_1_ECX_HYPERVISOR);
    x86_cpuid(0x40000000, 0, r);
    ck_assert_mem_eq(&r[1], "glas", 4);
    ck_assert_mem_eq(&r[2], "s\0\0\0", 4);
    x86_cpuid(0x80000000, 0, r);
    ck_assert_uint_eq(r[0], 0x80000008);
    x86_cpuid(0x80000001, 0, r);
    ck_assert(r[3] & CPUID_81_EDX_LM);
    ck_assert(r[3] & CPUID_81_EDX_NX);
    ck_assert(r[3] & CPUID_81_EDX_SYSCALL);
    x86_cpuid(0x80000008, 0, r);
    ck_assert_uint_eq(r[0], 0x3028);
    x86_cpuid(0x12345, 0, r);
    ck_assert_uint_eq(r[0] | r[1] | r[2] | r[3], 0);
}
END_TEST

START_TEST(cpuid_instruction_fills_registers)
{
    struct x86_insn in = insn(X86_OP_CPUID, 4, 2);
    cpu->gpr[R_RAX] = 0x80000001;
    cpu->gpr[R_RBX] = 0xffffffffffffffffull;
    ck_assert_int_eq(run(exec_CPUID, &in), 0);
    ck_assert(cpu->gpr[R_RDX] & CPUID_81_EDX_LM);
    ck_assert_uint_eq(cpu->gpr[R_RBX], 0);
    ck_assert_uint_eq(cpu->rip, 0xfff2);
}
END_TEST

START_TEST(msr_efer_rules)
{
    uint64_t v;
    ck_assert_int_eq(x86_msr_write(cpu, MSR_EFER, EFER_LME | EFER_SCE), 0);
    ck_assert_int_eq(x86_msr_read(cpu, MSR_EFER, &v), 0);
    ck_assert_uint_eq(v, EFER_LME | EFER_SCE);
    ck_assert_int_eq(x86_msr_write(cpu, MSR_EFER, 1ull << 2), -1);   /* reserved */
    ck_assert_int_eq(x86_msr_write(cpu, MSR_EFER, EFER_LMA), 0);     /* LMA read-only */
    ck_assert_uint_eq(cpu->efer, 0);
    ck_assert_int_eq(x86_msr_read(cpu, 0x12345678, &v), -1);
    ck_assert_int_eq(x86_msr_write(cpu, 0x12345678, 0), -1);
    ck_assert_int_eq(x86_msr_write(cpu, MSR_IA32_PAT, 0x0202020202020202ull), -1);
    ck_assert_int_eq(x86_msr_write(cpu, MSR_LSTAR, 0x0000800000000000ull), -1);
    ck_assert_int_eq(x86_msr_write(cpu, MSR_GS_BASE, 0xffff800000001000ull), 0);
    ck_assert_uint_eq(cpu->seg[S_GS].base, 0xffff800000001000ull);
    ck_assert_int_eq(x86_msr_write(cpu, MSR_IA32_TSC, 1000000), 0);
    ck_assert_int_eq(x86_msr_read(cpu, MSR_IA32_TSC, &v), 0);
    ck_assert_uint_ge(v, 1000000);
}
END_TEST

START_TEST(rdmsr_wrmsr_instructions)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_WRMSR, 4, 2);
    cpu->gpr[R_RCX] = MSR_STAR;
    cpu->gpr[R_RDX] = 0x00230010;
    cpu->gpr[R_RAX] = 0xdeadbeef;
    ck_assert_int_eq(run(exec_WRMSR, &in), 0);
    ck_assert_uint_eq(cpu->msr.star, 0x00230010deadbeefull);
    in = insn(X86_OP_RDMSR, 4, 2);
    cpu->gpr[R_RAX] = cpu->gpr[R_RDX] = 0;
    ck_assert_int_eq(run(exec_RDMSR, &in), 0);
    ck_assert_uint_eq(cpu->gpr[R_RDX], 0x00230010);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0xdeadbeef);
    cpu->gpr[R_RCX] = 0x4b564d00;       /* not modelled */
    ck_assert_int_eq(run(exec_RDMSR, &in), 1);
    expect_fault(X86_GP, 0);
    protected_mode(3);
    cpu->gpr[R_RCX] = MSR_STAR;
    ck_assert_int_eq(run(exec_RDMSR, &in), 1);
    expect_fault(X86_GP, 0);
}
END_TEST

/* --- control registers ----------------------------------------------------- */

START_TEST(cr0_rules)
{
    protected_mode(0);
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PG), -1);                   /* PG without PE */
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE | CR0_NW), -1);          /* NW without CD */
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE | (1ull << 32)), -1);
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE | (1u << 7)), 0);         /* reserved: ignored */
    ck_assert_uint_eq(cpu->cr0, CR0_PE | CR0_ET);
    /* Long mode needs PAE. */
    cpu->efer = EFER_LME;
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE | CR0_PG), -1);
    ck_assert_int_eq(x86_set_cr4(cpu, CR4_PAE), 0);
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE | CR0_PG), 0);
    ck_assert_uint_eq(cpu->efer, EFER_LME | EFER_LMA);
    ck_assert_int_eq(x86_set_cr4(cpu, 0), -1);                        /* PAE stays */
    /* Leaving long mode from 64-bit code is #GP, from compatibility mode fine. */
    load_flat(S_CS, K_CODE64, 0x9b, 0xa);
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE), -1);
    load_flat(S_CS, K_CODE, 0x9b, 0xc);
    ck_assert_int_eq(x86_set_cr0(cpu, CR0_PE), 0);
    ck_assert_uint_eq(cpu->efer, EFER_LME);
}
END_TEST

START_TEST(cr3_cr4_cr8_rules)
{
    ck_assert_int_eq(x86_set_cr4(cpu, CR4_VME), -1);   /* not supported */
    ck_assert_int_eq(x86_set_cr4(cpu, CR4_PCIDE), -1);
    ck_assert_int_eq(x86_set_cr4(cpu, CR4_PSE | CR4_PGE | CR4_OSFXSR), 0);
    ck_assert_int_eq(x86_set_cr8(cpu, 0x10), -1);
    ck_assert_int_eq(x86_set_cr8(cpu, 0xf), 0);
    ck_assert_int_eq(x86_set_cr3(cpu, 0x123456789000ull), 0);
    ck_assert_uint_eq(cpu->cr3, 0x56789000);           /* 32 bits outside long mode */
    cpu->efer = EFER_LME | EFER_LMA;
    ck_assert_int_eq(x86_set_cr3(cpu, 1ull << 52), -1);
}
END_TEST

START_TEST(mov_cr_instruction_checks)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_MOV_TO_CR, 4, 3);
    in.reg = 0;
    in.rm = R_RAX;
    cpu->gpr[R_RAX] = CR0_PE | CR0_WP;
    ck_assert_int_eq(run(exec_MOV_TO_CR, &in), 0);
    ck_assert_uint_eq(cpu->cr0, CR0_PE | CR0_WP | CR0_ET);
    ck_assert_uint_eq(cpu->rip, 0x1003);
    cpu->gpr[R_RAX] = CR0_PG;
    ck_assert_int_eq(run(exec_MOV_TO_CR, &in), 1);
    expect_fault(X86_GP, 0);
    ck_assert_uint_eq(cpu->rip, 0x1003);               /* precise: not advanced */
    in.reg = 5;
    ck_assert_int_eq(run(exec_MOV_TO_CR, &in), 1);
    expect_fault(X86_UD, 0);
    in.reg = 8;                                        /* CR8 only in 64-bit mode */
    ck_assert_int_eq(run(exec_MOV_TO_CR, &in), 1);
    expect_fault(X86_UD, 0);
    protected_mode(3);
    in.reg = 3;
    ck_assert_int_eq(run(exec_MOV_TO_CR, &in), 1);
    expect_fault(X86_GP, 0);
    in = insn(X86_OP_MOV_FROM_CR, 4, 3);
    in.reg = 0;
    ck_assert_int_eq(run(exec_MOV_FROM_CR, &in), 1);
    expect_fault(X86_GP, 0);
}
END_TEST

START_TEST(mov_dr_aliases_and_de)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_MOV_TO_DR, 4, 3);
    in.reg = 5;                                        /* DR5 = DR7 */
    in.rm = R_RBX;
    cpu->gpr[R_RBX] = 0x1;
    ck_assert_int_eq(run(exec_MOV_TO_DR, &in), 0);
    ck_assert_uint_eq(cpu->dr[7], 0x401);
    cpu->cr4 = CR4_DE;
    ck_assert_int_eq(run(exec_MOV_TO_DR, &in), 1);
    expect_fault(X86_UD, 0);
}
END_TEST

/* --- port I/O -------------------------------------------------------------- */

START_TEST(out_and_in_exit_to_machine)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_OUT, 1, 2);
    in.form = FORM_IMM;
    in.imm = 0xf4;
    cpu->gpr[R_RAX] = 0x1122;
    ck_assert_int_eq(run(exec_OUT, &in), 0);
    ck_assert_int_eq(nexits, 1);
    ck_assert_uint_eq(last_exit.reason, EXIT_IO_INSTRUCTION);
    ck_assert_uint_eq(last_exit.io.port, 0xf4);
    ck_assert_uint_eq(last_exit.io.size, 1);
    ck_assert_uint_eq(last_exit.io.in, 0);
    ck_assert_uint_eq(last_exit.io.data, 0x22);
    ck_assert_uint_eq(last_exit.rip, 0x1000);
    ck_assert_uint_eq(cpu->rip, 0x1002);
    in = insn(X86_OP_IN, 2, 2);
    in.form = FORM_DX;
    cpu->gpr[R_RDX] = 0x3f8;
    cpu->gpr[R_RAX] = 0xffffffff00000000ull;
    ck_assert_int_eq(run(exec_IN, &in), 0);
    ck_assert_uint_eq(last_exit.io.port, 0x3f8);
    ck_assert_uint_eq(last_exit.io.in, 1);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0xffffffff0000a5a5ull);   /* AX only */
}
END_TEST

START_TEST(io_permission_bitmap)
{
    protected_mode(3);                                 /* IOPL 0 < CPL 3 */
    x86_desc_to_segment(get(GDT + TSS_SEL, 8), TSS_SEL, &cpu->seg[S_TR]);
    put(TSS + 0x66, 0x68, 2);                          /* bitmap right after */
    for (int i = 0; i < 0x2000 / 8; i++)
        put(TSS + 0x68 + (uint64_t)i * 8, ~0ull, 8);
    put(TSS + 0x68 + 0x3f8 / 8, 0xfe, 1);              /* only 0x3f8 allowed */
    struct x86_insn in = insn(X86_OP_OUT, 1, 1);
    in.form = FORM_DX;
    cpu->gpr[R_RDX] = 0x3f8;
    ck_assert_int_eq(run(exec_OUT, &in), 0);
    ck_assert_int_eq(nexits, 1);
    in.opsize = 2;                                     /* 0x3f8 + 0x3f9 */
    ck_assert_int_eq(run(exec_OUT, &in), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(nexits, 1);
    /* IOPL 3: no bitmap needed. */
    cpu->rflags |= FL_IOPL;
    ck_assert_int_eq(run(exec_OUT, &in), 0);
    ck_assert_int_eq(nexits, 2);
}
END_TEST

START_TEST(rep_outs_one_exit_per_element)
{
    protected_mode(0);
    put(0x5000, 0x44434241, 4);
    struct x86_insn in = insn(X86_OP_OUTS, 1, 2);
    in.flags = INSN_REP;
    cpu->gpr[R_RSI] = 0x5000;
    cpu->gpr[R_RCX] = 4;
    cpu->gpr[R_RDX] = 0xe9;
    ck_assert_int_eq(run(exec_OUTS, &in), 0);
    ck_assert_int_eq(nexits, 4);
    ck_assert_uint_eq(last_exit.io.data, 0x44);
    ck_assert_uint_eq(cpu->gpr[R_RSI], 0x5004);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0);
    ck_assert_uint_eq(cpu->rip, 0x1002);
}
END_TEST

/* --- flags, HLT ------------------------------------------------------------ */

START_TEST(cli_sti_privilege_and_shadow)
{
    protected_mode(3);
    struct x86_insn in = insn(X86_OP_CLI, 4, 1);
    ck_assert_int_eq(run(exec_CLI, &in), 1);
    expect_fault(X86_GP, 0);
    protected_mode(0);
    in = insn(X86_OP_STI, 4, 1);
    ck_assert_int_eq(run(exec_STI, &in), 0);
    ck_assert_uint_eq(cpu->rflags & FL_IF, FL_IF);
    ck_assert_int_eq(cpu->interrupt_shadow, 2);
    cpu->interrupt_shadow = 0;
    ck_assert_int_eq(run(exec_STI, &in), 0);           /* IF already set */
    ck_assert_int_eq(cpu->interrupt_shadow, 0);
}
END_TEST

START_TEST(hlt_privilege)
{
    protected_mode(3);
    struct x86_insn in = insn(X86_OP_HLT, 4, 1);
    ck_assert_int_eq(run(exec_HLT, &in), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(cpu->halted, 0);
    protected_mode(0);
    ck_assert_int_eq(run(exec_HLT, &in), 0);
    ck_assert_int_eq(cpu->halted, 1);
    ck_assert_uint_eq(cpu->rip, 0x1001);
}
END_TEST

START_TEST(popf_respects_cpl_and_iopl)
{
    protected_mode(3);
    put(0x9000 - 4, FL_IF | FL_IOPL | FL_CF | FL_VM | FL_RF, 4);
    cpu->gpr[R_RSP] = 0x9000 - 4;
    struct x86_insn in = insn(X86_OP_POPF, 4, 1);
    ck_assert_int_eq(run(exec_POPF, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_CF);  /* IF, IOPL, VM, RF kept */
    protected_mode(0);
    cpu->gpr[R_RSP] = 0x9000 - 4;
    ck_assert_int_eq(run(exec_POPF, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_CF | FL_IF | FL_IOPL);
    /* PUSHF clears VM and RF in the image. */
    cpu->rflags |= FL_RF;
    in = insn(X86_OP_PUSHF, 4, 1);
    ck_assert_int_eq(run(exec_PUSHF, &in), 0);
    ck_assert_uint_eq(get(0x9000 - 4, 4), FL_FIXED1 | FL_CF | FL_IF | FL_IOPL);
}
END_TEST

/* --- descriptor tables ------------------------------------------------------ */

START_TEST(lgdt_operand_sizes)
{
    protected_mode(0);
    put(0x6000, 0x0127, 2);
    put(0x6002, 0x12345678, 4);
    struct x86_insn in = insn_mem(X86_OP_LGDT, 4, 0x6000);
    ck_assert_int_eq(run(exec_LGDT, &in), 0);
    ck_assert_uint_eq(cpu->gdtr.limit, 0x127);
    ck_assert_uint_eq(cpu->gdtr.base, 0x12345678);
    in.opsize = 2;                                     /* 24-bit base */
    ck_assert_int_eq(run(exec_LIDT, &in), 0);
    ck_assert_uint_eq(cpu->idtr.base, 0x345678);
    in = insn_mem(X86_OP_SIDT, 4, 0x6100);
    ck_assert_int_eq(run(exec_SIDT, &in), 0);
    ck_assert_uint_eq(get(0x6100, 2), 0x127);
    ck_assert_uint_eq(get(0x6102, 4), 0x345678);
    protected_mode(3);
    in = insn_mem(X86_OP_LGDT, 4, 0x6000);
    ck_assert_int_eq(run(exec_LGDT, &in), 1);
    expect_fault(X86_GP, 0);
}
END_TEST

START_TEST(ltr_marks_busy)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_LTR, 2, 3);
    in.rm = R_RAX;
    cpu->gpr[R_RAX] = TSS_SEL;
    ck_assert_int_eq(run(exec_LTR, &in), 0);
    ck_assert_uint_eq(cpu->seg[S_TR].type, SYS_TSS32_BUSY);
    ck_assert_uint_eq(cpu->seg[S_TR].base, TSS);
    ck_assert_uint_eq((get(GDT + TSS_SEL, 8) >> 40) & 0xf, SYS_TSS32_BUSY);
    ck_assert_int_eq(run(exec_LTR, &in), 1);           /* busy now */
    expect_fault(X86_GP, TSS_SEL);
    cpu->gpr[R_RAX] = K_DATA;
    ck_assert_int_eq(run(exec_LTR, &in), 1);
    expect_fault(X86_GP, K_DATA);
}
END_TEST

START_TEST(lar_lsl_verr_set_zf)
{
    protected_mode(3);
    struct x86_insn in = insn(X86_OP_LAR, 4, 3);
    in.rm = R_RBX;
    in.reg = R_RAX;
    cpu->gpr[R_RBX] = U_DATA;
    ck_assert_int_eq(run(exec_LAR, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu) & FL_ZF, FL_ZF);
    ck_assert_uint_eq(cpu->gpr[R_RAX], 0x00cff300);
    cpu->gpr[R_RBX] = K_DATA;                          /* DPL 0 < CPL 3 */
    ck_assert_int_eq(run(exec_LAR, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu) & FL_ZF, 0);
    in = insn(X86_OP_LSL, 4, 3);
    in.rm = R_RBX;
    in.reg = R_RCX;
    cpu->gpr[R_RBX] = U_DATA;
    ck_assert_int_eq(run(exec_LSL, &in), 0);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0xffffffff);
    in = insn(X86_OP_VERW, 2, 3);
    in.rm = R_RBX;
    cpu->gpr[R_RBX] = U_CODE;
    ck_assert_int_eq(run(exec_VERW, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu) & FL_ZF, 0);
    in.op = X86_OP_VERR;
    ck_assert_int_eq(run(exec_VERR, &in), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu) & FL_ZF, FL_ZF);
}
END_TEST

/* --- far transfers, IRET, INT ----------------------------------------------- */

START_TEST(far_jmp_protected_and_real)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_JMPF, 4, 7);
    in.form = FORM_FAR;
    in.imm = 0x2000;
    in.imm2 = K_CODE;
    ck_assert_int_eq(run(exec_JMPF, &in), 0);
    ck_assert_uint_eq(cpu->rip, 0x2000);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, K_CODE);
    ck_assert_int_eq(x86_code_bits(cpu), 32);
    in.imm2 = ABSENT_CODE;
    ck_assert_int_eq(run(exec_JMPF, &in), 1);
    expect_fault(X86_NP, ABSENT_CODE);
    in.imm2 = K_DATA;
    ck_assert_int_eq(run(exec_JMPF, &in), 1);
    expect_fault(X86_GP, K_DATA);
    in.imm2 = U_CODE;                                  /* DPL 3 != CPL 0 */
    ck_assert_int_eq(run(exec_JMPF, &in), 1);
    expect_fault(X86_GP, U_CODE & ~3u);
    /* To 64-bit code once long mode is active. */
    cpu->efer = EFER_LME | EFER_LMA;
    in.imm2 = K_CODE64;
    ck_assert_int_eq(run(exec_JMPF, &in), 0);
    ck_assert_int_eq(x86_code_bits(cpu), 64);
    /* Real mode: base = selector << 4. */
    x86_cpu_reset(cpu);
    in = insn(X86_OP_JMPF, 2, 5);
    in.imm = 0x7c00;
    in.imm2 = 0;
    ck_assert_int_eq(run(exec_JMPF, &in), 0);
    ck_assert_uint_eq(cpu->seg[S_CS].base, 0);
    ck_assert_uint_eq(cpu->rip, 0x7c00);
}
END_TEST

START_TEST(far_call_and_retf_same_privilege)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_CALLF, 4, 7);
    in.form = FORM_FAR;
    in.imm = 0x3000;
    in.imm2 = K_CODE;
    ck_assert_int_eq(run(exec_CALLF, &in), 0);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000 - 8);
    ck_assert_uint_eq(get(0x9000 - 4, 4), K_CODE);
    ck_assert_uint_eq(get(0x9000 - 8, 4), 0x1007);
    in = insn(X86_OP_RETF, 4, 3);
    in.form = FORM_IMM;
    in.imm = 8;
    ck_assert_int_eq(run(exec_RETF, &in), 0);
    ck_assert_uint_eq(cpu->rip, 0x1007);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000 + 8);
}
END_TEST

START_TEST(call_gate_to_ring0_and_retf_to_ring3)
{
    protected_mode(3);
    x86_desc_to_segment(seg_desc(TSS, 0x67, 0x8b, 0), TSS_SEL, &cpu->seg[S_TR]);
    put(TSS + 4, 0x8000, 4);                           /* ESP0 */
    put(TSS + 8, K_DATA, 4);                           /* SS0 */
    put(0x9000, 0xbbbb, 4);                            /* last parameter pushed */
    put(0x9004, 0xaaaa, 4);
    struct x86_insn in = insn(X86_OP_CALLF, 4, 7);
    in.form = FORM_FAR;
    in.imm = 0x12345678;                               /* ignored: the gate has it */
    in.imm2 = 0x43;
    ck_assert_int_eq(run(exec_CALLF, &in), 0);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rip, 0x5000);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, K_CODE);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, K_DATA);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000 - 24);
    ck_assert_uint_eq(get(0x8000 - 4, 4), U_DATA);
    ck_assert_uint_eq(get(0x8000 - 8, 4), 0x9000);
    ck_assert_uint_eq(get(0x8000 - 12, 4), 0xaaaa);
    ck_assert_uint_eq(get(0x8000 - 16, 4), 0xbbbb);
    ck_assert_uint_eq(get(0x8000 - 20, 4), U_CODE);
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0x1007);
    /* RETF 8 back to ring 3 drops the parameters on both stacks. */
    in = insn(X86_OP_RETF, 4, 3);
    in.form = FORM_IMM;
    in.imm = 8;
    ck_assert_int_eq(run(exec_RETF, &in), 0);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->rip, 0x1007);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, U_DATA);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9008);
    ck_assert_int_eq(cpu->seg[S_ES].unusable, 1);       /* ring-0 data dropped */
    ck_assert_int_eq(cpu->seg[S_DS].unusable, 0);
    /* A gate of DPL 0 cannot be called from ring 3. */
    put(GDT + 0x40, get(GDT + 0x40, 8) & ~(3ull << 45), 8);
    in = insn(X86_OP_CALLF, 4, 7);
    in.form = FORM_FAR;
    in.imm2 = 0x43;
    ck_assert_int_eq(run(exec_CALLF, &in), 1);
    expect_fault(X86_GP, 0x40);
}
END_TEST

START_TEST(iret_to_ring3_nulls_kernel_data_segments)
{
    protected_mode(0);
    cpu->gpr[R_RSP] = 0x8000 - 20;
    put(0x8000 - 20, 0x4000, 4);                       /* EIP */
    put(0x8000 - 16, U_CODE, 4);
    put(0x8000 - 12, FL_FIXED1 | FL_IF | FL_IOPL, 4);
    put(0x8000 - 8, 0x7000, 4);                        /* ESP */
    put(0x8000 - 4, U_DATA, 4);
    cpu->nmi_blocked = 1;
    struct x86_insn in = insn(X86_OP_IRET, 4, 1);
    ck_assert_int_eq(run(exec_IRET, &in), 0);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->rip, 0x4000);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, U_CODE);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, U_DATA);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x7000);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_IF | FL_IOPL);
    ck_assert_int_eq(cpu->seg[S_ES].unusable, 1);       /* DPL 0 data: nulled */
    ck_assert_int_eq(cpu->nmi_blocked, 0);
}
END_TEST

START_TEST(iret_real_mode)
{
    x86_load_seg_real(cpu, S_CS, 0x1000);
    cpu->rip = 0x10;
    cpu->gpr[R_RSP] = 0x7000 - 6;
    put(0x7000 - 6, 0x1234, 2);
    put(0x7000 - 4, 0x2000, 2);
    put(0x7000 - 2, FL_IF | FL_ZF, 2);
    struct x86_insn in = insn(X86_OP_IRET, 2, 1);
    ck_assert_int_eq(run(exec_IRET, &in), 0);
    ck_assert_uint_eq(cpu->rip, 0x1234);
    ck_assert_uint_eq(cpu->seg[S_CS].base, 0x20000);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x7000);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_IF | FL_ZF);
}
END_TEST

START_TEST(int_n_raises_soft_event_after_instruction)
{
    protected_mode(3);
    struct x86_insn in = insn(X86_OP_INT, 4, 2);
    in.form = FORM_IMM;
    in.imm = 0x80;
    ck_assert_int_eq(run(exec_INT, &in), 1);
    ck_assert_int_eq(cpu->pending.type, EV_SOFT_INT);
    ck_assert_int_eq(cpu->pending.vector, 0x80);
    ck_assert_uint_eq(cpu->rip, 0x1002);
    /* vm86 with IOPL < 3: #GP(0), RIP stays. */
    cpu->rflags |= FL_VM;
    cpu->rip = 0x1000;
    ck_assert_int_eq(run(exec_INT, &in), 1);
    expect_fault(X86_GP, 0);
    ck_assert_uint_eq(cpu->rip, 0x1000);
}
END_TEST

START_TEST(mov_ss_sets_shadow_and_checks)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_MOV_TO_SREG, 2, 2);
    in.reg = S_SS;
    in.rm = R_RAX;
    cpu->gpr[R_RAX] = K_DATA;
    ck_assert_int_eq(run(exec_MOV_TO_SREG, &in), 0);
    ck_assert_int_eq(cpu->interrupt_shadow, 2);
    in.reg = S_CS;
    ck_assert_int_eq(run(exec_MOV_TO_SREG, &in), 1);
    expect_fault(X86_UD, 0);
    in.reg = S_DS;
    cpu->gpr[R_RAX] = ABSENT_CODE;                     /* readable code, not present */
    ck_assert_int_eq(run(exec_MOV_TO_SREG, &in), 1);
    expect_fault(X86_NP, ABSENT_CODE);
}
END_TEST

START_TEST(syscall_sysret_long_mode)
{
    protected_mode(3);
    cpu->efer = EFER_LME | EFER_LMA | EFER_SCE;
    cpu->cr0 |= CR0_PG;
    load_flat(S_CS, 0x33, 0xfb, 0xa);
    cpu->msr.star = (0x23ull << 48) | (0x10ull << 32);
    cpu->msr.lstar = 0xffffffff81000000ull;
    cpu->msr.sfmask = FL_IF | FL_TF;
    x86_set_rflags(cpu, FL_FIXED1 | FL_IF | FL_CF);
    cpu->rip = 0x401000;
    struct x86_insn in = insn(X86_OP_SYSCALL, 4, 2);
    ck_assert_int_eq(run(exec_SYSCALL, &in), 0);
    ck_assert_uint_eq(cpu->rip, 0xffffffff81000000ull);
    ck_assert_uint_eq(cpu->gpr[R_RCX], 0x401002);
    ck_assert_uint_eq(cpu->gpr[R_R11], FL_FIXED1 | FL_IF | FL_CF);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_CF);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, 0x10);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, 0x18);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_int_eq(x86_code_bits(cpu), 64);
    in = insn(X86_OP_SYSRET, 8, 3);
    ck_assert_int_eq(run(exec_SYSRET, &in), 0);
    ck_assert_uint_eq(cpu->rip, 0x401002);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, 0x33);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, 0x2b);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(x86_get_rflags(cpu), FL_FIXED1 | FL_IF | FL_CF);
    /* Without EFER.SCE: #UD. */
    cpu->efer &= ~(uint64_t)EFER_SCE;
    in = insn(X86_OP_SYSCALL, 4, 2);
    ck_assert_int_eq(run(exec_SYSCALL, &in), 1);
    expect_fault(X86_UD, 0);
}
END_TEST

START_TEST(sysenter_sysexit_32bit)
{
    protected_mode(3);
    cpu->msr.sysenter_cs = K_CODE;
    cpu->msr.sysenter_esp = 0x8000;
    cpu->msr.sysenter_eip = 0xc0001000;
    cpu->rflags |= FL_IF;
    struct x86_insn in = insn(X86_OP_SYSENTER, 4, 2);
    ck_assert_int_eq(run(exec_SYSENTER, &in), 0);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rip, 0xc0001000);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, K_DATA);
    ck_assert_uint_eq(cpu->rflags & FL_IF, 0);
    in = insn(X86_OP_SYSEXIT, 4, 2);
    cpu->gpr[R_RDX] = 0x401000;
    cpu->gpr[R_RCX] = 0x7000;
    ck_assert_int_eq(run(exec_SYSEXIT, &in), 0);
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, K_CODE + 16 + 3);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, K_CODE + 24 + 3);
    ck_assert_uint_eq(cpu->rip, 0x401000);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x7000);
    ck_assert_int_eq(run(exec_SYSEXIT, &in), 1);       /* not from ring 3 */
    expect_fault(X86_GP, 0);
    cpu->msr.sysenter_cs = 0;
    ck_assert_int_eq(run(exec_SYSENTER, &in), 1);
    expect_fault(X86_GP, 0);
}
END_TEST

START_TEST(swapgs_64bit_ring0_only)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_SWAPGS, 4, 3);
    ck_assert_int_eq(run(exec_SWAPGS, &in), 1);        /* not 64-bit mode */
    expect_fault(X86_UD, 0);
    cpu->efer = EFER_LME | EFER_LMA;
    load_flat(S_CS, K_CODE64, 0x9b, 0xa);
    cpu->seg[S_GS].base = 0x1111;
    cpu->msr.kernel_gs_base = 0x2222;
    ck_assert_int_eq(run(exec_SWAPGS, &in), 0);
    ck_assert_uint_eq(cpu->seg[S_GS].base, 0x2222);
    ck_assert_uint_eq(cpu->msr.kernel_gs_base, 0x1111);
}
END_TEST

START_TEST(lldt_loads_and_checks)
{
    protected_mode(0);
    put(GDT + 0x48, seg_desc(0x7000, 0x17, 0x82, 0), 8);  /* LDT descriptor */
    struct x86_insn in = insn(X86_OP_LLDT, 2, 3);
    in.rm = R_RAX;
    cpu->gpr[R_RAX] = 0x48;
    ck_assert_int_eq(run(exec_LLDT, &in), 0);
    ck_assert_uint_eq(cpu->seg[S_LDTR].base, 0x7000);
    ck_assert_uint_eq(cpu->seg[S_LDTR].limit, 0x17);
    /* A data segment in the LDT is now loadable (TI = 1). */
    put(0x7008, seg_desc(0x100000, 0xfff, 0x93, 0x4), 8);
    ck_assert_uint_eq(cpu->seg[S_LDTR].unusable, 0);
    x86_load_seg(cpu, S_FS, 0x0c);
    ck_assert_uint_eq(cpu->seg[S_FS].base, 0x100000);
    cpu->gpr[R_RAX] = K_DATA;                          /* not an LDT */
    ck_assert_int_eq(run(exec_LLDT, &in), 1);
    expect_fault(X86_GP, K_DATA);
    x86_cpu_reset(cpu);                                /* real mode: #UD */
    ck_assert_int_eq(run(exec_LLDT, &in), 1);
    expect_fault(X86_UD, 0);
}
END_TEST

START_TEST(pop_ss_fault_leaves_rsp)
{
    protected_mode(0);
    put(0x9000 - 4, 0x18, 4);                          /* ring-3 code: no stack */
    cpu->gpr[R_RSP] = 0x9000 - 4;
    struct x86_insn in = insn(X86_OP_POP_SREG, 4, 1);
    in.sreg = S_SS;
    ck_assert_int_eq(run(exec_POP_SREG, &in), 1);
    expect_fault(X86_GP, 0x18);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000 - 4);
    put(0x9000 - 4, K_DATA, 4);
    ck_assert_int_eq(run(exec_POP_SREG, &in), 0);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000);
    ck_assert_int_eq(cpu->interrupt_shadow, 2);
}
END_TEST

START_TEST(rep_ins_writes_memory)
{
    protected_mode(0);
    struct x86_insn in = insn(X86_OP_INS, 2, 2);
    in.flags = INSN_REP;
    cpu->gpr[R_RDI] = 0x5000;
    cpu->gpr[R_RCX] = 2;
    cpu->gpr[R_RDX] = 0x1f0;
    ck_assert_int_eq(run(exec_INS, &in), 0);
    ck_assert_int_eq(nexits, 2);
    ck_assert_uint_eq(last_exit.io.port, 0x1f0);
    ck_assert_uint_eq(last_exit.io.size, 2);
    ck_assert_uint_eq(get(0x5000, 4), 0xa5a5a5a5u);
    ck_assert_uint_eq(cpu->gpr[R_RDI], 0x5004);
    /* A read-only destination faults before the port is read. */
    x86_desc_to_segment(seg_desc(0, 0xfffff, 0x91, 0xc), 0x10, &cpu->seg[S_ES]);
    cpu->gpr[R_RCX] = 1;
    ck_assert_int_eq(run(exec_INS, &in), 1);
    expect_fault(X86_GP, 0);
    ck_assert_int_eq(nexits, 2);
}
END_TEST

START_TEST(fpu_faults)
{
    struct x86_insn in = insn(X86_OP_FPU, 4, 2);
    cpu->cr0 |= CR0_TS;
    ck_assert_int_eq(run(exec_FPU, &in), 1);
    expect_fault(X86_NM, 0);
    cpu->cr0 &= ~(uint64_t)(CR0_TS | CR0_EM);
    ck_assert_int_eq(run(exec_FPU, &in), 1);
    expect_fault(X86_UD, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sys");
    TCase *tc = tcase_create("sys");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_state_matches_table_10_1);
    tcase_add_test(tc, cpuid_model);
    tcase_add_test(tc, cpuid_instruction_fills_registers);
    tcase_add_test(tc, msr_efer_rules);
    tcase_add_test(tc, rdmsr_wrmsr_instructions);
    tcase_add_test(tc, cr0_rules);
    tcase_add_test(tc, cr3_cr4_cr8_rules);
    tcase_add_test(tc, mov_cr_instruction_checks);
    tcase_add_test(tc, mov_dr_aliases_and_de);
    tcase_add_test(tc, out_and_in_exit_to_machine);
    tcase_add_test(tc, io_permission_bitmap);
    tcase_add_test(tc, rep_outs_one_exit_per_element);
    tcase_add_test(tc, cli_sti_privilege_and_shadow);
    tcase_add_test(tc, hlt_privilege);
    tcase_add_test(tc, popf_respects_cpl_and_iopl);
    tcase_add_test(tc, lgdt_operand_sizes);
    tcase_add_test(tc, ltr_marks_busy);
    tcase_add_test(tc, lar_lsl_verr_set_zf);
    tcase_add_test(tc, far_jmp_protected_and_real);
    tcase_add_test(tc, far_call_and_retf_same_privilege);
    tcase_add_test(tc, call_gate_to_ring0_and_retf_to_ring3);
    tcase_add_test(tc, iret_to_ring3_nulls_kernel_data_segments);
    tcase_add_test(tc, iret_real_mode);
    tcase_add_test(tc, int_n_raises_soft_event_after_instruction);
    tcase_add_test(tc, mov_ss_sets_shadow_and_checks);
    tcase_add_test(tc, syscall_sysret_long_mode);
    tcase_add_test(tc, sysenter_sysexit_32bit);
    tcase_add_test(tc, swapgs_64bit_ring0_only);
    tcase_add_test(tc, lldt_loads_and_checks);
    tcase_add_test(tc, pop_ss_fault_leaves_rsp);
    tcase_add_test(tc, rep_ins_writes_memory);
    tcase_add_test(tc, fpu_faults);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
