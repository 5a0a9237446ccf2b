/* struct x86_cpu <-> the structures of the KVM vCPU ioctls (api.rst 4.11
 * KVM_GET_REGS, 4.13 KVM_GET_SREGS, 4.22 KVM_GET_FPU, 4.18 KVM_GET_MSRS,
 * 4.31 KVM_GET_VCPU_EVENTS, 4.32 KVM_GET_DEBUGREGS, 4.46 KVM_SET_CPUID2).
 * Pure functions: no ioctl here, so tests/unit/test_kvm_state.c checks the
 * round trips without /dev/kvm.  x86_segment names its fields as
 * kvm_segment does, so segments are a field-by-field copy. */
#include <string.h>

#include "cpu/cpuid.h"
#include "vmx/kvm.h"

/* --- GPRs --- */

void kvm_regs_from_cpu(struct x86_cpu *cpu, struct kvm_regs *r)
{
    const uint64_t *g = cpu->gpr;
    memset(r, 0, sizeof(*r));
    r->rax = g[R_RAX]; r->rbx = g[R_RBX]; r->rcx = g[R_RCX]; r->rdx = g[R_RDX];
    r->rsi = g[R_RSI]; r->rdi = g[R_RDI]; r->rsp = g[R_RSP]; r->rbp = g[R_RBP];
    r->r8 = g[R_R8];   r->r9 = g[R_R9];   r->r10 = g[R_R10]; r->r11 = g[R_R11];
    r->r12 = g[R_R12]; r->r13 = g[R_R13]; r->r14 = g[R_R14]; r->r15 = g[R_R15];
    r->rip = cpu->rip;
    r->rflags = x86_get_rflags(cpu);
}

void kvm_regs_to_cpu(struct x86_cpu *cpu, const struct kvm_regs *r)
{
    uint64_t *g = cpu->gpr;
    g[R_RAX] = r->rax; g[R_RBX] = r->rbx; g[R_RCX] = r->rcx; g[R_RDX] = r->rdx;
    g[R_RSI] = r->rsi; g[R_RDI] = r->rdi; g[R_RSP] = r->rsp; g[R_RBP] = r->rbp;
    g[R_R8] = r->r8;   g[R_R9] = r->r9;   g[R_R10] = r->r10; g[R_R11] = r->r11;
    g[R_R12] = r->r12; g[R_R13] = r->r13; g[R_R14] = r->r14; g[R_R15] = r->r15;
    cpu->rip = r->rip;
    x86_set_rflags(cpu, r->rflags);     /* clears the lazy state */
}

/* --- segments, tables, control registers --- */

static void seg_to_kvm(const struct x86_segment *s, struct kvm_segment *k)
{
    memset(k, 0, sizeof(*k));
    k->base = s->base;
    k->limit = s->limit;
    k->selector = s->selector;
    k->type = s->type;
    k->present = s->present;
    k->dpl = s->dpl;
    k->db = s->db;
    k->s = s->s;
    k->l = s->l;
    k->g = s->g;
    k->avl = s->avl;
    k->unusable = s->unusable;
}

static void seg_from_kvm(struct x86_segment *s, const struct kvm_segment *k)
{
    s->base = k->base;
    s->limit = k->limit;
    s->selector = k->selector;
    s->type = k->type;
    s->present = k->present;
    s->dpl = k->dpl;
    s->db = k->db;
    s->s = k->s;
    s->l = k->l;
    s->g = k->g;
    s->avl = k->avl;
    s->unusable = k->unusable;
}

