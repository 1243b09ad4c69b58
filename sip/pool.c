/*
 * pool.c - a size-class allocator for the engine's long-lived objects
 * (subscriptions, their remote targets, presentities, cached documents,
 * publications).
 *
 * Why: those objects live for hours while Sofia's transactions and
 * messages, allocated in between by the same thread, live for seconds.
 * From one malloc heap the two interleave, and after a burst every page
 * still holds a few bytes of some subscription: RSS stays at the peak
 * long after the transactions are gone.  Taking the long-lived objects
 * from their own mmap'd chunks keeps them dense, and lets malloc_trim()
 * return the transactions' pages.
 *
 * Objects up to POOL_MAX bytes come from per-class free lists (16-byte
 * classes) in 256 KiB chunks that are never unmapped; larger ones fall
 * back to malloc.  An 8-byte header remembers the class.  Single-threaded:
 * the SIP thread only.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sip/sip_int.h"

#define POOL_ALIGN 16
#define POOL_MAX 1024
#define POOL_CLASSES (POOL_MAX / POOL_ALIGN)
#define POOL_CHUNK (256 * 1024)
#define POOL_BIG 0xffffffffu

/* Under AddressSanitizer every object is its own malloc, so that
 * use-after-free and overflows in pooled objects are still caught. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_USE_MALLOC 1
#else
#define POOL_USE_MALLOC 0
#endif

struct pool_hdr {
	uint32_t cls;             /* class index, or POOL_BIG for malloc */
	uint32_t pad;
};

struct pool_free { struct pool_free *next; };

static struct {
	struct pool_free *free[POOL_CLASSES];
	char *cur;                /* bump area of the newest chunk */
	size_t left;
	size_t chunks;
} pool;

static void *pool_carve(size_t size)
{
	void *p;

	if (pool.left < size) {
		char *c = mmap(NULL, POOL_CHUNK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c == MAP_FAILED)
			return NULL;
		/* The tail of the old chunk is lost: at most POOL_MAX bytes. */
		pool.cur = c;
		pool.left = POOL_CHUNK;
		pool.chunks++;
	}
	p = pool.cur;
	pool.cur += size;
	pool.left -= size;
	return p;
}

void *sip_pool_alloc(size_t n)
{
	size_t total = n + sizeof(struct pool_hdr);
	struct pool_hdr *h;
	uint32_t cls;

	if (total > POOL_MAX || POOL_USE_MALLOC) {
		h = calloc(1, total);
		if (!h)
			return NULL;
		h->cls = POOL_BIG;
		return h + 1;
	}
	cls = (uint32_t)((total + POOL_ALIGN - 1) / POOL_ALIGN - 1);
	if (pool.free[cls]) {
		h = (struct pool_hdr *)pool.free[cls];
		pool.free[cls] = pool.free[cls]->next;
	} else {
		h = pool_carve((size_t)(cls + 1) * POOL_ALIGN);
		if (!h)
			return NULL;
	}
	memset(h, 0, (size_t)(cls + 1) * POOL_ALIGN);
	h->cls = cls;
	return h + 1;
}

void sip_pool_free(void *p)
{
	struct pool_hdr *h;
	struct pool_free *f;

	if (!p)
		return;
	h = (struct pool_hdr *)p - 1;
	if (h->cls == POOL_BIG) {
		free(h);
		return;
	}
	f = (struct pool_free *)h;
	f->next = pool.free[h->cls];
	pool.free[h->cls] = f;
}

char *sip_pool_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = sip_pool_alloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

void *sip_pool_memdup(const void *s, size_t n)
{
	char *d = sip_pool_alloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}
