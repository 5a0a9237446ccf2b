/* Exception and interrupt delivery (cpu/exception.c) with hand-built IVT,
 * GDT, IDT and TSS in guest memory: real mode, 32-bit protected mode with a
 * privilege change through the TSS, 64-bit gates with IST, the error codes,
 * #DF and the triple fault. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/seg.h"
#include "cpu/x86_cpu.h"
#include "mem/memmap.h"
#include "tests/unit/descriptor_fixture.h"
#include "mem/pagewalk.h"
#include "tests/unit/run_suite.h"

static struct memmap mm;
static struct x86_cpu *cpu;

#define GDT 0x1000
#define IDT 0x2000
#define TSS 0x3000
#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define PT 0x13000

/* GDT selectors. */
#define K_CODE 0x08
#define K_DATA 0x10
#define U_CODE 0x1b
#define U_DATA 0x23
#define TSS32_SEL 0x28
#define K_CODE64 0x38
#define U_CODE64 0x43
#define TSS64_SEL 0x58

static void put(uint64_t gpa, uint64_t v, int size) { guest_put(&mm, gpa, v, size); }
static uint64_t get(uint64_t gpa, int size) { return guest_get(&mm, gpa, size); }


static void set_gate32(int vec, uint32_t off, uint16_t sel, uint8_t access)
{
    uint64_t g = (off & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)access << 40)
        | ((uint64_t)(off >> 16) << 48);
    put(IDT + (uint64_t)vec * 8, g, 8);
}

static void set_gate64(int vec, uint64_t off, uint16_t sel, uint8_t access, int ist)
{
    uint64_t lo = (off & 0xffffull) | ((uint64_t)sel << 16) | ((uint64_t)ist << 32)
        | ((uint64_t)access << 40) | (((off >> 16) & 0xffff) << 48);
    put(IDT + (uint64_t)vec * 16, lo, 8);
    put(IDT + (uint64_t)vec * 16 + 8, off >> 32, 8);
}

static void load_flat(int sreg, uint16_t sel, uint8_t access, uint8_t flags)
{
    x86_desc_to_segment(seg_desc(0, 0xfffff, access, flags), sel, &cpu->seg[sreg]);
}

static void setup(void)
{
    ck_assert_int_eq(memmap_init(&mm, 4 << 20), 0);
    ck_assert_int_eq(memmap_add_ram(&mm, "ram", 0, 2 << 20), 0);
    cpu = calloc(1, sizeof(*cpu));
    cpu->env.mem = &mm;
    x86_cpu_reset(cpu);

    put(GDT + 0x08, seg_desc(0, 0xfffff, 0x9b, 0xc), 8);  /* ring-0 code32 */
    put(GDT + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc), 8);  /* ring-0 data */
    put(GDT + 0x18, seg_desc(0, 0xfffff, 0xfb, 0xc), 8);  /* ring-3 code32 */
    put(GDT + 0x20, seg_desc(0, 0xfffff, 0xf3, 0xc), 8);  /* ring-3 data */
    put(GDT + 0x28, seg_desc(TSS, 0x67, 0x89, 0), 8);     /* 32-bit TSS */
    put(GDT + 0x38, seg_desc(0, 0xfffff, 0x9b, 0xa), 8);  /* ring-0 code64 */
    put(GDT + 0x40, seg_desc(0, 0xfffff, 0xfb, 0xa), 8);  /* ring-3 code64 */
    put(GDT + 0x58, seg_desc(TSS, 0x67, 0x89, 0), 8);     /* 64-bit TSS */
    put(GDT + 0x60, 0, 8);
    cpu->gdtr = (struct x86_dtable){ GDT, 0x67 };
    cpu->idtr = (struct x86_dtable){ IDT, 0xfff };
}

static void teardown(void)
{
    free(cpu);
    memmap_destroy(&mm);
}