void kvm_sregs_from_cpu(const struct x86_cpu *cpu, struct kvm_sregs *s)
{
    memset(s, 0, sizeof(*s));
    seg_to_kvm(&cpu->seg[S_CS], &s->cs);
    seg_to_kvm(&cpu->seg[S_DS], &s->ds);
    seg_to_kvm(&cpu->seg[S_ES], &s->es);
    seg_to_kvm(&cpu->seg[S_FS], &s->fs);
    seg_to_kvm(&cpu->seg[S_GS], &s->gs);
    seg_to_kvm(&cpu->seg[S_SS], &s->ss);
    seg_to_kvm(&cpu->seg[S_TR], &s->tr);
    seg_to_kvm(&cpu->seg[S_LDTR], &s->ldt);
    s->gdt.base = cpu->gdtr.base;
    s->gdt.limit = cpu->gdtr.limit;
    s->idt.base = cpu->idtr.base;
    s->idt.limit = cpu->idtr.limit;
    s->cr0 = cpu->cr0;
    s->cr2 = cpu->cr2;
    s->cr3 = cpu->cr3;
    s->cr4 = cpu->cr4;
    s->cr8 = cpu->cr8;
    s->efer = cpu->efer;
    s->apic_base = cpu->msr.apic_base;
    /* An external interrupt acknowledged from the PIC but not delivered
     * yet: KVM re-queues it from this bitmap (api.rst 4.13, "interrupt_
     * bitmap is a bitmap of pending external interrupts.  At most one bit
     * may be set").  Soft interrupts (INT n) are not external: events. */
    if (cpu->pending.type == EV_EXTINT)
        s->interrupt_bitmap[cpu->pending.vector / 64] |= 1ull << (cpu->pending.vector % 64);
}

void kvm_sregs_to_cpu(struct x86_cpu *cpu, const struct kvm_sregs *s)
{
    seg_from_kvm(&cpu->seg[S_CS], &s->cs);
    seg_from_kvm(&cpu->seg[S_DS], &s->ds);
    seg_from_kvm(&cpu->seg[S_ES], &s->es);
    seg_from_kvm(&cpu->seg[S_FS], &s->fs);
    seg_from_kvm(&cpu->seg[S_GS], &s->gs);
    seg_from_kvm(&cpu->seg[S_SS], &s->ss);
    seg_from_kvm(&cpu->seg[S_TR], &s->tr);
    seg_from_kvm(&cpu->seg[S_LDTR], &s->ldt);
    cpu->gdtr.base = s->gdt.base;
    cpu->gdtr.limit = s->gdt.limit;
    cpu->idtr.base = s->idt.base;
    cpu->idtr.limit = s->idt.limit;
    cpu->cr0 = s->cr0;
    cpu->cr2 = s->cr2;
    cpu->cr3 = s->cr3;
    cpu->cr4 = s->cr4;
    cpu->cr8 = s->cr8;
    cpu->efer = s->efer;
    cpu->msr.apic_base = s->apic_base;
    /* CPL: 0 in real mode, else SS.DPL (which VMX keeps equal to the CPL,
     * SDM Vol. 3, 27.3.1.2; CS.DPL differs for conforming code). */
    cpu->cpl = (cpu->cr0 & CR0_PE) ? (cpu->rflags & FL_VM ? 3 : cpu->seg[S_SS].dpl) : 0;
    /* The interrupt bitmap duplicates kvm_vcpu_events.interrupt, which
     * kvm_events_to_cpu takes; nothing to do with it here. */
}

/* --- x87 / SSE (SDM Vol. 1, 10.5.1, Table 10-2: the FXSAVE layout) --- */

enum fxsave_offset {
    FX_FCW = 0, FX_FSW = 2, FX_FTW = 4, FX_FOP = 6, FX_FIP = 8, FX_FDP = 16,
    FX_MXCSR = 24, FX_ST0 = 32, FX_XMM0 = 160,
};

void kvm_fpu_from_cpu(const struct x86_cpu *cpu, struct kvm_fpu *f)
{
    const uint8_t *fx = cpu->fxsave;
    memset(f, 0, sizeof(*f));
    memcpy(&f->fcw, fx + FX_FCW, 2);
    memcpy(&f->fsw, fx + FX_FSW, 2);
    f->ftwx = fx[FX_FTW];               /* the abridged tag, as FXSAVE has it */
    memcpy(&f->last_opcode, fx + FX_FOP, 2);
    memcpy(&f->last_ip, fx + FX_FIP, 8);
    memcpy(&f->last_dp, fx + FX_FDP, 8);
    memcpy(&f->mxcsr, fx + FX_MXCSR, 4);
    memcpy(f->fpr, fx + FX_ST0, sizeof(f->fpr));
    memcpy(f->xmm, fx + FX_XMM0, sizeof(f->xmm));
}

