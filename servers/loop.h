/* loop — the only code that talks to epoll. Objects register a handler;
 * the loop calls it with the ready events. Timers are a periodic sweep
 * callback (deadlines live with the connections). SIGINT/SIGTERM arrive
 * through a signalfd and end loop_run(). */
#ifndef TLSFAULT_LOOP_H
#define TLSFAULT_LOOP_H

#include <stdint.h>

struct loop_handler {
	void (*on_events)(struct loop_handler *h, uint32_t events);
};

struct loop {
	int epfd;
	int sigfd;
	int stopping;
	void (*sweep)(void *arg, int64_t now_ms);
	void *sweep_arg;
};

int loop_init(struct loop *l);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
int loop_mod(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
void loop_del(struct loop *l, int fd);
/* Run until a signal arrives or `done(arg)` returns non-zero. Returns the
 * signal number that stopped it, or 0. */
int loop_run(struct loop *l, int (*done)(void *arg), void *arg);
int64_t loop_now_ms(void);

#endif
