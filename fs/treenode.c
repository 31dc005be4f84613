/*
 * fs/treenode.c: the node format of the Bε-tree (see treenode.h).
 *
 * Method: a region is verified in one pass over its offset table: every
 * offset inside the region and past the table, every record inside the
 * region, key and value sizes within the format's limits (a pivot's values
 * exactly a child pointer and fill), keys strictly increasing (messages
 * non-decreasing: equal keys apply in order), and the record bytes adding up
 * to the header's count. Whatever passes can be read by the accessors
 * without further checks.
 *
 * Messages applied to values: insert sets, delete/clearb/clobber remove,
 * wstat patches a directory entry and relink/reprev patch a snapshot record.
 * A patch of a value that does not have its kind's size is ignored, as a
 * message about a value that is not there is.
 */
#include "treenode.h"

#include <string.h>

/* A value record but its key and value: slot[2] nk[2] nv[2]. */
#define VAL_RECORD_OVERHEAD_SIZE 6u

static uint32_t
region_size(uint32_t bs, uint16_t type)
{
    return type == FMT_TYPE_LEAF ? fmt_leafspc(bs) : fmt_pivspc(bs);
}

/* Verifies one region: offsets in bounds, records inside, sizes add up, keys
 * ordered (strictly for values, non-decreasing for messages). */
static const char *
region_verify(const uint8_t *r, uint32_t size, uint32_t n, uint32_t bytes, bool msgs,
        bool pivot)
{
    if (2 * n + bytes > size) {
        return "node records overflow their region";
    }
    uint32_t total = 0, head = msgs ? 3 : 2;
    const uint8_t *pk = NULL;
    uint16_t pnk = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = fmt_get16(r + 2 * i);
        if (off < 2 * n || off + head + 2 > size) {
            return "node record offset out of bounds";
        }
        const uint8_t *p = r + off;
        if (msgs && (p[0] < FMT_OP_INSERT || p[0] > FMT_OP_REPREV)) {
            return "invalid message op";
        }
        uint32_t nk = fmt_get16(p + head - 2);
        if (nk == 0 || nk > FMT_KEY_MAX || off + head + nk + 2 > size) {
            return "node key size out of bounds";
        }
        uint32_t nv = fmt_get16(p + head + nk);
        uint32_t len = head + nk + 2 + nv;
        if (nv > FMT_INLINE_MAX || off + len > size || (pivot && !msgs && nv != FMT_PPTR_SIZE)) {
            return "node value size out of bounds";
        }
        int c = pk == NULL ? -1 : key_cmp(pk, pnk, p + head, (uint16_t)nk);
        if (c > 0 || (c == 0 && !msgs)) {
            return msgs ? "messages out of key order" : "keys out of order";
        }
        pk = p + head;
        pnk = (uint16_t)nk;
        total += len;
    }
    return total == bytes ? NULL : "node byte count does not match its records";
}

const char *
tree_node_verify(uint32_t bs, const uint8_t *buf, uint16_t type)
{
    ASSERT(type == FMT_TYPE_LEAF || type == FMT_TYPE_PIVOT);
    uint32_t n = fmt_node_nval(buf), bytes = fmt_node_valsz(buf);
    bool pivot = type == FMT_TYPE_PIVOT;
    if (pivot && n == 0) {
        return "pivot without children";
    }
    const char *why = region_verify(tree_node_val_region(buf), region_size(bs, type), n, bytes,
            false, pivot);
    if (why != NULL || !pivot) {
        return why;
    }
    return region_verify(tree_node_msg_region(bs, buf), fmt_bufspc(bs), fmt_node_nbuf(buf),
            fmt_node_bufsz(buf), true, false);
}

uint32_t
tree_node_record_count_max(uint32_t bs, uint16_t nk, uint16_t nv)
{
    ASSERT(nk >= 1 && nk <= FMT_KEY_MAX);
    ASSERT(nv <= FMT_INLINE_MAX);
    return fmt_leafspc(bs) / (VAL_RECORD_OVERHEAD_SIZE + nk + nv);
}

static void
apply_wstat(const struct msg *m, struct vstate *s)
{
    if (s->nv != FMT_DIRENT_SIZE || m->nv < 1) {
        return;
    }
    struct fmt_dirent d;
    fmt_dirent_unpack(s->v, &d);
    if (d.qid == 0) {
        return;                 /* A damaged entry (no qid is 0) is left for the checks. */
    }
    const uint8_t *p = m->v + 1, *end = m->v + m->nv;
    uint8_t f = m->v[0];
    if ((f & FMT_WSTAT_SIZE) && p + 8 <= end) {
        d.length = fmt_get64(p);
        p += 8;
    }
    if ((f & FMT_WSTAT_MODE) && p + 4 <= end) {
        d.mode = fmt_get32(p);
        d.qtype = (uint8_t)(d.mode >> 24);
        p += 4;
    }
    if ((f & FMT_WSTAT_MTIME) && p + 8 <= end) {
        d.mtime_ns = fmt_get64(p);
        p += 8;
    }
    if ((f & FMT_WSTAT_ATIME) && p + 8 <= end) {
        d.atime_ns = fmt_get64(p);
        p += 8;
    }
    if ((f & FMT_WSTAT_UID) && p + 4 <= end) {
        d.uid = (int32_t)fmt_get32(p);
        p += 4;
    }
    if ((f & FMT_WSTAT_GID) && p + 4 <= end) {
        d.gid = (int32_t)fmt_get32(p);
        p += 4;
    }
    if ((f & FMT_WSTAT_MUID) && p + 4 <= end) {
        d.muid = (int32_t)fmt_get32(p);
    }
    d.version++;
    if (d.qid != 0) {
        fmt_dirent_pack(s->v, &d);
    }
}

static void
apply_link(const struct msg *m, struct vstate *s)
{
    if (s->nv != FMT_TREE_SIZE || m->nv != FMT_LINK_SIZE) {
        return;
    }
    struct fmt_tree t;
    fmt_tree_unpack(s->v, &t);
    uint64_t link = fmt_get64(m->v);
    if (m->op == FMT_OP_RELINK) {
        t.succ = link;
    } else {
        t.pred = link;
    }
    t.nlbl = (uint32_t)((int64_t)t.nlbl + (int8_t)m->v[FMT_LINK_DLBL_OFFSET]);
    t.nref = (uint32_t)((int64_t)t.nref + (int8_t)m->v[FMT_LINK_DREF_OFFSET]);
    if (t.height >= 1) {
        fmt_tree_pack(s->v, &t);
    }
}

void
tree_apply(const struct msg *m, struct vstate *s)
{
    switch (m->op) {
    case FMT_OP_INSERT:
        ASSERT(m->nv <= FMT_INLINE_MAX);
        s->present = true;
        s->nv = m->nv;
        if (m->nv > 0) {
            memmove(s->v, m->v, m->nv);
        }
        break;
    case FMT_OP_DELETE:
    case FMT_OP_CLEARB:
    case FMT_OP_CLOBBER:
        s->present = false;
        break;
    case FMT_OP_WSTAT:
        if (s->present) {
            apply_wstat(m, s);
        }
        break;
    case FMT_OP_RELINK:
    case FMT_OP_REPREV:
        if (s->present) {
            apply_link(m, s);
        }
        break;
    default:
        ASSERT(!"message op validated on read");
    }
}
