/*
 * sim/check/workers.c: checker workers (see workers.h).
 *
 * Method. The parent keeps a FIFO ring of state indices and up to jobs
 * worker slots. A slot holds one forked worker, three pipes (commands in,
 * a doorbell out, the worker's stderr), the batch it was sent, and a page
 * shared with the worker (mapped before the first fork) where the worker
 * puts each result and then counts it (done_count, a release store). The
 * worker rings the doorbell once per batch, when the batch is done, so the
 * parent wakes once per batch rather than once per state; it also looks at
 * the shared counts at every tick. harvest() copies the results counted
 * since it last looked into the parent's ready ring, in batch order; the
 * next batch is sent only once the previous one is all harvested, so the
 * worker never overwrites a result the parent has not copied. End of file
 * on a doorbell pipe means the worker died: its counted results are
 * harvested, then reap() waits for it, asks death_cause() whose death it
 * was, and either returns a result for the state the worker was on (the
 * first uncounted entry of its batch) or puts that state back at the front
 * of the ring; the rest of the batch goes back at the end, unanswered and
 * uncharged.
 *
 * Invariants. outstanding counts the states queued, in some batch or in the
 * ready ring; each leaves it exactly once, when workers_next returns its
 * result. The ready ring holds at most jobs * BATCH_MAX results: it is
 * emptied before any slot is harvested again. tries[i] counts
 * the attempts of state i that were lost, by kind, and only grows: lost is at
 * most WORKERS_RETRIES_MAX + 1 and timed_out at most WORKERS_TIMEOUT_RETRIES_MAX + 1,
 * so every state is sent at most 1 + WORKERS_RETRIES_MAX + WORKERS_TIMEOUT_RETRIES_MAX
 * times and the campaign cannot loop. A slot's start_failures counts failed
 * starts in a row; it stops growing at WORKERS_START_FAILURES_MAX, where the slot
 * stays empty for good, so an unstartable worker cannot loop either.
 *
 * Ownership. The parent owns the rings, the tries and the slots; a worker owns
 * only its copy-on-write view of the recording, its ends of its pipes (it
 * closes every other slot's) and, while it checks a batch, its slot's shared
 * results. The test hook inject() acts in the worker
 * only, never in fs/.
 */
#include "workers.h"

#include "gcov.h"
#include "../clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MAX 16u
#define TAIL_MAX 240u
#define WORKER_EXIT_EARLY 0         /* Exit status: the command pipe closed mid-batch. */
#define WORKER_EXIT_SETUP 3         /* Exit status: checker_init failed. */
#define WORKER_EXIT_PIPE 4          /* Exit status: the result pipe broke. */
#define DEATH_EXITED 0x100u         /* In a death code: an exit status, not a signal. */
#define INJECT_SLEEP_S 2u           /* What the "sleep" hook waits, seconds. */

/*
 * Whose death it was. The checked code is deterministic: a death it causes
 * itself happens again on every attempt and is recorded at once. Our own
 * timer may fire on a loaded machine, so it earns one retry. Anything else
 * came from outside the file system and says nothing about it.
 */
enum death_cause {
    DEATH_ASSERT,               /* The checked code aborted: assert, at once. */
    DEATH_CRASH,                /* The checked code crashed: signal, at once. */
    DEATH_TIMEOUT,              /* Our per-state timer: one retry, then timeout. */
    DEATH_OUTSIDE,              /* Infrastructure: retries, then unchecked. */
    DEATH_NO_START,             /* The worker could not set up: the slot's failure. */
};

struct death_rule {
    bool signaled;              /* number is a signal (true) or an exit status. */
    int number;                 /* The signal or the exit status. */
    const char *name;           /* How a reason names it. */
    enum death_cause cause;     /* Whose death it is. */
};

/* The one table. A signal not in it came from outside; an exit status not in
 * it is the checked code's (a sanitizer prints its report and exits 1). */
