/*
 * sim/campaign/replay.c: crashsim replay (see replay.h).
 */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../../fs/format.h"
#include "../check/checker.h"
#include "../check/nested.h"
#include "../store/store.h"
#include "inputs.h"

static void
describe_write(const struct oplog *log, uint32_t op, const char *what)
{
    const struct oplog_op *o = &log->ops[op];
    char pass[48] = "between syncs";
    if (o->pass != OPLOG_PASS_NONE) {
        snprintf(pass, sizeof(pass), "pass %u%s%s", o->pass, o->activity ? ", " : "",
                oplog_activity_name((enum oplog_activity)o->activity));
    }
    printf("  %s write %u: block %" PRIu64 " (%s, %s)\n", what, op, o->block,
            o->block == 0 || o->block == log->block_count - 1 ? "superblock"
            : fmt_type_name(o->type), pass);
}

static void
describe_state(const struct recording *rec, const struct crash_state *s)
{
    const struct oplog *log = &rec->dev.disk.log;
    if (s->cut > log->count || (s->media != MEDIA_NONE && (log->ops[s->media_op].kind
            != OPLOG_OP_WRITE || damage_state_check(s, log->ops[s->media_op].block,
            log->block_size, log->block_count) != 0))) {
        return;                     /* Not a state of this log: checker_check says so. */
    }
    uint32_t lo, hi;
    recording_legal(rec, s->cut, &lo, &hi);
    printf("crash after %u of %u logged operations; legal sync points %u..%u", s->cut,
            log->count, lo, hi);
    if (rec->syncs[hi].line != 0) {
        printf(" (trace line %u)", rec->syncs[hi].line);
    }
    printf("\n");
    for (uint32_t k = s->cut; k-- > 0;) {
        if (log->ops[k].kind == OPLOG_OP_WRITE) {
            describe_write(log, k, "last issued");
            break;
        }
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        bool lied = s->liar && (i + 1 < s->drop_count || s->drop_count == 1);
        describe_write(log, s->drops[i], lied ? "lost although a flush after it was "
                "acknowledged (a lying flush)" : "lost");
    }
    if (s->torn != CRASH_NONE) {
        describe_write(log, s->torn, "torn");
        printf("    only its first %u sectors landed; the rest holds %s\n", s->torn_sectors,
                s->torn_fill == 'o' ? "the old content" : s->torn_fill == 'z' ? "zeros"
                : "garbage");
    }
    if (s->media != MEDIA_NONE && oplog_block_writer_at(log, log->ops[s->media_op].block,
            s->cut) != s->media_op) {
        printf("  (a later write before the cut replaced the bytes of write %u on its block, so\n"
                "   the fault below shows only where it put them elsewhere)\n", s->media_op);
    }
    if (s->media == MEDIA_FLIP) {
        describe_write(log, s->media_op, "flipped");
        uint32_t bits[FLIP_BITS_MAX];
        uint32_t count = crash_flip_bits(s, log->block_size, bits);
        printf("    %s", count == 1 ? "bit" : "bits");
        for (uint32_t i = 0; i < count; i++) {
            printf("%s%u", i == 0 ? " " : i % 8 == 0 ? ",\n     " : ", ", bits[i]);
        }
        printf(" of its block (byte %u%s) read%s inverted on the medium\n", s->flip_bit / 8,
                count == 1 ? "" : " for the first", count == 1 ? "s" : "");
    } else if (s->media == MEDIA_LOST) {
        describe_write(log, s->media_op, "lost on the medium");
        printf("    acknowledged, never persisted, whatever flushes followed\n");
    } else if (s->media == MEDIA_MISDIRECT) {
        describe_write(log, s->media_op, "misdirected");
        if (s->target == CRASH_NONE) {
            printf("    it landed on the next block; its own block kept the old bytes\n");
        } else {
            printf("    it landed on block %u; its own block kept the old bytes\n", s->target);
        }
    } else if (s->media == MEDIA_UNREADABLE) {
        describe_write(log, s->media_op, "unreadable");
        printf("    its block reads back as a device error (a latent sector error) until it is\n"
                "    written again\n");
    } else if (s->media == MEDIA_REPOINT) {
        describe_write(log, s->media_op, "repointed");
        printf("    the block pointer at byte %u of its block names block %u, with that block's\n"
                "    hash; every hash that names the block, up to the superblocks, agrees\n",
                s->flip_bit, s->target);
    } else if (s->media == MEDIA_FORGE) {
        describe_write(log, s->media_op, "forged");
        printf("    bit %u of its block (byte %u) was inverted before hashing; every hash that\n"
                "    names the block, up to the superblocks, agrees with the forged bytes\n",
                s->flip_bit, s->flip_bit / 8);
    }
}

/* What a nested level is: the post-recovery run recorded on the image of
 * its parent, and its sync points. */
