// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Suite "terminal": the administrator's terminal is out of a module's
 * reach (issue 15, path 4). The test opens a pseudo-terminal and makes it
 * the controlling terminal, stdin, stdout and stderr of the real binary
 * ($DKS_BIN), as a shell would; it types a secret into it first. A hostile
 * command (through `sandbox run`, and as a dkms.conf POST_ADD hook) tries
 * to switch echo off and go raw, to read what was typed, and to write
 * clipboard (OSC 52), title (OSC 0), clear-screen and C1 sequences.
 * Afterwards the terminal's settings must be byte-identical, the secret
 * still unread in its input queue, and no escape byte may have come out.
 * And what a build writes is capped on its way to the make.log.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "modtest.h"
#include "sbtest.h"

TestSuite(terminal, .fini = sbt_cleanup);

#define SECRET "hunter2-typed-by-the-admin"

/* Everything a hostile command tries against the terminal it was given
 * (stdin, stdout, stderr, /dev/tty), then what it read and the escapes. */
#define HOSTILE                                                                                    \
	"for fd in 0 1 2; do stty -echo raw <&$fd 2>/dev/null; done\n"                             \
	"stty -echo raw </dev/tty 2>/dev/null\n"                                                   \
	"a=; b=; read -r -t 1 a; read -r -t 1 b <&1 2>/dev/null\n"                                 \
	"echo \"got:$a$b\"\n"                                                                      \
	"printf '\\033]52;c;SGVsbG8=\\007\\033]0;pwned\\007\\033[2J\\233\\302\\233out\\n'\n"       \
	"printf '\\033]0;pwned\\007\\233err\\n' >&2\n"

struct pty {
	int master, slave;
	struct termios before;
	char out[65536]; /* what came out on the master */
	size_t len;
};