static const struct death_rule death_rules[] = {
    { true, SIGABRT, "SIGABRT", DEATH_ASSERT },     /* ASSERT, abort(). */
    { true, SIGSEGV, "SIGSEGV", DEATH_CRASH },
    { true, SIGBUS, "SIGBUS", DEATH_CRASH },
    { true, SIGFPE, "SIGFPE", DEATH_CRASH },
    { true, SIGILL, "SIGILL", DEATH_CRASH },        /* __builtin_trap(). */
    { true, SIGTRAP, "SIGTRAP", DEATH_CRASH },
    { true, SIGSYS, "SIGSYS", DEATH_CRASH },
    { true, SIGALRM, "SIGALRM", DEATH_TIMEOUT },    /* arm(): the per-state timer. */
    { true, SIGKILL, "SIGKILL", DEATH_OUTSIDE },    /* kill -9, the OOM killer. */
    { true, SIGTERM, "SIGTERM", DEATH_OUTSIDE },
    { true, SIGINT, "SIGINT", DEATH_OUTSIDE },
    { true, SIGHUP, "SIGHUP", DEATH_OUTSIDE },
    { true, SIGQUIT, "SIGQUIT", DEATH_OUTSIDE },
    { true, SIGPIPE, "SIGPIPE", DEATH_OUTSIDE },
    { true, SIGUSR1, "SIGUSR1", DEATH_OUTSIDE },
    { true, SIGUSR2, "SIGUSR2", DEATH_OUTSIDE },
    { true, SIGXCPU, "SIGXCPU", DEATH_OUTSIDE },    /* A CPU-time limit (ulimit -t). */
    { true, SIGXFSZ, "SIGXFSZ", DEATH_OUTSIDE },
    { false, WORKER_EXIT_EARLY, "exited early (status 0)", DEATH_OUTSIDE },
    { false, WORKER_EXIT_SETUP, "could not set up (status 3)", DEATH_NO_START },
    { false, WORKER_EXIT_PIPE, "lost its result pipe (status 4)", DEATH_OUTSIDE },
};
#define DEATH_RULE_COUNT (sizeof(death_rules) / sizeof(death_rules[0]))

/* A slot's page shared with its worker: the results of the current batch. */
struct worker_shared {
    uint32_t done_count;        /* Entries of out filled; the worker stores it (release)
                                 * after each, the parent resets it before a batch. */
    struct worker_result out[BATCH_MAX];    /* Results, in batch order. */
};

struct worker {
    pid_t pid;                  /* 0 when the slot is empty. */
    int cmd;                    /* Parent writes batches here; -1 when empty. */
    int res;                    /* Parent reads the batch-done doorbell here; -1 when empty. */
    int err;                    /* Parent reads the worker's stderr here; -1 when empty. */
    uint32_t batch[BATCH_MAX];  /* Indices sent and not yet answered. */
    uint32_t sent;              /* Entries sent. */
    uint32_t answered;          /* Entries harvested (or handed back when it died). */
    bool idle;                  /* It rang the doorbell of its last batch (or had none):
                                 * it waits for a command, and its results are all out. */
    uint32_t start_failures;    /* Failed starts in a row; WORKERS_START_FAILURES_MAX: given up. */
    uint64_t start_at_ns;       /* An empty slot is started again from then on. */
    char tail[TAIL_MAX];        /* Last line the worker printed. */
};

/* What became of a state's attempts so far. */
struct tries {
    uint8_t lost;                           /* Attempts lost to deaths from outside. */
    uint8_t timed_out;                      /* Attempts that ran out of time. */
    uint16_t death[WORKERS_RETRIES_MAX + 1];   /* death_code() of each lost attempt. */
};

struct workers {
    const struct recording *rec;        /* What the states come from. */
    const struct crash_state *states;   /* All states (NULL with items). */
    const struct nest_item *items;      /* Or nested states (NULL with states). */
    size_t count;                       /* Entries. */
    uint32_t timeout_ms;                /* Per state. */
    bool memo;                          /* Workers check memoized (checker_memo). */
    uint32_t jobs;                      /* Worker slots. */
    struct worker w[WORKERS_JOBS_MAX];     /* The workers. */
    struct tries *tries;                /* Per state: count entries. */
    uint32_t *queue;                    /* Indices waiting, a ring: retries at the head. */
    size_t head, tail, cap;             /* Ring positions, capacity. */
    size_t outstanding;                 /* Queued, in a batch or ready, not returned. */
    struct worker_shared *shared;       /* Per slot: results (jobs entries, MAP_SHARED). */
    struct worker_result *ready;        /* Harvested, not yet returned: a ring of
                                           jobs * BATCH_MAX entries. */
    size_t ready_head, ready_count;     /* Ring position, entries. */
};

