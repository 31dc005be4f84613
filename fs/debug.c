/*
 * fs/debug.c: a printed view of the Bε-trees (see debug.h).
 *
 * Method: tree_walk hands every node, already read through the cache and
 * verified (hash, type, record bounds, key order), to debug_node, which prints
 * it with the node accessors of tree.h. Keys and values are still bytes from
 * the device, so their decoding checks every size before it reads a field and
 * falls back to hex when a record does not have the shape its kind promises:
 * a bad record is shown, never asserted on.
 */
#include "debug.h"

#include <inttypes.h>

#include "keys.h"
#include "tree.h"

#define HEX_MAX 32u             /* Bytes of an undecodable key or value shown. */

struct debug_ctx {
    struct fs *fs;              /* The file system walked. */
    FILE *out;                  /* Where lines go. */
    uint32_t height;            /* The tree's height: depth = height - node height. */
    uint64_t node_count;        /* Nodes seen. */
    uint64_t pivot_count;       /* Of which pivots. */
    uint64_t value_count;       /* Values (leaf records and child pointers) seen. */
    uint64_t msg_count;         /* Buffered messages seen. */
};

/* "-" for the nil id, else the number. */
static void
debug_id(FILE *out, const char *label, uint64_t id)
{
    ASSERT(out != NULL);
    ASSERT(label != NULL);
    if (id == FMT_ADDR_NIL) {
        fprintf(out, "%s -", label);
    } else {
        fprintf(out, "%s %" PRIu64, label, id);
    }
}

static void
debug_hex(FILE *out, const uint8_t *p, uint32_t n)
{
    ASSERT(out != NULL);
    ASSERT(p != NULL || n == 0);
    for (uint32_t i = 0; i < n && i < HEX_MAX; i++) {
        fprintf(out, "%02x", p[i]);
    }
    fputs(n > HEX_MAX ? "..." : "", out);
}

/* A name in quotes; bytes that are not printable ASCII are escaped. */
static void
debug_name(FILE *out, const uint8_t *p, uint32_t n)
{
    ASSERT(out != NULL);
    ASSERT(p != NULL || n == 0);
    fputc('"', out);
    for (uint32_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\') {
            fprintf(out, "\\x%02x", p[i]);
        } else {
            fputc(p[i], out);
        }
    }
    fputc('"', out);
}

static void
debug_block(FILE *out, const struct fs *fs, uint64_t addr)
{
    ASSERT(fs->block_size > 0);
    ASSERT(out != NULL);
    if (addr == FMT_ADDR_NIL) {
        fputs("block -", out);
    } else {
        fprintf(out, "block %" PRIu64, addr / fs->block_size);
    }
}

/* Prints a key decoded by its kind, or its bytes when the size is wrong. */
static void
debug_key(FILE *out, const uint8_t *k, uint16_t nk)
{
    ASSERT(out != NULL);
    ASSERT(k != NULL || nk == 0);
    uint8_t kind = nk > 0 ? k[0] : 0xff;
    if (kind == FMT_KDAT && nk == FMT_KDAT_SIZE) {
        fprintf(out, "Kdat qid %" PRIu64 " off %" PRIu64, key_id(k), key_dat_off(k));
    } else if (kind == FMT_KENT && nk >= FMT_KENT_SIZE_MIN
            && key_ent_nlen(k) == nk - FMT_KENT_SIZE_MIN) {
        debug_id(out, "Kent parent", key_id(k));
        fputs(" name ", out);
        debug_name(out, key_ent_name(k), nk - FMT_KENT_SIZE_MIN);
    } else if (kind == FMT_KUP && nk == FMT_KUP_SIZE) {
        fprintf(out, "Kup qid %" PRIu64, key_id(k));
    } else if (kind == FMT_KLABEL && nk >= 1) {
        fputs("Klabel ", out);
        debug_name(out, k + 1, nk - 1u);
    } else if (kind == FMT_KSNAP && nk == FMT_KSNAP_SIZE) {
        fprintf(out, "Ksnap id %" PRIu64, key_id(k));
    } else if (kind == FMT_KDLIST && nk == FMT_KDLIST_SIZE) {
        fprintf(out, "Kdlist killer %" PRIu64 " birth %" PRIu64, key_id(k),
                key_dlist_birth(k));
    } else if (kind == FMT_KCONF && nk >= 1) {
        fputs("Kconf ", out);
        debug_name(out, k + 1, nk - 1u);
    } else {
        fputs("key? ", out);
        debug_hex(out, k, nk);
    }
}

