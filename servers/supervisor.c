/* supervisor — see supervisor.h. */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn.h"
#include "events.h"
#include "json.h"
#include "loop.h"

/* A connection a worker announced and has not written the event of. */
struct inflight {
	uint64_t id;
	int live; /* 0: its event came; dropped at the next compaction */
	int64_t start_ms;
	char channel[16];
	char peer[64];
};

struct slot {
	struct listener *lis;
	pid_t pid;     /* 0: not running */
	int chan;      /* our end of the worker's socket; -1: none */
	int64_t started_ms;
	int64_t starts[RESTART_BURST]; /* ring of start times, for the rate bound */
	int n_starts;
	int64_t restart_at; /* 0: no restart pending */
	/* In-flight connections, sorted by id (a worker's ids only grow). */
	struct inflight *fl;
	size_t fl_n, fl_cap, fl_live;
};

static struct slot slots[SCN_MAX];
static int n_slots;
static int epfd = -1, sigfd = -1;
static uint64_t next_start = 1;	 /* worker start number: ids k * WORKER_ID_SPAN + n */
static uint64_t own_ids;	 /* the supervisor's own event ids */
static int stopping, failures;
static int64_t stop_deadline;
static const struct serve_opts *opts;
static pid_t supervisor_pid;

/* ---- in-flight connections ------------------------------------------------ */

static void fl_add(struct slot *sl, const struct evmsg *m)
{
	if (sl->fl_n == sl->fl_cap) {
		/* Compact before growing: removed entries leave holes. */
		size_t k = 0;
		for (size_t i = 0; i < sl->fl_n; i++)
			if (sl->fl[i].live)
				sl->fl[k++] = sl->fl[i];
		sl->fl_n = k;
		if (sl->fl_n == sl->fl_cap || sl->fl_n * 2 > sl->fl_cap) {
			size_t cap = sl->fl_cap ? sl->fl_cap * 2 : 64;
			struct inflight *p = realloc(sl->fl, cap * sizeof(*p));
			if (!p)
				return; /* only the crash report would miss it */
			sl->fl = p;
			sl->fl_cap = cap;
		}
	}
	struct inflight *f = &sl->fl[sl->fl_n++];
	f->id = m->id;
	f->live = 1;
	f->start_ms = m->start_ms;
	memcpy(f->channel, m->channel, sizeof(f->channel));
	memcpy(f->peer, m->peer, sizeof(f->peer));
	f->channel[sizeof(f->channel) - 1] = f->peer[sizeof(f->peer) - 1] = '\0';
	sl->fl_live++;
}

