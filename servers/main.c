/* tlsfault — deliberately misconfigured TLS servers. Only this file exits.
 *
 *   tlsfault list [--json]
 *   tlsfault show NAME [--json]
 *   tlsfault validate [FILE...]
 *   tlsfault serve [--all | NAME...] [--port-base N] [--bind ADDR]
 *                  [--events FILE] [--manifest FILE] [--table]
 *                  [--handshake-timeout MS] [--idle-timeout MS] [--max-connections N]
 *                  [--max-upload-mb N] [--max-data-mb N] [--line-timeout MS]
 *                  [--login-timeout MS]
 * Common: --scenarios DIR (default: scenarios), --certs DIR (build/certs).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "json.h"
#include "scenario.h"
#include "server.h"
#include "supervisor.h"
#include "textval.h"
#include "tf_limits.h"

struct cli {
	const char *scenarios_dir;
	int json, all;
	struct serve_opts serve;
};

static struct scenario_set set; /* large: keep it off the stack */

static int usage(void)
{
	fprintf(stderr,
		"usage: tlsfault list [--json]\n"
		"       tlsfault show NAME [--json]\n"
		"       tlsfault validate [FILE...]\n"
		"       tlsfault serve [--all | NAME...] [--port-base N] [--bind ADDR]\n"
		"                      [--events FILE] [--manifest FILE] [--table]\n"
		"                      [--handshake-timeout MS] [--idle-timeout MS]\n"
		"                      [--max-connections N] [--max-upload-mb N] [--max-data-mb N]\n"
		"                      [--line-timeout MS] [--login-timeout MS]\n"
		"                      (defaults: servers/tf_limits.h)\n"
		"options: --scenarios DIR (default scenarios), --certs DIR (default build/certs),\n"
		"         --data DIR (FTP upload roots, default build/run/data)\n");
	return 2;
}

static int cmd_list(const struct cli *cli)
{
	if (cli->json) {
		static char buf[1 << 20];
		struct json j;
		json_init(&j, buf, sizeof(buf));
		json_obj_open(&j);
		json_key(&j, "classes");
		json_arr_open(&j);
		for (int i = 0; scenario_classes[i]; i++)
			json_str(&j, scenario_classes[i]);
		json_arr_close(&j);
		json_key(&j, "categories");
		json_arr_open(&j);
		for (int i = 0; scenario_category_name(i); i++)
			json_str(&j, scenario_category_name(i));
		json_arr_close(&j);
		json_key(&j, "scenarios");
		json_arr_open(&j);
		for (int i = 0; i < set.n; i++)
			scenario_to_json(&set.items[i], &j);
		json_arr_close(&j);
		json_obj_close(&j);
		if (j.truncated)
			return fprintf(stderr, "tlsfault: list output too large\n"), 1;
		puts(buf);
		return 0;
	}
	for (int i = 0; i < set.n; i++) {
		const struct scenario *s = &set.items[i];
		printf("%-32s %-14s %-6d %s\n", s->name, scenario_protocol_name(s->protocol), s->port,
		       s->summary);
	}
	return 0;
}

/* The scenario's `try` command with {port} and {certs} filled in. */
static void expand_try(const struct scenario *s, const char *certs, char *out, size_t cap)
{
	size_t o = 0;
	for (const char *p = s->try_cmd; *p && o + 1 < cap;) {
		int n = 0;
		if (!strncmp(p, "{port}", 6))
			n = snprintf(out + o, cap - o, "%d", s->port), p += 6;
		else if (!strncmp(p, "{certs}", 7))
			n = snprintf(out + o, cap - o, "%s", certs), p += 7;
		else
			out[o] = *p++, n = 1;
		o = o + (size_t)n < cap ? o + (size_t)n : cap - 1;
	}
	out[o] = '\0';
}

/* "\nTITLE:\n  line\n  line\n" for a multi-line text key; nothing if unset. */
static void print_block(const char *title, const char *text)
{
	if (!text[0])
		return;
	printf("\n%s:\n  ", title);
	for (const char *p = text; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			fputs("  ", stdout);
	}
	putchar('\n');
}

