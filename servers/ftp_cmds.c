/* ftp_cmds — every FTP command: one row of the table at the end (verb,
 * policy flags, handler) and its handler above it. ftp_cmd_run checks a
 * row's flags before it calls the handler, so no handler repeats "are you
 * logged in" or "is there an argument". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ftp_sess.h"
#include "ftps.h"

/* ---- session and security (RFC 959 4.1.1, RFC 2228, RFC 4217) ------ */

static void cmd_feat(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	const struct scenario *sc = conn_scenario(s->c);
	int tls = conn_config(s->c)->ctx != NULL; /* none when AUTH TLS is refused */
	ftp_reply(s, 211, "Features:\n%s%sEPSV\nMDTM\nMLSD type*;size*;modify*;\nPASV\n%sREST STREAM\n"
		      "SIZE\nTVFS\nUTF8\nEnd",
	      tls && sc->protocol == PROTO_FTPS_EXPLICIT ? "AUTH TLS\nAUTH SSL\n" : "",
	      tls ? "PBSZ\n" : "", tls ? "PROT\n" : "");
}

static void cmd_help(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	char text[1024] = "The following commands are recognized.\n";
	size_t n;
	const struct ftp_cmd_row *t = ftp_cmd_table(&n);
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(text);
		snprintf(text + used, sizeof(text) - used, "%s%s", t[i].verb,
			 (i + 1) % 8 == 0 ? "\n" : " ");
	}
	size_t used = strlen(text);
	snprintf(text + used, sizeof(text) - used, "%sHelp OK.", text[used - 1] == '\n' ? "" : "\n");
	ftp_reply(s, 214, "%s", text);
}

static void reply_status(struct ftp_sess *s)
{
	ftp_reply(s, 211,
	      "FTP server status:\nConnected to %s\nLogged in as %s\nTYPE: %s\n"
	      "Control connection is %s\nData connections will be %s\nEnd of status",
	      conn_event(s->c)->peer, s->logged_in ? s->user : "(nobody)",
	      s->type_ascii ? "ASCII" : "BINARY", s->tls ? "protected (TLS)" : "plain text",
	      s->prot_p ? "protected (PROT P)" : "plain text (PROT C)");
}

