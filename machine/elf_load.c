/* ELF32 parsing for the multiboot loader: the header, then each PT_LOAD
 * program header, every field checked against the file's real size. */
#include "machine/elf_load.h"

#include <stdio.h>
#include <string.h>

/* Field offsets (System V ABI, Figure 4-3 and 5-1, ELFCLASS32). */
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF32_EHDR_SIZE 52
#define ELF32_PHDR_SIZE 32

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int elf_is_elf(const uint8_t *data, size_t len)
{
    return len >= 4 && !memcmp(data, "\x7f" "ELF", 4);
}

#define FAIL(...) do { \
        fprintf(stderr, "glass: %s %s: ", what, path); \
        fprintf(stderr, __VA_ARGS__); \
        fputc('\n', stderr); \
        return -1; \
    } while (0)

int elf32_parse(const char *what, const char *path, const uint8_t *data, size_t len,
                struct elf32_image *img)
{
    memset(img, 0, sizeof(*img));
    if (!elf_is_elf(data, len))
        FAIL("not an ELF file");
    if (len < ELF32_EHDR_SIZE)
        FAIL("truncated ELF header (%zu bytes, needs %d)", len, ELF32_EHDR_SIZE);
    if (data[EI_CLASS] == ELFCLASS64)
        FAIL("a 64-bit ELF file; a multiboot kernel must be ELF32 (or use the a.out kludge, header flag bit 16)");
    if (data[EI_CLASS] != ELFCLASS32)
        FAIL("unknown ELF class %u", data[EI_CLASS]);
    if (data[EI_DATA] != ELFDATA2LSB)
        FAIL("not a little-endian ELF file");
    uint16_t machine = rd16(data + 18);
    if (machine != EM_386)
        FAIL("ELF machine %u is not i386 (%d)", machine, EM_386);

    uint32_t entry = rd32(data + 24);
    uint32_t phoff = rd32(data + 28);
    uint16_t phentsize = rd16(data + 42);
    uint16_t phnum = rd16(data + 44);
    if (phnum == 0)
        FAIL("no program headers");
    if (phentsize < ELF32_PHDR_SIZE)
        FAIL("program header size %u is smaller than %d", phentsize, ELF32_PHDR_SIZE);
    uint64_t ph_end = (uint64_t)phoff + (uint64_t)phnum * phentsize;
    if (ph_end > len)
        FAIL("truncated program header table (%u entries at offset 0x%x need %llu bytes, the file has %zu)",
             phnum, phoff, (unsigned long long)ph_end, len);

    for (int i = 0; i < phnum; i++) {
        const uint8_t *ph = data + phoff + (size_t)i * phentsize;
        if (rd32(ph) != PT_LOAD)
            continue;
        struct elf32_segment s = {
            .phdr_index = i, .offset = rd32(ph + 4), .vaddr = rd32(ph + 8),
            .paddr = rd32(ph + 12), .filesz = rd32(ph + 16), .memsz = rd32(ph + 20),
        };
        if (s.memsz == 0)
            continue;
        if (s.filesz > s.memsz)
            FAIL("program header %d: file size 0x%x is larger than memory size 0x%x",
                 i, s.filesz, s.memsz);
        if ((uint64_t)s.offset + s.filesz > len)
            FAIL("program header %d: segment data [0x%x, 0x%llx) is beyond the end of the file (%zu bytes)",
                 i, s.offset, (unsigned long long)s.offset + s.filesz, len);
        if ((uint64_t)s.paddr + s.memsz > 0x100000000ull)
            FAIL("program header %d: segment at 0x%x + 0x%x crosses 4 GiB", i, s.paddr, s.memsz);
        if (img->nseg == ELF_MAX_LOAD_SEGMENTS)
            FAIL("more than %d loadable segments", ELF_MAX_LOAD_SEGMENTS);
        img->seg[img->nseg++] = s;
    }
    if (img->nseg == 0)
        FAIL("no loadable (PT_LOAD) segments");
    img->entry = entry;
    return 0;
}