/* 32-bit protected mode at CPL 3 with a 32-bit TSS (ESP0 = 0x8000). */
static void protected_ring3(void)
{
    cpu->cr0 = CR0_PE | CR0_ET;
    load_flat(S_CS, U_CODE, 0xfb, 0xc);
    load_flat(S_SS, U_DATA, 0xf3, 0xc);
    load_flat(S_DS, U_DATA, 0xf3, 0xc);
    x86_desc_to_segment(seg_desc(TSS, 0x67, 0x8b, 0), TSS32_SEL, &cpu->seg[S_TR]);
    cpu->cpl = 3;
    cpu->rip = 0x1234;
    cpu->gpr[R_RSP] = 0x9000;
    x86_set_rflags(cpu, FL_FIXED1 | FL_IF);
    put(TSS + 4, 0x8000, 4);     /* ESP0 */
    put(TSS + 8, K_DATA, 4);     /* SS0 */
}

/* Long mode, identity-mapped first 2 MiB through a page table in which the
 * page at 0x7000 is not present.  TSS.RSP0 = 0x8000, IST1 = 0xa000. */
static void long_mode(int cpl)
{
    put(PML4, PDPT | PTE_P | PTE_RW | PTE_US, 8);
    put(PDPT, PD | PTE_P | PTE_RW | PTE_US, 8);
    put(PD, PT | PTE_P | PTE_RW | PTE_US, 8);
    for (uint64_t i = 0; i < 512; i++)
        put(PT + i * 8, (i << 12) | PTE_P | PTE_RW | PTE_US, 8);
    put(PT + 7 * 8, 0, 8);
    cpu->cr3 = PML4;
    cpu->cr4 = CR4_PAE;
    cpu->efer = EFER_LME | EFER_LMA;
    cpu->cr0 = CR0_PE | CR0_PG | CR0_ET;
    if (cpl == 3)
        load_flat(S_CS, U_CODE64, 0xfb, 0xa);
    else
        load_flat(S_CS, K_CODE64, 0x9b, 0xa);
    load_flat(S_SS, cpl == 3 ? U_DATA : K_DATA, cpl == 3 ? 0xf3 : 0x93, 0xc);
    uint64_t tr_lo = seg_desc(TSS, 0x67, 0x8b, 0);
    x86_desc_to_segment(tr_lo, TSS64_SEL, &cpu->seg[S_TR]);
    cpu->cpl = (uint8_t)cpl;
    cpu->rip = 0x401000;
    cpu->gpr[R_RSP] = 0x9000;
    x86_set_rflags(cpu, FL_FIXED1 | FL_IF);
    put(TSS + 4, 0x8000, 8);      /* RSP0 */
    put(TSS + 0x24, 0xa000, 8);   /* IST1 */
}

static void deliver(int type, int vector, uint32_t err)
{
    cpu->pending = (struct x86_event){ .type = (uint8_t)type, .vector = (uint8_t)vector,
                                       .has_error = err != X86_NO_ERRCODE,
                                       .error_code = err == X86_NO_ERRCODE ? 0 : err };
    x86_deliver_pending(cpu);
}

START_TEST(real_mode_ivt)
{
    put(0x10 * 4, 0x12345678, 4);        /* INT 10h -> 1234:5678 */
    cpu->idtr = (struct x86_dtable){ 0, 0x3ff };
    x86_load_seg_real(cpu, S_CS, 0x1000);
    x86_load_seg_real(cpu, S_SS, 0);
    cpu->rip = 0x102;
    cpu->gpr[R_RSP] = 0x7000;
    x86_set_rflags(cpu, FL_FIXED1 | FL_IF | FL_TF | FL_CF);
    deliver(EV_SOFT_INT, 0x10, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, 0x1234);
    ck_assert_uint_eq(cpu->seg[S_CS].base, 0x12340);
    ck_assert_uint_eq(cpu->rip, 0x5678);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x7000 - 6);
    ck_assert_uint_eq(get(0x7000 - 2, 2), FL_FIXED1 | FL_IF | FL_TF | FL_CF);
    ck_assert_uint_eq(get(0x7000 - 4, 2), 0x1000);
    ck_assert_uint_eq(get(0x7000 - 6, 2), 0x102);
    ck_assert_uint_eq(x86_get_rflags(cpu) & (FL_IF | FL_TF), 0);
    ck_assert_uint_eq(x86_get_rflags(cpu) & FL_CF, FL_CF);
}
END_TEST

