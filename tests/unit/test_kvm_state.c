/* struct x86_cpu <-> the kvm structs (vmx/kvm_state.c), the CPUID model as
 * KVM_SET_CPUID2 entries, and the parser of KVM's binary statistics: all
 * pure, so no /dev/kvm needed. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpuid.h"
#include "vmx/kvm.h"
#include "tests/unit/run_suite.h"

static void cpu_fill(struct x86_cpu *cpu)
{
    memset(cpu, 0, sizeof(*cpu));
    for (int i = 0; i < 16; i++)
        cpu->gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1) + (uint64_t)i;
    cpu->rip = 0xffffffff81000123ull;
    x86_set_rflags(cpu, FL_FIXED1 | FL_IF | FL_CF | FL_ZF | FL_DF);
    for (int s = 0; s < S_COUNT; s++)
        cpu->seg[s] = (struct x86_segment){
            .base = 0x1000ull * (uint64_t)(s + 1), .limit = 0xfffff + (uint32_t)s,
            .selector = (uint16_t)(8 * s + 3), .type = (uint8_t)(s + 1), .s = s < 6,
            .dpl = 3, .present = 1, .avl = s & 1, .l = s == S_CS, .db = s != S_CS,
            .g = 1, .unusable = s == S_FS,
        };
    cpu->gdtr = (struct x86_dtable){ .base = 0xffff880000001000ull, .limit = 0x7f };
    cpu->idtr = (struct x86_dtable){ .base = 0xffff880000002000ull, .limit = 0xfff };
    cpu->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    cpu->cr2 = 0xdeadbeef000ull;
    cpu->cr3 = 0x123000;
    cpu->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR;
    cpu->cr8 = 5;
    cpu->efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    for (int i = 0; i < 8; i++)
        cpu->dr[i] = 0x100u * (uint64_t)i;
    cpu->msr = (struct x86_msrs){
        .sysenter_cs = 0x10, .sysenter_esp = 0x2000, .sysenter_eip = 0x3000,
        .star = 0x0023001000000000ull, .lstar = 0xffffffff81800000ull, .cstar = 0x4000,
        .sfmask = 0x47700, .kernel_gs_base = 0xffff88807fc00000ull, .tsc_aux = 7,
        .pat = 0x0007040600070406ull, .apic_base = 0xfee00900ull, .misc_enable = 1,
    };
    cpu->tsc_offset = -123456789;
    for (int i = 0; i < 512; i++)
        cpu->fxsave[i] = (uint8_t)(i * 7 + 1);
}

START_TEST(regs_round_trip_in_encoding_order)
{
    struct x86_cpu a, b;
    struct kvm_regs r;
    cpu_fill(&a);
    kvm_regs_from_cpu(&a, &r);
    ck_assert_uint_eq(r.rax, a.gpr[R_RAX]);
    ck_assert_uint_eq(r.rbx, a.gpr[R_RBX]);
    ck_assert_uint_eq(r.rsp, a.gpr[R_RSP]);
    ck_assert_uint_eq(r.r15, a.gpr[R_R15]);
    ck_assert_uint_eq(r.rflags, FL_FIXED1 | FL_IF | FL_CF | FL_ZF | FL_DF);
    memset(&b, 0, sizeof(b));
    kvm_regs_to_cpu(&b, &r);
    ck_assert_mem_eq(b.gpr, a.gpr, sizeof(a.gpr));
    ck_assert_uint_eq(b.rip, a.rip);
    ck_assert_uint_eq(x86_get_rflags(&b), x86_get_rflags(&a));
}
END_TEST

START_TEST(sregs_round_trip_segments_tables_crs)
{
    struct x86_cpu a, b;
    struct kvm_sregs s;
    cpu_fill(&a);
    kvm_sregs_from_cpu(&a, &s);
    ck_assert_uint_eq(s.cs.selector, a.seg[S_CS].selector);
    ck_assert_uint_eq(s.cs.l, 1);
    ck_assert_uint_eq(s.tr.base, a.seg[S_TR].base);
    ck_assert_uint_eq(s.ldt.type, a.seg[S_LDTR].type);
    ck_assert_uint_eq(s.fs.unusable, 1);
    ck_assert_uint_eq(s.apic_base, 0xfee00900ull);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(s.interrupt_bitmap[i], 0);
    memset(&b, 0, sizeof(b));
    kvm_sregs_to_cpu(&b, &s);
    ck_assert_mem_eq(b.seg, a.seg, sizeof(a.seg));
    ck_assert_uint_eq(b.gdtr.base, a.gdtr.base);
    ck_assert_uint_eq(b.gdtr.limit, a.gdtr.limit);
    ck_assert_uint_eq(b.idtr.base, a.idtr.base);
    ck_assert_uint_eq(b.idtr.limit, a.idtr.limit);
    ck_assert_uint_eq(b.cr0, a.cr0);
    ck_assert_uint_eq(b.cr2, a.cr2);
    ck_assert_uint_eq(b.cr3, a.cr3);
    ck_assert_uint_eq(b.cr4, a.cr4);
    ck_assert_uint_eq(b.cr8, a.cr8);
    ck_assert_uint_eq(b.efer, a.efer);
    ck_assert_uint_eq(b.msr.apic_base, a.msr.apic_base);
    ck_assert_uint_eq(b.cpl, 3);    /* SS.DPL in protected mode */
}
END_TEST

