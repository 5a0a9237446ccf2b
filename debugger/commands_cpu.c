/* cpu [N]: list the vCPUs, or make vCPU N the current one (QEMU monitor's
 * `cpu N`, gdb's `thread N`).  The current vCPU is the one the state
 * commands show and change (regs, sregs, x/i $eip, info pagewalk, info
 * lapic, set), the one stepi/next/finish/until step, and the one linear,
 * physical and mode breakpoints are checked on (debugger/runctl.c). */
#include <inttypes.h>
#include <stdlib.h>

#include "debugger/board_view.h"
#include "debugger/session.h"
#include "devices/lapic.h"
#include "machine/board.h"

static const char *run_state(struct dbg_session *s, int i, struct x86_cpu *cpu)
{
    if (dbg_board_vcpu_waits_sipi(s->m, i))
        return "waiting for SIPI";
    if (cpu->halted)
        return (x86_get_rflags(cpu) & FL_IF) ? "halted" : "halted (IF=0)";
    return "running";
}

/* What stepi and continue do on a vCPU that cannot run now, or NULL. */
static const char *cannot_run(struct dbg_session *s, int i, struct x86_cpu *cpu)
{
    if (dbg_board_vcpu_waits_sipi(s->m, i))
        return "until another vCPU starts it (INIT, SIPI)";
    if (cpu->halted && (x86_get_rflags(cpu) & FL_IF))
        return "until an interrupt wakes it";
    if (cpu->halted)
        return "until an NMI or INIT wakes it (interrupts are off)";
    return NULL;
}

static unsigned apic_id(struct dbg_session *s, int i)
{
    struct lapic *l = dbg_board_lapic(s->m, i);
    return l ? lapic_apic_id(l) : (unsigned)i;
}

/* "CS:RIP <sym+off>" as the location line spells it. */
static void cs_rip(struct dbg_session *s, const struct x86_cpu *cpu, char *buf, size_t len)
{
    int bits = x86_code_bits(cpu);
    char sym[128];
    symtab_describe(&s->syms, dbg_pc_linear(cpu), sym, sizeof(sym));
    snprintf(buf, len, "%04x:%0*" PRIx64 "%s%s%s", cpu->seg[S_CS].selector,
             bits == 64 ? 16 : bits == 32 ? 8 : 4, bits == 16 ? cpu->rip & 0xffff : cpu->rip,
             *sym ? " <" : "", sym, *sym ? ">" : "");
}

static void list(struct dbg_session *s)
{
    fprintf(s->out, "  vCPU APIC  state             mode                CS:RIP\n");
    for (int i = 0; i < s->m->nvcpus; i++) {
        struct x86_cpu *cpu = dbg_vcpu_cpu(&s->d, i);
        char where[192];
        cs_rip(s, cpu, where, sizeof(where));
        fprintf(s->out, "%c %-4d %-5u %-17s %-19s %s\n", i == s->d.cur_vcpu ? '*' : ' ', i,
                apic_id(s, i), run_state(s, i, cpu), dbg_cpu_mode_name(cpu), where);
    }
}

DBG_CMD(cmd_cpu)
{
    (void)suffix;
    int n = s->m->nvcpus;
    if (argc < 2) {
        list(s);
        return 0;
    }
    char *end;
    unsigned long i = strtoul(argv[1], &end, 0);
    if (argc > 2) {
        fprintf(s->out, "usage: cpu [N]\n");
        return -1;
    }
    if (end == argv[1] || *end || argv[1][0] == '-') {
        fprintf(s->out, "cpu: '%s' is not a vCPU number (0-%d)\n", argv[1], n - 1);
        return -1;
    }
    if (i >= (unsigned long)n || dbg_select_vcpu(&s->d, (int)i) < 0) {
        if (n == 1)
            fprintf(s->out, "no vCPU %lu: this machine has one vCPU, 0 (-smp N for more)\n", i);
        else
            fprintf(s->out, "no vCPU %lu: this machine has vCPUs 0-%d\n", i, n - 1);
        return -1;
    }
    s->shown_vcpu = (int)i;
    struct x86_cpu *cpu = dbg_cpu(&s->d);
    fprintf(s->out, "[Switching to vCPU %lu, APIC id %u, %s, %s]\n", i, apic_id(s, (int)i),
            dbg_cpu_mode_name(cpu), run_state(s, (int)i, cpu));
    const char *wait = cannot_run(s, (int)i, cpu);
    if (wait)
        fprintf(s->out, "(stepi and continue run the other vCPUs %s; Ctrl-C stops them)\n", wait);
    dbg_print_location(s);
    return 0;
}
