/* supervisor — `serve`: one worker process per scenario under a small
 * supervisor, so a crash in one scenario never takes the others down.
 *
 * The supervisor builds every listener (TLS context, bound socket) before
 * any worker starts, so a configuration error stops the start with one
 * line and a restarted worker serves the same socket (clients wait in the
 * backlog meanwhile). Each worker runs server_worker() for its scenario.
 * The supervisor is the events file's only writer: workers pass their
 * event lines and connection openings as messages (events.h). When a
 * worker dies it writes a "fixture_error" event for each connection the
 * worker had in flight and one for the worker, says so on stderr, rewrites
 * the manifest and restarts the worker (at most RESTART_BURST starts per
 * RESTART_WINDOW_MS per scenario). Event ids: the supervisor's own are
 * 1, 2, ...; worker start number k (counted over all scenarios, from 1)
 * numbers its connections k * 1e9 + 1, k * 1e9 + 2, ... */
#ifndef TLSFAULT_SUPERVISOR_H
#define TLSFAULT_SUPERVISOR_H

#include "scenario.h"
#include "server.h"

#define RESTART_BURST 5
#define RESTART_WINDOW_MS 10000
#define STOP_GRACE_MS 5000 /* SIGTERM to SIGKILL for a worker at shutdown */
#define WORKER_ID_SPAN 1000000000ULL

/* Serve `n` scenarios until SIGINT/SIGTERM. Exit status: 0; 1 if the
 * start failed, or if a worker died or exited non-zero during the run. */
int supervisor_run(const struct scenario *const *list, int n, const struct serve_opts *o);

#endif