START_TEST(sregs_real_mode_cpl_and_interrupt_bitmap)
{
    struct x86_cpu a;
    struct kvm_sregs s;
    x86_cpu_reset(&a);
    a.pending = (struct x86_event){ .type = EV_EXTINT, .vector = 0x41 };
    kvm_sregs_from_cpu(&a, &s);
    ck_assert_uint_eq(s.interrupt_bitmap[1], 1ull << 1);
    ck_assert_uint_eq(s.cs.base, 0xffff0000ull);
    ck_assert_uint_eq(s.cs.selector, 0xf000);
    ck_assert_uint_eq(s.cr0, 0x60000010);
    a.seg[S_SS].dpl = 3;    /* ignored in real mode */
    kvm_sregs_from_cpu(&a, &s);
    a.cpl = 9;
    kvm_sregs_to_cpu(&a, &s);
    ck_assert_uint_eq(a.cpl, 0);
    /* Soft interrupts are not external: no bit. */
    a.pending = (struct x86_event){ .type = EV_SOFT_INT, .vector = 0x80 };
    kvm_sregs_from_cpu(&a, &s);
    ck_assert_uint_eq(s.interrupt_bitmap[2], 0);
}
END_TEST

START_TEST(fpu_round_trip_follows_fxsave_layout)
{
    struct x86_cpu a, b;
    struct kvm_fpu f;
    cpu_fill(&a);
    kvm_fpu_from_cpu(&a, &f);
    ck_assert_uint_eq(f.fcw, a.fxsave[0] | a.fxsave[1] << 8);
    ck_assert_uint_eq(f.fsw, a.fxsave[2] | a.fxsave[3] << 8);
    ck_assert_uint_eq(f.ftwx, a.fxsave[4]);
    uint32_t mxcsr;
    memcpy(&mxcsr, a.fxsave + 24, 4);
    ck_assert_uint_eq(f.mxcsr, mxcsr);
    ck_assert_mem_eq(f.fpr, a.fxsave + 32, 128);
    ck_assert_mem_eq(f.xmm, a.fxsave + 160, 256);
    /* Back into a CPU whose MXCSR_MASK and reserved bytes differ: they stay. */
    memset(&b, 0xee, sizeof(b));
    kvm_fpu_to_cpu(&b, &f);
    ck_assert_mem_eq(b.fxsave, a.fxsave, 5);
    ck_assert_mem_eq(b.fxsave + 6, a.fxsave + 6, 22);
    ck_assert_mem_eq(b.fxsave + 32, a.fxsave + 32, 384);
    ck_assert_uint_eq(b.fxsave[28], 0xee);  /* MXCSR_MASK untouched */
    ck_assert_uint_eq(b.fxsave[511], 0xee);
}
END_TEST

START_TEST(debugregs_round_trip)
{
    struct x86_cpu a, b;
    struct kvm_debugregs d;
    cpu_fill(&a);
    kvm_debugregs_from_cpu(&a, &d);
    ck_assert_uint_eq(d.db[3], a.dr[3]);
    ck_assert_uint_eq(d.dr7, a.dr[7]);
    memset(&b, 0, sizeof(b));
    kvm_debugregs_to_cpu(&b, &d);
    for (int i = 0; i < 8; i++)
        if (i != 4 && i != 5)
            ck_assert_uint_eq(b.dr[i], a.dr[i]);
}
END_TEST

