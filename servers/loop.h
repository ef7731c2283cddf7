/* loop — the only code that talks to epoll. Objects register a handler;
 * the loop calls it with the ready events. Timers are a periodic sweep
 * callback (deadlines live with the connections). SIGINT/SIGTERM arrive
 * through a signalfd and end loop_run().
 *
 * Ownership rule: one epoll_wait() returns a batch of events, and a
 * handler early in the batch may end an object whose event is still
 * queued later in it (an FTP control connection that closes its data
 * port). So nothing that embeds a loop_handler is freed directly: it is
 * retired (loop_retire), its handler is never called again, and its
 * memory is freed once the whole batch has run.
 *
 * Fairness: a handler does a bounded amount of work per call; when it
 * stops with work left that no epoll event will announce (bytes already
 * in a user-space buffer), it asks to be called again (loop_again) after
 * every other ready handler had its turn. */
#ifndef TLSFAULT_LOOP_H
#define TLSFAULT_LOOP_H

#include <stdint.h>

struct loop_handler {
	void (*on_events)(struct loop_handler *h, uint32_t events);
	/* Loop-private bookkeeping. */
	unsigned char retired, queued;
	struct loop_handler *next_again;
	struct loop_handler *next_snap; /* this round's copy of next_again */
	struct loop_handler *next_retired;
	void *retired_mem;
};

struct loop {
	int epfd;
	int sigfd;
	void (*sweep)(void *arg, int64_t now_ms);
	void *sweep_arg;
	struct loop_handler *again;   /* to call in the next round */
	struct loop_handler *retired; /* to free once the batch is done */
	int batch_delay_ms;	      /* test hook: see loop_init */
	int ran;		      /* handlers the last round called (fuzz pumps) */
};

int loop_init(struct loop *l);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
int loop_mod(struct loop *l, int fd, uint32_t events, struct loop_handler *h);
void loop_del(struct loop *l, int fd);
/* `h` (embedded in `mem`, which free() releases) is done: never call it
 * again; free `mem` after the current batch. mem may be NULL. */
void loop_retire(struct loop *l, struct loop_handler *h, void *mem);
/* Free what was retired; only outside a batch (shutdown, tests). */
void loop_collect(struct loop *l);
/* Call `h` again (events = EPOLLIN) in the next round. */
void loop_again(struct loop *l, struct loop_handler *h);
/* One round: wait up to `wait_ms` (0 when work is queued), run the batch,
 * then the handlers queued by loop_again, then free what was retired.
 * Returns a signal number that arrived, 0, or -1 on an epoll error. */
int loop_round(struct loop *l, int wait_ms);
/* Run rounds, the sweep every SWEEP_INTERVAL_MS, until a signal arrives
 * (its number is returned) or epoll fails (0). */
int loop_run(struct loop *l);
int64_t loop_now_ms(void);

#endif