static void
debug_val_tree(FILE *out, const struct fs *fs, const uint8_t *v)
{
    struct fmt_tree t;
    fmt_tree_unpack(v, &t);
    ASSERT(out != NULL);
    ASSERT(fs != NULL);
    fputs("root ", out);
    debug_block(out, fs, t.root.addr);
    fprintf(out, " height %" PRIu32 " nlbl %" PRIu32 " nref %" PRIu32 " ", t.height, t.nlbl,
            t.nref);
    debug_id(out, "pred", t.pred);
    debug_id(out, " succ", t.succ);
    debug_id(out, " base", t.base);
}

/* Prints " = VALUE" decoded by the key's kind when the value has its size. */
static void
debug_val(FILE *out, const struct fs *fs, const uint8_t *k, uint16_t nk, const uint8_t *v,
        uint16_t nv)
{
    ASSERT(out != NULL);
    ASSERT(v != NULL || nv == 0);
    uint8_t kind = nk > 0 ? k[0] : 0xff;
    fputs(" = ", out);
    if (kind == FMT_KDAT && nv == FMT_PTR_SIZE) {
        struct bptr bp = fmt_bptr_unpack(v);
        debug_block(out, fs, bp.addr);
        fprintf(out, " gen %" PRIu64, bp.gen);
    } else if (kind == FMT_KENT && nv == FMT_DIRENT_SIZE) {
        struct fmt_dirent d;
        fmt_dirent_unpack(v, &d);
        fprintf(out, "qid %" PRIu64 " %s length %" PRIu64 " version %" PRIu32, d.qid,
                (d.qtype & FMT_QID_DIR) ? "dir" : "file", d.length, d.version);
    } else if (kind == FMT_KUP && nv >= 1) {
        debug_key(out, v, nv);
    } else if (kind == FMT_KLABEL && nv == FMT_LABEL_VALUE_SIZE) {
        fprintf(out, "snap %" PRIu64 "%s", fmt_label_snapid(v),
                (fmt_label_flags(v) & FMT_LABEL_MUTABLE) ? " mutable" : "");
    } else if (kind == FMT_KSNAP && nv == FMT_TREE_SIZE) {
        debug_val_tree(out, fs, v);
    } else if (kind == FMT_KDLIST && nv == FMT_DLIST_VALUE_SIZE) {
        fputs("hd ", out);
        debug_block(out, fs, fmt_bptr_unpack(v).addr);
        fputs(" tl ", out);
        debug_block(out, fs, fmt_bptr_unpack(v + FMT_PTR_SIZE).addr);
    } else {
        fprintf(out, "(%" PRIu16 " bytes) ", nv);
        debug_hex(out, v, nv);
    }
}

static const char *
debug_op_name(uint8_t op)
{
    static const char *const names[] = { "op?", "insert", "delete", "clearb", "clobber",
        "wstat", "relink", "reprev" };
    ASSERT(FS_ARRAY_COUNT(names) == FMT_OP_REPREV + 1u);
    ASSERT(FMT_OP_INSERT == 1u);
    return op < FS_ARRAY_COUNT(names) ? names[op] : names[0];
}

