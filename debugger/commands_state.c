/* State commands: regs, sregs, info gdt|idt|ldt|tss|msr, print, set. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/seg.h"
#include "debugger/session.h"
#include "machine/board.h"

struct bit_name {
    uint64_t bit;
    const char *name;
};

static void bits_named(FILE *out, uint64_t v, const struct bit_name *t, size_t n)
{
    fprintf(out, " [");
    bool first = true;
    for (size_t i = 0; i < n; i++)
        if (v & t[i].bit) {
            fprintf(out, "%s%s", first ? "" : " ", t[i].name);
            first = false;
        }
    fprintf(out, "]");
}
#define BITS(out, v, t) bits_named(out, v, t, sizeof(t) / sizeof(t[0]))

static const struct bit_name flag_bits[] = {
    { FL_CF, "CF" }, { FL_PF, "PF" }, { FL_AF, "AF" }, { FL_ZF, "ZF" }, { FL_SF, "SF" },
    { FL_TF, "TF" }, { FL_IF, "IF" }, { FL_DF, "DF" }, { FL_OF, "OF" }, { FL_NT, "NT" },
    { FL_RF, "RF" }, { FL_VM, "VM" }, { FL_AC, "AC" }, { FL_VIF, "VIF" }, { FL_VIP, "VIP" },
    { FL_ID, "ID" },
};

DBG_CMD(cmd_regs)
{
    (void)argc; (void)argv; (void)suffix;
    static const char *const n64[16] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                                         "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const int idx[16] = { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP,
                                 8, 9, 10, 11, 12, 13, 14, 15 };
    static const char *const n32[8] = { "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp" };
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    bool wide = x86_long_mode(cpu);
    for (int i = 0; i < (wide ? 16 : 8); i++) {
        if (wide)
            fprintf(s->out, "%-4s 0x%016" PRIx64 "%s", n64[i], cpu->gpr[idx[i]], i % 4 == 3 ? "\n" : "  ");
        else
            fprintf(s->out, "%-4s 0x%08" PRIx64 "%s", n32[i], cpu->gpr[idx[i]] & 0xffffffff,
                    i % 4 == 3 ? "\n" : "  ");
    }
    uint64_t fl = x86_get_rflags(cpu);
    if (wide)
        fprintf(s->out, "rip  0x%016" PRIx64 "  ", cpu->rip);
    else
        fprintf(s->out, "eip  0x%08" PRIx64 "  ", cpu->rip & 0xffffffff);
    fprintf(s->out, "rflags 0x%08" PRIx64, fl);
    BITS(s->out, fl, flag_bits);
    fprintf(s->out, " IOPL=%u\n", (unsigned)((fl & FL_IOPL) >> 12));
    fprintf(s->out, "cs 0x%04x  ss 0x%04x  ds 0x%04x  es 0x%04x  fs 0x%04x  gs 0x%04x  cpl %u\n",
            cpu->seg[S_CS].selector, cpu->seg[S_SS].selector, cpu->seg[S_DS].selector,
            cpu->seg[S_ES].selector, cpu->seg[S_FS].selector, cpu->seg[S_GS].selector, cpu->cpl);
    return 0;
}

DBG_CMD(cmd_info_registers)
{
    return cmd_regs(s, argc, argv, suffix);
}

static void print_segment(FILE *out, const char *name, const struct x86_segment *g)
{
    fprintf(out, "%-4s 0x%04x base 0x%016" PRIx64 " limit 0x%08x type 0x%x", name, g->selector,
            g->base, g->limit, g->type);
    if (g->s)
        fprintf(out, " (%s%s%s)", (g->type & DESC_TYPE_CODE) ? "code" : "data",
                (g->type & DESC_TYPE_CODE) ? ((g->type & DESC_TYPE_RW) ? ",readable" : ",exec-only")
                                           : ((g->type & DESC_TYPE_RW) ? ",writable" : ",read-only"),
                (g->type & DESC_TYPE_ACCESSED) ? ",accessed" : "");
    else
        fprintf(out, " (system)");
    fprintf(out, " dpl %u%s%s%s%s%s\n", g->dpl, g->present ? " P" : " not-present",
            g->l ? " L" : "", g->db ? " D/B" : "", g->g ? " G" : "", g->unusable ? " unusable" : "");
}

DBG_CMD(cmd_sregs)
{
    (void)argc; (void)argv; (void)suffix;
    static const char *const names[S_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    static const struct bit_name cr0b[] = {
        { CR0_PE, "PE" }, { CR0_MP, "MP" }, { CR0_EM, "EM" }, { CR0_TS, "TS" }, { CR0_ET, "ET" },
        { CR0_NE, "NE" }, { CR0_WP, "WP" }, { CR0_AM, "AM" }, { CR0_NW, "NW" }, { CR0_CD, "CD" },
        { CR0_PG, "PG" },
    };
    static const struct bit_name cr4b[] = {
        { CR4_VME, "VME" }, { CR4_PVI, "PVI" }, { CR4_TSD, "TSD" }, { CR4_DE, "DE" },
        { CR4_PSE, "PSE" }, { CR4_PAE, "PAE" }, { CR4_MCE, "MCE" }, { CR4_PGE, "PGE" },
        { CR4_PCE, "PCE" }, { CR4_OSFXSR, "OSFXSR" }, { CR4_OSXMMEXCPT, "OSXMMEXCPT" },
        { CR4_UMIP, "UMIP" }, { CR4_FSGSBASE, "FSGSBASE" }, { CR4_PCIDE, "PCIDE" },
        { CR4_OSXSAVE, "OSXSAVE" }, { CR4_SMEP, "SMEP" }, { CR4_SMAP, "SMAP" },
    };
    static const struct bit_name eferb[] = {
        { EFER_SCE, "SCE" }, { EFER_LME, "LME" }, { EFER_LMA, "LMA" }, { EFER_NXE, "NXE" },
    };
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    for (int i = 0; i < S_COUNT; i++)
        print_segment(s->out, names[i], &cpu->seg[i]);
    fprintf(s->out, "cr0  0x%08" PRIx64, cpu->cr0);
    BITS(s->out, cpu->cr0, cr0b);
    fprintf(s->out, "\ncr2  0x%016" PRIx64 "\ncr3  0x%016" PRIx64 " [PWT=%u PCD=%u base 0x%" PRIx64 "]\n",
            cpu->cr2, cpu->cr3, (unsigned)(cpu->cr3 >> 3) & 1, (unsigned)(cpu->cr3 >> 4) & 1,
            (uint64_t)(cpu->cr3 & ~0xfffull));
    fprintf(s->out, "cr4  0x%08" PRIx64, cpu->cr4);
    BITS(s->out, cpu->cr4, cr4b);
    fprintf(s->out, "\ncr8  0x%" PRIx64 "\nefer 0x%" PRIx64, cpu->cr8, cpu->efer);
    BITS(s->out, cpu->efer, eferb);
    fprintf(s->out, "\ngdtr base 0x%016" PRIx64 " limit 0x%04x\nidtr base 0x%016" PRIx64
            " limit 0x%04x\n", cpu->gdtr.base, cpu->gdtr.limit, cpu->idtr.base, cpu->idtr.limit);
    int m = dbg_cpu_mode(cpu);
    fprintf(s->out, "mode %s, %d-bit code, cpl %u%s\n",
            m == 16 ? (x86_vm86(cpu) ? "virtual-8086" : "real") : x86_long_mode(cpu) ?
            (m == 64 ? "long (64-bit)" : "long (compatibility)") : "protected",
            x86_code_bits(cpu), cpu->cpl, cpu->halted ? ", halted" : "");
    return 0;
}

/* --- descriptor tables --- */