static void events_round_trip(const struct x86_event *ev, uint8_t shadow, uint8_t nmi_pending,
                              uint8_t nmi_blocked)
{
    struct x86_cpu a, b;
    struct kvm_vcpu_events e;
    cpu_fill(&a);
    a.pending = *ev;
    a.interrupt_shadow = shadow;
    a.nmi_pending = nmi_pending;
    a.nmi_blocked = nmi_blocked;
    kvm_events_from_cpu(&a, &e);
    ck_assert_uint_eq(e.flags & KVM_VCPUEVENT_VALID_SHADOW, KVM_VCPUEVENT_VALID_SHADOW);
    ck_assert_uint_eq(e.flags & KVM_VCPUEVENT_VALID_NMI_PENDING, KVM_VCPUEVENT_VALID_NMI_PENDING);
    memset(&b, 0, sizeof(b));
    kvm_events_to_cpu(&b, &e);
    ck_assert_uint_eq(b.pending.type, ev->type);
    ck_assert_uint_eq(b.pending.vector, ev->vector);
    ck_assert_uint_eq(b.pending.has_error, ev->has_error);
    ck_assert_uint_eq(b.pending.error_code, ev->error_code);
    ck_assert_uint_eq(b.interrupt_shadow, shadow);
    ck_assert_uint_eq(b.nmi_pending, nmi_pending);
    ck_assert_uint_eq(b.nmi_blocked, nmi_blocked);
}

START_TEST(events_round_trip_every_kind)
{
    events_round_trip(&(struct x86_event){ .type = EV_NONE }, 0, 0, 0);
    events_round_trip(&(struct x86_event){ .type = EV_HW_EXCEPTION, .vector = X86_PF,
                                           .has_error = 1, .error_code = PFEC_W | PFEC_U }, 0, 0, 0);
    events_round_trip(&(struct x86_event){ .type = EV_HW_EXCEPTION, .vector = X86_UD }, 1, 0, 0);
    events_round_trip(&(struct x86_event){ .type = EV_SOFT_EXCEPTION, .vector = X86_BP }, 0, 0, 0);
    events_round_trip(&(struct x86_event){ .type = EV_EXTINT, .vector = 0x20 }, 0, 1, 0);
    events_round_trip(&(struct x86_event){ .type = EV_SOFT_INT, .vector = 0x80 }, 0, 0, 0);
    events_round_trip(&(struct x86_event){ .type = EV_NMI, .vector = X86_NMI }, 0, 0, 1);
}
END_TEST

START_TEST(events_shadow_goes_as_mov_ss_blocking)
{
    struct x86_cpu a;
    struct kvm_vcpu_events e;
    cpu_fill(&a);
    a.interrupt_shadow = 1;
    kvm_events_from_cpu(&a, &e);
    ck_assert_uint_eq(e.interrupt.shadow, KVM_X86_SHADOW_INT_MOV_SS);
    e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;    /* KVM may report either */
    kvm_events_to_cpu(&a, &e);
    ck_assert_uint_eq(a.interrupt_shadow, 1);
}
END_TEST

START_TEST(msrs_round_trip_with_tsc_as_offset)
{
    struct x86_cpu a, b;
    struct kvm_msr_entry e[KVM_GLASS_NMSRS];
    const uint64_t host_tsc = 1000000000000ull;
    cpu_fill(&a);
    kvm_msrs_from_cpu(&a, host_tsc, e);
    for (int i = 0; i < KVM_GLASS_NMSRS; i++) {
        ck_assert_uint_eq(e[i].index, kvm_glass_msrs[i]);
        if (e[i].index == MSR_IA32_TSC)
            ck_assert_uint_eq(e[i].data, host_tsc - 123456789);
        if (e[i].index == MSR_LSTAR)
            ck_assert_uint_eq(e[i].data, a.msr.lstar);
    }
    memset(&b, 0, sizeof(b));
    kvm_msrs_to_cpu(&b, host_tsc, e, KVM_GLASS_NMSRS);
    ck_assert_int_eq(b.tsc_offset, a.tsc_offset);
    ck_assert_mem_eq(&b.msr.sysenter_cs, &a.msr.sysenter_cs,
                     offsetof(struct x86_msrs, apic_base) - offsetof(struct x86_msrs, sysenter_cs));
    ck_assert_uint_eq(b.msr.misc_enable, a.msr.misc_enable);
    /* An unknown index changes nothing. */
    struct kvm_msr_entry odd = { .index = 0x12345678, .data = 1 };
    kvm_msrs_to_cpu(&b, host_tsc, &odd, 1);
    ck_assert_uint_eq(b.msr.lstar, a.msr.lstar);
}
END_TEST

