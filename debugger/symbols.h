/* Symbols for the debugger: ELF32/ELF64 symbol tables (the -kernel ELF,
 * symbol-file FILE [OFFSET]), sorted by address, looked up by name and
 * by address. */
#ifndef GLASS_DEBUGGER_SYMBOLS_H
#define GLASS_DEBUGGER_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbol {
    uint64_t addr;      /* the value, for an absolute symbol */
    uint64_t size;      /* 0 when the ELF does not say */
    char *name;
    bool absolute;      /* a constant (SHN_ABS, SHN_COMMON): found by name, never by address */
};

struct symtab {
    struct symbol *sym; /* sorted by addr */
    size_t n, cap;
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
/* Add every function, object and untyped symbol of an ELF file, each moved
 * by offset (absolute ones, SHN_ABS constants such as sizes and magic
 * numbers, are kept as they are, for lookups by name only).  The number
 * added (>= 0), or -1 after writing why to err. */
long symtab_load_elf(struct symtab *t, const char *path, uint64_t offset, char *err, size_t errlen);
/* Parse an ELF image already in memory (what symtab_load_elf does after
 * reading the file); for the tests. */
long symtab_load_elf_image(struct symtab *t, const uint8_t *img, size_t len, uint64_t offset,
                           char *err, size_t errlen);
/* Add one symbol (keeps the table sorted). */
int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size);
/* The symbol with this name, or NULL. */
const struct symbol *symtab_by_name(const struct symtab *t, const char *name);
/* The symbol containing addr (the last one at or below it, within its size
 * when known, else within 4 KiB; never an absolute one); *off = addr - its
 * address.  Or NULL. */
const struct symbol *symtab_by_addr(const struct symtab *t, uint64_t addr, uint64_t *off);
/* "name" or "name+0x12" for addr into buf, or "" when none; returns buf. */
const char *symtab_describe(const struct symtab *t, uint64_t addr, char *buf, size_t len);

#endif