START_TEST(real_mode_beyond_ivt_limit_triple_faults)
{
    cpu->idtr = (struct x86_dtable){ 0, 0x1f };  /* vectors 0-7 only */
    cpu->gpr[R_RSP] = 0x7000;
    deliver(EV_SOFT_INT, 0x21, X86_NO_ERRCODE);  /* #GP, then #DF: both beyond */
    ck_assert_int_eq(cpu->shutdown, 1);
}
END_TEST

START_TEST(ring3_to_ring0_switches_to_tss_stack)
{
    protected_ring3();
    set_gate32(0x80, 0x4000, K_CODE, 0xee);   /* interrupt gate, DPL 3 */
    deliver(EV_SOFT_INT, 0x80, X86_NO_ERRCODE);
    ck_assert_int_eq(cpu->shutdown, 0);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, K_CODE);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rip, 0x4000);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, K_DATA);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000 - 20);
    ck_assert_uint_eq(get(0x8000 - 4, 4), U_DATA);            /* SS */
    ck_assert_uint_eq(get(0x8000 - 8, 4), 0x9000);            /* ESP */
    ck_assert_uint_eq(get(0x8000 - 12, 4), FL_FIXED1 | FL_IF);/* EFLAGS */
    ck_assert_uint_eq(get(0x8000 - 16, 4), U_CODE);           /* CS */
    ck_assert_uint_eq(get(0x8000 - 20, 4), 0x1234);           /* EIP */
    ck_assert_uint_eq(cpu->rflags & FL_IF, 0);                /* interrupt gate */
    /* The CS descriptor got its Accessed bit. */
    ck_assert_uint_eq((get(GDT + 0x08, 8) >> 40) & 1, 1);
}
END_TEST

START_TEST(fault_pushes_error_code_and_rf_trap_gate_keeps_if)
{
    protected_ring3();
    set_gate32(X86_GP, 0x5000, K_CODE, 0x8f);  /* trap gate, DPL 0 */
    deliver(EV_HW_EXCEPTION, X86_GP, 0x1234);
    ck_assert_uint_eq(cpu->rip, 0x5000);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000 - 24);
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0x1234);           /* error code */
    ck_assert_uint_eq(get(0x8000 - 20, 4), 0x1234);           /* EIP of the fault */
    ck_assert_uint_eq(get(0x8000 - 12, 4), FL_FIXED1 | FL_IF | FL_RF);
    ck_assert_uint_eq(cpu->rflags & FL_IF, FL_IF);            /* trap gate */
}
END_TEST

START_TEST(int_from_ring3_to_dpl0_gate_is_gp)
{
    protected_ring3();
    set_gate32(0x81, 0x4000, K_CODE, 0x8e);   /* DPL 0 */
    set_gate32(X86_GP, 0x5000, K_CODE, 0x8e);
    deliver(EV_SOFT_INT, 0x81, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->rip, 0x5000);
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0x81 * 8 + 2);     /* IDT bit, EXT = 0 */
    ck_assert_uint_eq(get(0x8000 - 20, 4), 0x1234);
}
END_TEST

START_TEST(hardware_event_to_missing_gate_is_np_with_ext)
{
    protected_ring3();
    set_gate32(0x30, 0x4000, K_CODE, 0x0e);   /* not present */
    set_gate32(X86_NP, 0x6000, K_CODE, 0x8e);
    deliver(EV_EXTINT, 0x30, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->rip, 0x6000);
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0x30 * 8 + 2 + 1); /* IDT + EXT */
}
END_TEST

