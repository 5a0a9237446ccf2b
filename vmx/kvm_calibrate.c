/* How fast does this /dev/kvm run guest kernel code?  A throwaway VM runs
 *     mov ecx, N ; 1: dec ecx ; jnz 1b ; hlt
 * in 32-bit protected mode, ring 0, no paging, and we time KVM_RUN.  VT-x
 * and AMD-V run it at hundreds of millions of instructions a second; PVM
 * emulates ring 0 in the host kernel at about 2 million.  A warm-up run
 * first, so the measured one does not pay for faulting the page in. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmx/host_probe.h"
#include "vmx/kvm_internal.h"

#define CAL_MEM_SIZE 0x10000u
#define CAL_CODE     0x1000u
#define CAL_LOOPS    10000u     /* 2 * N + 2 instructions: ~10 ms on PVM */

struct cal_vm {
    int vm, vcpu;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
};

static void flat32(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
    };
}

/* Run the loop n times from the start; 0 and the seconds it took. */
static int cal_run(struct cal_vm *c, uint32_t n, double *secs, char *why, size_t len)
{
    static const uint8_t loop[] = { 0x49, 0x75, 0xfd, 0xf4 }; /* dec ecx; jnz -3; hlt */
    uint8_t *code = c->mem + CAL_CODE;
    code[0] = 0xb9;                                           /* mov ecx, imm32 */
    memcpy(code + 1, &n, 4);
    memcpy(code + 5, loop, sizeof(loop));
    struct kvm_regs regs = { .rip = CAL_CODE, .rflags = 2, .rsp = CAL_MEM_SIZE - 16 };
    if (ioctl(c->vcpu, KVM_SET_REGS, &regs) < 0) {
        snprintf(why, len, "KVM_SET_REGS: %s", strerror(errno));
        return -1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r;
    do
        r = ioctl(c->vcpu, KVM_RUN, 0);
    while (r < 0 && (errno == EINTR || errno == EAGAIN));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (r < 0) {
        snprintf(why, len, "KVM_RUN: %s", strerror(errno));
        return -1;
    }
    if (c->run->exit_reason != KVM_EXIT_HLT) {
        snprintf(why, len, "32-bit ring-0 loop ended with KVM exit %u, not HLT",
                 c->run->exit_reason);
        return -1;
    }
    *secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return 0;
}

static int cal_setup(struct cal_vm *c, int kvm_fd, char *why, size_t len)
{
    c->vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
    if (c->vm < 0) {
        snprintf(why, len, "KVM_CREATE_VM: %s", strerror(errno));
        return -1;
    }
    (void)ioctl(c->vm, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR);
    c->mem = mmap(NULL, CAL_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->mem == MAP_FAILED) {
        c->mem = NULL;
        snprintf(why, len, "mmap: %s", strerror(errno));
        return -1;
    }
    struct kvm_userspace_memory_region r = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = CAL_MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)c->mem,
    };
    if (ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        snprintf(why, len, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
        return -1;
    }
    c->vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
    int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (c->vcpu < 0 || size <= 0) {
        snprintf(why, len, "KVM_CREATE_VCPU: %s", strerror(errno));
        return -1;
    }
    c->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
    if (c->run == MAP_FAILED) {
        c->run = NULL;
        snprintf(why, len, "mmap kvm_run: %s", strerror(errno));
        return -1;
    }
    c->run_size = (size_t)size;
    struct kvm_sregs s;
    if (ioctl(c->vcpu, KVM_GET_SREGS, &s) < 0) {
        snprintf(why, len, "KVM_GET_SREGS: %s", strerror(errno));
        return -1;
    }
    flat32(&s.cs, 0x08, 0xb);   /* code, execute/read, accessed */
    flat32(&s.ds, 0x10, 0x3);   /* data, read/write, accessed */
    s.es = s.fs = s.gs = s.ss = s.ds;
    s.cr0 = 0x11;               /* PE | ET: protected mode, no paging */
    s.cr4 = 0;
    s.efer = 0;
    if (ioctl(c->vcpu, KVM_SET_SREGS, &s) < 0) {
        snprintf(why, len, "KVM_SET_SREGS: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void cal_teardown(struct cal_vm *c)
{
    if (c->run)
        munmap(c->run, c->run_size);
    if (c->vcpu >= 0)
        close(c->vcpu);
    if (c->mem)
        munmap(c->mem, CAL_MEM_SIZE);
    if (c->vm >= 0)
        close(c->vm);
}

int kvm_calibrate(int kvm_fd, double *ips, char *why, size_t len)
{
    struct cal_vm c = { .vm = -1, .vcpu = -1 };
    double secs = 0;
    int rc = cal_setup(&c, kvm_fd, why, len);
    if (rc == 0)
        rc = cal_run(&c, 100, &secs, why, len);            /* warm-up */
    if (rc == 0)
        rc = cal_run(&c, CAL_LOOPS, &secs, why, len);
    cal_teardown(&c);
    if (rc < 0)
        return -1;
    if (secs < 1e-7)
        secs = 1e-7;
    *ips = (2.0 * CAL_LOOPS + 2) / secs;
    return 0;
}