START_TEST(cpuid_entries_are_the_model)
{
    struct kvm_cpuid_entry2 e[64];
    struct x86_cpu cpu;
    x86_cpu_reset(&cpu);
    cpu.apic_id = 3;
    int n = kvm_cpuid_from_model(&cpu, e, 64);
    ck_assert_int_eq(n, (int)(GLASS_CPUID_MAX_BASIC + 1 + 1 + (GLASS_CPUID_MAX_EXT - 0x80000000 + 1)));
    int seen = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r[4];
        x86_cpuid_cpu(&cpu, e[i].function, e[i].index, r);
        ck_assert_uint_eq(e[i].eax, r[0]);
        ck_assert_uint_eq(e[i].ebx, r[1]);
        ck_assert_uint_eq(e[i].ecx, r[2]);
        ck_assert_uint_eq(e[i].edx, r[3]);
        if (e[i].function == 1)
            ck_assert_uint_eq(e[i].ebx >> 24, 3);   /* this vCPU's APIC ID */
        if (e[i].function == 7) {
            ck_assert_uint_eq(e[i].flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
            seen |= 1;
        }
        if (e[i].function == 0x40000000)
            seen |= 2;
        if (e[i].function == 0x80000001) {
            ck_assert(e[i].edx & CPUID_81_EDX_LM);
            seen |= 4;
        }
    }
    ck_assert_int_eq(seen, 7);
    ck_assert_int_eq(kvm_cpuid_from_model(&cpu, e, 3), 3);    /* never past max */
}
END_TEST

/* A stats file as KVM lays it out: header, descriptors, data. */
static size_t fake_stats(uint8_t *buf)
{
    enum { NAME = 32, DESC = sizeof(struct kvm_stats_desc) + NAME };
    struct kvm_stats_header h = {
        .name_size = NAME, .num_desc = 3, .id_offset = sizeof(h),
        .desc_offset = sizeof(h) + 48, .data_offset = sizeof(h) + 48 + 3 * DESC,
    };
    memset(buf, 0, 1024);
    memcpy(buf, &h, sizeof(h));
    const char *names[3] = { "exits", "io_exits", "halt_wait_hist" };
    uint16_t sizes[3] = { 1, 1, 4 };
    uint32_t offs[3] = { 0, 8, 16 };
    for (int i = 0; i < 3; i++) {
        struct kvm_stats_desc d = {
            .flags = i == 2 ? KVM_STATS_TYPE_LOG_HIST : KVM_STATS_TYPE_CUMULATIVE,
            .size = sizes[i], .offset = offs[i],
        };
        memcpy(buf + h.desc_offset + i * DESC, &d, sizeof(d));
        strcpy((char *)buf + h.desc_offset + i * DESC + sizeof(d), names[i]);
    }
    uint64_t vals[6] = { 1234, 56, 1, 2, 3, 4 };
    memcpy(buf + h.data_offset, vals, sizeof(vals));
    return h.data_offset + sizeof(vals);
}

START_TEST(stats_parse_reads_names_and_values)
{
    uint8_t buf[1024];
    size_t len = fake_stats(buf);
    struct kvm_stat_value v[8];
    ck_assert_int_eq(kvm_stats_parse(buf, len, v, 8), 3);
    ck_assert_str_eq(v[0].name, "exits");
    ck_assert_uint_eq(v[0].value, 1234);
    ck_assert_str_eq(v[1].name, "io_exits");
    ck_assert_uint_eq(v[1].value, 56);
    ck_assert_str_eq(v[2].name, "halt_wait_hist");
    ck_assert_uint_eq(v[2].value, 10);  /* histogram buckets summed */
    ck_assert_int_eq(kvm_stats_parse(buf, len, v, 2), 2);
    /* Truncated: the data block does not fit. */
    ck_assert_int_eq(kvm_stats_parse(buf, len - 8, v, 8), -EINVAL);
    ck_assert_int_eq(kvm_stats_parse(buf, 10, v, 8), -EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kvm_state");
    TCase *tc = tcase_create("kvm_state");
    tcase_add_test(tc, regs_round_trip_in_encoding_order);
    tcase_add_test(tc, sregs_round_trip_segments_tables_crs);
    tcase_add_test(tc, sregs_real_mode_cpl_and_interrupt_bitmap);
    tcase_add_test(tc, fpu_round_trip_follows_fxsave_layout);
    tcase_add_test(tc, debugregs_round_trip);
    tcase_add_test(tc, events_round_trip_every_kind);
    tcase_add_test(tc, events_shadow_goes_as_mov_ss_blocking);
    tcase_add_test(tc, msrs_round_trip_with_tsc_as_offset);
    tcase_add_test(tc, cpuid_entries_are_the_model);
    tcase_add_test(tc, stats_parse_reads_names_and_values);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