START_TEST(gp_while_delivering_gp_is_double_fault)
{
    protected_ring3();
    set_gate32(X86_GP, 0x5000, K_CODE, 0x0e);  /* not present: #NP */
    set_gate32(X86_DF, 0x7000, K_CODE, 0x8e);
    deliver(EV_HW_EXCEPTION, X86_GP, 0);
    ck_assert_int_eq(cpu->shutdown, 0);
    ck_assert_uint_eq(cpu->rip, 0x7000);
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0);                 /* #DF error code */
}
END_TEST

START_TEST(bad_handler_code_selector)
{
    protected_ring3();
    set_gate32(0x40, 0x4000, K_DATA, 0xee);     /* selector names data */
    set_gate32(X86_GP, 0x5000, K_CODE, 0x8e);
    deliver(EV_SOFT_INT, 0x40, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->rip, 0x5000);
    ck_assert_uint_eq(get(0x8000 - 24, 4), K_DATA);
}
END_TEST

START_TEST(bad_tss_stack_is_ts)
{
    protected_ring3();
    put(TSS + 8, U_DATA, 4);                    /* SS0 with RPL 3 */
    set_gate32(0x80, 0x4000, K_CODE, 0xee);
    set_gate32(X86_TS, 0x5000, K_CODE, 0x8e);
    /* #TS delivery needs SS0 too: it fails again -> #DF -> again: shutdown. */
    deliver(EV_SOFT_INT, 0x80, X86_NO_ERRCODE);
    ck_assert_int_eq(cpu->shutdown, 1);
}
END_TEST

START_TEST(same_privilege_uses_current_stack)
{
    protected_ring3();
    load_flat(S_CS, K_CODE, 0x9b, 0xc);
    load_flat(S_SS, K_DATA, 0x93, 0xc);
    cpu->cpl = 0;
    set_gate32(3, 0x4000, K_CODE, 0xee);
    deliver(EV_SOFT_EXCEPTION, X86_BP, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000 - 12);
    ck_assert_uint_eq(get(0x9000 - 12, 4), 0x1234);
    ck_assert_uint_eq(get(0x9000 - 8, 4), K_CODE);
}
END_TEST

START_TEST(long_mode_ist_and_privilege_change)
{
    long_mode(3);
    set_gate64(0x80, 0x402000, K_CODE64, 0xee, 1);
    deliver(EV_SOFT_INT, 0x80, X86_NO_ERRCODE);
    ck_assert_int_eq(cpu->shutdown, 0);
    ck_assert_uint_eq(cpu->rip, 0x402000);
    ck_assert_uint_eq(cpu->seg[S_CS].selector, K_CODE64);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0xa000 - 40);
    ck_assert_uint_eq(cpu->seg[S_SS].selector, 0);            /* NULL, RPL 0 */
    ck_assert_int_eq(cpu->seg[S_SS].unusable, 1);
    ck_assert_uint_eq(get(0xa000 - 8, 8), U_DATA);
    ck_assert_uint_eq(get(0xa000 - 16, 8), 0x9000);
    ck_assert_uint_eq(get(0xa000 - 24, 8), FL_FIXED1 | FL_IF);
    ck_assert_uint_eq(get(0xa000 - 32, 8), U_CODE64);
    ck_assert_uint_eq(get(0xa000 - 40, 8), 0x401000);
}
END_TEST

START_TEST(long_mode_rsp0_aligned_to_16)
{
    long_mode(3);
    put(TSS + 4, 0x9008, 8);
    set_gate64(X86_PF, 0x402000, K_CODE64, 0x8e, 0);
    deliver(EV_HW_EXCEPTION, X86_PF, 0x7);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x9000 - 48);
    ck_assert_uint_eq(get(0x9000 - 48, 8), 7);                /* error code */
}
END_TEST

