/* The index shared by the interpreter's decoded-block cache
 * (cpu/interp_cache.c) and the translator's block cache
 * (translate/bt_cache.c): blocks of guest code found by (host pointer of
 * the first code byte, RIP, mode), and listed by the guest-physical page
 * of their first byte so that a write to guest code finds the blocks it
 * overwrites.  Neither cache lets a block cross a 4 KiB page, so the
 * blocks a write touches are all in the lists of the pages it covers.
 *
 * The index is intrusive: each block struct starts with BLOCK_KEY_HEADER,
 * the key and the links, and the index only ever sees that header (get the
 * block back with block_of).  It owns no blocks; the caches allocate and
 * free them. */
#ifndef GLASS_CPU_BLOCK_INDEX_H
#define GLASS_CPU_BLOCK_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define BLOCK_INDEX_PAGE 4096u

/* The tables' sizes are constants, the same for both caches, so that the
 * lookup's hash folds to shifts and masks by immediates and the tables sit
 * in the owner's struct (one load less than a pointer to them). */
#define BLOCK_INDEX_HASH_BITS 15    /* chains by host pointer and RIP */
#define BLOCK_INDEX_PAGE_BITS 12    /* chains by guest-physical page */

/* The members of struct block_key.  A block struct declares them with
 * BLOCK_KEY_HEADER, which (like Linux's struct_group) makes them both its
 * own members (b->rip, what the rest of the code reads) and one struct
 * block_key (&b->key, what the index takes): the two are the same bytes. */
#define BLOCK_KEY_MEMBERS                                                        \
    const uint8_t *host;         /* key: host pointer of the first code byte */ \
    uint64_t rip;                /* key: RIP of the first instruction */        \
    uint64_t gpa;                /* guest-physical address of the first byte */ \
    struct block_key *hash_next; /* lookup chain */                             \
    struct block_key *page_next; /* blocks of the same guest-physical page */   \
    unsigned mode;               /* key: the cache's IC_MODE_* / BT_MODE_* */   \
    uint16_t bytes;              /* guest code bytes covered */                 \
    uint8_t valid;               /* cleared when invalidated */

struct block_key {
    BLOCK_KEY_MEMBERS
};

#define BLOCK_KEY_HEADER      \
    union {                   \
        struct block_key key; \
        struct {              \
            BLOCK_KEY_MEMBERS \
        };                    \
    }

/* The block struct (of type `type`, header in member `key`) of key k. */
#define block_of(k, type) ((type *)((char *)(k) - offsetof(type, key)))

/* All zeros is an empty index. */
struct block_index {
    struct block_key *hash[1u << BLOCK_INDEX_HASH_BITS];
    struct block_key *page[1u << BLOCK_INDEX_PAGE_BITS];
};

/* Forget every block (the caller frees or reuses them). */
void block_index_clear(struct block_index *ix);
/* Add k (host, rip, mode, gpa and bytes set) to both lists. */
void block_index_insert(struct block_index *ix, struct block_key *k);
/* Guest code in [gpa, gpa+len) changed: take every block that covers a byte
 * of it out of both lists and clear its valid, then call dropped(k, ctx)
 * (if not NULL) on it.  Returns the number of blocks dropped. */
size_t block_index_invalidate(struct block_index *ix, uint64_t gpa, uint64_t len,
                              void (*dropped)(struct block_key *k, void *ctx), void *ctx);

static inline unsigned block_index_hash(const uint8_t *host, uint64_t rip)
{
    uintptr_t h = (uintptr_t)host ^ (uintptr_t)(rip << 7);
    h ^= h >> BLOCK_INDEX_HASH_BITS;
    return (unsigned)(h & ((1u << BLOCK_INDEX_HASH_BITS) - 1));
}

/* The block with this key, or NULL.  Inline: the run loops look a block up
 * each time they come back, the translator's many times a second. */
static inline struct block_key *block_index_find(const struct block_index *ix,
                                                 const uint8_t *host, uint64_t rip,
                                                 unsigned mode)
{
    for (struct block_key *k = ix->hash[block_index_hash(host, rip)]; k; k = k->hash_next)
        if (k->host == host && k->rip == rip && k->mode == mode)
            return k;
    return NULL;
}

#endif
