#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "tf_limits.h"

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int loop_init(struct loop *l)
{
	memset(l, 0, sizeof(*l));
	/* Test hook (harness/tests/test_adversarial.py): wait this long before
	 * each epoll_wait so that events a client causes together land in one
	 * batch, which makes batch-ordering races deterministic to replay. */
	const char *d = getenv("TLSFAULT_TEST_BATCH_DELAY_MS");
	if (d)
		l->batch_delay_ms = atoi(d) > 0 && atoi(d) < 5000 ? atoi(d) : 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev);
}

void loop_collect(struct loop *l)
{
	while (l->retired) {
		struct loop_handler *h = l->retired;
		l->retired = h->next_retired;
		free(h->retired_mem);
	}
}

void loop_free(struct loop *l)
{
	loop_collect(l);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
}

int loop_add(struct loop *l, int fd, uint32_t events, struct loop_handler *h)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int loop_mod(struct loop *l, int fd, uint32_t events, struct loop_handler *h)
{
	struct epoll_event ev = {.events = events, .data.ptr = h};
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_del(struct loop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void loop_retire(struct loop *l, struct loop_handler *h, void *mem)
{
	if (h->retired) {
		/* Already retired (memory then belongs to the first call). */
		return;
	}
	h->retired = 1;
	if (h->queued) {
		/* Unlink from the again-list: it is freed before that list runs. */
		for (struct loop_handler **p = &l->again; *p; p = &(*p)->next_again)
			if (*p == h) {
				*p = h->next_again;
				break;
			}
		h->queued = 0;
	}
	h->retired_mem = mem;
	h->next_retired = l->retired;
	l->retired = h;
}

void loop_again(struct loop *l, struct loop_handler *h)
{
	if (h->retired || h->queued)
		return;
	h->queued = 1;
	h->next_again = l->again;
	l->again = h;
}

static int read_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	if (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return 0;
}

int loop_round(struct loop *l, int wait_ms)
{
	struct epoll_event evs[64];
	if (l->again)
		wait_ms = 0;
	if (l->batch_delay_ms) {
		struct timespec ts = {0, (long)l->batch_delay_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	int n = epoll_wait(l->epfd, evs, 64, wait_ms);
	if (n < 0 && errno != EINTR)
		return -1;
	int sig = 0;
	l->ran = 0;
	/* The handlers asked for this round; ones queued while it runs wait
	 * for the next, so a handler that always has more work cannot starve
	 * the epoll events. */
	struct loop_handler *again = l->again;
	l->again = NULL;
	for (struct loop_handler *h = again; h; h = h->next_again) {
		h->queued = 0;
		h->next_snap = h->next_again; /* loop_again may reuse next_again */
	}
	for (int i = 0; i < n; i++) {
		struct loop_handler *h = evs[i].data.ptr;
		if (!h) {
			int s = read_signal(l);
			if (s && !sig)
				sig = s;
			continue;
		}
		if (!h->retired) {
			h->on_events(h, evs[i].events);
			l->ran++;
		}
	}
	while (again) {
		struct loop_handler *h = again;
		again = h->next_snap;
		/* queued again meanwhile: it is on the new list; run it there */
		if (!h->retired && !h->queued) {
			h->on_events(h, EPOLLIN);
			l->ran++;
		}
	}
	loop_collect(l);
	return sig;
}

int loop_run(struct loop *l)
{
	int64_t next_sweep = loop_now_ms() + SWEEP_INTERVAL_MS;
	for (;;) {
		int64_t now = loop_now_ms();
		int sig = loop_round(l, next_sweep > now ? (int)(next_sweep - now) : 0);
		if (sig > 0)
			return sig;
		if (sig < 0)
			return 0;
		now = loop_now_ms();
		if (now >= next_sweep) {
			if (l->sweep)
				l->sweep(l->sweep_arg, now);
			loop_collect(l);
			next_sweep = now + SWEEP_INTERVAL_MS;
		}
	}
}