static void pty_open(struct pty *p)
{
	memset(p, 0, sizeof(*p)); /* termios has padding: compared with memcmp */
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(p->master >= 0, "posix_openpt: %s", strerror(errno));
	cr_assert_eq(grantpt(p->master), 0);
	cr_assert_eq(unlockpt(p->master), 0);
	p->slave = open(ptsname(p->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(p->slave >= 0, "open %s: %s", ptsname(p->master), strerror(errno));
	cr_assert_eq(tcgetattr(p->slave, &p->before), 0);
	p->len = 0;
}

static void pty_read(struct pty *p)
{
	char buf[4096];
	ssize_t n = read(p->master, buf, sizeof(buf));
	size_t room = sizeof(p->out) - 1 - p->len;

	if (n <= 0)
		return;
	memcpy(p->out + p->len, buf, (size_t)n < room ? (size_t)n : room);
	p->len += (size_t)n < room ? (size_t)n : room;
	p->out[p->len] = 0;
}

/* Run @cmd with the pty as controlling terminal and stdio, as a login
 * shell would, after the admin typed SECRET; read the master meanwhile. */
static int pty_run(struct pty *p, const char *cmd)
{
	int status;
	pid_t pid;

	cr_assert_eq(write(p->master, SECRET "\n", sizeof(SECRET)), (ssize_t)sizeof(SECRET));
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		setsid();
		ioctl(p->slave, TIOCSCTTY, 0);
		dup2(p->slave, 0);
		dup2(p->slave, 1);
		dup2(p->slave, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	sbt_defer_kill(pid);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct pollfd pfd = {.fd = p->master, .events = POLLIN};

		if (poll(&pfd, 1, 100) > 0)
			pty_read(p);
	}
	fcntl(p->master, F_SETFL, O_NONBLOCK);
	for (size_t before = (size_t)-1; before != p->len;) {
		before = p->len;
		pty_read(p);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* No byte that drives a terminal: ESC, BEL, C1 (raw, or the second byte
 * of its UTF-8 form). CR and LF are the pty's own. */
static const char *control_byte(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x1b || c == 0x07 || (c >= 0x80 && c <= 0x9f))
			return s + i;
	}
	return NULL;
}

static void expect_terminal_untouched(struct pty *p)
{
	struct termios after = {0};
	char queued[256] = "";
	const char *bad = control_byte(p->out, p->len);

	cr_assert_eq(tcgetattr(p->slave, &after), 0);
	cr_expect(memcmp(&after, &p->before, sizeof(after)) == 0,
		  "the terminal's settings changed (lflag %#x -> %#x)", p->before.c_lflag,
		  after.c_lflag);
	cr_expect_null(strstr(p->out, "got:" SECRET), "the command read what the admin typed:\n%s",
		       p->out);
	cr_expect_null(bad, "byte %#x reached the terminal at offset %zd:\n%s",
		       bad ? (unsigned char)*bad : 0, bad ? bad - p->out : -1, p->out);
	fcntl(p->slave, F_SETFL, O_NONBLOCK);
	cr_expect_gt(read(p->slave, queued, sizeof(queued) - 1), 0, "the typed line is gone");
	cr_expect_not_null(strstr(queued, SECRET), "the typed line is gone: '%s'", queued);
}

Test(terminal, sandbox_run_cannot_read_reconfigure_or_drive_the_callers_terminal, .timeout = 60)
{
	struct pty p;
	char cmd[4096];

	pty_open(&p);
	snprintf(cmd, sizeof(cmd), "exec %s sandbox run --timeout 20 -- bash -c '%s'",
		 getenv("DKS_BIN"), "eval \"$(printf %s \"$0\")\"");
	/* The script travels as $0, out of the shell quoting's way. */
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " \"$HOSTILE\"");
	setenv("HOSTILE", HOSTILE, 1);
	cr_expect_eq(pty_run(&p, cmd), 0, "%s", p.out);
	expect_terminal_untouched(&p);
	cr_expect_not_null(strstr(p.out, "?]52;c;SGVsbG8=??]0;pwned??[2J??out"),
			   "stdout is not relayed sanitized:\n%s", p.out);
	cr_expect_not_null(strstr(p.out, "?]0;pwned??err"), "stderr is not relayed:\n%s", p.out);
}

/* gcc prints 'quotes' as UTF-8; a character the relay reads in two
 * pieces (written in two, a moment apart) still reaches the terminal
 * whole, not as replacement characters. */
Test(terminal, utf8_split_between_reads_reaches_the_terminal_intact, .timeout = 60)
{
	struct pty p;
	char cmd[1024];

	pty_open(&p);
	snprintf(cmd, sizeof(cmd),
		 "exec %s sandbox run -- bash -c "
		 "\"printf '\\342\\200'; sleep 0.3; printf '\\230q\\342\\200\\231 end\\n'\"",
		 getenv("DKS_BIN"));
	cr_expect_eq(pty_run(&p, cmd), 0, "%s", p.out);
	cr_expect_not_null(strstr(p.out, "\342\200\230q\342\200\231 end"),
			   "the quotes did not arrive whole:\n%s", p.out);
}

Test(terminal, post_add_hook_cannot_read_reconfigure_or_drive_the_callers_terminal, .timeout = 120)
{
	struct mt_tree t;
	struct pty p;
	char cmd[4096], path[1024];

	mt_tree_make(&t);
	mt_module(&t, "ttyhook", "POST_ADD=\"hook.sh\"", "hook.sh", "#!/bin/bash\n" HOSTILE);
	snprintf(path, sizeof(path), "%s/src/ttyhook-1.0/hook.sh", t.root);
	cr_assert_eq(chmod(path, 0755), 0);
	pty_open(&p);
	snprintf(cmd, sizeof(cmd), "exec %s add ttyhook/1.0 %s", getenv("DKS_BIN"), t.opts);
	cr_expect_eq(pty_run(&p, cmd), 0, "%s", p.out);
	expect_terminal_untouched(&p);
	cr_expect_not_null(strstr(p.out, "??[2J??out"), "the hook's output is not relayed:\n%s",
			   p.out);
}

/* The log keeps the build's bytes; the tail shown to the admin does not. */
Test(terminal, failed_build_log_tail_is_printed_sanitized, .timeout = 300)
{
	struct mt_tree t;
	char out[65536], log[1024], raw[4096] = "";
	const char *tail, *bad;
	FILE *f;

	mt_tree_make(&t);
	mt_module(&t, "ttylog", "MAKE[0]=\"make -f evil.mk\"", "evil.mk",
		  "all:\n\t@printf 'x\\033]0;pwned\\007\\033[2J\\233\\302\\233y\\n'; exit 1\n");
	cr_assert_eq(mt_dks(&t, 240, out, sizeof(out), "build ttylog/1.0 -k %s", t.kver), 10, "%s",
		     out);
	tail = strstr(out, "--- last lines of ");
	cr_assert_not_null(tail, "no log tail:\n%s", out);
	bad = control_byte(tail, strlen(tail));
	cr_expect_null(bad, "byte %#x of the log tail is printed raw:\n%s",
		       bad ? (unsigned char)*bad : 0, tail);
	cr_expect_not_null(strstr(tail, "x?]0;pwned??[2J??y"), "%s", tail);
	mt_log_path(&t, "ttylog", log, sizeof(log));
	f = fopen(log, "r");
	cr_assert_not_null(f, "%s", log);
	raw[fread(raw, 1, sizeof(raw) - 1, f)] = 0;
	fclose(f);
	cr_expect_not_null(strstr(raw, "x\033]0;pwned\007\033[2J\233\302\233y\n"),
			   "the log does not hold the build's bytes exactly:\n%s", raw);
}

/* A file or a pipe gets exactly what the command wrote, escapes, UTF-8
 * split anywhere and all, however many reads it takes. */
Test(terminal, output_to_a_file_is_byte_exact, .timeout = 60)
{
	char dir[] = "/tmp/dks-test-XXXXXX", out[256], cmp[512];

	cr_assert_not_null(mkdtemp(dir));
	sbt_defer_rmtree(dir);
	cr_assert_eq(
	    sbt_sh(out, sizeof(out),
		   "{ %s sandbox run -- bash -c 'printf \"\\033]0;t\\007\\233\\342\\200\\230q"
		   "\\342\\200\\231\\n\"; seq 1 300000' > %s/got 2>/dev/null; }",
		   getenv("DKS_BIN"), dir),
	    0, "%s", out);
	cr_assert_eq(sbt_sh(cmp, sizeof(cmp),
			    "{ printf '\\033]0;t\\007\\233\\342\\200\\230q\\342\\200\\231\\n'; "
			    "seq 1 300000; } | cmp - %s/got",
			    dir),
		     0, "%s", cmp);
}

/* The build held its committed make.log open: it could fallocate it
 * (FALLOC_FL_KEEP_SIZE, which RLIMIT_FSIZE does not count) and write it
 * without bound. Now the log is written by the caller, at most
 * limits.output (1 MiB here) and one line saying the rest was dropped. */
Test(terminal, build_output_cannot_grow_the_log_past_limits_output, .timeout = 300)
{
	struct mt_tree t;
	char out[65536], log[1024], cmd[2048], prof[512];
	struct stat st;

	mt_tree_make(&t);
	mt_module(&t, "bigout", "MAKE[0]=\"make -f evil.mk\"", "evil.mk",
		  "all:\n\t-./probe fallocate-fd 1 64\n\t-./probe fallocate-fd 2 64\n"
		  "\thead -c 3145728 /dev/zero | tr '\\0' x\n\techo x > hello.ko\n");
	snprintf(cmd, sizeof(cmd), "cp %s %s/src/bigout-1.0/probe", sbt_probe_path(), t.root);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	snprintf(prof, sizeof(prof), "%s/out.yaml", t.root);
	sbt_write_file(prof, "limits:\n  output: 1M\n", 0, 0, 0644);
	cr_expect_eq(
	    mt_dks(&t, 240, out, sizeof(out), "build bigout/1.0 -k %s --profile %s", t.kver, prof),
	    0, "%s", out);
	mt_log_path(&t, "bigout", log, sizeof(log));
	cr_assert_eq(stat(log, &st), 0, "%s: %s\n%s", log, strerror(errno), out);
	cr_expect_leq(st.st_size, (1 << 20) + 256, "the log is %lld bytes", (long long)st.st_size);
	cr_expect_leq((long long)st.st_blocks * 512, 2LL << 20, "the log holds %lld bytes of disk",
		      (long long)st.st_blocks * 512);
	snprintf(cmd, sizeof(cmd),
		 "grep -q 'output truncated after 1048576 bytes (limits.output)' %s", log);
	cr_expect_eq(system(cmd), 0, "no truncation line in %s", log);
}
