/*
 * sim/pool.c: checker workers (see pool.h).
 */
#include "pool.h"

#include "gcov.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH_MAX 16u
#define TAIL_MAX 240u


struct worker {
    pid_t pid;                  /* 0 when the slot is empty. */
    int cmd;                    /* Parent writes batches here. */
    int res;                    /* Parent reads results here. */
    int err;                    /* Parent reads the worker's stderr here. */
    uint32_t batch[BATCH_MAX];  /* Indices sent and not yet answered. */
    uint32_t sent;              /* Entries sent. */
    uint32_t answered;          /* Entries answered. */
    char tail[TAIL_MAX];        /* Last line the worker printed. */
};

struct pool {
    const struct recording *rec;        /* What the states come from. */
    const struct crash_state *states;   /* All states. */
    size_t count;                       /* Entries. */
    uint32_t timeout_ms;                /* Per state. */
    uint32_t jobs;                      /* Worker slots. */
    struct worker w[POOL_JOBS_MAX];     /* The workers. */
    uint32_t *queue;                    /* Indices waiting, a FIFO ring. */
    size_t head, tail, cap;             /* Ring positions, capacity. */
    size_t outstanding;                 /* Queued or in a batch, not answered. */
};

static void
arm(uint32_t ms)
{
    struct itimerval t = { { 0, 0 }, { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 } };
    setitimer(ITIMER_REAL, &t, NULL);
}

