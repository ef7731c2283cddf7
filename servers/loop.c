#include "loop.h"

#include <errno.h>
#include <signal.h>
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

void loop_free(struct loop *l)
{
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

static int read_signal(struct loop *l)
{
	struct signalfd_siginfo si;
	if (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	return 0;
}

int loop_run(struct loop *l, int (*done)(void *arg), void *arg)
{
	struct epoll_event evs[64];
	int64_t next_sweep = loop_now_ms() + SWEEP_INTERVAL_MS;
	while (!(done && done(arg))) {
		int64_t now = loop_now_ms();
		int wait = next_sweep > now ? (int)(next_sweep - now) : 0;
		int n = epoll_wait(l->epfd, evs, 64, wait);
		if (n < 0 && errno != EINTR)
			return 0;
		for (int i = 0; i < n; i++) {
			struct loop_handler *h = evs[i].data.ptr;
			if (!h) {
				int sig = read_signal(l);
				if (sig)
					return sig;
				continue;
			}
			h->on_events(h, evs[i].events);
		}
		now = loop_now_ms();
		if (now >= next_sweep) {
			if (l->sweep)
				l->sweep(l->sweep_arg, now);
			next_sweep = now + SWEEP_INTERVAL_MS;
		}
	}
	return 0;
}
