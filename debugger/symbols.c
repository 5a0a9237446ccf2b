/* ELF symbol tables for the debugger (debugger/symbols.h).  Reads the ELF
 * by hand (32- and 64-bit, little-endian) so that a broken file gets a
 * message naming what is broken instead of a crash. */
#include "debugger/symbols.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void symtab_init(struct symtab *t)
{
    memset(t, 0, sizeof(*t));
}

void symtab_free(struct symtab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->sym[i].name);
    free(t->sym);
    memset(t, 0, sizeof(*t));
}

int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct symbol *s = realloc(t->sym, cap * sizeof(*s));
        if (!s)
            return -1;
        t->sym = s;
        t->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    size_t i = t->n;
    while (i > 0 && t->sym[i - 1].addr > addr) {
        t->sym[i] = t->sym[i - 1];
        i--;
    }
    t->sym[i] = (struct symbol){ .addr = addr, .size = size, .name = copy };
    t->n++;
    return 0;
}

static int cmp_sym(const void *a, const void *b)
{
    const struct symbol *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Bounds-checked views of the image. */
static bool in_image(size_t len, uint64_t off, uint64_t size)
{
    return off <= len && size <= len - off;
}

long symtab_load_elf_image(struct symtab *t, const uint8_t *img, size_t len, uint64_t offset,
                           char *err, size_t errlen)
{
    if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG)) {
        snprintf(err, errlen, "not an ELF file (no \\x7fELF magic at offset 0)");
        return -1;
    }
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    if (!is64 && img[EI_CLASS] != ELFCLASS32) {
        snprintf(err, errlen, "ELF class %u at offset 4 is neither 32 nor 64-bit", img[EI_CLASS]);
        return -1;
    }
    if (img[EI_DATA] != ELFDATA2LSB) {
        snprintf(err, errlen, "not a little-endian ELF (byte 5 is %u)", img[EI_DATA]);
        return -1;
    }
    uint64_t shoff, shentsize, shnum;
    if (is64) {
        Elf64_Ehdr eh;
        if (len < sizeof(eh)) { snprintf(err, errlen, "ELF header truncated"); return -1; }
        memcpy(&eh, img, sizeof(eh));
        shoff = eh.e_shoff; shentsize = eh.e_shentsize; shnum = eh.e_shnum;
        if (shentsize != sizeof(Elf64_Shdr) && shnum) {
            snprintf(err, errlen, "e_shentsize %lu is not %zu", (unsigned long)shentsize, sizeof(Elf64_Shdr));
            return -1;
        }
    } else {
        Elf32_Ehdr eh;
        if (len < sizeof(eh)) { snprintf(err, errlen, "ELF header truncated"); return -1; }
        memcpy(&eh, img, sizeof(eh));
        shoff = eh.e_shoff; shentsize = eh.e_shentsize; shnum = eh.e_shnum;
        if (shentsize != sizeof(Elf32_Shdr) && shnum) {
            snprintf(err, errlen, "e_shentsize %lu is not %zu", (unsigned long)shentsize, sizeof(Elf32_Shdr));
            return -1;
        }
    }
    if (!in_image(len, shoff, shnum * shentsize)) {
        snprintf(err, errlen, "section headers at offset 0x%lx (%lu of them) run past the end of the file",
                 (unsigned long)shoff, (unsigned long)shnum);
        return -1;
    }
    long added = 0;
    bool found = false;
    for (uint64_t i = 0; i < shnum; i++) {
        uint64_t type, off, size, link, entsize;
        if (is64) {
            Elf64_Shdr sh;
            memcpy(&sh, img + shoff + i * shentsize, sizeof(sh));
            type = sh.sh_type; off = sh.sh_offset; size = sh.sh_size; link = sh.sh_link; entsize = sh.sh_entsize;
        } else {
            Elf32_Shdr sh;
            memcpy(&sh, img + shoff + i * shentsize, sizeof(sh));
            type = sh.sh_type; off = sh.sh_offset; size = sh.sh_size; link = sh.sh_link; entsize = sh.sh_entsize;
        }
        if (type != SHT_SYMTAB)
            continue;
        found = true;
        size_t want = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
        if (entsize != want || !in_image(len, off, size) || link >= shnum) {
            snprintf(err, errlen, "symbol table (section %lu) is malformed or truncated", (unsigned long)i);
            return -1;
        }
        uint64_t stroff, strsize;
        if (is64) {
            Elf64_Shdr sh;
            memcpy(&sh, img + shoff + link * shentsize, sizeof(sh));
            stroff = sh.sh_offset; strsize = sh.sh_size;
        } else {
            Elf32_Shdr sh;
            memcpy(&sh, img + shoff + link * shentsize, sizeof(sh));
            stroff = sh.sh_offset; strsize = sh.sh_size;
        }
        if (!in_image(len, stroff, strsize)) {
            snprintf(err, errlen, "string table (section %lu) runs past the end of the file", (unsigned long)link);
            return -1;
        }
        for (uint64_t k = 0; k < size / entsize; k++) {
            uint64_t name, value, ssize;
            unsigned stype, shndx;
            const uint8_t *p = img + off + k * entsize;
            if (is64) {
                Elf64_Sym s;
                memcpy(&s, p, sizeof(s));
                name = s.st_name; value = s.st_value; ssize = s.st_size;
                stype = ELF64_ST_TYPE(s.st_info); shndx = s.st_shndx;
            } else {
                Elf32_Sym s;
                memcpy(&s, p, sizeof(s));
                name = s.st_name; value = s.st_value; ssize = s.st_size;
                stype = ELF32_ST_TYPE(s.st_info); shndx = s.st_shndx;
            }
            if (!name || name >= strsize || shndx == SHN_UNDEF ||
                (stype != STT_FUNC && stype != STT_OBJECT && stype != STT_NOTYPE))
                continue;
            const char *nm = (const char *)img + stroff + name;
            if (!memchr(nm, 0, strsize - name) || !*nm || nm[0] == '.' || nm[0] == '$')
                continue;
            if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 256;
                struct symbol *ns = realloc(t->sym, cap * sizeof(*ns));
                if (!ns) { snprintf(err, errlen, "out of memory"); return -1; }
                t->sym = ns;
                t->cap = cap;
            }
            char *copy = strdup(nm);
            if (!copy) { snprintf(err, errlen, "out of memory"); return -1; }
            /* Not in any section: a constant (or a common symbol's alignment). */
            bool absolute = shndx == SHN_ABS || shndx == SHN_COMMON;
            t->sym[t->n++] = (struct symbol){ .addr = absolute ? value : value + offset,
                                              .size = ssize, .name = copy, .absolute = absolute };
            added++;
        }
    }
    if (!found) {
        snprintf(err, errlen, "no symbol table (.symtab): stripped?");
        return -1;
    }
    qsort(t->sym, t->n, sizeof(*t->sym), cmp_sym);
    return added;
}