static void fl_remove(struct slot *sl, uint64_t id)
{
	size_t lo = 0, hi = sl->fl_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sl->fl[mid].id == id) {
			if (sl->fl[mid].live) {
				sl->fl[mid].live = 0;
				sl->fl_live--;
			}
			return;
		}
		if (sl->fl[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
}

/* ---- messages from workers --------------------------------------------------- */

/* Read what the worker sent; at most `budget` messages (0: all there is). */
static void drain(struct slot *sl, int budget)
{
	static char buf[EVMSG_MAX + 2];
	for (int n = 0; sl->chan >= 0 && (!budget || n < budget); n++) {
		ssize_t r = recv(sl->chan, buf, EVMSG_MAX, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			/* EOF: the worker's end is closed; it is exiting. */
			epoll_ctl(epfd, EPOLL_CTL_DEL, sl->chan, NULL);
			close(sl->chan);
			sl->chan = -1;
			return;
		}
		if ((size_t)r < sizeof(struct evmsg))
			continue;
		struct evmsg m;
		memcpy(&m, buf, sizeof(m));
		if (m.type == EVMSG_OPEN) {
			fl_add(sl, &m);
		} else if (m.type == EVMSG_EVENT) {
			fl_remove(sl, m.id);
			char *line = buf + sizeof(m);
			size_t len = (size_t)r - sizeof(m);
			line[len++] = '\n';
			events_write_line(line, len);
		}
	}
}

/* ---- manifest and table ------------------------------------------------------- */

static int write_manifest(void)
{
	char tmp[4096];
	static char buf[65536];
	struct json j;
	json_init(&j, buf, sizeof(buf));
	json_obj_open(&j);
	for (int i = 0; i < n_slots; i++) {
		const struct listener *l = slots[i].lis;
		json_key(&j, l->cfg->s->name);
		json_obj_open(&j);
		json_kstr(&j, "host", opts->bind);
		json_kint(&j, "port", l->port);
		json_kstr(&j, "protocol", scenario_protocol_name(l->cfg->s->protocol));
		json_kint(&j, "pid", slots[i].pid);
		json_obj_close(&j);
	}
	json_obj_close(&j);
	snprintf(tmp, sizeof(tmp), "%s.tmp", opts->manifest);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	int bad = j.truncated || fprintf(f, "%s\n", buf) < 0;
	if (fclose(f) != 0 || bad)
		return -1;
	/* rename: a reader never sees a half-written manifest. */
	return rename(tmp, opts->manifest);
}

static void print_table(void)
{
	printf("%-32s %-6s %s\n", "SCENARIO", "PORT", "SUMMARY");
	for (int i = 0; i < n_slots; i++) {
		const struct listener *l = slots[i].lis;
		printf("%-32s %-6d %s\n", l->cfg->s->name, l->port, l->cfg->s->summary);
	}
	fflush(stdout);
}

/* ---- workers ------------------------------------------------------------------ */

static void worker_main(int idx, int chan, uint64_t first_id)
{
	/* Its own process group: a terminal's ^C reaches the supervisor only,
	 * which stops the workers in order. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != supervisor_pid)
		_exit(1); /* the supervisor is already gone */
	close(epfd);
	close(sigfd);
	events_close();
	for (int i = 0; i < n_slots; i++) {
		if (i == idx)
			continue;
		if (slots[i].chan >= 0)
			close(slots[i].chan);
		server_listener_free(slots[i].lis);
		slots[i].lis = NULL;
		free(slots[i].fl);
		slots[i].fl = NULL;
	}
	/* SIGINT/SIGTERM stay blocked: loop_init() takes them by signalfd. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	events_use_channel(chan);
	int status = server_worker(slots[idx].lis, first_id);
	server_listener_free(slots[idx].lis);
	free(slots[idx].fl);
	exit(status);
}

static int start_worker(int idx)
{
	struct slot *sl = &slots[idx];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		fprintf(stderr, "tlsfault: %s: socketpair: %s\n", sl->lis->cfg->s->name, strerror(errno));
		return -1;
	}
	/* Room for bursts (shutdown writes every open connection's event). */
	int sz = 1 << 20;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	uint64_t first_id = next_start++ * WORKER_ID_SPAN;
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tlsfault: %s: fork: %s\n", sl->lis->cfg->s->name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(idx, sv[1], first_id);
	}
	close(sv[1]);
	sl->pid = pid;
	sl->chan = sv[0];
	sl->started_ms = loop_now_ms();
	sl->starts[sl->n_starts++ % RESTART_BURST] = sl->started_ms;
	sl->restart_at = 0;
	sl->fl_n = sl->fl_live = 0;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)idx + 1};
	epoll_ctl(epfd, EPOLL_CTL_ADD, sl->chan, &ev);
	return 0;
}

static void how_it_ended(int status, char *buf, size_t cap, const char **signame, int *code)
{
	*signame = NULL;
	*code = -1;
	if (WIFSIGNALED(status)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(status));
		static char name[32];
		snprintf(name, sizeof(name), "SIG%s", abbrev ? abbrev : "?");
		*signame = name;
		snprintf(buf, cap, "killed by signal %d (%s)", WTERMSIG(status), name);
	} else {
		*code = WEXITSTATUS(status);
		snprintf(buf, cap, "exited with status %d", *code);
	}
}

/* A fixture_error event up to its "fixture_error" object, left open: the
 * caller adds the cause, closes both objects and writes the line. */
static void open_fixture_error(struct json *j, uint64_t id, const char *scenario,
			       const char *channel, const char *peer, int64_t duration_ms,
			       const char *err)
{
	static char buf[EVENT_LINE_MAX + 1];
	json_init(j, buf, EVENT_LINE_MAX);
	json_obj_open(j);
	json_kint(j, "id", (long long)id);
	json_kstr(j, "scenario", scenario);
	json_kstr(j, "channel", channel);
	json_kstr(j, "peer", peer);
	json_kint(j, "duration_ms", duration_ms);
	json_kstr(j, "closed_by", "server");
	json_kstr(j, "error", err);
	json_key(j, "fixture_error");
	json_obj_open(j);
}

