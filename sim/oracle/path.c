/*
 * sim/oracle/path.c: the path buffer of the oracle's walks (oracle.c's walk,
 * digest.c, diff.c, fsread.c): a growing string of "/a/b/c" to which a name
 * is pushed on the way down and cut back on the way up, so a walk of any
 * depth builds each path once. It is harness memory: growth never fails
 * (oracle_realloc).
 */
#include <string.h>

#include "oracle_impl.h"

void
oracle_pbuf_set(struct pbuf *b, const char *s)
{
    b->len = 0;
    size_t n = strlen(s);
    if (n + 1 > b->cap) {
        b->cap = n + 256;
        b->p = oracle_realloc(b->p, b->cap);
    }
    memcpy(b->p, s, n + 1);
    b->len = n;
}

/* Appends "/name" (no slash after the root); returns the old length. */
size_t
oracle_pbuf_push(struct pbuf *b, const char *name, size_t nlen)
{
    size_t old = b->len;
    bool slash = !(b->len == 1 && b->p[0] == '/');
    if (b->len + nlen + 2 > b->cap) {
        b->cap = 2 * (b->len + nlen + 2);
        b->p = oracle_realloc(b->p, b->cap);
    }
    if (slash) {
        b->p[b->len++] = '/';
    }
    memcpy(b->p + b->len, name, nlen);
    b->len += nlen;
    b->p[b->len] = '\0';
    return old;
}

void
oracle_pbuf_pop(struct pbuf *b, size_t len)
{
    b->len = len;
    b->p[len] = '\0';
}