static void
arm(uint32_t ms)
{
    struct itimerval t = { { 0, 0 }, { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &t, NULL);
}

/* Moves all n bytes through a pipe: reads into in, or (in NULL) writes out;
 * false when the other end is gone. */
static bool
pipe_all(int fd, uint8_t *in, const uint8_t *out, size_t n)
{
    ASSERT((in == NULL) != (out == NULL));
    size_t done = 0;
    while (done < n) {
        ssize_t r = in != NULL ? read(fd, in + done, n - done) : write(fd, out + done, n - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        done += (size_t)r;
    }
    return true;
}

static bool
read_all(int fd, void *buf, size_t n)
{
    return pipe_all(fd, buf, NULL, n);
}

static bool
write_all(int fd, const void *buf, size_t n)
{
    return pipe_all(fd, NULL, buf, n);
}

/* A worker's wait status as a death code: the signal, or DEATH_EXITED | status. */
static uint16_t
death_code(int status)
{
    if (WIFSIGNALED(status)) {
        ASSERT(WTERMSIG(status) > 0 && WTERMSIG(status) < (int)DEATH_EXITED);
        return (uint16_t)WTERMSIG(status);
    }
    ASSERT(WIFEXITED(status));                  /* waitpid without WUNTRACED. */
    return (uint16_t)(DEATH_EXITED | (uint32_t)WEXITSTATUS(status));
}

static const struct death_rule *
death_rule(uint16_t code)
{
    bool signaled = (code & DEATH_EXITED) == 0;
    int number = (int)(code & ~DEATH_EXITED);
    for (uint32_t i = 0; i < DEATH_RULE_COUNT; i++) {
        if (death_rules[i].signaled == signaled && death_rules[i].number == number) {
            return &death_rules[i];
        }
    }
    return NULL;
}

/* The classification: whose death a death code is. */
static enum death_cause
death_cause(uint16_t code)
{
    const struct death_rule *r = death_rule(code);
    if (r != NULL) {
        return r->cause;
    }
    return (code & DEATH_EXITED) != 0 ? DEATH_CRASH : DEATH_OUTSIDE;
}

/* "killed by SIGKILL", "killed by signal 40", "exited early (status 0)". */
static void
death_name(uint16_t code, char *buf, size_t size)
{
    const struct death_rule *r = death_rule(code);
    if (r != NULL && r->signaled) {
        snprintf(buf, size, "killed by %s", r->name);
    } else if (r != NULL) {
        snprintf(buf, size, "%s", r->name);
    } else if ((code & DEATH_EXITED) != 0) {
        snprintf(buf, size, "exited with status %u", code & ~DEATH_EXITED);
    } else {
        snprintf(buf, size, "killed by signal %u", code);
    }
}

/*
 * Test hook: CRASHSIM_INJECT="ID:what" makes the worker misbehave on crash
 * state ID, so tests can prove the campaign records such states and
 * finishes: "hang" (spin until the time limit), "segv" (a segfault), "abort"
 * (as an assertion does), "kill" (the worker sends itself SIGKILL on every
 * attempt, as an OOM killer that strikes again would), "sleep" (wait
 * INJECT_SLEEP_S seconds before the timer is armed, then check normally: time
 * for a test to kill the worker from outside). It touches only the worker,
 * never fs/.
 */
enum inject {
    INJECT_NONE,                /* No hook for this state. */
    INJECT_HANG,                /* Spin. */
    INJECT_SEGV,                /* Raise SIGSEGV. */
    INJECT_ABORT,               /* Print a line, abort(). */
    INJECT_KILL,                /* Raise SIGKILL. */
    INJECT_SLEEP,               /* Sleep, then check. */
};

static const char *const inject_names[] = { "", "hang", "segv", "abort", "kill", "sleep" };

static enum inject
inject_for(const char *id)
{
    const char *spec = getenv("CRASHSIM_INJECT");
    if (spec == NULL) {
        return INJECT_NONE;
    }
    size_t n = strlen(id);
    if (strncmp(spec, id, n) != 0 || spec[n] != ':') {
        return INJECT_NONE;
    }
    for (uint32_t i = INJECT_HANG; i <= INJECT_SLEEP; i++) {
        if (strcmp(spec + n + 1, inject_names[i]) == 0) {
            return (enum inject)i;
        }
    }
    return INJECT_NONE;
}

/* Fires the hooks that act while the timer runs. */
static void
inject_fire(enum inject hook, const char *id)
{
    if (hook == INJECT_HANG) {
        for (volatile uint64_t i = 0;; i++) {
        }
    } else if (hook == INJECT_SEGV) {
        raise(SIGSEGV);
    } else if (hook == INJECT_ABORT) {
        fprintf(stderr, "injected assertion failure in state %s\n", id);
        abort();
    } else if (hook == INJECT_KILL) {
        raise(SIGKILL);
    }
}

/* Checks item index (a state, or a nested item) into out. */
static void
worker_check(struct workers *p, struct nest *n, uint32_t index, struct worker_result *out)
{
    static const struct nest_link none[1];
    const struct nest_item *it = p->items != NULL ? &p->items[index] : NULL;
    const struct crash_state *s = it != NULL ? &it->state : &p->states[index];
    uint32_t depth = it != NULL ? it->depth : 0;
    char id[NEST_ID_MAX], err[160];
    nest_id_format(it != NULL ? it->chain : none, depth, s, id, sizeof(id));
    enum inject hook = inject_for(id);
    for (unsigned left = INJECT_SLEEP_S; hook == INJECT_SLEEP && left > 0;) {
        left = sleep(left);                     /* Before the timer: not a timeout. */
    }
    arm(p->timeout_ms);
    inject_fire(hook, id);
    struct checker *c = nest_level(n, it != NULL ? it->chain : none, depth, err, sizeof(err));
    if (c == NULL) {
        out->r.outcome = OUTCOME_UNCHECKED;     /* No verdict on the state: memory ran out. */
        snprintf(out->r.reason, sizeof(out->r.reason), "its nested recording: %s", err);
    } else if (checker_check(c, s, &out->r) != 0) {
        out->r.outcome = OUTCOME_CHECK_FAILED;
        snprintf(out->r.reason, sizeof(out->r.reason), "state does not fit the recording");
    }
    arm(0);
}

/* The worker: check what arrives until the command pipe closes. */
static _Noreturn void
worker_main(struct workers *p, uint32_t slot, int cmd, int res)
{
    struct worker_shared *sh = &p->shared[slot];
    static struct nest n;
    if (nest_init(&n, p->rec, p->memo) != 0) {
        fprintf(stderr, "checker_init failed\n");
        _exit(WORKER_EXIT_SETUP);
    }
    uint32_t count;
    while (read_all(cmd, &count, sizeof(count)) && count <= BATCH_MAX) {
        uint32_t idx[BATCH_MAX];
        if (!read_all(cmd, idx, count * sizeof(uint32_t))) {
            break;
        }
        for (uint32_t i = 0; i < count; i++) {
            struct worker_result out = { .index = idx[i], .worker = slot };
            worker_check(p, &n, idx[i], &out);
            sh->out[i] = out;
            __atomic_store_n(&sh->done_count, i + 1, __ATOMIC_RELEASE);
        }
        if (!write_all(res, &count, sizeof(count))) {   /* The doorbell: the batch is done. */
            _exit(WORKER_EXIT_PIPE);
        }
    }
    cov_dump();
    _exit(WORKER_EXIT_EARLY);
}

/* In the child: keep only this slot's ends of its pipes, then work. */
static _Noreturn void
worker_enter(struct workers *p, uint32_t slot, const int cmd[2], const int res[2], const int err[2])
{
    close(cmd[1]);
    close(res[0]);
    close(err[0]);
    dup2(err[1], STDERR_FILENO);
    for (uint32_t i = 0; i < p->jobs; i++) {
        if (i != slot && p->w[i].pid != 0) {     /* Other workers' pipes are not ours. */
            close(p->w[i].cmd);
            close(p->w[i].res);
            close(p->w[i].err);
        }
    }
    worker_main(p, slot, cmd[0], res[1]);
}

static void
close_fds(int *fds, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

/* A start of slot failed: it is tried again a tick later, or given up. */
static void
slot_failed(struct workers *p, uint32_t slot, const char *why)
{
    struct worker *w = &p->w[slot];
    ASSERT(w->pid == 0);
    ASSERT(w->start_failures < WORKERS_START_FAILURES_MAX);
    w->start_failures++;
    w->start_at_ns = clock_now_ns() + WORKERS_TICK_MS * 1000000ull;
    if (w->start_failures == WORKERS_START_FAILURES_MAX) {
        fprintf(stderr, "crashsim: worker slot %u: %s, %u times in a row; going on without it\n",
                slot, why, w->start_failures);
    }
}

/* Starts a worker in the empty slot; on failure the slot stays empty. */
static void
spawn(struct workers *p, uint32_t slot)
{
    struct worker *w = &p->w[slot];
    ASSERT(w->pid == 0);
    ASSERT(w->cmd < 0 && w->res < 0 && w->err < 0);
    int fds[6] = { -1, -1, -1, -1, -1, -1 };    /* cmd, res, err: read end, write end. */
    pid_t pid = -1;
    p->shared[slot].done_count = 0;             /* Not the results of a worker that died. */
    if (pipe(&fds[0]) == 0 && pipe(&fds[2]) == 0 && pipe(&fds[4]) == 0) {
        fflush(NULL);
        pid = fork();
    }
    if (pid == 0) {
        worker_enter(p, slot, &fds[0], &fds[2], &fds[4]);
    }
    if (pid < 0) {
        char why[96];
        snprintf(why, sizeof(why), "cannot start a worker: %s", strerror(errno));
        close_fds(fds, 6);
        slot_failed(p, slot, why);
        return;
    }
    close(fds[0]);
    close(fds[3]);
    close(fds[5]);
    fcntl(fds[4], F_SETFL, O_NONBLOCK);
    *w = (struct worker){ .pid = pid, .cmd = fds[1], .res = fds[2], .err = fds[4],
        .idle = true, .start_failures = w->start_failures };
}

/* Starts the empty slots that are due; returns the slots that are running
 * or will be started again (0: no worker can be started). */
static uint32_t
refill(struct workers *p)
{
    uint32_t alive = 0;
    uint64_t t = clock_now_ns();
    for (uint32_t i = 0; i < p->jobs; i++) {
        struct worker *w = &p->w[i];
        if (w->pid == 0 && w->start_failures < WORKERS_START_FAILURES_MAX && t >= w->start_at_ns) {
            spawn(p, i);
        }
        alive += w->pid != 0 || w->start_failures < WORKERS_START_FAILURES_MAX;
    }
    return alive;
}

static int
start(struct workers **out, const struct recording *rec, const struct crash_state *states,
        const struct nest_item *items, size_t count, uint32_t jobs, uint32_t timeout_ms, bool memo)
{
    ASSERT(jobs >= 1 && jobs <= WORKERS_JOBS_MAX);
    ASSERT(count < UINT32_MAX);
    struct workers *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return -1;
    }
    *p = (struct workers){ .rec = rec, .states = states, .items = items, .count = count,
        .timeout_ms = timeout_ms,
        .memo = memo, .jobs = jobs, .cap = count + 1 };
    p->queue = malloc(p->cap * sizeof(uint32_t));
    p->tries = calloc(count + 1, sizeof(struct tries));
    p->ready = malloc((size_t)jobs * BATCH_MAX * sizeof(struct worker_result));
    void *shared = mmap(NULL, jobs * sizeof(struct worker_shared), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    p->shared = shared != MAP_FAILED ? shared : NULL;
    for (uint32_t i = 0; i < jobs; i++) {
        p->w[i] = (struct worker){ .cmd = -1, .res = -1, .err = -1 };
    }
    signal(SIGPIPE, SIG_IGN);
    uint32_t started = 0;
    bool ready = p->queue != NULL && p->tries != NULL && p->ready != NULL && p->shared != NULL;
    for (uint32_t i = 0; i < jobs && ready; i++) {
        spawn(p, i);
        started += p->w[i].pid != 0;
    }
    if (started == 0) {
        workers_stop(p);
        return -1;
    }
    *out = p;
    return 0;
}

int
workers_start(struct workers **out, const struct recording *rec, const struct crash_state *states,
        size_t count, uint32_t jobs, uint32_t timeout_ms, bool memo)
{
    return start(out, rec, states, NULL, count, jobs, timeout_ms, memo);
}

int
workers_start_nested(struct workers **out, const struct recording *rec,
        const struct nest_item *items, size_t count, uint32_t jobs, uint32_t timeout_ms, bool memo)
{
    return start(out, rec, NULL, items, count, jobs, timeout_ms, memo);
}

void
workers_queue(struct workers *p, uint32_t index)
{
    ASSERT(index < p->count);
    ASSERT(p->outstanding < p->cap - 1);
    p->queue[p->tail] = index;
    p->tail = (p->tail + 1) % p->cap;
    p->outstanding++;
}

/* Puts a state that is still outstanding back at the head: it goes next. */
static void
queue_front(struct workers *p, uint32_t index)
{
    ASSERT(index < p->count);
    ASSERT((p->tail + p->cap - p->head) % p->cap < p->cap - 1);     /* Not full. */
    p->head = (p->head + p->cap - 1) % p->cap;
    p->queue[p->head] = index;
}

/* Puts a state that is still outstanding back at the tail. */
static void
queue_back(struct workers *p, uint32_t index)
{
    ASSERT(index < p->count);
    ASSERT((p->tail + p->cap - p->head) % p->cap < p->cap - 1);     /* Not full. */
    p->queue[p->tail] = index;
    p->tail = (p->tail + 1) % p->cap;
}

static void
dispatch(struct workers *p, uint32_t slot)
{
    struct worker *w = &p->w[slot];
    if (w->pid == 0 || !w->idle || p->head == p->tail) {
        return;
    }
    ASSERT(w->answered == w->sent);
    p->shared[slot].done_count = 0;         /* The worker waits for the command. */
    w->idle = false;
    uint32_t n = 0;
    while (n < BATCH_MAX && p->head != p->tail) {
        w->batch[n++] = p->queue[p->head];
        p->head = (p->head + 1) % p->cap;
    }
    w->sent = n;
    w->answered = 0;
    if (!write_all(w->cmd, &n, sizeof(n)) || !write_all(w->cmd, w->batch, n * sizeof(uint32_t))) {
        /* The worker is gone: hand the batch back; the reaper will find it
         * dead with nothing unanswered and replace it. */
        for (uint32_t i = n; i-- > 0;) {
            queue_front(p, w->batch[i]);
        }
        w->sent = w->answered = 0;
    }
}

/* Keeps the last line the worker wrote to stderr. */
static void
drain_err(struct worker *w)
{
    char buf[1024];
    ssize_t n;
    while ((n = read(w->err, buf, sizeof(buf) - 1)) > 0) {
        buf[n] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL && nl[1] != '\0') {
            line = nl + 1;
        }
        if ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
        }
        if (line[0] != '\0') {
            snprintf(w->tail, sizeof(w->tail), "%.200s", line);
        }
    }
}

/* The reason of an unchecked state: how each of its attempts died. */
static void
unchecked_reason(const struct tries *t, char *buf, size_t size)
{
    ASSERT(t->lost == WORKERS_RETRIES_MAX + 1);
    bool same = true;
    for (uint32_t i = 1; i < t->lost; i++) {
        same = same && t->death[i] == t->death[0];
    }
    char name[64];
    death_name(t->death[0], name, sizeof(name));
    if (same) {
        snprintf(buf, size, "not checked: its worker %s%s on %u attempts (from outside the "
                "file system%s)", (t->death[0] & DEATH_EXITED) == 0 ? "was " : "", name, t->lost,
                t->death[0] == SIGKILL ? ": the OOM killer?" : "");
        return;
    }
    size_t n = (size_t)snprintf(buf, size, "not checked: its worker died on %u attempts, from "
            "outside the file system: %s", t->lost, name);
    for (uint32_t i = 1; i < t->lost && n < size; i++) {
        death_name(t->death[i], name, sizeof(name));
        n += (size_t)snprintf(buf + n, size - n, "; %s", name);
    }
}

/* Fills *out with the outcome of a state whose worker died of code; the
 * worker printed tail last. */
static void
death_verdict(const struct tries *t, uint16_t code, const char *tail, struct worker_result *out)
{
    enum death_cause cause = death_cause(code);
    const char *msg = tail[0] != '\0' ? tail : "no message";
    out->r.recovered = -1;
    if (cause == DEATH_OUTSIDE) {
        out->r.outcome = OUTCOME_UNCHECKED;
        unchecked_reason(t, out->r.reason, sizeof(out->r.reason));
    } else if (cause == DEATH_TIMEOUT) {
        out->r.outcome = OUTCOME_TIMEOUT;
        snprintf(out->r.reason, sizeof(out->r.reason), "no answer within the time limit on %u "
                "attempts: %.130s", t->timed_out, msg);
    } else if ((code & DEATH_EXITED) != 0) {
        out->r.outcome = OUTCOME_SIGNAL;
        snprintf(out->r.reason, sizeof(out->r.reason), "worker exited with status %u: %.130s",
                code & ~DEATH_EXITED, msg);
    } else {
        out->r.outcome = cause == DEATH_ASSERT ? OUTCOME_ASSERT : OUTCOME_SIGNAL;
        snprintf(out->r.reason, sizeof(out->r.reason), "%.60s: %.130s", strsignal(code), msg);
    }
}

/* State index's worker (slot) died of code: returns true with *out filled
 * if that settles the state, false if it went back to the queue's front. */
static bool
judge(struct workers *p, uint32_t slot, uint32_t index, uint16_t code, struct worker_result *out)
{
    struct tries *t = &p->tries[index];
    enum death_cause cause = death_cause(code);
    uint32_t counted = 0;                       /* This attempt is in t's counts. */
    if (cause == DEATH_NO_START) {
        queue_front(p, index);                  /* It never began: not charged. */
        return false;
    }
    if (cause == DEATH_OUTSIDE) {
        ASSERT(t->lost <= WORKERS_RETRIES_MAX);
        t->death[t->lost++] = code;
        counted = 1;
        if (t->lost <= WORKERS_RETRIES_MAX) {
            queue_front(p, index);
            return false;
        }
    } else if (cause == DEATH_TIMEOUT) {
        ASSERT(t->timed_out <= WORKERS_TIMEOUT_RETRIES_MAX);
        t->timed_out++;
        counted = 1;
        if (t->timed_out <= WORKERS_TIMEOUT_RETRIES_MAX) {
            queue_front(p, index);
            return false;
        }
    }
    memset(out, 0, sizeof(*out));
    out->index = index;
    out->worker = slot;
    out->retries = t->lost + t->timed_out - counted;
    death_verdict(t, code, p->w[slot].tail, out);
    return true;
}

/* A worker died: judge its current state, requeue the rest of its batch,
 * empty the slot (refill starts it again). Returns true with *out filled if
 * a state was settled. */
static bool
reap(struct workers *p, uint32_t slot, struct worker_result *out)
{
    struct worker *w = &p->w[slot];
    int status = 0;
    drain_err(w);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_fds(&w->cmd, 1);
    close_fds(&w->res, 1);
    close_fds(&w->err, 1);
    w->pid = 0;
    uint16_t code = death_code(status);
    bool settled = false;
    if (w->answered < w->sent) {
        for (uint32_t i = w->answered + 1; i < w->sent; i++) {
            queue_back(p, w->batch[i]);
        }
        settled = judge(p, slot, w->batch[w->answered], code, out);
        p->outstanding -= settled;
    }
    w->sent = w->answered = 0;
    if (death_cause(code) == DEATH_NO_START) {
        char why[TAIL_MAX + 32];
        snprintf(why, sizeof(why), "its worker could not set up (%s)",
                w->tail[0] != '\0' ? w->tail : "no message");
        slot_failed(p, slot, why);
    }
    return settled;
}

/* Copies the results slot's worker counted since the last look into the
 * ready ring. */
static void
harvest(struct workers *p, uint32_t slot)
{
    struct worker *w = &p->w[slot];
    const struct worker_shared *sh = &p->shared[slot];
    uint32_t done = __atomic_load_n(&sh->done_count, __ATOMIC_ACQUIRE);
    ASSERT(done <= w->sent);
    size_t cap = (size_t)p->jobs * BATCH_MAX;
    for (; w->answered < done; w->answered++) {
        const struct worker_result *r = &sh->out[w->answered];
        ASSERT(r->index == w->batch[w->answered]);
        ASSERT(p->ready_count < cap);
        p->ready[(p->ready_head + p->ready_count) % cap] = *r;
        p->ready_count++;
        w->start_failures = 0;
    }
}

/* Returns the oldest ready result, if any. */
static bool
ready_take(struct workers *p, struct worker_result *out)
{
    if (p->ready_count == 0) {
        return false;
    }
    ASSERT(p->outstanding >= p->ready_count);
    *out = p->ready[p->ready_head];
    p->ready_head = (p->ready_head + 1) % ((size_t)p->jobs * BATCH_MAX);
    p->ready_count--;
    p->outstanding--;
    out->retries = (uint32_t)p->tries[out->index].lost + p->tries[out->index].timed_out;
    return true;
}

int
workers_next(struct workers *p, struct worker_result *out)
{
    while (p->outstanding > 0) {
        if (ready_take(p, out)) {
            return 0;
        }
        if (refill(p) == 0) {
            fprintf(stderr, "crashsim: no checker worker can be started\n");
            return -1;
        }
        struct pollfd fds[2 * WORKERS_JOBS_MAX];
        for (uint32_t i = 0; i < p->jobs; i++) {
            dispatch(p, i);
            fds[2 * i] = (struct pollfd){ .fd = p->w[i].res, .events = POLLIN };
            fds[2 * i + 1] = (struct pollfd){ .fd = p->w[i].err, .events = POLLIN };
        }
        int ready = poll(fds, 2 * p->jobs, WORKERS_TICK_MS);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            for (uint32_t i = 0; i < p->jobs && ready == 0; i++) {
                if (p->w[i].pid != 0) {
                    harvest(p, i);              /* A long batch reports as it goes. */
                }
            }
            return ready == 0 ? 2 : -1;
        }
        for (uint32_t i = 0; i < p->jobs; i++) {
            struct worker *w = &p->w[i];
            if (w->pid == 0) {
                continue;
            }
            if (fds[2 * i + 1].revents & POLLIN) {
                drain_err(w);
            }
            if ((fds[2 * i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            uint32_t n;
            bool rang = read_all(w->res, &n, sizeof(n));
            harvest(p, i);                      /* Its results, before a death is judged. */
            if (rang) {
                ASSERT(!w->idle);
                ASSERT(n == w->sent && w->answered == w->sent);
                w->idle = true;
                dispatch(p, i);                 /* Its next batch, while the caller stores. */
                continue;
            }
            if (reap(p, i, out)) {
                return 0;
            }
        }
    }
    return 1;
}

void
workers_stop(struct workers *p)
{
    if (p == NULL) {
        return;
    }
    for (uint32_t i = 0; i < p->jobs; i++) {
        struct worker *w = &p->w[i];
        if (w->pid == 0) {
            continue;
        }
        close(w->cmd);
        int status;
        while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
        }
        close(w->res);
        close(w->err);
    }
    if (p->shared != NULL) {
        munmap(p->shared, p->jobs * sizeof(struct worker_shared));
    }
    free(p->ready);
    free(p->tries);
    free(p->queue);
    free(p);
}