static int cmd_show(const struct cli *cli, const char *name)
{
	const struct scenario *s = scenario_find(&set, name);
	if (!s) {
		fprintf(stderr, "tlsfault: no scenario named '%s' (see tlsfault list)\n", name);
		return 1;
	}
	if (cli->json) {
		static char buf[65536];
		struct json j;
		json_init(&j, buf, sizeof(buf));
		scenario_to_json(s, &j);
		puts(buf);
		return 0;
	}
	char versions[64];
	scenario_versions_str(s->versions, versions, sizeof(versions));
	printf("%s — %s\n\nsource:    %s\ncategory:  %s\nprotocol:  %s\nport:      %d\nversions:  %s\n",
	       s->name, s->summary, s->source, scenario_category_name(s->category),
	       scenario_protocol_name(s->protocol), s->port, versions);
	if (s->ciphers[0])
		printf("ciphers:   %s\n", s->ciphers);
	printf("cert:      %s\nkey:       %s\nfault:     %s\n", s->cert[0] ? s->cert : "(none)",
	       s->key[0] ? s->key : "(none)", scenario_fault_name(s->fault));
	if (s->client_auth)
		printf("client auth: %s, trusts %s, advertises %s\n",
		       scenario_client_auth_name(s->client_auth), s->client_ca,
		       s->advertised_ca[0] ? s->advertised_ca : s->client_ca);
	printf("\n%s\n\nA correct client reports: %s", s->description, s->expect_class);
	if (strcmp(s->expect_alert, "none"))
		printf(" (and sends alert %s)", s->expect_alert);
	printf("\n%s%s", s->expect_report[0] ? "  " : "", s->expect_report);
	printf("%s", s->expect_report[0] ? "\n" : "");
	for (int i = 0; i < s->n_variants; i++)
		printf("  %s: %s\n", s->variants[i].key, s->variants[i].value);
	print_block("cause", s->cause);
	print_block("fix", s->fix);
	print_block("workaround", s->workaround);
	print_block("INSECURE workaround (turns a TLS check off; only to confirm the diagnosis)",
		    s->workaround_insecure);
	if (s->try_cmd[0]) {
		char cmd[1024];
		expand_try(s, cli->serve.certs_dir, cmd, sizeof(cmd));
		printf("\ntry it (after `tlsfault serve %s`):\n  %s\n", s->name, cmd);
	}
	return 0;
}

/* validate also checks the files each scenario names, in --certs DIR. */
static int cmd_validate(const struct cli *cli, char **files, int n)
{
	const char *certs = cli->serve.certs_dir;
	if (n == 0) {
		int rc = scenario_load_dir(cli->scenarios_dir, &set, stderr);
		for (int i = 0; i < set.n; i++)
			if (scenario_check_files(&set.items[i], certs, stderr, "", SCN_KEYS_MAX))
				rc = -1;
		if (rc == 0)
			printf("%d scenario files OK\n", set.n);
		return rc ? 1 : 0;
	}
	int bad = 0;
	for (int i = 0; i < n; i++) {
		int errs;
		if (scenario_load_file(files[i], &set.items[0], stderr, &errs) != 0 ||
		    scenario_check_files(&set.items[0], certs, stderr, "", SCN_KEYS_MAX))
			bad = 1;
		else
			printf("%s: OK\n", files[i]);
	}
	return bad;
}