START_TEST(long_mode_pf_during_pf_is_double_fault_on_ist)
{
    long_mode(0);
    cpu->gpr[R_RSP] = 0x8000;                 /* pushes land in 0x7000: absent */
    set_gate64(X86_PF, 0x402000, K_CODE64, 0x8e, 0);
    set_gate64(X86_DF, 0x403000, K_CODE64, 0x8e, 1);
    deliver(EV_HW_EXCEPTION, X86_PF, 0x2);
    ck_assert_int_eq(cpu->shutdown, 0);
    ck_assert_uint_eq(cpu->rip, 0x403000);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0xa000 - 48);
    ck_assert_uint_eq(get(0xa000 - 48, 8), 0);                /* #DF error code */
    ck_assert_uint_eq(get(0xa000 - 16, 8), 0x8000);           /* old RSP */
    ck_assert_uint_eq(cpu->cr2 & ~0xfffull, 0x7000);
}
END_TEST

START_TEST(long_mode_fault_during_double_fault_shuts_down)
{
    long_mode(0);
    cpu->gpr[R_RSP] = 0x8000;
    set_gate64(X86_PF, 0x402000, K_CODE64, 0x8e, 0);
    set_gate64(X86_DF, 0x403000, K_CODE64, 0x8e, 0);  /* same bad stack */
    uint64_t rip = cpu->rip;
    deliver(EV_HW_EXCEPTION, X86_PF, 0x2);
    ck_assert_int_eq(cpu->shutdown, 1);
    ck_assert_uint_eq(cpu->rip, rip);         /* nothing committed */
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000);
}
END_TEST

START_TEST(long_mode_rejects_legacy_gate)
{
    long_mode(0);
    set_gate64(0x20, 0x402000, K_CODE, 0x8e, 0);      /* 32-bit code: bad */
    set_gate64(X86_GP, 0x404000, K_CODE64, 0x8e, 0);
    deliver(EV_EXTINT, 0x20, X86_NO_ERRCODE);
    ck_assert_uint_eq(cpu->rip, 0x404000);
    ck_assert_uint_eq(get(0x9000 - 48, 8), K_CODE | 1);      /* sel + EXT */
}
END_TEST

START_TEST(nmi_sets_blocking_and_clears_halt)
{
    protected_ring3();
    cpu->halted = 1;
    set_gate32(X86_NMI, 0x4000, K_CODE, 0x8e);
    x86_deliver_interrupt(cpu, EV_NMI, X86_NMI);
    ck_assert_int_eq(cpu->nmi_blocked, 1);
    ck_assert_int_eq(cpu->halted, 0);
    ck_assert_int_eq(cpu->pending.type, EV_NONE);
}
END_TEST