void kvm_fpu_to_cpu(struct x86_cpu *cpu, const struct kvm_fpu *f)
{
    uint8_t *fx = cpu->fxsave;
    memcpy(fx + FX_FCW, &f->fcw, 2);
    memcpy(fx + FX_FSW, &f->fsw, 2);
    fx[FX_FTW] = f->ftwx;
    memcpy(fx + FX_FOP, &f->last_opcode, 2);
    memcpy(fx + FX_FIP, &f->last_ip, 8);
    memcpy(fx + FX_FDP, &f->last_dp, 8);
    memcpy(fx + FX_MXCSR, &f->mxcsr, 4);
    memcpy(fx + FX_ST0, f->fpr, sizeof(f->fpr));
    memcpy(fx + FX_XMM0, f->xmm, sizeof(f->xmm));
}

/* --- debug registers --- */

void kvm_debugregs_from_cpu(const struct x86_cpu *cpu, struct kvm_debugregs *d)
{
    memset(d, 0, sizeof(*d));
    for (int i = 0; i < 4; i++)
        d->db[i] = cpu->dr[i];
    d->dr6 = cpu->dr[6];
    d->dr7 = cpu->dr[7];
}

void kvm_debugregs_to_cpu(struct x86_cpu *cpu, const struct kvm_debugregs *d)
{
    for (int i = 0; i < 4; i++)
        cpu->dr[i] = d->db[i];
    cpu->dr[6] = d->dr6;
    cpu->dr[7] = d->dr7;
}

/* --- events (api.rst 4.31 KVM_GET_VCPU_EVENTS) --- */

void kvm_events_from_cpu(const struct x86_cpu *cpu, struct kvm_vcpu_events *e)
{
    const struct x86_event *p = &cpu->pending;
    memset(e, 0, sizeof(*e));
    switch (p->type) {
    case EV_HW_EXCEPTION:
    case EV_SOFT_EXCEPTION:
    case EV_PRIV_SOFT_EXCEPTION:
        /* "injected": delivery has begun and KVM must redo it on the next
         * entry.  KVM knows INT3/INTO (vectors 3, 4) are soft by their
         * vector; ICEBP goes in as a #DB (its trap-like RIP is lost). */
        e->exception.injected = 1;
        e->exception.nr = p->vector;
        e->exception.has_error_code = p->has_error;
        e->exception.error_code = p->error_code;
        break;
    case EV_EXTINT:
    case EV_SOFT_INT:
        e->interrupt.injected = 1;
        e->interrupt.nr = p->vector;
        e->interrupt.soft = p->type == EV_SOFT_INT;
        break;
    case EV_NMI:
        e->nmi.injected = 1;
        break;
    default:
        break;
    }
    /* glass keeps one kind of interrupt shadow (STI and MOV SS alike block
     * interrupts and debug traps for one instruction).  It goes to KVM as
     * blocking by MOV SS: VM entry refuses blocking by STI with IF = 0
     * (SDM Vol. 3, 27.3.1.5), MOV-SS blocking has no such condition. */
    e->interrupt.shadow = cpu->interrupt_shadow ? KVM_X86_SHADOW_INT_MOV_SS : 0;
    e->nmi.pending = cpu->nmi_pending;
    e->nmi.masked = cpu->nmi_blocked;
    e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
}

void kvm_events_to_cpu(struct x86_cpu *cpu, const struct kvm_vcpu_events *e)
{
    struct x86_event *p = &cpu->pending;
    memset(p, 0, sizeof(*p));
    if (e->exception.injected || e->exception.pending) {
        uint8_t nr = e->exception.nr;
        p->type = (nr == X86_BP || nr == X86_OF) ? EV_SOFT_EXCEPTION : EV_HW_EXCEPTION;
        p->vector = nr;
        p->has_error = e->exception.has_error_code;
        p->error_code = e->exception.has_error_code ? e->exception.error_code : 0;
    } else if (e->interrupt.injected) {
        p->type = e->interrupt.soft ? EV_SOFT_INT : EV_EXTINT;
        p->vector = e->interrupt.nr;
    } else if (e->nmi.injected) {
        p->type = EV_NMI;
        p->vector = X86_NMI;
    }
    cpu->interrupt_shadow = e->interrupt.shadow ? 1 : 0;
    cpu->nmi_pending = e->nmi.pending;
    cpu->nmi_blocked = e->nmi.masked;
}

