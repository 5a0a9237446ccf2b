/*
 * string.h - the few <string.h> functions the examples need.  The compiler
 * may also call memcpy/memset/memmove/memcmp on its own, even freestanding,
 * so these must exist with these exact names.
 */
#ifndef EXAMPLES_STRING_H
#define EXAMPLES_STRING_H

#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n);    /* REP MOVSB */
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);               /* REP STOSB */
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

/* Fill n 32-bit words with value, with REP STOSD. */
void memset32(uint32_t *dst, uint32_t value, size_t n);

#endif