static int ensure_fs(struct ftp_sess *s)
{
	if (s->fs.root_fd >= 0)
		return 0;
	char dir[FTP_PATH_MAX];
	const char *data_root = conn_config(s->c)->data_root;
	const char *root = data_root ? data_root : "build/run/data";
	snprintf(dir, sizeof(dir), "%s/%s", root, conn_scenario(s->c)->name);
	if (ftp_fs_open(&s->fs, dir) != 0) {
		event_set_error(conn_event(s->c), "upload root %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void cmd_auth(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	const struct scenario *sc = conn_scenario(s->c);
	if (!ftps_offers_tls(sc)) {
		/* vsftpd with ssl_enable=NO does not know AUTH before login. */
		ftp_reply(s, 530, "Please login with USER and PASS.");
		return;
	}
	if (s->tls) {
		ftp_reply(s, 534, "Already using TLS.");
		return;
	}
	if (strcasecmp(arg, "TLS") && strcasecmp(arg, "TLS-C") && strcasecmp(arg, "SSL") &&
	    strcasecmp(arg, "TLS-P")) {
		ftp_reply(s, 504, "Unknown AUTH type.");
		return;
	}
	s->auth = !strcasecmp(arg, "SSL") ? "SSL" : "TLS";
	/* vsftpd's words; seed 000's "FTP failed to start tls: Proceed with
	 * negotiation." quotes this reply: the handshake after it failed. */
	ftp_reply(s, 234, "Proceed with negotiation.");
	if (ftp_gone(s))
		return;
	if (!sc->cert[0]) {
		s->nocert = 1;
		conn_capture_hello(s->c);
		return;
	}
	if (conn_start_tls(s->c) != 0)
		conn_close(s->c, "server", NULL);
}

static void cmd_user(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	const struct scenario *sc = conn_scenario(s->c);
	s->user_sent = 1;
	if (!s->tls)
		s->user_plain = 1;
	if (s->logged_in) {
		ftp_reply(s, 530, "Can't change to another user.");
		return;
	}
	snprintf(s->user, sizeof(s->user), "%s", arg);
	if (sc->ftp_require_tls && !s->tls) {
		s->login = "refused";
		ftp_reply(s, 530, "Non-anonymous sessions must use encryption.");
		return;
	}
	s->have_user = 1;
	ftp_reply(s, 331, "Please specify the password.");
}

static void cmd_pass(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	const struct scenario *sc = conn_scenario(s->c);
	s->pass_sent = 1;
	if (!s->tls)
		s->pass_plain = 1;
	if (s->logged_in) {
		ftp_reply(s, 230, "Already logged in.");
		return;
	}
	if (!s->have_user) {
		ftp_reply(s, 503, "Login with USER first.");
		return;
	}
	if (sc->ftp_require_tls && !s->tls) {
		s->login = "refused";
		ftp_reply(s, 530, "Non-anonymous sessions must use encryption.");
		return;
	}
	if (strcmp(s->user, sc->ftp_user) || strcmp(arg, sc->ftp_password)) {
		s->have_user = 0;
		s->login = "failed";
		ftp_reply(s, 530, "Login incorrect.");
		return;
	}
	if (ensure_fs(s) != 0) {
		ftp_reply(s, 421, "Service not available: upload root unusable.");
		if (!ftp_gone(s))
			conn_close_when_flushed(s->c);
		return;
	}
	s->logged_in = 1;
	s->login = "ok";
	ftp_reply(s, 230, "Login successful.");
}

static void cmd_prot(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	if (!s->tls) {
		ftp_reply(s, 503, "PROT not allowed on insecure control connection.");
		return;
	}
	if (!strcasecmp(arg, "P")) {
		s->prot_p = 1;
		ftp_reply(s, 200, "PROT now Private.");
	} else if (!strcasecmp(arg, "C")) {
		s->prot_p = 0;
		ftp_reply(s, 200, "PROT now Clear.");
	} else if (!strcasecmp(arg, "S") || !strcasecmp(arg, "E")) {
		ftp_reply(s, 536, "PROT level not supported.");
	} else {
		ftp_reply(s, 504, "Bad PROT level.");
	}
}

static void cmd_type(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	/* ASCII is accepted but, as vsftpd's default, bytes are not converted. */
	if (!strcasecmp(arg, "A") || !strcasecmp(arg, "A N")) {
		s->type_ascii = 1;
		ftp_reply(s, 200, "Switching to ASCII mode.");
	} else if (!strcasecmp(arg, "I") || !strcasecmp(arg, "L 8")) {
		s->type_ascii = 0;
		ftp_reply(s, 200, "Switching to Binary mode.");
	} else {
		ftp_reply(s, 504, "Bad TYPE command.");
	}
}

static void fs_fail(struct ftp_sess *s, int code, const char *what)
{
	ftp_reply(s, code, "%s: %s", what, ftp_fs_why(errno));
}

static void passive(struct ftp_sess *s, int epsv, const char *arg)
{
	if (epsv && arg[0]) {
		if (!strcasecmp(arg, "ALL")) {
			ftp_reply(s, 200, "EPSV ALL ok.");
			return;
		}
		if (strcmp(arg, "1") && strcmp(arg, "2")) {
			ftp_reply(s, 501, "Bad EPSV argument.");
			return;
		}
	}
	if (s->x.phase != X_NONE) {
		ftp_reply(s, 425, "A transfer is in progress.");
		return;
	}
	ftp_drop_data(s, "replaced by a new PASV/EPSV");
	int port;
	uint8_t a[4];
	if (ftp_port_open(s, &port, a) != 0) {
		ftp_reply(s, 425, "Cannot open a passive port: %s", strerror(errno));
		return;
	}
	char text[128];
	if (epsv)
		ftp_epsv_text(text, sizeof(text), port);
	else
		ftp_pasv_text(text, sizeof(text), a, port);
	ftp_reply(s, epsv ? 229 : 227, "%s", text);
}

static void start_xfer(struct ftp_sess *s, enum ftp_xfer cmd, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	/* RFC 3659 5: REST applies to the transfer command right after it. */
	long long rest = s->rest;
	s->rest = 0;
	if (!ftp_has_data(s)) {
		ftp_reply(s, 425, "Use PORT or PASV first.");
		return;
	}
	ftp_xfer_reset(s);
	s->x.kind = cmd;
	snprintf(s->x.arg, sizeof(s->x.arg), "%s", arg);
	snprintf(s->x.logged, sizeof(s->x.logged), "%s", rq->logged);
	struct stat st;
	if (cmd == XFER_RETR) {
		s->x.fd = ftp_fs_open_read(&s->fs, arg, &st);
		if (s->x.fd < 0) {
			fs_fail(s, 550, "Failed to open file");
			ftp_xfer_reset(s);
			return;
		}
		if (rest > (long long)st.st_size) {
			/* RFC 3659 5.5: a marker past the end of the file */
			ftp_reply(s, 554, "Restart position %lld is beyond the end of the file (%lld bytes).",
			      rest, (long long)st.st_size);
			ftp_xfer_reset(s);
			return;
		}
		if (rest && lseek(s->x.fd, rest, SEEK_SET) < 0) {
			fs_fail(s, 550, "Failed to open file");
			ftp_xfer_reset(s);
			return;
		}
	} else if (cmd == XFER_STOR || cmd == XFER_APPE) {
		s->x.quota_left = tf_limits.ftp_data_quota - ftp_fs_usage(&s->fs);
		if (s->x.quota_left <= 0) {
			ftp_reply(s, 552, "Requested file action aborted. Exceeded storage allocation.");
			ftp_xfer_reset(s);
			return;
		}
		/* APPE keeps the whole file, REST n + STOR its first n bytes. */
		long long keep = cmd == XFER_APPE ? -1 : rest;
		if (ftp_fs_upload_begin(&s->fs, arg, keep, &s->x.up) != 0) {
			int e = errno;
			ftp_xfer_reset(s);
			errno = e;
			if (e == ESPIPE)
				ftp_reply(s, 554, "Restart position %lld is beyond the end of the file.", rest);
			else
				fs_fail(s, 553, "Could not create file");
			return;
		}
	} else if (ftp_list_build(s, cmd, arg[0] ? arg : NULL) != 0) {
		int e = errno;
		ftp_xfer_reset(s);
		errno = e;
		if (e == EFBIG)
			ftp_reply(s, 451, "Requested action aborted: more than %d entries to list.",
			      FTP_LIST_MAX_ENTRIES);
		else if (e == ENOMEM)
			ftp_reply(s, 451, "Requested action aborted: out of memory for the listing.");
		else
			fs_fail(s, 550, "Failed to open directory");
		return;
	}
	s->x.phase = X_WAIT_CONN;
	ftp_xfer_advance(s);
}

static void cmd_abor(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	if (s->x.phase == X_NONE) {
		ftp_drop_data(s, "ABOR");
		ftp_reply(s, 225, "No transfer to ABOR.");
		return;
	}
	ftp_drop_data(s, "transfer aborted by ABOR");
	ftp_xfer_reset(s);
	ftp_reply(s, 426, "Failure writing network stream.");
	ftp_reply(s, 226, "ABOR successful.");
}


/* ---- transfers (RFC 959 4.1.3, RFC 3659) --------------------------- */

static void cmd_pasv(struct ftp_sess *s, const struct ftp_req *rq)
{
	passive(s, 0, rq->arg);
}

static void cmd_epsv(struct ftp_sess *s, const struct ftp_req *rq)
{
	passive(s, 1, rq->arg);
}

static void cmd_port(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 502, "Active mode is not supported; use PASV or EPSV.");
}

static void cmd_list(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_LIST, rq);
}

