/* The KVM accelerator (machine/accel.h): "kvm".  Follows
 * Documentation/virt/kvm/api.rst; section numbers below are that file's.
 *
 * One VM per machine, one vCPU fd per glass vCPU, guest RAM and ROM as
 * memory slots over the memfd (ROM read-only, so a guest write to it exits
 * as MMIO and machine/ drops it, as the interpreter does).  MMIO regions
 * are no slot: an access exits as KVM_EXIT_MMIO and becomes an
 * EXIT_EPT_VIOLATION, the same story as on the software EPT.  No in-kernel
 * irqchip: glass's devices raise interrupts, run() injects them with
 * KVM_INTERRUPT (vmx/kvm_run.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/msr.h"
#include "machine/board.h"
#include "vmx/host_probe.h"
#include "vmx/kvm_internal.h"

/* --- probe: api.rst 4.1 KVM_GET_API_VERSION, 4.4 KVM_CHECK_EXTENSION --- */

static const struct { long cap; const char *name; } required_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    { KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS" },
};

int kvm_open_dev(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            snprintf(why, len, "/dev/kvm missing");
        else if (errno == EACCES || errno == EPERM)
            snprintf(why, len, "/dev/kvm not accessible (%s; is this user in group kvm?)",
                     strerror(errno));
        else
            snprintf(why, len, "/dev/kvm: %s", strerror(errno));
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        snprintf(why, len, "/dev/kvm speaks API version %d, glass needs %d", version,
                 KVM_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

/* The names of the required capabilities the host lacks, in why; 0 if none. */
int kvm_missing_caps(int kvm_fd, char *why, size_t len)
{
    size_t used = 0;
    int missing = 0;
    why[0] = 0;
    for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
        if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) > 0)
            continue;
        int n = snprintf(why + used, len - used, "%s%s", missing ? ", " : "lacks ",
                         required_caps[i].name);
        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
        missing++;
    }
    return missing;
}

static int kvm_probe(char *why, size_t len)
{
    int fd = kvm_open_dev(why, len);
    if (fd < 0)
        return -1;
    int missing = kvm_missing_caps(fd, why, len);
    close(fd);
    return missing ? -1 : 0;
}

/* --- the VM and its memory slots (api.rst 4.2, 4.35) --- */

/* machine -> VM.  struct machine has no field for an accelerator's VM-wide
 * state, so the VMs live here, found by their machine. */
#define KVM_MAX_VMS 8
static struct kvm_vm *vms[KVM_MAX_VMS];

static struct kvm_vm *vm_of(struct machine *m)
{
    for (int i = 0; i < KVM_MAX_VMS; i++)
        if (vms[i] && vms[i]->m == m)
            return vms[i];
    return NULL;
}

static int set_slot(struct kvm_vm *vm, const struct kvm_slot_info *s)
{
    struct kvm_userspace_memory_region r = {
        .slot = s->slot, .flags = s->flags, .guest_phys_addr = s->gpa,
        .memory_size = s->size, .userspace_addr = s->host_va,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        int err = errno;
        fprintf(stderr, "glass: kvm: KVM_SET_USER_MEMORY_REGION slot %u (gpa 0x%" PRIx64
                " size 0x%" PRIx64 " flags 0x%x): %s\n", s->slot, s->gpa, s->size, s->flags,
                strerror(err));
        return -err;
    }
    return 0;
}

static int add_slots(struct kvm_vm *vm, struct memmap *mem)
{
    bool warned = false;
    for (int i = 0; i < mem->nregions; i++) {
        const struct mem_region *r = &mem->region[i];
        if (r->kind == MEM_MMIO)
            continue;
        if (r->gpa < KVM_RESERVED_END && r->gpa + r->size > KVM_IDENTITY_MAP_ADDR) {
            fprintf(stderr, "glass: kvm: region %s (0x%" PRIx64 "-0x%" PRIx64 ") overlaps the "
                    "pages KVM needs for real mode at 0x%llx-0x%llx\n", r->name, r->gpa,
                    r->gpa + r->size - 1, KVM_IDENTITY_MAP_ADDR, KVM_RESERVED_END - 1);
            return -EEXIST;
        }
        struct kvm_slot_info *s = &vm->slot[vm->nslots];
        *s = (struct kvm_slot_info){
            .slot = (uint32_t)vm->nslots, .gpa = r->gpa, .size = r->size,
            .memfd_offset = r->offset, .host_va = (uint64_t)(uintptr_t)(mem->ram + r->offset),
        };
        if (r->kind == MEM_ROM) {
            if (vm->has_readonly_mem)
                s->flags = KVM_MEM_READONLY;
            else if (!warned) {
                fprintf(stderr, "glass: kvm: host has no KVM_CAP_READONLY_MEM; ROM %s is "
                        "writable by the guest under kvm\n", r->name);
                warned = true;
            }
        }
        int err = set_slot(vm, s);
        if (err < 0)
            return err;
        vm->nslots++;
    }
    return 0;
}

