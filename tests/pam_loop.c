/* SPDX-License-Identifier: ISC */
/* pam_loop: a PAM application that authenticates COUNT times, as a long-
 * running server such as sshd does, to show that pam_twofactl leaks no
 * memory (run under valgrind), no file descriptor and no child, and leaves
 * the application's SIGCHLD disposition alone.
 *
 *   pam_loop [-s handler|ignore|default] [-p MODULE] SERVICE COUNT USER[:CODE[:RHOST]]...
 *
 * Round i authenticates the (i mod N)-th USER, answering every prompt with
 * CODE (default 000000) and setting PAM_RHOST to RHOST when given. Prints
 * one line per PAM result with its count, then "fds N -> N", "children 0",
 * "sigchld ..."; exits 0 when no descriptor or child was left behind and
 * the SIGCHLD disposition is the one it set. -p keeps MODULE loaded
 * between handles (valgrind reads a library's symbols at every dlopen:
 * this makes a long run under it ten times shorter). */
#include <security/pam_appl.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigchld_seen;

static void on_sigchld(int sig)
{
	(void)sig;
	sigchld_seen++;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof *r);

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			r[i].resp = strdup(data);
			if (!r[i].resp) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	const char *mode = "handler";
	struct sigaction sa, now;
	int results[64] = { 0 }, first = 1, count, fds0, fds1, children = 0, ok = 1;

	void *keep = NULL;

	while (argc - first > 1 && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-s"))
			mode = argv[first + 1];
		else if (!strcmp(argv[first], "-p") && !(keep = dlopen(argv[first + 1], RTLD_NOW)))
			return fprintf(stderr, "%s\n", dlerror()), 2;
		first += 2;
	}
	if (argc - first < 3) {
		fprintf(stderr, "usage: pam_loop [-s handler|ignore|default] [-p MODULE] SERVICE COUNT "
		        "USER[:CODE[:RHOST]]...\n");
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = !strcmp(mode, "ignore") ? SIG_IGN : !strcmp(mode, "default") ? SIG_DFL : on_sigchld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	count = atoi(argv[first + 1]);
	fds0 = count_fds();
	for (int i = 0; i < count; i++) {
		char spec[512], *user, *code, *rhost;
		struct pam_conv c = { conv, NULL };
		pam_handle_t *pamh = NULL;
		int r;

		snprintf(spec, sizeof spec, "%s", argv[first + 2 + i % (argc - first - 2)]);
		user = spec;
		code = strchr(spec, ':');
		if (code)
			*code++ = '\0';
		rhost = code ? strchr(code, ':') : NULL;
		if (rhost)
			*rhost++ = '\0';
		c.appdata_ptr = code ? code : (char *)"000000";
		if (pam_start(argv[first], user, &c, &pamh) != PAM_SUCCESS) {
			fprintf(stderr, "pam_start failed\n");
			return 2;
		}
		if (rhost)
			pam_set_item(pamh, PAM_RHOST, rhost);
		r = pam_authenticate(pamh, 0);
		if (r >= 0 && r < 64)
			results[r]++;
		pam_end(pamh, r);
	}
	for (int r = 0; r < 64; r++)
		if (results[r])
			printf("%s %d\n", pam_strerror(NULL, r), results[r]);
	fds1 = count_fds();
	printf("fds %d -> %d\n", fds0, fds1);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		children++;
	printf("children %d\n", children);
	sigaction(SIGCHLD, NULL, &now);
	printf("sigchld %s%s\n", now.sa_handler == sa.sa_handler ? "kept" : "changed",
	       sa.sa_handler == on_sigchld ? (sigchld_seen ? ", handler called" : ", handler never called") : "");
	if (keep)
		dlclose(keep);
	if (fds0 != fds1 || children || now.sa_handler != sa.sa_handler ||
	    (sa.sa_handler == on_sigchld && !sigchld_seen))
		ok = 0;
	return ok ? 0 : 1;
}