static void cmd_nlst(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_NLST, rq);
}

static void cmd_mlsd(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_MLSD, rq);
}

static void cmd_retr(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_RETR, rq);
}

static void cmd_stor(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_STOR, rq);
}

static void cmd_appe(struct ftp_sess *s, const struct ftp_req *rq)
{
	start_xfer(s, XFER_APPE, rq);
}

static void cmd_rest(struct ftp_sess *s, const struct ftp_req *rq)
{
	char *end;
	errno = 0;
	long long v = strtoll(rq->arg, &end, 10);
	if (errno || end == rq->arg || *end || v < 0) {
		ftp_reply(s, 501, "Bad REST argument.");
		return;
	}
	s->rest = v;
	ftp_reply(s, 350, "Restart position accepted (%lld).", v);
}

static void cmd_mode(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (!strcasecmp(rq->arg, "S"))
		ftp_reply(s, 200, "Mode set to S.");
	else
		ftp_reply(s, 504, "Bad MODE command.");
}

static void cmd_stru(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (!strcasecmp(rq->arg, "F"))
		ftp_reply(s, 200, "Structure set to F.");
	else
		ftp_reply(s, 504, "Bad STRU command.");
}

/* ---- the file system (ftp_fs.c is the jail) ----------------------- */

static void cmd_pwd(struct ftp_sess *s, const struct ftp_req *rq)
{
	char quoted[FTP_PATH_MAX * 2 + 3];
	(void)rq;
	ftp_quote_path(quoted, sizeof(quoted), s->fs.cwd);
	ftp_reply(s, 257, "%s is the current directory", quoted);
}