/* The kick signal interrupts KVM_RUN (EINTR); its handler does nothing.
 * Installed only when nobody else handles it. */
#define KVM_KICK_SIGNAL SIGUSR2
static void kick_handler(int sig)
{
    (void)sig;
}

static void install_kick_handler(void)
{
    struct sigaction old;
    if (sigaction(KVM_KICK_SIGNAL, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = kick_handler;
        sigemptyset(&sa.sa_mask);
        sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    }
}

static void vm_free(struct kvm_vm *vm)
{
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    free(vm);
}

static int kvm_init(struct machine *m)
{
    char why[200];
    int slot = -1;
    for (int i = 0; i < KVM_MAX_VMS && slot < 0; i++)
        if (!vms[i])
            slot = i;
    if (slot < 0) {
        fprintf(stderr, "glass: kvm: more than %d machines in one process\n", KVM_MAX_VMS);
        return -ENOSPC;
    }
    struct kvm_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return -ENOMEM;
    vm->m = m;
    vm->vm_fd = -1;
    vm->kvm_fd = kvm_open_dev(why, sizeof(why));
    if (vm->kvm_fd < 0) {
        fprintf(stderr, "glass: kvm: %s\n", why);
        vm_free(vm);
        return -ENODEV;
    }
    int kfd = vm->kvm_fd;
    vm->has_readonly_mem = ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
    vm->has_sync_regs = (ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0;
    vm->has_debugregs = ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0;
    vm->has_stats = ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) > 0;
    vm->run_size = ioctl(kfd, KVM_GET_VCPU_MMAP_SIZE, 0);
    vm->vm_fd = ioctl(kfd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0 || vm->run_size < (int)sizeof(struct kvm_run)) {
        fprintf(stderr, "glass: kvm: %s: %s\n", vm->vm_fd < 0 ? "KVM_CREATE_VM" :
                "KVM_GET_VCPU_MMAP_SIZE", strerror(errno));
        vm_free(vm);
        return -ENODEV;
    }
    /* Intel without unrestricted guest runs real mode as vm86 inside the
     * guest, which needs a TSS and an identity-mapped page table in guest
     * physical memory (api.rst 4.41, 4.57; the identity map before any
     * vCPU exists).  AMD ignores both. */
    if (ioctl(kfd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
        uint64_t addr = KVM_IDENTITY_MAP_ADDR;
        if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
            fprintf(stderr, "glass: kvm: KVM_SET_IDENTITY_MAP_ADDR: %s\n", strerror(errno));
    }
    if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        fprintf(stderr, "glass: kvm: KVM_SET_TSS_ADDR 0x%llx: %s\n", KVM_TSS_ADDR, strerror(errno));
        vm_free(vm);
        return -ENODEV;
    }
    if (add_slots(vm, &m->mem) < 0) {
        vm_free(vm);
        return -ENODEV;
    }
    /* Say it once if this KVM is one that cannot run every guest. */
    struct host_facts f;
    host_probe_gather(&f, false);
    if (f.kvm_is_pvm)
        fprintf(stderr, "glass: kvm: this /dev/kvm is PVM (%s): only 64-bit user code runs "
                "natively, guest kernels are emulated slowly and 32-bit paging triple-faults\n",
                f.pvm_evidence);
    install_kick_handler();
    vms[slot] = vm;
    return 0;
}

static void kvm_destroy(struct machine *m)
{
    for (int i = 0; i < KVM_MAX_VMS; i++)
        if (vms[i] && vms[i]->m == m) {
            vm_free(vms[i]);
            vms[i] = NULL;
        }
}

int kvm_slots(struct machine *m, struct kvm_slot_info *out, int max)
{
    struct kvm_vm *vm = vm_of(m);
    if (!vm)
        return -ENOTSUP;
    int n = vm->nslots < max ? vm->nslots : max;
    memcpy(out, vm->slot, (size_t)n * sizeof(*out));
    return n;
}

/* --- vCPUs (api.rst 4.7 KVM_CREATE_VCPU, 4.46 KVM_SET_CPUID2) --- */

static int set_cpuid(struct vcpu *v, struct kvm_vcpu_state *st)
{
    enum { MAX_LEAVES = 64 };
    struct {
        struct kvm_cpuid2 head;
        struct kvm_cpuid_entry2 entry[MAX_LEAVES];
    } c;
    memset(&c, 0, sizeof(c));
    c.head.nent = (uint32_t)kvm_cpuid_from_model(&v->cpu, c.entry, MAX_LEAVES);
    if (ioctl(st->fd, KVM_SET_CPUID2, &c) < 0) {
        fprintf(stderr, "glass: kvm: KVM_SET_CPUID2 (%u leaves of glass's CPUID model): %s\n",
                c.head.nent, strerror(errno));
        return -1;
    }
    return 0;
}

static void vcpu_free(struct kvm_vcpu_state *st)
{
    if (st->run)
        munmap(st->run, (size_t)st->vm->run_size);
    if (st->stats_fd >= 0)
        close(st->stats_fd);
    if (st->fd >= 0)
        close(st->fd);
    free(st);
}

static int kvm_vcpu_init(struct vcpu *v)
{
    struct kvm_vm *vm = vm_of(v->m);
    if (!vm)
        return -EINVAL;
    struct kvm_vcpu_state *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    st->vm = vm;
    st->stats_fd = -1;
    st->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
    if (st->fd < 0) {
        fprintf(stderr, "glass: kvm: KVM_CREATE_VCPU %d: %s\n", v->index, strerror(errno));
        st->fd = -1;
        vcpu_free(st);
        return -ENODEV;
    }
    void *run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, st->fd, 0);
    if (run == MAP_FAILED) {
        fprintf(stderr, "glass: kvm: mmap of vCPU %d's kvm_run: %s\n", v->index, strerror(errno));
        vcpu_free(st);
        return -ENOMEM;
    }
    st->run = run;
    if (set_cpuid(v, st) < 0) {
        vcpu_free(st);
        return -ENODEV;
    }
    /* KVM_CAP_SYNC_REGS (api.rst 5, kvm_valid_regs): KVM copies the GPRs
     * into kvm_run on every exit, so an I/O exit knows its RIP without a
     * KVM_GET_REGS. */
    if (vm->has_sync_regs)
        st->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    v->accel_state = st;
    return 0;
}

