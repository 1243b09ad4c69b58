/*
 * auth_int.h - private declarations shared by the files of auth/.
 *
 * Not installed, not included outside auth/ (tests use auth/auth.h only).
 */
#ifndef PRESENCED_AUTH_INT_H
#define PRESENCED_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------ nonce table (nonce.c) */

/*
 * A bounded map from a nonce's identity (its 16 random bytes) to the
 * highest nonce-count accepted for it, with a fixed pool of entries
 * allocated by auth_nonce_table_new() -- nothing is allocated afterwards.
 *
 * Entries live on one of two lists:
 *   pending  issued by a challenge, never answered correctly.  FIFO with
 *            room for max/2 entries: adding to a full list evicts the
 *            oldest pending nonce.
 *   active   answered correctly at least once.  LRU with room for the
 *            rest: each accepted use moves the entry to the tail, and
 *            promoting into a full list evicts the least recently used.
 * So unauthenticated traffic (which can only create pending entries)
 * cannot evict the nonces of clients that have authenticated.
 *
 * Not thread-safe: struct auth_digest serialises access with its mutex.
 */
#define AUTH_NONCE_ID_LEN 16

struct auth_nonce_table;

/* Allocate a table of `max` entries (max >= 2).  Returns 0, -EINVAL or
 * -ENOMEM; *tp is set only on success.  auth_nonce_table_free(NULL) is a
 * no-op. */
int auth_nonce_table_new(struct auth_nonce_table **tp, size_t max);
void auth_nonce_table_free(struct auth_nonce_table *t);

/* Remember a newly issued nonce as pending with highest nc 0, evicting
 * the oldest pending nonce when the pending list is full.  The id must not
 * be in the table already (ids are 128 random bits). */
void auth_nonce_table_add(struct auth_nonce_table *t,
			  const uint8_t id[AUTH_NONCE_ID_LEN]);

/* Record an accepted use with nonce-count nc.  Returns 0 when nc is above
 * the highest accepted so far (it becomes the highest, and the entry
 * becomes/stays active as the most recently used), -ENOENT when the id is
 * not in the table (never issued here, or evicted), -EALREADY when nc is
 * not above the highest (a replay).  The table is unchanged on error. */
int auth_nonce_table_use(struct auth_nonce_table *t,
			 const uint8_t id[AUTH_NONCE_ID_LEN], uint32_t nc);

/* Forget a nonce (e.g. once it expired).  Absent ids are ignored. */
void auth_nonce_table_remove(struct auth_nonce_table *t,
			     const uint8_t id[AUTH_NONCE_ID_LEN]);

/* Number of entries on the pending and active lists (for tests). */
void auth_nonce_table_counts(const struct auth_nonce_table *t,
			     size_t *pending, size_t *active);

#endif /* PRESENCED_AUTH_INT_H */