START_TEST(vm86_fault_to_ring0_and_iret_back)
{
    protected_ring3();
    cpu->rflags |= FL_VM;
    x86_load_seg_real(cpu, S_CS, 0x1000);
    x86_load_seg_real(cpu, S_SS, 0x2000);
    x86_load_seg_real(cpu, S_DS, 0x3000);
    x86_load_seg_real(cpu, S_ES, 0x4000);
    x86_load_seg_real(cpu, S_FS, 0x5000);
    x86_load_seg_real(cpu, S_GS, 0x6000);
    cpu->gpr[R_RSP] = 0xfff0;
    cpu->rip = 0x123;
    set_gate32(X86_GP, 0x5000, K_CODE, 0x8e);
    deliver(EV_HW_EXCEPTION, X86_GP, 0);
    ck_assert_int_eq(cpu->shutdown, 0);
    ck_assert_int_eq(cpu->cpl, 0);
    ck_assert_uint_eq(cpu->rflags & FL_VM, 0);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0x8000 - 40);
    ck_assert_uint_eq(get(0x8000 - 4, 4), 0x6000);     /* GS */
    ck_assert_uint_eq(get(0x8000 - 16, 4), 0x4000);    /* ES */
    ck_assert_uint_eq(get(0x8000 - 20, 4), 0x2000);    /* SS */
    ck_assert_uint_eq(get(0x8000 - 24, 4), 0xfff0);    /* ESP */
    ck_assert(get(0x8000 - 28, 4) & FL_VM);            /* EFLAGS */
    ck_assert_uint_eq(get(0x8000 - 32, 4), 0x1000);    /* CS */
    ck_assert_uint_eq(get(0x8000 - 36, 4), 0x123);     /* EIP */
    ck_assert_int_eq(cpu->seg[S_DS].unusable, 1);
    /* The handler drops the error code and returns to vm86 with IRET. */
    cpu->gpr[R_RSP] += 4;
    struct x86_insn in = { .op = X86_OP_IRET, .len = 1, .opsize = 4, .addrsize = 4,
                           .seg_override = S_NONE };
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb) == 0)
        exec_IRET(cpu, &in);
    else
        ck_abort_msg("IRET to vm86 faulted: vector %d", cpu->pending.vector);
    cpu->fault_jmp = NULL;
    ck_assert(x86_vm86(cpu));
    ck_assert_int_eq(cpu->cpl, 3);
    ck_assert_uint_eq(cpu->rip, 0x123);
    ck_assert_uint_eq(cpu->seg[S_CS].base, 0x10000);
    ck_assert_uint_eq(cpu->seg[S_SS].base, 0x20000);
    ck_assert_uint_eq(cpu->seg[S_GS].base, 0x60000);
    ck_assert_uint_eq(cpu->seg[S_DS].dpl, 3);
    ck_assert_uint_eq(cpu->gpr[R_RSP], 0xfff0);
    ck_assert_int_eq(x86_code_bits(cpu), 16);
}
END_TEST

START_TEST(raise_records_and_jumps)
{
    jmp_buf jb;
    cpu->fault_jmp = &jb;
    if (setjmp(jb) == 0) {
        x86_raise(cpu, X86_NP, 0x28);
        ck_abort_msg("x86_raise returned");
    }
    cpu->fault_jmp = NULL;
    ck_assert_int_eq(cpu->pending.type, EV_HW_EXCEPTION);
    ck_assert_int_eq(cpu->pending.vector, X86_NP);
    ck_assert_int_eq(cpu->pending.has_error, 1);
    ck_assert_uint_eq(cpu->pending.error_code, 0x28);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exception");
    TCase *tc = tcase_create("delivery");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, real_mode_ivt);
    tcase_add_test(tc, real_mode_beyond_ivt_limit_triple_faults);
    tcase_add_test(tc, ring3_to_ring0_switches_to_tss_stack);
    tcase_add_test(tc, fault_pushes_error_code_and_rf_trap_gate_keeps_if);
    tcase_add_test(tc, int_from_ring3_to_dpl0_gate_is_gp);
    tcase_add_test(tc, hardware_event_to_missing_gate_is_np_with_ext);
    tcase_add_test(tc, gp_while_delivering_gp_is_double_fault);
    tcase_add_test(tc, bad_handler_code_selector);
    tcase_add_test(tc, bad_tss_stack_is_ts);
    tcase_add_test(tc, same_privilege_uses_current_stack);
    tcase_add_test(tc, long_mode_ist_and_privilege_change);
    tcase_add_test(tc, long_mode_rsp0_aligned_to_16);
    tcase_add_test(tc, long_mode_pf_during_pf_is_double_fault_on_ist);
    tcase_add_test(tc, long_mode_fault_during_double_fault_shuts_down);
    tcase_add_test(tc, long_mode_rejects_legacy_gate);
    tcase_add_test(tc, nmi_sets_blocking_and_clears_halt);
    tcase_add_test(tc, vm86_fault_to_ring0_and_iret_back);
    tcase_add_test(tc, raise_records_and_jumps);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