static const char *system_type_name(unsigned type, bool ia32e)
{
    static const char *const legacy[16] = {
        "reserved", "16-bit TSS (available)", "LDT", "16-bit TSS (busy)", "16-bit call gate",
        "task gate", "16-bit interrupt gate", "16-bit trap gate", "reserved",
        "32-bit TSS (available)", "reserved", "32-bit TSS (busy)", "32-bit call gate",
        "reserved", "32-bit interrupt gate", "32-bit trap gate",
    };
    static const char *const ia32e_t[16] = {
        "reserved", "reserved", "LDT", "reserved", "reserved", "reserved", "reserved", "reserved",
        "reserved", "64-bit TSS (available)", "reserved", "64-bit TSS (busy)", "64-bit call gate",
        "reserved", "64-bit interrupt gate", "64-bit trap gate",
    };
    return (ia32e ? ia32e_t : legacy)[type & 15];
}

/* One descriptor table: GDT or LDT at base/limit. */
static void dump_desc_table(struct dbg_session *s, uint64_t base, unsigned limit, bool ldt)
{
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    bool ia32e = x86_long_mode(cpu);
    for (unsigned off = 0; off + 7 <= limit; off += 8) {
        uint64_t raw;
        if (dbg_read_linear(&s->d, base + off, &raw, 8) != 8) {
            fprintf(s->out, "  0x%04x: cannot read (linear 0x%" PRIx64 " not mapped)\n", off, base + off);
            return;
        }
        unsigned sel = off | (ldt ? SEL_TI : 0);
        if (!raw) {
            fprintf(s->out, "  0x%04x: null\n", sel);
            continue;
        }
        struct x86_segment g;
        x86_desc_to_segment(raw, (uint16_t)sel, &g);
        fprintf(s->out, "  0x%04x: %016" PRIx64 " ", sel, raw);
        if (g.s) {
            fprintf(s->out, "%s base 0x%08" PRIx64 " limit 0x%08x dpl %u%s%s%s%s%s%s\n",
                    (g.type & DESC_TYPE_CODE) ? "code" : "data", g.base, g.limit, g.dpl,
                    (g.type & DESC_TYPE_CODE) ? ((g.type & DESC_TYPE_RW) ? " readable" : " exec-only")
                                              : ((g.type & DESC_TYPE_RW) ? " writable" : " read-only"),
                    (g.type & DESC_TYPE_CODE) && (g.type & DESC_TYPE_CONFORM) ? " conforming" : "",
                    g.l ? " 64-bit" : g.db ? " 32-bit" : " 16-bit", g.g ? " 4K-granular" : "",
                    g.present ? "" : " NOT-PRESENT", (g.type & 1) ? " accessed" : "");
            continue;
        }
        fprintf(s->out, "%s", system_type_name(g.type, ia32e));
        bool wide = ia32e && (g.type == SYS_TSS32_AVAIL || g.type == SYS_TSS32_BUSY || g.type == SYS_LDT);
        uint64_t hi = 0;
        if (wide && off + 15 <= limit)
            dbg_read_linear(&s->d, base + off + 8, &hi, 8);
        if (g.type == SYS_CALL16 || g.type == SYS_CALL32 || g.type == SYS_TASK_GATE) {
            struct x86_gate gate;
            x86_desc_to_gate(raw, 0, &gate);
            fprintf(s->out, " -> 0x%04x:0x%08" PRIx64 " dpl %u%s\n", gate.selector, gate.offset,
                    gate.dpl, gate.present ? "" : " NOT-PRESENT");
        } else {
            fprintf(s->out, " base 0x%08" PRIx64 " limit 0x%08x dpl %u%s\n",
                    g.base | (wide ? x86_desc_base_hi(hi) : 0), g.limit, g.dpl,
                    g.present ? "" : " NOT-PRESENT");
        }
        if (wide)
            off += 8;
    }
}