static void change_dir(struct ftp_sess *s, const char *path)
{
	if (ftp_fs_chdir(&s->fs, path) == 0)
		ftp_reply(s, 250, "Directory successfully changed.");
	else
		fs_fail(s, 550, "Failed to change directory");
}

static void cmd_cwd(struct ftp_sess *s, const struct ftp_req *rq)
{
	change_dir(s, rq->arg);
}

static void cmd_cdup(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	change_dir(s, "..");
}

static void cmd_mkd(struct ftp_sess *s, const struct ftp_req *rq)
{
	char vpath[FTP_PATH_MAX], quoted[FTP_PATH_MAX * 2 + 3];
	if (ftp_fs_mkdir(&s->fs, rq->arg, vpath, sizeof(vpath)) == 0 &&
	    ftp_quote_path(quoted, sizeof(quoted), vpath) > 0)
		ftp_reply(s, 257, "%s created", quoted);
	else
		fs_fail(s, 550, "Create directory operation failed");
}

static void cmd_rmd(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (ftp_fs_rmdir(&s->fs, rq->arg) == 0)
		ftp_reply(s, 250, "Remove directory operation successful.");
	else
		fs_fail(s, 550, "Remove directory operation failed");
}

static void cmd_dele(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (ftp_fs_unlink(&s->fs, rq->arg) == 0)
		ftp_reply(s, 250, "Delete operation successful.");
	else
		fs_fail(s, 550, "Delete operation failed");
}

static void cmd_size(struct ftp_sess *s, const struct ftp_req *rq)
{
	struct stat st;
	if (ftp_fs_stat(&s->fs, rq->arg, &st) == 0 && S_ISREG(st.st_mode))
		ftp_reply(s, 213, "%lld", (long long)st.st_size);
	else
		ftp_reply(s, 550, "Could not get file size.");
}