/* The node's records: child pointers or values, then buffered messages. */
static void
debug_records(struct debug_ctx *c, const uint8_t *buf, int indent, bool pivot)
{
    uint32_t bs = c->fs->block_size;
    uint16_t n = tree_node_count(buf), nm = tree_node_msg_count(buf);
    ASSERT(indent >= 0);
    ASSERT(pivot || nm == 0);
    for (uint16_t i = 0; i < n; i++) {
        struct kv kv = tree_node_val(bs, buf, i);
        fprintf(c->out, "%*s%s ", indent, "", pivot ? "child" : "val");
        debug_key(c->out, kv.k, kv.nk);
        if (pivot) {
            uint16_t fill;
            struct bptr bp = tree_node_child(bs, buf, i, &fill);
            fputs(" -> ", c->out);
            debug_block(c->out, c->fs, bp.addr);
            fprintf(c->out, " (fill %" PRIu16 ")", fill);
        } else {
            debug_val(c->out, c->fs, kv.k, kv.nk, kv.v, kv.nv);
        }
        fputc('\n', c->out);
    }
    for (uint16_t i = 0; i < nm; i++) {
        struct msg m = tree_node_msg(bs, buf, i);
        fprintf(c->out, "%*smsg %s ", indent, "", debug_op_name(m.op));
        debug_key(c->out, m.k, m.nk);
        if (m.op == FMT_OP_INSERT) {
            debug_val(c->out, c->fs, m.k, m.nk, m.v, m.nv);
        } else if (m.nv > 0) {
            fprintf(c->out, " (%" PRIu16 " bytes)", m.nv);
        }
        fputc('\n', c->out);
    }
    c->value_count += n;
    c->msg_count += nm;
}

static int
debug_node(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    struct debug_ctx *c = arg;
    ASSERT(height >= 1);
    ASSERT(height <= c->height);
    uint32_t depth = c->height - height;
    bool pivot = fmt_block_type(buf) == FMT_TYPE_PIVOT;
    uint32_t space = pivot ? fmt_pivspc(c->fs->block_size) + fmt_bufspc(c->fs->block_size)
        : fmt_leafspc(c->fs->block_size);
    fprintf(c->out, "%*s", (int)(2 * depth), "");
    debug_block(c->out, c->fs, bp.addr);
    fprintf(c->out, ": %s, depth %" PRIu32 ", height %" PRIu32 ", gen %" PRIu64 ", fill %"
            PRIu16 "/%" PRIu32 ", %" PRIu16 " %s, %" PRIu16 " messages\n",
            fmt_type_name(fmt_block_type(buf)), depth, height, bp.gen, tree_node_fill(buf), space,
            tree_node_count(buf), pivot ? "children" : "values", tree_node_msg_count(buf));
    debug_records(c, buf, (int)(2 * depth + 4), pivot);
    c->node_count++;
    c->pivot_count += pivot;
    return 0;
}

int
fs_debug_tree(struct fs *fs, FILE *out, bool snap_tree)
{
    ASSERT(fs != NULL);
    ASSERT(out != NULL);
    const struct tree *t = snap_tree ? &fs->snap : &fs->tree;
    if (snap_tree) {
        fputs("snapshot tree: root ", out);
    } else {
        fprintf(out, "tree of label \"%s\" (snapshot %" PRIu64 "): root ", fs->label, t->gen);
    }
    debug_block(out, fs, t->root.addr);
    fprintf(out, ", height %" PRIu32 "\n", t->height);
    struct debug_ctx c = { .fs = fs, .out = out, .height = t->height };
    int err = tree_walk(fs, t, debug_node, &c);
    if (err) {
        return err;
    }
    fprintf(out, "%" PRIu64 " nodes (%" PRIu64 " pivots, %" PRIu64 " leaves), %" PRIu64
            " values, %" PRIu64 " messages, height %" PRIu32 "\n", c.node_count,
            c.pivot_count, c.node_count - c.pivot_count, c.value_count, c.msg_count, t->height);
    return 0;
}
