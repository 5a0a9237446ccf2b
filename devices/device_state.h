/* What every device's snapshot (<dev>_save / <dev>_load) shares; included
 * by the devices' .c files only.
 *
 * A state opens with a header: one or two magic bytes naming the device,
 * then the version of the format.  Numbers wider than a byte are stored
 * little-endian.
 *
 * <dev>_save(dev, buf, len): with buf NULL, returns the size of the state
 * (a size query); with len below that size, writes nothing and returns 0;
 * otherwise writes the state and returns its size.
 * <dev>_load(dev, buf, len): -EINVAL, the device untouched, for a buffer
 * that is NULL, shorter than the state, or of another device or version. */
#ifndef GLASS_DEVICES_DEVICE_STATE_H
#define GLASS_DEVICES_DEVICE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dev_state_head {
    uint8_t magic[2];
    uint8_t magic_len;      /* 1 or 2 */
    uint8_t version;
};

/* The opening of <dev>_save for a state of size bytes: returns what the
 * save returns, and sets *fields to where the device's own fields go, just
 * past the header it wrote; *fields is NULL when there is nothing to write
 * (a size query or a short buffer), and the save returns at once. */
static inline size_t dev_state_save_open(const struct dev_state_head *h, size_t size,
                                         uint8_t *buf, size_t len, uint8_t **fields)
{
    *fields = NULL;
    if (!buf)
        return size;
    if (len < size)
        return 0;
    memcpy(buf, h->magic, h->magic_len);
    buf[h->magic_len] = h->version;
    *fields = buf + h->magic_len + 1;
    return size;
}

/* <dev>_load's first check: buf holds size bytes that start with this
 * device's header. */
static inline bool dev_state_load_ok(const struct dev_state_head *h, size_t size,
                                     const uint8_t *buf, size_t len)
{
    return buf && len >= size && memcmp(buf, h->magic, h->magic_len) == 0 &&
           buf[h->magic_len] == h->version;
}

/* The low `bytes` bytes of v, little-endian, at p; returns p past them. */
static inline uint8_t *dev_state_put(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* A little-endian number of `bytes` bytes at *pp; moves *pp past it. */
static inline uint64_t dev_state_get(const uint8_t **pp, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)(*pp)[i] << (8 * i);
    *pp += bytes;
    return v;
}

#endif