static void cmd_mdtm(struct ftp_sess *s, const struct ftp_req *rq)
{
	struct stat st;
	if (ftp_fs_stat(&s->fs, rq->arg, &st) != 0 || !S_ISREG(st.st_mode)) {
		ftp_reply(s, 550, "Could not get file modification time.");
		return;
	}
	struct tm tm;
	char when[32];
	gmtime_r(&st.st_mtime, &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
	ftp_reply(s, 213, "%s", when);
}

static void cmd_rnfr(struct ftp_sess *s, const struct ftp_req *rq)
{
	struct stat st;
	if (ftp_fs_stat(&s->fs, rq->arg, &st) == 0) {
		snprintf(s->rnfr, sizeof(s->rnfr), "%s", rq->arg);
		s->have_rnfr = 1;
		ftp_reply(s, 350, "Ready for RNTO.");
	} else {
		fs_fail(s, 550, "RNFR command failed");
	}
}

static void cmd_rnto(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (!s->have_rnfr) {
		ftp_reply(s, 503, "RNFR required first.");
		return;
	}
	s->have_rnfr = 0;
	if (ftp_fs_rename(&s->fs, s->rnfr, rq->arg) == 0)
		ftp_reply(s, 250, "Rename successful.");
	else
		fs_fail(s, 550, "Rename failed");
}

/* ---- the rest ------------------------------------------------------ */

static void cmd_pbsz(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	if (!s->tls) {
		ftp_reply(s, 503, "PBSZ not allowed on insecure control connection.");
		return;
	}
	s->pbsz = 1;
	ftp_reply(s, 200, "PBSZ=0");
}

static void cmd_ccc(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 534, "CCC refused: the control channel stays protected.");
}

static void cmd_syst(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 215, "UNIX Type: L8");
}

static void cmd_noop(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 200, "NOOP ok.");
}

static void cmd_quit(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 221, "Goodbye.");
	s->closing = 1;
	if (ftp_gone(s))
		return;
	ftp_drop_data(s, "QUIT");
	conn_close_when_flushed(s->c);
}

static void cmd_opts(struct ftp_sess *s, const struct ftp_req *rq)
{
	const char *arg = rq->arg;
	if (!strcasecmp(arg, "UTF8 ON") || !strcasecmp(arg, "UTF8"))
		ftp_reply(s, 200, "Always in UTF8 mode.");
	else if (!strncasecmp(arg, "MLST ", 5))
		ftp_reply(s, 200, "MLST OPTS type;size;modify;");
	else
		ftp_reply(s, 501, "Option not understood.");
}

static void cmd_allo(struct ftp_sess *s, const struct ftp_req *rq)
{
	(void)rq;
	ftp_reply(s, 202, "ALLO command ignored.");
}

static void cmd_stat(struct ftp_sess *s, const struct ftp_req *rq)
{
	if (rq->arg[0])
		ftp_reply(s, 502, "STAT with a path is not implemented; use LIST.");
	else
		reply_status(s);
}

/* One row per command (RFC 959 4.1, RFC 2228 3, RFC 4217 9, RFC 2428,
 * RFC 3659). The flags are the whole policy: ftp_cmd_run checks them
 * before it calls a handler. */
