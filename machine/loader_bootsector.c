/* Booting a disk the way a PC BIOS does: the first sector of drive 0 goes
 * to 0000:7C00 and runs in real mode, if it ends in the signature 55 AA.
 *
 * glass has no BIOS yet, so this does the BIOS's last step only.  The state
 * follows SeaBIOS's call_boot_entry (src/boot.c) where it is defined there:
 * AX = AA55, DL = boot drive 80h, DS = ES = SS = 0, other GPRs 0, and
 * SS:SP = 0000:6F04, where SeaBIOS 1.16 under QEMU 7.2 leaves it (measured
 * with a boot sector printing its registers).  One choice differs:
 * interrupts are off (SeaBIOS enables them), since there are no BIOS
 * interrupt handlers: the IVT at 0 is all zeros.
 * All other RAM is zero: no BIOS data area yet (the next issue adds it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/x86_cpu.h"
#include "machine/loader.h"
#include "machine/options.h"
#include "mem/memmap.h"

#define BOOT_DRIVE_HDD0 0x80
#define BOOT_SP 0x6f04          /* SeaBIOS's, see above */

/* Read up to one sector; a short image leaves the rest zero. */
static int read_boot_sector(const char *path, uint8_t sector[BOOTSECTOR_SIZE])
{
    memset(sector, 0, BOOTSECTOR_SIZE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "glass: drive 0 (%s): %s\n", path, strerror(errno));
        return -1;
    }
    size_t got = 0;
    while (got < BOOTSECTOR_SIZE) {
        ssize_t n = pread(fd, sector + got, BOOTSECTOR_SIZE - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "glass: drive 0 (%s): %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return 0;
}

static void real_mode_segment(struct x86_segment *s, uint16_t selector)
{
    s->selector = selector;
    s->base = (uint64_t)selector << 4;
    s->limit = 0xffff;
}

int loader_bootsector(struct memmap *mem, struct x86_cpu *cpu, const struct options *opt)
{
    const char *path = opt->drive[0].file;
    uint8_t sector[BOOTSECTOR_SIZE];

    if (read_boot_sector(path, sector) < 0)
        return -1;
    if (sector[510] != 0x55 || sector[511] != 0xaa) {
        fprintf(stderr, "glass: drive 0 (%s): no boot signature 0x55AA at offset 510 "
                "(not a bootable disk)\n", path);
        return -1;
    }
    if (loader_write_ram(mem, "boot sector", BOOTSECTOR_ADDR, sector, sizeof(sector)) < 0)
        return -1;

    /* x86_cpu_reset left real mode with CS = F000, base FFFF0000. */
    for (int s = S_ES; s <= S_GS; s++)
        real_mode_segment(&cpu->seg[s], 0);
    cpu->rip = BOOTSECTOR_ADDR;
    cpu->gpr[R_RAX] = 0xaa55;
    cpu->gpr[R_RDX] = BOOT_DRIVE_HDD0;
    cpu->gpr[R_RSP] = BOOT_SP;
    x86_set_rflags(cpu, FL_FIXED1);         /* IF = 0 */
    cpu->cr0 = CR0_ET;                      /* caches on, as a BIOS leaves them */
    /* The real-mode IVT, as a BIOS leaves IDTR (SDM Vol. 3, 20.1.4). */
    cpu->idtr.base = 0;
    cpu->idtr.limit = 0x3ff;
    return 0;
}
