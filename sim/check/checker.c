/*
 * sim/check/checker.c: judging one crash state (see checker.h).
 */
#include "checker.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../fs/check.h"
#include "../../fs/format.h"
#include "../../fs/probes.h"
#include "../clock.h"


static void
verdict(struct state_result *r, enum outcome o, const char *fmt, ...)
{
    r->outcome = (uint8_t)o;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

static const struct fs_check_finding *
first_corrupt(const struct fs_check_result *cr)
{
    for (uint32_t i = 0; i < cr->finding_count; i++) {
        if (cr->findings[i].cls == FS_CHECK_CORRUPT) {
            return &cr->findings[i];
        }
    }
    return NULL;
}

/* fs_check; true if clean of corruption. */
void
checker_finding_where(uint64_t block, char *buf, size_t size)
{
    if (block == FMT_ADDR_NIL) {
        snprintf(buf, size, "%s", "");          /* A finding about no one block. */
    } else {
        snprintf(buf, size, "block %" PRIu64 ": ", block);
    }
}

static bool
structure(struct checker *c, struct fs *fs, struct state_result *r, const char *when)
{
    struct fs_check_result cr;
    if (fs_check_memo(fs, c->check_memo, &cr) != 0) {
        verdict(r, OUTCOME_CORRUPT, "%s: fs_check could not run", when);
        return false;
    }
    r->leaked = FS_MAX(r->leaked, cr.count[FS_CHECK_LEAK]);
    r->corrupt += cr.count[FS_CHECK_CORRUPT];
    if (c->verbose != NULL) {
        for (uint32_t i = 0; i < cr.finding_count; i++) {
            const struct fs_check_finding *f = &cr.findings[i];
            char where[32];
            checker_finding_where(f->block, where, sizeof(where));
            fprintf(c->verbose, "  %s: %s%s: %s: %s\n", when, where, f->what,
                    fs_check_class_name((enum fs_check_class)f->cls), f->why);
        }
    }
    const struct fs_check_finding *f = first_corrupt(&cr);
    if (f == NULL) {
        return true;
    }
    char where[32];
    checker_finding_where(f->block, where, sizeof(where));
    verdict(r, OUTCOME_CORRUPT, "%s: %s%s: %s", when, where, f->what, f->why);
    return false;
}

/* Which sync point the recovered digest is: legal, older (lost), or none. */
static void
classify(struct checker *c, uint64_t d, struct state_result *r)
{
    const struct recording *rec = c->rec;
    for (uint32_t k = r->legal_lo; k <= r->legal_hi; k++) {
        if (rec->syncs[k].digest == d) {
            r->recovered = (int32_t)k;
            verdict(r, OUTCOME_OK, "recovered sync point %u", k);
            return;
        }
    }
    for (uint32_t k = r->legal_lo; k-- > 0;) {
        if (rec->syncs[k].digest == d) {
            r->recovered = (int32_t)k;
            verdict(r, OUTCOME_LOST_SYNC, "recovered sync point %u, but %u had completed", k,
                    r->legal_lo);
            return;
        }
    }
    for (uint32_t k = r->legal_hi + 1; k < rec->sync_count; k++) {
        if (rec->syncs[k].digest == d) {
            r->recovered = (int32_t)k;
            verdict(r, OUTCOME_WRONG_STATE, "recovered sync point %u, which had not begun", k);
            return;
        }
    }
    verdict(r, OUTCOME_WRONG_STATE, "the recovered state is no sync point (legal: %u..%u)",
            r->legal_lo, r->legal_hi);
}

/* The label a state is recovered by: the one mounted at its legal sync
 * points, or the checker's override. */
static const char *
mount_label(const struct checker *c, const struct state_result *r)
{
    return c->mount != NULL ? c->mount
        : recording_mounted(c->rec, r->legal_lo, r->legal_hi)->name;
}

static void
explain_mount(struct checker *c, struct fs *fs, const struct state_result *r)
{
    if (c->verbose == NULL) {
        return;
    }
    fprintf(c->verbose, "  recovery: mounted label \"%s\" (%s)\n", mount_label(c, r),
            c->mount != NULL ? "--mount" : "the label mounted at the cut");
    const char *why;
    uint32_t sb = fs_super_index(fs, &why);
    fprintf(c->verbose, "  recovery: superblock sb%u%s%s%s\n", sb, sb ? " (sb0 rejected: " : "",
            sb ? why : "", sb ? ")" : "");
    for (uint32_t i = 0; i < fs_arena_count(fs); i++) {
        uint32_t h = fs_arena_header_index(fs, i);
        fprintf(c->verbose, "  recovery: arena %u: header h%u%s\n", i, h,
                h ? " (h0 does not carry the hash the superblock records)" : "");
    }
    fprintf(c->verbose, "  recovery: allocation logs cut after the committed barrier: %" PRIu64
            " bytes dropped\n", fs_stats(fs)->log_truncated_bytes);
}

static bool
mount_state(struct checker *c, struct fs **fs, struct state_result *r, const char *when)
{
    const char *label = mount_label(c, r);
    struct fs_config mc = record_check_config(&c->rec->config, label);
    int err = fs_mount(fs, &c->view.bdev, &mc);
    c->err = err;
    if (err) {
        verdict(r, when[0] == 'm' ? OUTCOME_UNMOUNTABLE : OUTCOME_CHECK_FAILED,
                "%s of label %.64s: %s (%s)", when, label, fs_mount_failure(), fs_strerror(err));
        return false;
    }
    return true;
}

/* With a verbose stream: how the recovered state differs from the newest legal one. */
static void
explain_diff(struct checker *c, struct fs *fs, const struct state_result *r)
{
    const struct syncpt *p = &c->rec->syncs[r->legal_hi];
    if (c->verbose != NULL && r->outcome != OUTCOME_OK && p->oracle != NULL) {
        char diff[1024];                    /* Logs imported without a trace have no oracle. */
        oracle_diff(p->oracle, fs, diff, sizeof(diff));
        fprintf(c->verbose, "  difference from sync point %u (trace line %u):\n%s\n",
                r->legal_hi, p->line, diff);
    }
}

/* Recovery, check and identification of the recovered state. */
static bool
first_mount(struct checker *c, struct fs **fs, struct state_result *r, uint64_t *digest,
        bool media, bool forged)
{
    if (!mount_state(c, fs, r, "mount")) {
        return false;
    }
    explain_mount(c, *fs, r);
    /* Under a media fault, reads first, as a user would: bytes of no legal
     * state that no check stopped are silent wrong data, whatever fs_check
     * says later. */
    bool read = media && oracle_digest_fs_memo(*fs, c->memo, false, digest) == 0;
    if (read) {
        classify(c, *digest, r);
        if (r->outcome == OUTCOME_WRONG_STATE) {
            explain_diff(c, *fs, r);
            /* A forged state is accepted only if every check agrees with
             * it: fs_check too (a corruption it finds makes it detected). */
            if (forged) {
                struct state_result tmp = *r;
                if (!structure(c, *fs, &tmp, "check")) {
                    *r = tmp;
                }
            }
            return false;
        }
    }
    if (!structure(c, *fs, r, "check")) {
        return false;
    }
    if (!read) {
        int err = oracle_digest_fs_memo(*fs, c->memo, true, digest);
        c->err = err;
        if (err) {
            verdict(r, OUTCOME_CORRUPT, "reading the recovered state: %s%s%s", fs_strerror(err),
                    fs_broken(*fs) ? ": " : "", fs_broken(*fs) ? fs_broken(*fs) : "");
            return false;
        }
        classify(c, *digest, r);
    }
    explain_diff(c, *fs, r);
    return r->outcome == OUTCOME_OK;
}

/* What a mount's block verification asked of the device's content hashes. */
static void
tally_mount(const struct fs *fs, struct state_result *r)
{
    const struct fs_stats *st = fs_stats(fs);
    r->memo_lookups += (uint32_t)(st->hash_known_count + st->hash_computed_count);
    r->memo_hits += (uint32_t)st->hash_known_count;
    r->hashed += (uint32_t)st->hash_computed_count;
}

/* After the post-recovery workload: remount, check, same state. */
static void
second_mount(struct checker *c, struct state_result *r, uint64_t digest)
{
    struct fs *fs;
    if (!mount_state(c, &fs, r, "remount after the post-recovery workload")) {
        return;
    }
    struct state_result tmp = *r;
    if (!structure(c, fs, &tmp, "check after the post-recovery workload")) {
        r->corrupt = tmp.corrupt;
        verdict(r, OUTCOME_CHECK_FAILED, "%s", tmp.reason);
    } else {
        r->leaked = tmp.leaked;
        uint64_t d = 0;
        int err = oracle_digest_fs_memo(fs, c->memo, true, &d);
        if (err || d != digest) {
            verdict(r, OUTCOME_CHECK_FAILED, "after the post-recovery workload the state "
                    "changed (%s)", err ? fs_strerror(err) : "recovery is not idempotent");
        }
    }
    tally_mount(fs, r);
    fs_unmount(fs);
}

/* Errors that answer for the state the file system holds (no such label, no
 * space left): after a forged block they describe the forged state. */
static bool
answers_state(int err)
{
    switch (err) {
    case FS_EPERM:
    case FS_ENOENT:
    case FS_EEXIST:
    case FS_EXDEV:
    case FS_ENOTDIR:
    case FS_EISDIR:
    case FS_EFBIG:
    case FS_ENOSPC:
    case FS_ENAMETOOLONG:
    case FS_ENOTEMPTY:
        return true;
    default:
        return false;
    }
}

/* Under a media fault: what counts as detected, a rollback or (for a forged
 * block) accepted (checker.h). */
static void
media_verdict(struct checker *c, struct state_result *r, bool forged)
{
    bool named = c->err == FS_ECORRUPT || c->err == FS_EIO;
    switch ((enum outcome)r->outcome) {
    case OUTCOME_UNMOUNTABLE:
    case OUTCOME_POST_RECOVERY_FAILED:
    case OUTCOME_CHECK_FAILED:
        if ((named && r->outcome != OUTCOME_CHECK_FAILED)
                || (forged && (named || r->corrupt > 0))) {
            r->outcome = OUTCOME_DETECTED;
        } else if (forged && answers_state(c->err)) {
            r->outcome = OUTCOME_ACCEPTED;
        }
        break;
    case OUTCOME_CORRUPT:
        if (named || r->corrupt > 0) {
            r->outcome = OUTCOME_DETECTED;
        }
        break;
    case OUTCOME_LOST_SYNC:
        r->outcome = OUTCOME_ROLLED_BACK;
        break;
    case OUTCOME_WRONG_STATE:
        if (forged) {
            r->outcome = OUTCOME_ACCEPTED;
            break;
        }
        memmove(r->reason + 19, r->reason, sizeof(r->reason) - 19);
        memcpy(r->reason, "silent wrong data: ", 19);
        r->reason[sizeof(r->reason) - 1] = '\0';
        break;
    default:
        break;
    }
}

/* Under a media fault the image may roll back past a mount step (superblock
 * 0's write lost: recovery takes the older superblock), where the label
 * mounted at the cut does not exist yet or held another tree. Judged again
 * by the label each older sync point had mounted, newest first: the first
 * verdict that is no violation (a rollback, damage detected) stands. */
static void
media_rollback_label(struct checker *c, const struct crash_state *s, struct state_result *r)
{
    if (c->mount != NULL || (r->outcome != OUTCOME_UNMOUNTABLE
            && r->outcome != OUTCOME_WRONG_STATE)) {
        return;
    }
    const char *at_cut = recording_mounted(c->rec, r->legal_lo, r->legal_hi)->name;
    const char *tried = at_cut;
    for (uint32_t sp = r->legal_lo; sp-- > 0;) {
        const char *name = recording_mounted(c->rec, sp, sp)->name;
        if (strcmp(name, tried) == 0) {
            continue;                           /* The label just judged by. */
        }
        tried = name;
        struct state_result t;
        c->mount = name;
        int rc = checker_check(c, s, &t);
        c->mount = NULL;
        if (rc == 0 && !outcome_is_violation((enum outcome)t.outcome)) {
            *r = t;
            return;
        }
    }
}

int
checker_check(struct checker *c, const struct crash_state *s, struct state_result *r)
{
    uint64_t t0 = clock_now_ns();
    memset(r, 0, sizeof(*r));
    r->recovered = -1;
    c->err = 0;
    if (crash_view_set(&c->view, s) != 0) {
        return -1;
    }
    (void)fs_probes_take();                 /* Only this state's probes from here. */
    uint64_t lookups0 = 0, hits0 = 0;
    if (c->memo != NULL) {
        oracle_memo_counts(c->memo, &lookups0, &hits0);
    }
    recording_legal(c->rec, s->cut, &r->legal_lo, &r->legal_hi);
    struct fs *fs = NULL;
    uint64_t digest = 0;
    enum fault_verdict judged = fault_class_info(crash_fault_class_index(s))->verdict;
    if (first_mount(c, &fs, r, &digest, judged != FAULT_VERDICT_EXACT,
            judged == FAULT_VERDICT_FORGED)) {
        bool mutable = c->mount != NULL
            || recording_mounted(c->rec, r->legal_lo, r->legal_hi)->mutable;
        struct runner_dev rd = { &c->view.bdev,
            record_check_config(&c->rec->config, mount_label(c, r)), { 0 } };
        int err = record_post_workload(&fs, &rd, mutable, c->rec->level, NULL, NULL);
        c->err = err;
        if (c->recovered != NULL) {
            c->recovered(c->recovered_arg, fs);
        }
        if (err) {
            verdict(r, OUTCOME_POST_RECOVERY_FAILED, "post-recovery workload: %s%s%s",
                    fs_strerror(err), fs_broken(fs) ? ": " : "", fs_broken(fs) ? fs_broken(fs) : "");
        }
        tally_mount(fs, r);
        err = fs_unmount(fs);
        fs = NULL;
        if (r->outcome == OUTCOME_OK && err) {
            verdict(r, OUTCOME_POST_RECOVERY_FAILED, "unmount: %s", fs_strerror(err));
        }
        if (r->outcome == OUTCOME_OK) {
            second_mount(c, r, digest);
        }
    }
    if (fs != NULL) {
        tally_mount(fs, r);
        fs_unmount(fs);
    }
    if (r->outcome == OUTCOME_OK && r->leaked > 0) {
        r->outcome = OUTCOME_OK_LEAK;
    }
    if (judged != FAULT_VERDICT_EXACT) {
        media_verdict(c, r, judged == FAULT_VERDICT_FORGED);
        media_rollback_label(c, s, r);
    }
    r->probes = fs_probes_take();
    if (c->memo != NULL) {
        uint64_t lookups, hits;
        oracle_memo_counts(c->memo, &lookups, &hits);
        r->memo_lookups += (uint32_t)(lookups - lookups0);
        r->memo_hits += (uint32_t)(hits - hits0);
        r->hashed += (uint32_t)(lookups - lookups0 - (hits - hits0));
    }
    r->duration_ns = clock_now_ns() - t0;
    return 0;
}

int
checker_init(struct checker *c, const struct recording *rec)
{
    memset(c, 0, sizeof(*c));
    c->rec = rec;
    return crash_view_init(&c->view, &rec->dev.disk);
}

int
checker_memo(struct checker *c)
{
    if (c->memo == NULL) {
        c->memo = oracle_memo_new();
    }
    if (c->check_memo == NULL) {
        c->check_memo = fs_check_memo_new();
    }
    if (c->memo == NULL || c->check_memo == NULL) {
        oracle_memo_free(c->memo);
        fs_check_memo_free(c->check_memo);
        c->memo = NULL;
        c->check_memo = NULL;
        return FS_ENOMEM;
    }
    crash_view_memo(&c->view, true);
    return 0;
}

void
checker_deinit(struct checker *c)
{
    oracle_memo_free(c->memo);
    fs_check_memo_free(c->check_memo);
    crash_view_deinit(&c->view);
}
