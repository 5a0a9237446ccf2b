/* The block index of the interpreter's and the translator's caches
 * (cpu/block_index.h). */
#include "cpu/block_index.h"

#include <string.h>

static unsigned page_hash(uint64_t gpa)
{
    uint64_t p = gpa / BLOCK_INDEX_PAGE;
    return (unsigned)((p ^ (p >> BLOCK_INDEX_PAGE_BITS)) & ((1u << BLOCK_INDEX_PAGE_BITS) - 1));
}

void block_index_clear(struct block_index *ix)
{
    memset(ix, 0, sizeof(*ix));
}

void block_index_insert(struct block_index *ix, struct block_key *k)
{
    struct block_key **h = &ix->hash[block_index_hash(k->host, k->rip)];
    k->hash_next = *h;
    *h = k;
    struct block_key **p = &ix->page[page_hash(k->gpa)];
    k->page_next = *p;
    *p = k;
}

static void unlink_hash(struct block_index *ix, struct block_key *k)
{
    struct block_key **pp = &ix->hash[block_index_hash(k->host, k->rip)];
    while (*pp) {
        if (*pp == k) {
            *pp = k->hash_next;
            return;
        }
        pp = &(*pp)->hash_next;
    }
}

size_t block_index_invalidate(struct block_index *ix, uint64_t gpa, uint64_t len,
                              void (*dropped)(struct block_key *k, void *ctx), void *ctx)
{
    size_t n = 0;
    if (len == 0)
        return 0;
    uint64_t end = gpa + len;
    for (uint64_t page = gpa & ~(uint64_t)(BLOCK_INDEX_PAGE - 1); page < end;
         page += BLOCK_INDEX_PAGE) {
        struct block_key **pp = &ix->page[page_hash(page)];
        while (*pp) {
            struct block_key *k = *pp;
            if (k->gpa < end && k->gpa + k->bytes > gpa) {
                k->valid = 0;
                unlink_hash(ix, k);
                *pp = k->page_next;
                n++;
                if (dropped)
                    dropped(k, ctx);
            } else {
                pp = &k->page_next;
            }
        }
        if (page + BLOCK_INDEX_PAGE < page) /* wrapped at the top of the address space */
            break;
    }
    return n;
}
