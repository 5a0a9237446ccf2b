/* ELF32 executables as a boot loader sees them: the header and the PT_LOAD
 * program headers (System V ABI, "Object Files" and "Program Loading";
 * the i386 supplement for EM_386).  Parsing only: checks every offset and
 * size against the file so a broken file is an error, never a wild read. */
#ifndef GLASS_MACHINE_ELF_LOAD_H
#define GLASS_MACHINE_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_LOAD_SEGMENTS 32

struct elf32_segment {
    int phdr_index;           /* which program header, for messages */
    uint32_t offset;          /* in the file */
    uint32_t vaddr;
    uint32_t paddr;           /* where a boot loader puts it */
    uint32_t filesz;
    uint32_t memsz;           /* memsz > filesz: the rest is bss, zeroed */
};

struct elf32_image {
    uint32_t entry;           /* e_entry */
    int nseg;                 /* PT_LOAD segments with memsz > 0 */
    struct elf32_segment seg[ELF_MAX_LOAD_SEGMENTS];
};

/* Is data the start of an ELF file (any class)? */
int elf_is_elf(const uint8_t *data, size_t len);

/* Parse an ELF32 little-endian i386 executable.  0, or -1 after one line on
 * stderr: "glass: <what> <path>: <problem>". */
int elf32_parse(const char *what, const char *path, const uint8_t *data, size_t len,
                struct elf32_image *img);

#endif