static int cmd_serve(struct cli *cli, char **names, int n)
{
	static const struct scenario *list[SCN_MAX];
	int count = 0;
	if (cli->all) {
		for (int i = 0; i < set.n; i++)
			list[count++] = &set.items[i];
	} else {
		for (int i = 0; i < n; i++) {
			const struct scenario *s = scenario_find(&set, names[i]);
			if (!s) {
				fprintf(stderr, "tlsfault: no scenario named '%s'\n", names[i]);
				return 1;
			}
			list[count++] = s;
		}
	}
	if (count == 0) {
		fprintf(stderr, "tlsfault: serve needs --all or scenario names\n");
		return 2;
	}
	/* One line, as every start-up error: the first missing file. */
	for (int i = 0; i < count; i++)
		if (scenario_check_files(list[i], cli->serve.certs_dir, stderr, "tlsfault: ", 1))
			return 1;
	wolfSSL_Init();
	int rc = supervisor_run(list, count, &cli->serve);
	wolfSSL_Cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	struct cli cli = {.scenarios_dir = "scenarios",
			  .serve = {.bind = "127.0.0.1", .port_base = -1,
				    .certs_dir = "build/certs", .data_dir = "build/run/data"}};
	static const struct option opts[] = {
		{"json", no_argument, 0, 'j'},	      {"all", no_argument, 0, 'a'},
		{"scenarios", required_argument, 0, 's'}, {"certs", required_argument, 0, 'c'},
		{"port-base", required_argument, 0, 'p'}, {"bind", required_argument, 0, 'b'},
		{"events", required_argument, 0, 'e'},    {"manifest", required_argument, 0, 'm'},
		{"data", required_argument, 0, 'd'},	      {"table", no_argument, 0, 't'},
		{"handshake-timeout", required_argument, 0, 'H'},
		{"idle-timeout", required_argument, 0, 'I'},
		{"max-connections", required_argument, 0, 'M'},
		{"max-upload-mb", required_argument, 0, 'U'},
		{"max-data-mb", required_argument, 0, 'Q'},
		{"line-timeout", required_argument, 0, 'L'},
		{"login-timeout", required_argument, 0, 'G'},
		{"help", no_argument, 0, 'h'},	      {0, 0, 0, 0},
	};
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	optind = 2;
	/* Every option is long: li names the one just read (its error says so). */
	for (int ch, li = 0; (ch = getopt_long(argc, argv, "", opts, &li)) != -1;) {
		switch (ch) {
		case 'j': cli.json = 1; break;
		case 'a': cli.all = 1; break;
		case 's': cli.scenarios_dir = optarg; break;
		case 'c': cli.serve.certs_dir = optarg; break;
		case 'b': cli.serve.bind = optarg; break;
		case 'e': cli.serve.events = optarg; break;
		case 'm': cli.serve.manifest = optarg; break;
		case 'd': cli.serve.data_dir = optarg; break;
		case 't': cli.serve.table = 1; break;
		case 'p':
			if (textval_int(optarg, 0, 65000, &cli.serve.port_base)) {
				fprintf(stderr, "tlsfault: --port-base: expected 0-65000\n");
				return 2;
			}
			break;
		case 'U':
		case 'Q': {
			int mb;
			if (textval_int(optarg, 1, 1048576, &mb)) {
				fprintf(stderr, "tlsfault: --%s: expected a number 1-1048576\n",
					opts[li].name);
				return 2;
			}
			*(ch == 'U' ? &tf_limits.ftp_upload_max : &tf_limits.ftp_data_quota) =
				mb * 1024LL * 1024;
			break;
		}
		case 'L':
		case 'G':
		case 'H':
		case 'I':
		case 'M': {
			int *limit = ch == 'H'	 ? &tf_limits.handshake_timeout_ms
				     : ch == 'I' ? &tf_limits.idle_timeout_ms
				     : ch == 'L' ? &tf_limits.ftp_line_timeout_ms
				     : ch == 'G' ? &tf_limits.ftp_login_timeout_ms
						 : &tf_limits.max_connections;
			if (textval_int(optarg, 1, 3600000, limit)) {
				fprintf(stderr, "tlsfault: --%s: expected a number 1-3600000\n",
					opts[li].name);
				return 2;
			}
			break;
		}
		default: return usage();
		}
	}
	char **rest = argv + optind;
	int n_rest = argc - optind;
	if (!strcmp(cmd, "validate"))
		return cmd_validate(&cli, rest, n_rest);
	if (strcmp(cmd, "list") && strcmp(cmd, "show") && strcmp(cmd, "serve"))
		return usage();
	if (scenario_load_dir(cli.scenarios_dir, &set, stderr) != 0) {
		fprintf(stderr, "tlsfault: scenario files have errors; nothing started\n");
		return 1;
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(&cli);
	if (!strcmp(cmd, "show"))
		return n_rest == 1 ? cmd_show(&cli, rest[0]) : usage();
	return cmd_serve(&cli, rest, n_rest);
}