static void kvm_vcpu_destroy(struct vcpu *v)
{
    if (v->accel_state)
        vcpu_free(v->accel_state);
    v->accel_state = NULL;
}

/* --- state: struct x86_cpu <-> KVM (conversions in vmx/kvm_state.c) --- */

/* KVM_GET/SET_MSRS do as many entries as they can and return how many
 * (api.rst 4.18): an MSR this host refuses is remembered and skipped. */
static void msrs_io(struct vcpu *v, unsigned long req, struct kvm_msr_entry *e)
{
    struct kvm_vcpu_state *st = v->accel_state;
    struct {
        struct kvm_msrs head;
        struct kvm_msr_entry entry[KVM_GLASS_NMSRS];
    } b;
    int idx[KVM_GLASS_NMSRS];
    for (;;) {
        memset(&b.head, 0, sizeof(b.head));
        int n = 0;
        for (int i = 0; i < KVM_GLASS_NMSRS; i++)
            if (!(st->msr_refused & (1u << i))) {
                idx[n] = i;
                b.entry[n++] = e[i];
            }
        b.head.nmsrs = (uint32_t)n;
        int done = ioctl(st->fd, req, &b);
        if (done < 0) {
            fprintf(stderr, "glass: kvm: vCPU %d: KVM_%s_MSRS: %s\n", v->index,
                    req == KVM_GET_MSRS ? "GET" : "SET", strerror(errno));
            return;
        }
        for (int j = 0; j < done && j < n; j++)
            e[idx[j]] = b.entry[j];
        if (done >= n)
            return;
        st->msr_refused |= 1u << idx[done];
        fprintf(stderr, "glass: kvm: vCPU %d: host KVM refuses MSR 0x%x; it stays at its "
                "value in glass and is not given to the guest\n", v->index, b.entry[done].index);
    }
}

/* One ioctl on the vCPU's fd; false, after saying which on stderr, when it
 * fails. */
static bool vcpu_ioctl(struct vcpu *v, unsigned long req, void *arg, const char *what)
{
    struct kvm_vcpu_state *st = v->accel_state;
    if (ioctl(st->fd, req, arg) == 0)
        return true;
    fprintf(stderr, "glass: kvm: vCPU %d: %s: %s\n", v->index, what, strerror(errno));
    return false;
}

/* A vCPU's state as KVM's structures hold it (kvm_state.c converts). */
struct kvm_vcpu_image {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_msr_entry msr[KVM_GLASS_NMSRS];
    struct kvm_debugregs dr;
    struct kvm_vcpu_events ev;
};

