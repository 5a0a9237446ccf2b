/* Disassembly for the debugger: Capstone in the guest's mode (16/32/64). */
#ifndef GLASS_DEBUGGER_DISAS_H
#define GLASS_DEBUGGER_DISAS_H

#include <stddef.h>
#include <stdint.h>

struct symtab;

/* Disassemble one instruction of code bits (16, 32, 64) at address addr
 * from bytes[0..len): its length (> 0) with "mnemonic operands" in text
 * (a branch target gets " <sym+off>" when symbols know it), or -1 when
 * the bytes are not an instruction (text then says "(bad)"). */
int disas_one(int bits, const uint8_t *bytes, size_t len, uint64_t addr,
              const struct symtab *syms, char *text, size_t textlen);

#endif