static const struct ftp_cmd_row table[] = {
	{"USER", FTP_F_ARG, cmd_user},
	{"PASS", FTP_F_SECRET, cmd_pass}, /* an empty password is legal */
	{"AUTH", FTP_F_ARG, cmd_auth},
	{"PBSZ", FTP_F_ARG, cmd_pbsz},
	{"PROT", FTP_F_ARG, cmd_prot},
	{"CCC", FTP_F_NOARG, cmd_ccc},
	{"FEAT", FTP_F_NOARG, cmd_feat},
	{"SYST", FTP_F_NOARG, cmd_syst},
	{"PWD", FTP_F_LOGIN | FTP_F_NOARG, cmd_pwd},
	{"XPWD", FTP_F_LOGIN | FTP_F_NOARG, cmd_pwd},
	{"CWD", FTP_F_LOGIN | FTP_F_ARG, cmd_cwd},
	{"XCWD", FTP_F_LOGIN | FTP_F_ARG, cmd_cwd},
	{"CDUP", FTP_F_LOGIN | FTP_F_NOARG, cmd_cdup},
	{"XCUP", FTP_F_LOGIN | FTP_F_NOARG, cmd_cdup},
	{"MKD", FTP_F_LOGIN | FTP_F_ARG, cmd_mkd},
	{"XMKD", FTP_F_LOGIN | FTP_F_ARG, cmd_mkd},
	{"RMD", FTP_F_LOGIN | FTP_F_ARG, cmd_rmd},
	{"XRMD", FTP_F_LOGIN | FTP_F_ARG, cmd_rmd},
	{"DELE", FTP_F_LOGIN | FTP_F_ARG, cmd_dele},
	{"TYPE", FTP_F_LOGIN | FTP_F_ARG, cmd_type},
	{"MODE", FTP_F_LOGIN | FTP_F_ARG, cmd_mode},
	{"STRU", FTP_F_LOGIN | FTP_F_ARG, cmd_stru},
	{"SIZE", FTP_F_LOGIN | FTP_F_ARG, cmd_size},
	{"MDTM", FTP_F_LOGIN | FTP_F_ARG, cmd_mdtm},
	{"PASV", FTP_F_LOGIN | FTP_F_NOARG, cmd_pasv},
	{"EPSV", FTP_F_LOGIN, cmd_epsv},
	{"PORT", FTP_F_LOGIN, cmd_port},
	{"EPRT", FTP_F_LOGIN, cmd_port},
	{"LIST", FTP_F_LOGIN, cmd_list},
	{"NLST", FTP_F_LOGIN, cmd_nlst},
	{"MLSD", FTP_F_LOGIN, cmd_mlsd},
	{"RETR", FTP_F_LOGIN | FTP_F_ARG, cmd_retr},
	{"STOR", FTP_F_LOGIN | FTP_F_ARG, cmd_stor},
	{"APPE", FTP_F_LOGIN | FTP_F_ARG, cmd_appe},
	{"REST", FTP_F_LOGIN | FTP_F_ARG, cmd_rest},
	{"RNFR", FTP_F_LOGIN | FTP_F_ARG | FTP_F_RENAME, cmd_rnfr},
	{"RNTO", FTP_F_LOGIN | FTP_F_ARG | FTP_F_RENAME, cmd_rnto},
	{"NOOP", FTP_F_NOARG, cmd_noop},
	{"QUIT", 0, cmd_quit}, /* after the transfer (RFC 959 4.1.1) */
	{"ABOR", FTP_F_NOARG | FTP_F_ANYTIME, cmd_abor},
	{"OPTS", FTP_F_ARG, cmd_opts},
	{"ALLO", FTP_F_LOGIN, cmd_allo},
	{"HELP", 0, cmd_help},
	{"STAT", FTP_F_ANYTIME, cmd_stat},
};

const struct ftp_cmd_row *ftp_cmd_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct ftp_cmd_row *ftp_cmd_find(const char *verb)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].verb, verb))
			return &table[i];
	return NULL;
}

void ftp_cmd_run(struct ftp_sess *s, const struct ftp_line *l, const char *logged)
{
	const struct ftp_cmd_row *r = ftp_cmd_find(l->verb);
	if (!r) {
		ftp_reply(s, 500, "Unknown command.");
		return;
	}
	if ((r->flags & FTP_F_ARG) && !l->arg_len) {
		ftp_reply(s, 501, "%s needs an argument.", r->verb);
		return;
	}
	if ((r->flags & FTP_F_NOARG) && l->arg_len) {
		ftp_reply(s, 501, "%s takes no argument.", r->verb);
		return;
	}
	if ((r->flags & FTP_F_LOGIN) && !s->logged_in) {
		ftp_reply(s, 530, "Please login with USER and PASS.");
		return;
	}
	/* RFC 959 4.1.3: RNTO must follow RNFR right away. */
	if (!(r->flags & FTP_F_RENAME))
		s->have_rnfr = 0;
	const struct ftp_req rq = {l->arg, logged};
	r->run(s, &rq);
}