static void kvm_state_out(struct vcpu *v)
{
    struct kvm_vcpu_state *st = v->accel_state;
    struct x86_cpu *cpu = &v->cpu;
    struct kvm_vcpu_image k;
    if (!st)
        return;
    if (vcpu_ioctl(v, KVM_GET_REGS, &k.regs, "KVM_GET_REGS"))
        kvm_regs_to_cpu(cpu, &k.regs);
    if (vcpu_ioctl(v, KVM_GET_SREGS, &k.sregs, "KVM_GET_SREGS"))
        kvm_sregs_to_cpu(cpu, &k.sregs);
    if (vcpu_ioctl(v, KVM_GET_FPU, &k.fpu, "KVM_GET_FPU"))
        kvm_fpu_to_cpu(cpu, &k.fpu);
    kvm_msrs_from_cpu(cpu, 0, k.msr);  /* indices, and glass's values as a fallback */
    msrs_io(v, KVM_GET_MSRS, k.msr);
    uint64_t host_tsc = x86_host_tsc();
    for (int i = 0; i < KVM_GLASS_NMSRS; i++)
        if (k.msr[i].index == MSR_IA32_TSC && (st->msr_refused & (1u << i)))
            k.msr[i].data = host_tsc + (uint64_t)cpu->tsc_offset;
    kvm_msrs_to_cpu(cpu, host_tsc, k.msr, KVM_GLASS_NMSRS);
    if (st->vm->has_debugregs && ioctl(st->fd, KVM_GET_DEBUGREGS, &k.dr) == 0)
        kvm_debugregs_to_cpu(cpu, &k.dr);
    if (vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, &k.ev, "KVM_GET_VCPU_EVENTS"))
        kvm_events_to_cpu(cpu, &k.ev);
    cpu->halted = st->halted;
    cpu->shutdown = st->shutdown;
}

static void kvm_state_in(struct vcpu *v)
{
    struct kvm_vcpu_state *st = v->accel_state;
    struct x86_cpu *cpu = &v->cpu;
    struct kvm_vcpu_image k;
    if (!st)
        return;
    /* Order: sregs before regs (RFLAGS.VM and the mode decide how KVM
     * takes the rest), MSRs after sregs (EFER), events last. */
    kvm_sregs_from_cpu(cpu, &k.sregs);
    vcpu_ioctl(v, KVM_SET_SREGS, &k.sregs,
               "KVM_SET_SREGS (control registers, EFER or segments the host refuses)");
    kvm_regs_from_cpu(cpu, &k.regs);
    vcpu_ioctl(v, KVM_SET_REGS, &k.regs, "KVM_SET_REGS");
    kvm_fpu_from_cpu(cpu, &k.fpu);
    vcpu_ioctl(v, KVM_SET_FPU, &k.fpu, "KVM_SET_FPU");
    kvm_msrs_from_cpu(cpu, x86_host_tsc(), k.msr);
    msrs_io(v, KVM_SET_MSRS, k.msr);
    if (st->vm->has_debugregs) {
        kvm_debugregs_from_cpu(cpu, &k.dr);
        vcpu_ioctl(v, KVM_SET_DEBUGREGS, &k.dr, "KVM_SET_DEBUGREGS");
    }
    kvm_events_from_cpu(cpu, &k.ev);
    vcpu_ioctl(v, KVM_SET_VCPU_EVENTS, &k.ev, "KVM_SET_VCPU_EVENTS");
    st->halted = cpu->halted;
    st->shutdown = cpu->shutdown;
    st->halt_if = (x86_get_rflags(cpu) & FL_IF) != 0;
    /* kvm_run's ready_for_interrupt_injection and if_flag describe the
     * last KVM_RUN, not this state: forget them, so the first interrupt
     * goes through request_interrupt_window (KVM_INTERRUPT queues without
     * looking at IF). */
    st->run->ready_for_interrupt_injection = 0;
    st->run->if_flag = 0;
}

/* --- debugging: api.rst 4.38 KVM_SET_GUEST_DEBUG --- */