DBG_CMD(cmd_info_gdt)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    fprintf(s->out, "GDT at 0x%" PRIx64 ", limit 0x%x (%u entries)\n", cpu->gdtr.base,
            cpu->gdtr.limit, (cpu->gdtr.limit + 1u) / 8);
    dump_desc_table(s, cpu->gdtr.base, cpu->gdtr.limit, false);
    return 0;
}

DBG_CMD(cmd_info_ldt)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    const struct x86_segment *l = &cpu->seg[S_LDTR];
    if (!l->selector || l->unusable || !l->present) {
        fprintf(s->out, "no LDT loaded (LDTR = 0x%04x)\n", l->selector);
        return 0;
    }
    fprintf(s->out, "LDT (selector 0x%04x) at 0x%" PRIx64 ", limit 0x%x\n", l->selector, l->base, l->limit);
    dump_desc_table(s, l->base, l->limit, true);
    return 0;
}

DBG_CMD(cmd_info_idt)
{
    (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    unsigned max = 256, first = 0;
    if (argc > 1) {
        uint64_t v;
        if (dbg_eval(s, argv[1], &v) < 0)
            return -1;
        first = (unsigned)v;
        max = first + 1;
    }
    if (!x86_protected(cpu)) {
        fprintf(s->out, "real-mode IVT at 0x%" PRIx64 ", limit 0x%x\n", cpu->idtr.base, cpu->idtr.limit);
        for (unsigned v = first; v < max && v * 4 + 3 <= cpu->idtr.limit; v++) {
            uint16_t e[2];
            if (dbg_read_linear(&s->d, cpu->idtr.base + v * 4, e, 4) != 4)
                break;
            if (argc > 1 || e[0] || e[1])
                fprintf(s->out, "  %3u (0x%02x): %04x:%04x\n", v, v, e[1], e[0]);
        }
        return 0;
    }
    bool ia32e = x86_long_mode(cpu);
    unsigned esize = ia32e ? 16 : 8;
    fprintf(s->out, "IDT at 0x%" PRIx64 ", limit 0x%x (%u gates)\n", cpu->idtr.base, cpu->idtr.limit,
            (cpu->idtr.limit + 1u) / esize);
    for (unsigned v = first; v < max && v * esize + esize - 1 <= cpu->idtr.limit; v++) {
        uint64_t raw[2] = { 0, 0 };
        if (dbg_read_linear(&s->d, cpu->idtr.base + (uint64_t)v * esize, raw, esize) != (long)esize) {
            fprintf(s->out, "  %3u: cannot read\n", v);
            break;
        }
        struct x86_gate g;
        x86_desc_to_gate(raw[0], ia32e ? raw[1] : 0, &g);
        if (!g.present && argc < 2)
            continue;
        char sym[128];
        symtab_describe(&s->syms, g.offset, sym, sizeof(sym));
        fprintf(s->out, "  %3u (0x%02x): %s -> 0x%04x:0x%0*" PRIx64 "%s%s%s dpl %u%s", v, v,
                system_type_name(g.type, ia32e), g.selector, ia32e ? 16 : 8, g.offset,
                *sym ? " <" : "", sym, *sym ? ">" : "", g.dpl, g.present ? "" : " NOT-PRESENT");
        if (ia32e && g.ist)
            fprintf(s->out, " ist %u", g.ist);
        fprintf(s->out, "\n");
    }
    return 0;
}

DBG_CMD(cmd_info_tss)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    const struct x86_segment *tr = &cpu->seg[S_TR];
    fprintf(s->out, "TR 0x%04x base 0x%" PRIx64 " limit 0x%x type %s\n", tr->selector, tr->base,
            tr->limit, system_type_name(tr->type, x86_long_mode(cpu)));
    if (!tr->selector && !tr->base) {
        fprintf(s->out, "no TSS loaded\n");
        return 0;
    }
    if (x86_long_mode(cpu)) {
        uint8_t t[104];
        if (dbg_read_linear(&s->d, tr->base, t, sizeof(t)) != (long)sizeof(t)) {
            fprintf(s->out, "cannot read the TSS\n");
            return -1;
        }
        uint64_t q;
        for (int i = 0; i < 3; i++) {
            memcpy(&q, t + 4 + 8 * i, 8);
            fprintf(s->out, "  rsp%d 0x%016" PRIx64 "\n", i, q);
        }
        for (int i = 1; i <= 7; i++) {
            memcpy(&q, t + 0x24 + 8 * (i - 1), 8);
            fprintf(s->out, "  ist%d 0x%016" PRIx64 "\n", i, q);
        }
        uint16_t iomap;
        memcpy(&iomap, t + 0x66, 2);
        fprintf(s->out, "  iomap base 0x%04x\n", iomap);
        return 0;
    }
    uint32_t t[26];
    if (dbg_read_linear(&s->d, tr->base, t, sizeof(t)) != (long)sizeof(t)) {
        fprintf(s->out, "cannot read the TSS\n");
        return -1;
    }
    static const char *const f[26] = { "link", "esp0", "ss0", "esp1", "ss1", "esp2", "ss2", "cr3",
        "eip", "eflags", "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "es", "cs", "ss",
        "ds", "fs", "gs", "ldt", "iomap" };
    for (int i = 0; i < 26; i++)
        fprintf(s->out, "  %-6s 0x%08x%s", f[i], i == 25 ? t[i] >> 16 : t[i], i % 4 == 3 ? "\n" : "");
    fprintf(s->out, "\n");
    return 0;
}