long symtab_load_elf(struct symtab *t, const char *path, uint64_t offset, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *img = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            if (cap > (256u << 20)) {
                snprintf(err, errlen, "%s: larger than 256 MiB", path);
                free(img);
                fclose(f);
                return -1;
            }
            uint8_t *n = realloc(img, cap);
            if (!n) { free(img); fclose(f); snprintf(err, errlen, "out of memory"); return -1; }
            img = n;
        }
        size_t got = fread(img + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    char why[200];
    long r = symtab_load_elf_image(t, img, len, offset, why, sizeof(why));
    if (r < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    free(img);
    return r;
}

const struct symbol *symtab_by_name(const struct symtab *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->sym[i].name, name))
            return &t->sym[i];
    return NULL;
}

const struct symbol *symtab_by_addr(const struct symtab *t, uint64_t addr, uint64_t *off)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {       /* first symbol above addr */
        size_t mid = (lo + hi) / 2;
        if (t->sym[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* The last one at or below addr that names an address (absolute symbols
     * are constants); among several at its address, one with a size (a
     * function or object) rather than a label. */
    const struct symbol *s = NULL;
    for (size_t i = lo; i-- > 0;) {
        const struct symbol *c = &t->sym[i];
        if (c->absolute)
            continue;
        if (s && c->addr != s->addr)
            break;
        if (!s || !s->size)
            s = c;
    }
    if (!s)
        return NULL;
    uint64_t d = addr - s->addr;
    if (s->size ? d >= s->size : d >= 0x1000)
        return NULL;
    *off = d;
    return s;
}

const char *symtab_describe(const struct symtab *t, uint64_t addr, char *buf, size_t len)
{
    uint64_t off;
    const struct symbol *s = symtab_by_addr(t, addr, &off);
    if (!s)
        snprintf(buf, len, "%s", "");
    else if (off)
        snprintf(buf, len, "%s+0x%llx", s->name, (unsigned long long)off);
    else
        snprintf(buf, len, "%s", s->name);
    return buf;
}