static int kvm_set_debug(struct vcpu *v, const struct debug_ctl *d)
{
    struct kvm_vcpu_state *st = v->accel_state;
    struct kvm_guest_debug g;
    if (!st)
        return -EINVAL;
    memset(&g, 0, sizeof(g));
    if (d && d->nbreak > 4) {
        fprintf(stderr, "glass: kvm: %d breakpoints set, but under kvm they are the CPU's "
                "debug registers DR0-DR3: at most 4 (use -accel interp for more)\n", d->nbreak);
        return -ENOSPC;
    }
    if (d && (d->single_step || d->nbreak)) {
        g.control = KVM_GUESTDBG_ENABLE;
        if (d->single_step)
            g.control |= KVM_GUESTDBG_SINGLESTEP;
        if (d->nbreak) {
            g.control |= KVM_GUESTDBG_USE_HW_BP;
            /* DR7 (SDM Vol. 3, 18.2.4): Gn enables breakpoint n; R/Wn = 00
             * (instruction execution) and LENn = 00 (1 byte). */
            for (int i = 0; i < d->nbreak; i++) {
                g.arch.debugreg[i] = d->breaks[i];
                g.arch.debugreg[7] |= 2ull << (i * 2);
            }
        }
    }
    if (ioctl(st->fd, KVM_SET_GUEST_DEBUG, &g) < 0) {
        int err = errno;
        fprintf(stderr, "glass: kvm: vCPU %d: KVM_SET_GUEST_DEBUG: %s\n", v->index, strerror(err));
        return -err;
    }
    return 0;
}

/* --- dirty pages: api.rst 4.8 KVM_GET_DIRTY_LOG --- */

static int enable_dirty_log(struct kvm_vm *vm, bool on)
{
    for (int i = 0; i < vm->nslots; i++) {
        struct kvm_slot_info *s = &vm->slot[i];
        if (s->flags & KVM_MEM_READONLY)
            continue;
        uint32_t old = s->flags;
        s->flags = on ? (old | KVM_MEM_LOG_DIRTY_PAGES) : (old & ~KVM_MEM_LOG_DIRTY_PAGES);
        int err = set_slot(vm, s);
        if (err < 0) {
            s->flags = old;
            return err;
        }
    }
    vm->dirty_logging = on;
    return 0;
}

/* ORs into bitmap (memmap_dirty_words() words, bit n = memfd page n, as
 * memmap_dirty_log_sync) the pages the guest wrote since the last call;
 * returns how many bits it set.  The first call turns dirty logging on and
 * reports every RAM page (nothing was tracked before). */
static int kvm_dirty_pages(struct machine *m, uint64_t *bitmap)
{
    struct kvm_vm *vm = vm_of(m);
    int count = 0;
    if (!vm)
        return -EINVAL;
    bool first = !vm->dirty_logging;
    if (first) {
        int err = enable_dirty_log(vm, true);
        if (err < 0)
            return err;
    }
    for (int i = 0; i < vm->nslots; i++) {
        const struct kvm_slot_info *s = &vm->slot[i];
        if (s->flags & KVM_MEM_READONLY)
            continue;
        uint64_t pages = s->size >> GUEST_PAGE_SHIFT;
        uint64_t words = (pages + 63) / 64;
        uint64_t *log = calloc(words, sizeof(uint64_t));
        if (!log)
            return -ENOMEM;
        struct kvm_dirty_log dl = { .slot = s->slot, .dirty_bitmap = log };
        if (!first && ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0) {
            int err = errno;
            fprintf(stderr, "glass: kvm: KVM_GET_DIRTY_LOG slot %u: %s\n", s->slot, strerror(err));
            free(log);
            return -err;
        }
        uint64_t base = s->memfd_offset >> GUEST_PAGE_SHIFT;
        for (uint64_t p = 0; p < pages; p++) {
            if (!first && !((log[p / 64] >> (p % 64)) & 1))
                continue;
            bitmap[(base + p) / 64] |= 1ull << ((base + p) % 64);
            count++;
        }
        free(log);
    }
    return count;
}

/* --- kicking a vCPU out of KVM_RUN (api.rst 4.10, immediate_exit) --- */

void kvm_vcpu_kick(struct vcpu *v)
{
    struct kvm_vcpu_state *st = v->accel_state;
    if (!st || !st->run)
        return;
    /* If the vCPU is about to enter, immediate_exit makes KVM_RUN return
     * -EINTR at once; if it is inside, the signal does.  The caller set
     * stop_request / intr_pending before, and run() clears immediate_exit
     * before it looks at them, so no kick is lost. */
    __atomic_store_n(&st->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (v->thread && !pthread_equal(v->thread, pthread_self()))
        pthread_kill(v->thread, KVM_KICK_SIGNAL);
}

const struct accel_ops accel_kvm = {
    .name = "kvm",
    .probe = kvm_probe,
    .init = kvm_init,
    .vcpu_init = kvm_vcpu_init,
    .run = kvm_vcpu_run,
    .state_out = kvm_state_out,
    .state_in = kvm_state_in,
    .set_debug = kvm_set_debug,
    .dirty_pages = kvm_dirty_pages,
    .vcpu_destroy = kvm_vcpu_destroy,
    .destroy = kvm_destroy,
};