/* --- MSRs --- */

const uint32_t kvm_glass_msrs[KVM_GLASS_NMSRS] = {
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
    MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE,
    MSR_IA32_TSC, MSR_IA32_PAT, MSR_TSC_AUX, MSR_IA32_MISC_ENABLE,
};

/* Where each MSR lives in x86_cpu; NULL for the TSC (an offset). */
static uint64_t *msr_slot(struct x86_cpu *cpu, uint32_t index)
{
    struct x86_msrs *m = &cpu->msr;
    switch (index) {
    case MSR_IA32_SYSENTER_CS:  return &m->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return &m->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &m->sysenter_eip;
    case MSR_STAR:              return &m->star;
    case MSR_LSTAR:             return &m->lstar;
    case MSR_CSTAR:             return &m->cstar;
    case MSR_SFMASK:            return &m->sfmask;
    case MSR_KERNEL_GS_BASE:    return &m->kernel_gs_base;
    case MSR_IA32_PAT:          return &m->pat;
    case MSR_TSC_AUX:           return &m->tsc_aux;
    case MSR_IA32_MISC_ENABLE:  return &m->misc_enable;
    default:                    return NULL;
    }
}

void kvm_msrs_from_cpu(const struct x86_cpu *cpu, uint64_t host_tsc, struct kvm_msr_entry *e)
{
    for (int i = 0; i < KVM_GLASS_NMSRS; i++) {
        uint32_t index = kvm_glass_msrs[i];
        memset(&e[i], 0, sizeof(e[i]));
        e[i].index = index;
        if (index == MSR_IA32_TSC)
            e[i].data = host_tsc + (uint64_t)cpu->tsc_offset;
        else
            e[i].data = *msr_slot((struct x86_cpu *)cpu, index);
    }
}

void kvm_msrs_to_cpu(struct x86_cpu *cpu, uint64_t host_tsc, const struct kvm_msr_entry *e,
                     int n)
{
    for (int i = 0; i < n; i++) {
        if (e[i].index == MSR_IA32_TSC) {
            cpu->tsc_offset = (int64_t)(e[i].data - host_tsc);
            continue;
        }
        uint64_t *slot = msr_slot(cpu, e[i].index);
        if (slot)
            *slot = e[i].data;
    }
}

/* --- CPUID (api.rst 4.46 KVM_SET_CPUID2) --- */

static int add_leaf(const struct x86_cpu *cpu, struct kvm_cpuid_entry2 *e, int n, int max,
                    uint32_t leaf, uint32_t sub, uint32_t flags)
{
    if (n >= max)
        return n;
    uint32_t r[4];
    x86_cpuid_cpu(cpu, leaf, sub, r);
    memset(&e[n], 0, sizeof(e[n]));
    e[n].function = leaf;
    e[n].index = sub;
    e[n].flags = flags;
    e[n].eax = r[0];
    e[n].ebx = r[1];
    e[n].ecx = r[2];
    e[n].edx = r[3];
    return n + 1;
}

int kvm_cpuid_from_model(const struct x86_cpu *cpu, struct kvm_cpuid_entry2 *e, int max)
{
    uint32_t r[4];
    int n = 0;
    x86_cpuid(0, 0, r);
    for (uint32_t leaf = 0; leaf <= r[0]; leaf++) {
        /* Leaves whose ECX input selects a subleaf (SDM Vol. 2, CPUID):
         * 4, 7, 0xb, 0xd.  glass models subleaf 0 of each. */
        bool indexed = leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd;
        n = add_leaf(cpu, e, n, max, leaf, 0, indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0);
    }
    n = add_leaf(cpu, e, n, max, 0x40000000, 0, 0);
    x86_cpuid(0x80000000, 0, r);
    for (uint32_t leaf = 0x80000000; leaf <= r[0] && leaf < 0x80000100; leaf++)
        n = add_leaf(cpu, e, n, max, leaf, 0, 0);
    return n;
}