static void
describe_level(const struct recording *rec, const char *parent, uint32_t recovered)
{
    const struct oplog *log = &rec->dev.disk.log;
    printf("nested level %u: the post-recovery run on the image of %s, which recovered "
            "sync point %u: %u operations (%u writes, %u flushes)\n", rec->level, parent,
            recovered, log->count, log->write_count, log->flush_count);
    for (uint32_t k = 0; k < rec->sync_count; k++) {
        const struct syncpt *p = &rec->syncs[k];
        printf("  sync point %u: %s (operations %u..%u)\n", k, k == 0 ? "the recovered state"
                : "a sync of the post-recovery workload", p->start_op, p->end_op);
    }
    if (rec->violation[0] != '\0') {
        printf("  while recording: %s\n", rec->violation);
    }
}

/* Checks the levels above the last of states[0..depth), explaining each,
 * and returns the checker of the last level (NULL: a level is no parent). */
static struct checker *
replay_levels(struct nest *n, const struct crash_state *states, uint32_t depth,
        struct nest_link *chain, const char *mount)
{
    for (uint32_t l = 0; l + 1 < depth; l++) {
        char err[256], id[NEST_ID_MAX];
        struct checker *c = nest_level(n, chain, l, err, sizeof(err));
        nest_id_format(chain, l, &states[l], id, sizeof(id));
        if (c == NULL) {
            fprintf(stderr, "crashsim replay: %s: %s\n", id, err);
            return NULL;
        }
        c->verbose = stdout;
        c->mount = l == 0 ? mount : NULL;
        struct state_result r;
        printf("parent %s:\n", id);
        describe_state(c->rec, &states[l]);
        if (checker_check(c, &states[l], &r) != 0) {
            fprintf(stderr, "crashsim replay: %s is not a state of its recording\n", id);
            return NULL;
        }
        printf("%s: %s: %s\n\n", id, outcome_name((enum outcome)r.outcome), r.reason);
        if (!nest_expandable(&states[l], (enum outcome)r.outcome)) {
            fprintf(stderr, "crashsim replay: %s recovered no legal state (or has a media "
                    "fault), so it has no nested states\n", id);
            return NULL;
        }
        chain[l] = (struct nest_link){ states[l], (uint32_t)r.recovered };
    }
    char err[256];
    struct checker *c = nest_level(n, chain, depth - 1, err, sizeof(err));
    if (c == NULL) {
        fprintf(stderr, "crashsim replay: %s\n", err);
        return NULL;
    }
    if (depth > 1) {
        char id[NEST_ID_MAX];
        nest_id_format(chain, depth - 2, &states[depth - 2], id, sizeof(id));
        describe_level(c->rec, id, chain[depth - 2].recovered);
    }
    c->verbose = stdout;
    c->mount = depth == 1 ? mount : NULL;
    return c;
}

int
replay_run(const char *id, const char *db, int64_t run_id, const char *mount)
{
    struct crash_state states[NEST_DEPTH_MAX];
    int depth = nest_id_parse(id, states, NEST_DEPTH_MAX);
    if (depth < 0) {
        fprintf(stderr, "crashsim replay: '%s' is not a crash-state id (e.g. w812, "
                "w812-drop805.809, w812-torn811s3z; nested: w812/w31, at most %u levels)\n",
                id, NEST_DEPTH_MAX);
        return 2;
    }
    if (depth > 1 && mount != NULL) {
        fprintf(stderr, "crashsim replay: --mount applies to a top-level state only: a nested "
                "recording mounts the label its parent was recovered by\n");
        return 2;
    }
    struct store *st;
    char err[512];
    if (store_open_read(&st, db, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim replay: %s\n", err);
        return 2;
    }
    struct trace t = { 0 };
    struct recording rec;
    memset(&rec, 0, sizeof(rec));
    int code = 2;
    static struct nest n;
    struct run_info info;
    bool loaded = input_rerecord(st, &run_id, &info, &t, &rec, err, sizeof(err)) == 0;
    if (!loaded) {
        fprintf(stderr, "crashsim replay: %s\n", err);
    } else {
        printf("run %" PRId64 ": %s, %s/%s, faults %s\n", run_id, info.workload_name,
                info.model, info.profile, info.faults);
    }
    if (loaded && nest_init(&n, &rec, false) == 0) {
        struct nest_link chain[NEST_DEPTH_MAX];
        struct checker *c = replay_levels(&n, states, (uint32_t)depth, chain, mount);
        const struct crash_state *s = &states[depth - 1];
        struct state_result r;
        if (c != NULL) {
            describe_state(c->rec, s);
        }
        if (c != NULL && checker_check(c, s, &r) != 0) {
            fprintf(stderr, "crashsim replay: %s is not a state of run %" PRId64 "\n", id, run_id);
        } else if (c != NULL) {
            printf("%s: %s: %s\n", id, outcome_name((enum outcome)r.outcome), r.reason);
            code = outcome_is_violation((enum outcome)r.outcome) ? 1 : 0;
        }
        nest_deinit(&n);
    }
    recording_free(&rec);
    trace_free(&t);
    store_close(st);
    return code;
}
