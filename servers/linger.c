/* linger — see linger.h. */
#include "linger.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tf_limits.h"

struct linger_fd {
	struct loop_handler h;
	struct loop *loop;
	int fd;
	int64_t deadline_ms;
	struct linger_fd *prev, *next;
};

static struct linger_fd *lingering;
static int n_lingering;

static void linger_end(struct linger_fd *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		lingering = l->next;
	if (l->next)
		l->next->prev = l->prev;
	n_lingering--;
	loop_del(l->loop, l->fd);
	close(l->fd);
	loop_retire(l->loop, &l->h, l);
}

static void linger_on_events(struct loop_handler *h, uint32_t events)
{
	struct linger_fd *l = (struct linger_fd *)h;
	char sink[4096];
	ssize_t n = -1;
	(void)events;
	/* Bounded: a client flooding a lingering socket must not hold the
	 * loop; level-triggered epoll calls again for the rest. */
	for (int i = 0; i < LINGER_READS; i++) {
		do
			n = read(l->fd, sink, sizeof(sink));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			break;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		linger_end(l);
}

void linger_start(struct loop *loop, int fd)
{
	struct linger_fd *l = n_lingering < LINGER_MAX ? calloc(1, sizeof(*l)) : NULL;
	if (!l || shutdown(fd, SHUT_WR) != 0) {
		free(l);
		close(fd);
		return;
	}
	l->h.on_events = linger_on_events;
	l->loop = loop;
	l->fd = fd;
	l->deadline_ms = loop_now_ms() + LINGER_MS;
	if (loop_add(l->loop, fd, EPOLLIN, &l->h) != 0) {
		free(l);
		close(fd);
		return;
	}
	l->next = lingering;
	if (lingering)
		lingering->prev = l;
	lingering = l;
	n_lingering++;
}

void linger_sweep(int64_t now_ms, int all)
{
	for (struct linger_fd *l = lingering, *next; l; l = next) {
		next = l->next;
		if (all || now_ms >= l->deadline_ms)
			linger_end(l);
	}
}