static void put_cause(struct json *j, const char *kind, pid_t pid, const char *signame, int code)
{
	json_kstr(j, "kind", kind);
	json_kint(j, "worker_pid", pid);
	json_kstr(j, "signal", signame);
	json_key(j, "exit_status");
	if (code >= 0)
		json_int(j, code);
	else
		json_null(j);
}

static void write_line(struct json *j)
{
	if (j->truncated)
		return;
	j->buf[j->len++] = '\n';
	events_write_line(j->buf, j->len);
}

/* A worker is gone: what it had in flight is a fixture error, and so is
 * the worker itself (unless it exited 0 when told to stop). */
static void on_worker_exit(int idx, int status)
{
	struct slot *sl = &slots[idx];
	pid_t pid = sl->pid;
	const char *name = sl->lis->cfg->s->name;
	drain(sl, 0); /* everything it sent before it died comes first */
	size_t lost = sl->fl_live;
	int64_t started = sl->started_ms;
	if (sl->chan >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, sl->chan, NULL);
		close(sl->chan);
		sl->chan = -1;
	}
	sl->pid = 0;
	int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (stopping && clean && sl->fl_live == 0)
		return;
	failures++;
	char how[96];
	const char *signame;
	int code;
	how_it_ended(status, how, sizeof(how), &signame, &code);
	int64_t now = loop_now_ms();
	char err[256];
	snprintf(err, sizeof(err), "fixture error: the worker serving %s (pid %d) %s", name, (int)pid,
		 how);
	struct json j;
	for (size_t i = 0; i < sl->fl_n; i++) {
		const struct inflight *f = &sl->fl[i];
		if (!f->live)
			continue;
		open_fixture_error(&j, f->id, name, f->channel, f->peer, now - f->start_ms, err);
		put_cause(&j, "connection", pid, signame, code);
		json_obj_close(&j);
		json_obj_close(&j);
		write_line(&j);
	}
	sl->fl_n = sl->fl_live = 0;
	/* Restart now, or when the rate bound allows. */
	int64_t at = now;
	if (sl->n_starts >= RESTART_BURST) {
		int64_t oldest = sl->starts[sl->n_starts % RESTART_BURST];
		if (oldest + RESTART_WINDOW_MS > now)
			at = oldest + RESTART_WINDOW_MS;
	}
	char restart[96];
	if (stopping)
		snprintf(restart, sizeof(restart), "no (shutting down)");
	else if (at > now || start_worker(idx) != 0)
		snprintf(restart, sizeof(restart), "in %lld ms (at most %d starts per %d s)",
			 (long long)(at > now ? at - now : 1000), RESTART_BURST,
			 RESTART_WINDOW_MS / 1000);
	else
		snprintf(restart, sizeof(restart), "restarted as pid %d", (int)sl->pid);
	if (!stopping && !sl->pid)
		sl->restart_at = at > now ? at : now + 1000;
	open_fixture_error(&j, ++own_ids, name, "worker", NULL, now - started, err);
	put_cause(&j, "worker", pid, signame, code);
	json_kint(&j, "connections", (long long)lost);
	json_kstr(&j, "restart", restart);
	json_obj_close(&j);
	json_obj_close(&j);
	write_line(&j);
	fprintf(stderr, "tlsfault: fixture error: %s: worker pid %d %s with %zu connection(s) in "
			"flight; %s\n",
		name, (int)pid, how, lost, restart);
	if (sl->pid && opts->manifest && write_manifest() != 0)
		fprintf(stderr, "tlsfault: cannot rewrite manifest %s\n", opts->manifest);
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < n_slots; i++)
			if (slots[i].pid == pid)
				on_worker_exit(i, status);
}

static void restart_due(void)
{
	int64_t now = loop_now_ms();
	int changed = 0;
	for (int i = 0; i < n_slots; i++) {
		struct slot *sl = &slots[i];
		if (sl->pid || !sl->restart_at || sl->restart_at > now)
			continue;
		if (start_worker(i) != 0) {
			sl->restart_at = now + 1000; /* fork failed: try again */
			continue;
		}
		fprintf(stderr, "tlsfault: %s: worker restarted (pid %d)\n", sl->lis->cfg->s->name,
			(int)sl->pid);
		changed = 1;
	}
	if (changed && opts->manifest && write_manifest() != 0)
		fprintf(stderr, "tlsfault: cannot rewrite manifest %s\n", opts->manifest);
}