DBG_CMD(cmd_info_msr)
{
    (void)argc; (void)argv; (void)suffix;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    const struct x86_msrs *m = &cpu->msr;
    const struct { uint32_t n; const char *name; uint64_t v; } t[] = {
        { MSR_EFER, "IA32_EFER", cpu->efer },
        { MSR_IA32_APIC_BASE, "IA32_APIC_BASE", m->apic_base },
        { MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", m->sysenter_cs },
        { MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", m->sysenter_esp },
        { MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", m->sysenter_eip },
        { MSR_IA32_PAT, "IA32_PAT", m->pat },
        { MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE", m->misc_enable },
        { MSR_IA32_MTRR_DEF_TYPE, "IA32_MTRR_DEF_TYPE", m->mtrr_def_type },
        { MSR_IA32_TSC_DEADLINE, "IA32_TSC_DEADLINE", m->tsc_deadline },
        { MSR_STAR, "STAR", m->star }, { MSR_LSTAR, "LSTAR", m->lstar },
        { MSR_CSTAR, "CSTAR", m->cstar }, { MSR_SFMASK, "SFMASK", m->sfmask },
        { MSR_FS_BASE, "FS_BASE", cpu->seg[S_FS].base }, { MSR_GS_BASE, "GS_BASE", cpu->seg[S_GS].base },
        { MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE", m->kernel_gs_base },
        { MSR_TSC_AUX, "TSC_AUX", m->tsc_aux },
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        fprintf(s->out, "  0x%08x %-20s 0x%016" PRIx64 "\n", t[i].n, t[i].name, t[i].v);
    return 0;
}

DBG_CMD(cmd_print)
{
    (void)suffix;
    char buf[256];
    uint64_t v;
    if (argc < 2) {
        fprintf(s->out, "usage: print EXPR\n");
        return -1;
    }
    if (dbg_eval_address(s, dbg_join(argc, argv, 1, buf, sizeof(buf)), &v) < 0)
        return -1;
    char sym[128];
    symtab_describe(&s->syms, v, sym, sizeof(sym));
    fprintf(s->out, "0x%" PRIx64 " (%" PRIu64 ")%s%s%s\n", v, v, *sym ? " <" : "", sym, *sym ? ">" : "");
    return 0;
}

DBG_CMD(cmd_set)
{
    (void)suffix;
    char buf[256];
    if (argc == 3 && !strcmp(argv[1], "step-irq")) {
        bool on = !strcmp(argv[2], "on");
        if (!on && strcmp(argv[2], "off")) {
            fprintf(s->out, "usage: set step-irq on|off\n");
            return -1;
        }
        s->d.step_irqs_masked = !on;
        fprintf(s->out, "external interrupts while stepping: %s\n", on ? "delivered" : "held back");
        return 0;
    }
    int from = argc > 1 && !strcmp(argv[1], "var") ? 2 : 1;
    dbg_join(argc, argv, from, buf, sizeof(buf));
    char *eq = strchr(buf, '=');
    if (!eq) {
        fprintf(s->out, "usage: set step-irq on|off | set REG = VALUE\n");
        return -1;
    }
    *eq = 0;
    char reg[32];
    if (sscanf(buf, " %31s", reg) != 1) {
        fprintf(s->out, "usage: set REG = VALUE\n");
        return -1;
    }
    uint64_t v;
    if (dbg_eval(s, eq + 1, &v) < 0)
        return -1;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    if (dbg_reg_write(cpu, reg[0] == '$' ? reg + 1 : reg, v) < 0) {
        fprintf(s->out, "no register '%s'\n", reg);
        return -1;
    }
    dbg_cpu_changed(&s->d);
    return 0;
}

DBG_CMD(cmd_echo)
{
    (void)suffix;
    char buf[512];
    fprintf(s->out, "%s\n", dbg_join(argc, argv, 1, buf, sizeof(buf)));
    return 0;
}