static bool
read_all(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool
write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/*
 * Test hook: CRASHSIM_INJECT="ID:what" makes the worker misbehave on crash
 * state ID — "hang" (spin until the time limit), "segv" (a segfault), "abort"
 * (as an assertion does) — so tests can prove the campaign records such
 * states and finishes. It touches only the worker, never fs/.
 */
static void
inject(const struct crash_state *s)
{
    const char *spec = getenv("CRASHSIM_INJECT");
    char id[CRASH_ID_MAX];
    if (spec == NULL) {
        return;
    }
    crash_id_format(s, id, sizeof(id));
    size_t n = strlen(id);
    if (strncmp(spec, id, n) != 0 || spec[n] != ':') {
        return;
    }
    const char *what = spec + n + 1;
    if (strcmp(what, "hang") == 0) {
        for (volatile uint64_t i = 0;; i++) {
        }
    } else if (strcmp(what, "segv") == 0) {
        raise(SIGSEGV);
    } else if (strcmp(what, "abort") == 0) {
        fprintf(stderr, "injected assertion failure in state %s\n", id);
        abort();
    }
}

/* The worker: check what arrives until the command pipe closes. */
static _Noreturn void
worker_main(struct pool *p, uint32_t slot, int cmd, int res)
{
    struct checker c;
    if (checker_init(&c, p->rec) != 0) {
        _exit(3);
    }
    uint32_t n;
    while (read_all(cmd, &n, sizeof(n)) && n <= BATCH_MAX) {
        uint32_t idx[BATCH_MAX];
        if (!read_all(cmd, idx, n * sizeof(uint32_t))) {
            break;
        }
        for (uint32_t i = 0; i < n; i++) {
            struct pool_result out = { .index = idx[i], .worker = slot };
            arm(p->timeout_ms);
            inject(&p->states[idx[i]]);
            if (checker_check(&c, &p->states[idx[i]], &out.r) != 0) {
                out.r.outcome = OUTCOME_CHECK_FAILED;
                snprintf(out.r.reason, sizeof(out.r.reason), "state does not fit the recording");
            }
            arm(0);
            if (!write_all(res, &out, sizeof(out))) {
                _exit(4);
            }
        }
    }
    cov_dump();
    _exit(0);
}

static int
spawn(struct pool *p, uint32_t slot)
{
    int cmd[2], res[2], err[2];
    if (pipe(cmd) != 0 || pipe(res) != 0 || pipe(err) != 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
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
    close(cmd[0]);
    close(res[1]);
    close(err[1]);
    fcntl(err[0], F_SETFL, O_NONBLOCK);
    struct worker *w = &p->w[slot];
    memset(w, 0, sizeof(*w));
    *w = (struct worker){ .pid = pid, .cmd = cmd[1], .res = res[0], .err = err[0] };
    return 0;
}

int
pool_start(struct pool **out, const struct recording *rec, const struct crash_state *states,
        size_t count, uint32_t jobs, uint32_t timeout_ms)
{
    ASSERT(jobs >= 1 && jobs <= POOL_JOBS_MAX);
    struct pool *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return -1;
    }
    *p = (struct pool){ .rec = rec, .states = states, .count = count, .timeout_ms = timeout_ms,
        .jobs = jobs, .cap = count + 1 };
    p->queue = malloc(p->cap * sizeof(uint32_t));
    signal(SIGPIPE, SIG_IGN);
    for (uint32_t i = 0; i < jobs && p->queue != NULL; i++) {
        if (spawn(p, i) != 0) {
            pool_stop(p);
            return -1;
        }
    }
    if (p->queue == NULL) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void
pool_queue(struct pool *p, uint32_t index)
{
    ASSERT(index < p->count);
    ASSERT(p->outstanding < p->cap - 1);
    p->queue[p->tail] = index;
    p->tail = (p->tail + 1) % p->cap;
    p->outstanding++;
}

static void
dispatch(struct pool *p, struct worker *w)
{
    if (w->answered < w->sent || p->head == p->tail) {
        return;
    }
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
            p->head = (p->head + p->cap - 1) % p->cap;
            p->queue[p->head] = w->batch[i];
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

/* A worker died: blame its current state, requeue the rest, replace it. */
static int
reap(struct pool *p, uint32_t slot, struct pool_result *out)
{
    struct worker *w = &p->w[slot];
    int status = 0;
    drain_err(w);
    waitpid(w->pid, &status, 0);
    close(w->cmd);
    close(w->res);
    close(w->err);
    w->pid = 0;
    bool blamed = w->answered < w->sent;
    if (blamed) {
        memset(out, 0, sizeof(*out));
        out->index = w->batch[w->answered];
        out->worker = slot;
        out->r.recovered = -1;
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        out->r.outcome = sig == SIGABRT ? OUTCOME_ASSERT : sig == SIGALRM ? OUTCOME_TIMEOUT
            : OUTCOME_SIGNAL;
        snprintf(out->r.reason, sizeof(out->r.reason), "%.60s: %.130s",
                sig == SIGALRM ? "no answer within the time limit" : sig ? strsignal(sig)
                : "worker exited", w->tail[0] ? w->tail : "no message");
        for (uint32_t i = w->answered + 1; i < w->sent; i++) {
            p->queue[p->tail] = w->batch[i];
            p->tail = (p->tail + 1) % p->cap;
        }
        p->outstanding--;
    }
    if (spawn(p, slot) != 0) {
        return -1;
    }
    return blamed ? 0 : 2;
}

int
pool_next(struct pool *p, struct pool_result *out)
{
    while (p->outstanding > 0) {
        struct pollfd fds[2 * POOL_JOBS_MAX];
        for (uint32_t i = 0; i < p->jobs; i++) {
            dispatch(p, &p->w[i]);
            fds[2 * i] = (struct pollfd){ .fd = p->w[i].res, .events = POLLIN };
            fds[2 * i + 1] = (struct pollfd){ .fd = p->w[i].err, .events = POLLIN };
        }
        int ready = poll(fds, 2 * p->jobs, POOL_TICK_MS);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return ready == 0 ? 2 : -1;
        }
        for (uint32_t i = 0; i < p->jobs; i++) {
            struct worker *w = &p->w[i];
            if (fds[2 * i + 1].revents & POLLIN) {
                drain_err(w);
            }
            if ((fds[2 * i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            if (read_all(w->res, out, sizeof(*out))) {
                ASSERT(w->answered < w->sent && out->index == w->batch[w->answered]);
                w->answered++;
                p->outstanding--;
                return 0;
            }
            int rc = reap(p, i, out);
            if (rc != 2) {
                return rc;
            }
        }
    }
    return 1;
}

void
pool_stop(struct pool *p)
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
        waitpid(w->pid, &status, 0);
        close(w->res);
        close(w->err);
    }
    free(p->queue);
    free(p);
}
