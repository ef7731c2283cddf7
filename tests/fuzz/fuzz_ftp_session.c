/* libFuzzer target: whole plaintext FTP sessions with data channels,
 * several connections per input, so the paths between connections are
 * fuzzed: a control connection that ends while its data port has a
 * connection queued, data before its command, uploads cut or reset, REST,
 * listings, pipelined commands.
 *
 * Input: byte 0 picks the scenario, then a script of operations (op byte,
 * then its arguments). Nothing is pumped between operations unless the
 * script says so, so the events of consecutive operations land in one
 * batch of the loop, as on a busy server (issue 10, defect 1):
 *   0 n bytes   send n bytes on the control connection
 *   1           open a data connection to the last PASV/EPSV port replied
 *   2 i n bytes send n bytes on data connection i
 *   3 i         FIN data connection i      4 i   RST data connection i
 *   5 k         end the control connection (k odd: RST, even: FIN)
 *   6 n         pump the server n rounds    7    USER/PASS of the account
 * At the end the server is pumped until quiet (a still-busy server after
 * PUMP_MAX rounds is a spin: abort) and everything is torn down, so
 * LeakSanitizer sees any leak. Run from the repository root. */
#include <sys/socket.h>

#include "fuzz_server.h"

#define PUMP_MAX 20000
#define DATA_MAX 4
#define REPLY_KEEP 8192

static const char *const names[] = {"ftps-valid", "ftps-auth-tls-refused",
				    "ftps-strict-eof"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))
static struct scenario scn[N_NAMES];

struct sess {
	int ctl;
	unsigned src;
	int data[DATA_MAX];
	int n_data;
	char replies[REPLY_KEEP + 1];
	size_t rlen;
	int pasv_port;
};

static void seed_files(void)
{
	for (size_t i = 0; i < N_NAMES; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", fz_data_dir, names[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%s/f.bin", fz_data_dir, names[i]);
		FILE *f = fopen(path, "w");
		for (int k = 0; f && k < 100000; k++)
			fputc('a' + k % 26, f);
		if (f)
			fclose(f);
	}
	/* Bounded disk use over millions of inputs. */
	tf_limits.ftp_data_quota = 8LL << 20;
	tf_limits.ftp_upload_max = 1LL << 20;
}

/* Read what the server said on the control connection; remember the last
 * passive port (227 h1,h2,h3,h4,p1,p2 or 229 (|||port|)). */
static int read_replies(struct sess *x)
{
	if (x->ctl < 0)
		return 0;
	char buf[4096];
	int got = 0;
	ssize_t n;
	while ((n = read(x->ctl, buf, sizeof(buf))) > 0) {
		got = 1;
		for (ssize_t i = 0; i < n; i++) {
			if (x->rlen == REPLY_KEEP) {
				memmove(x->replies, x->replies + REPLY_KEEP / 2, REPLY_KEEP / 2);
				x->rlen = REPLY_KEEP / 2;
			}
			x->replies[x->rlen++] = buf[i];
		}
		x->replies[x->rlen] = '\0';
		const char *e = strstr(x->replies, "(|||");
		int port;
		unsigned h[6];
		while (e) {
			if (sscanf(e, "(|||%d|)", &port) == 1)
				x->pasv_port = port;
			e = strstr(e + 1, "(|||");
		}
		const char *p = strstr(x->replies, "227 ");
		if (p && (p = strchr(p, '(')) &&
		    sscanf(p, "(%u,%u,%u,%u,%u,%u)", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]) == 6)
			x->pasv_port = (int)(h[4] * 256 + h[5]);
		x->rlen = 0; /* ports found; keep the buffer small */
	}
	return got;
}

static void send_some(int fd, const uint8_t *p, size_t n)
{
	if (fd >= 0 && n)
		(void)send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void end_fd(int *fd, int rst)
{
	if (*fd < 0)
		return;
	if (rst) {
		struct linger lg = {1, 0};
		setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(*fd);
	*fd = -1;
}

static int pump_and_read(struct sess *x)
{
	int progress = fz_pump() + read_replies(x);
	for (int i = 0; i < x->n_data; i++)
		if (x->data[i] >= 0)
			progress += fz_drain(x->data[i]);
	return progress;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (!fz_srv.n_lis) {
		fz_setup(names, N_NAMES, scn);
		seed_files();
	}
	if (size == 0)
		return 0;
	struct listener *lis = fz_srv.lis[in[0] % fz_srv.n_lis];
	struct sess x = {.ctl = -1};
	x.ctl = fz_connect(lis->port, &x.src);
	if (x.ctl < 0)
		fz_die("connect");
	conn_on_accept(&lis->h, EPOLLIN);
	size_t i = 1;
#define ARG (i < size ? in[i++] : 0)
	while (i < size) {
		int op = in[i++] & 7;
		switch (op) {
		case 0: {
			size_t n = ARG;
			n = n < size - i ? n : size - i;
			send_some(x.ctl, in + i, n);
			i += n;
			break;
		}
		case 1:
			read_replies(&x);
			if (x.pasv_port > 0 && x.n_data < DATA_MAX) {
				int fd = fz_connect(x.pasv_port, &x.src);
				x.data[x.n_data++] = fd;
			}
			break;
		case 2: {
			int k = ARG % DATA_MAX;
			size_t n = ARG;
			n = n < size - i ? n : size - i;
			if (k < x.n_data)
				send_some(x.data[k], in + i, n);
			i += n;
			break;
		}
		case 3: {
			int k = ARG % DATA_MAX;
			if (k < x.n_data && x.data[k] >= 0)
				shutdown(x.data[k], SHUT_WR);
			break;
		}
		case 4: {
			int k = ARG % DATA_MAX;
			if (k < x.n_data)
				end_fd(&x.data[k], 1);
			break;
		}
		case 5:
			end_fd(&x.ctl, ARG & 1);
			break;
		case 6:
			for (int r = ARG % 16; r >= 0; r--)
				pump_and_read(&x);
			break;
		case 7: {
			static const char login[] = "USER tester\r\nPASS secret\r\n";
			send_some(x.ctl, (const uint8_t *)login, sizeof(login) - 1);
			break;
		}
		}
	}
	if (x.ctl >= 0)
		shutdown(x.ctl, SHUT_WR);
	for (int k = 0; k < x.n_data; k++)
		if (x.data[k] >= 0)
			shutdown(x.data[k], SHUT_WR);
	for (int round = 0, idle = 0; idle <= 2; round++) {
		if (round == PUMP_MAX) {
			fprintf(stderr, "fuzz_ftp_session: server still busy after %d rounds\n",
				PUMP_MAX);
			abort();
		}
		idle = pump_and_read(&x) ? 0 : idle + 1;
	}
	conn_close_all(&fz_srv, "fuzz input done");
	end_fd(&x.ctl, 1);
	for (int k = 0; k < x.n_data; k++)
		end_fd(&x.data[k], 1);
	return 0;
}
