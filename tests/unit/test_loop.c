/* Unit tests for servers/loop.c: the ownership rule (a handler retired by
 * another handler of the same batch is never called, and freed only after
 * the batch) and fairness (a handler that yields runs again next round,
 * after the epoll events, and cannot starve them). Deterministic: both
 * events are made ready before the round that runs them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

struct obj {
	struct loop_handler h;
	struct loop *l;
	int fd;
	int calls;
	struct obj *victim; /* retired from our handler */
	int yields;	    /* times to ask for another call */
};

static struct obj *last_called;

static void on_events(struct loop_handler *h, uint32_t events)
{
	struct obj *o = (struct obj *)h;
	(void)events;
	o->calls++;
	last_called = o;
	char c;
	while (o->fd >= 0 && read(o->fd, &c, 1) == 1)
		;
	if (o->victim) {
		loop_del(o->l, o->victim->fd);
		loop_retire(o->l, &o->victim->h, o->victim);
		o->victim = NULL;
	}
	if (o->yields > 0) {
		o->yields--;
		loop_again(o->l, h);
	}
}

static struct obj *make(struct loop *l, int *wfd)
{
	int p[2];
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	struct obj *o = calloc(1, sizeof(*o));
	assert_non_null(o);
	o->h.on_events = on_events;
	o->l = l;
	o->fd = p[0];
	*wfd = p[1];
	assert_int_equal(loop_add(l, o->fd, EPOLLIN, &o->h), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	return o;
}

static void test_retired_in_the_same_batch_is_never_called(void **state)
{
	(void)state;
	struct loop l;
	assert_int_equal(loop_init(&l), 0);
	int wa, wb;
	struct obj *a = make(&l, &wa), *b = make(&l, &wb);
	/* Whichever epoll lists first retires the other: both are ready. */
	a->victim = b;
	b->victim = a;
	int b_fd = b->fd, a_fd = a->fd;
	assert_int_equal(loop_round(&l, 0), 0);
	/* Exactly one ran; the other was retired before its turn (and its
	 * memory is freed now, after the batch: ASan checks the rest). */
	assert_int_equal(l.ran, 1);
	struct obj *survivor = last_called;
	assert_true(survivor == a || survivor == b);
	loop_del(&l, survivor->fd);
	free(survivor);
	close(a_fd);
	close(b_fd);
	close(wa);
	close(wb);
	loop_free(&l);
}

static void test_yield_runs_next_round_after_epoll_events(void **state)
{
	(void)state;
	struct loop l;
	assert_int_equal(loop_init(&l), 0);
	int wa, wb;
	struct obj *hog = make(&l, &wa), *other = make(&l, &wb);
	hog->yields = 1000;
	assert_int_equal(loop_round(&l, 0), 0);
	assert_int_equal(hog->calls, 1);
	assert_int_equal(other->calls, 1);
	assert_int_equal(write(wb, "y", 1), 1);
	/* The hog is called again every round, and the other's new event is
	 * still served in the next round: no starvation. */
	assert_int_equal(loop_round(&l, 1000), 0);
	assert_int_equal(hog->calls, 2);
	assert_int_equal(other->calls, 2);
	/* A queued handler that is retired is not called. */
	loop_del(&l, hog->fd);
	close(hog->fd);
	hog->fd = -1;
	loop_retire(&l, &hog->h, NULL);
	assert_int_equal(loop_round(&l, 0), 0);
	assert_int_equal(hog->calls, 2);
	free(hog);
	loop_del(&l, other->fd);
	close(other->fd);
	free(other);
	close(wa);
	close(wb);
	loop_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retired_in_the_same_batch_is_never_called),
		cmocka_unit_test(test_yield_runs_next_round_after_epoll_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