static void begin_stop(void)
{
	stopping = 1;
	stop_deadline = loop_now_ms() + STOP_GRACE_MS;
	for (int i = 0; i < n_slots; i++) {
		slots[i].restart_at = 0;
		if (slots[i].pid)
			kill(slots[i].pid, SIGTERM);
	}
}

static int running(void)
{
	for (int i = 0; i < n_slots; i++)
		if (slots[i].pid)
			return 1;
	return 0;
}

static int wait_ms(void)
{
	int64_t now = loop_now_ms(), next = -1;
	for (int i = 0; i < n_slots; i++)
		if (slots[i].restart_at && (next < 0 || slots[i].restart_at < next))
			next = slots[i].restart_at;
	if (stopping && (next < 0 || stop_deadline < next))
		next = stop_deadline;
	if (next < 0)
		return -1;
	return next > now ? (int)(next - now) : 0;
}

static void run(void)
{
	struct epoll_event evs[64];
	while (!stopping || running()) {
		int n = epoll_wait(epfd, evs, 64, wait_ms());
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t k = evs[i].data.u64;
			if (k) {
				/* A budget per wakeup: one chatty worker cannot
				 * starve the others' messages. */
				drain(&slots[k - 1], 64);
				continue;
			}
			struct signalfd_siginfo si;
			while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap();
				else if (!stopping)
					begin_stop();
			}
		}
		reap(); /* a SIGCHLD merged with one already read */
		if (stopping && loop_now_ms() >= stop_deadline)
			for (int i = 0; i < n_slots; i++)
				if (slots[i].pid)
					kill(slots[i].pid, SIGKILL); /* our own worker, by its PID */
		if (!stopping)
			restart_due();
	}
}

static int setup_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reader gone is EPIPE, said on stderr */
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sigfd < 0 || epfd < 0)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, sigfd, &ev);
}

int supervisor_run(const struct scenario *const *list, int n, const struct serve_opts *o)
{
	int status = 1;
	opts = o;
	supervisor_pid = getpid();
	/* MAX_CONNECTIONS (per worker) needs more descriptors than the usual
	 * soft limit of 1024; take what the hard limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (strcmp(o->bind, "127.0.0.1") && strcmp(o->bind, "::1"))
		fprintf(stderr, "tlsfault: WARNING: binding %s; these servers are deliberately "
				"insecure, keep them off shared networks\n", o->bind);
	if (setup_signals() != 0) {
		perror("tlsfault: epoll/signalfd");
		goto out;
	}
	if (events_open(o->events) != 0) {
		fprintf(stderr, "tlsfault: events file %s: %s\n", o->events, strerror(errno));
		goto out;
	}
	/* Every listener before any worker: a bad scenario stops the start. */
	char err[512];
	for (int i = 0; i < n; i++) {
		int port = o->port_base >= 0 ? (o->port_base ? o->port_base + i : 0) : list[i]->port;
		slots[i].chan = -1;
		slots[i].lis = server_listener_new(list[i], port, o, err, sizeof(err));
		if (!slots[i].lis) {
			fprintf(stderr, "tlsfault: %s\n", err);
			goto out;
		}
		n_slots++;
	}
	for (int i = 0; i < n_slots; i++)
		if (start_worker(i) != 0)
			goto out;
	if (o->manifest && write_manifest() != 0) {
		fprintf(stderr, "tlsfault: cannot write manifest %s\n", o->manifest);
		goto out;
	}
	if (o->table)
		print_table();
	run();
	status = failures ? 1 : 0;
	if (failures)
		fprintf(stderr, "tlsfault: %d worker failure(s) during this run; see the "
				"\"fixture_error\" events\n", failures);
out:
	if (running()) {
		begin_stop();
		run();
	}
	for (int i = 0; i < n_slots; i++) {
		server_listener_free(slots[i].lis);
		free(slots[i].fl);
	}
	events_close();
	if (epfd >= 0)
		close(epfd);
	if (sigfd >= 0)
		close(sigfd);
	return status;
}
