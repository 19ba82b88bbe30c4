// SPDX-License-Identifier: GPL-2.0
/* memvirt sim's file inputs: a FILE given alone, the wrong option for a file, '-' read twice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tmpclean.h"
#include "sim/sim.h"
#include "src/cmd_sim.h"
#include "src/cmds.h"

static const struct {
	enum sim_input in;
	const char *opt, *what;
} kinds[] = {
	{SIM_IN_LACKEY, "--lackey", "valgrind lackey text"},
	{SIM_IN_ATRACE, "--access-trace", "a memvirt access trace (MVAT)"},
	{SIM_IN_EVENTS, "--trace", "a memvirt event file (MVEVENTS)"},
	{SIM_IN_RUN, "--run", "a run directory (run.json)"},
};

static int kind_index(int in)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((int)kinds[i].in == in)
			return (int)i;
	return -1;
}

/* Can the kind be seen without using the input up: a file, a device or a directory, not a pipe. */
static bool sniffable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 &&
	       (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode));
}

const char *sim_file_option(const char *path)
{
	char err[600];
	int k;

	if (!strcmp(path, "-"))
		die(EXIT_USAGE, "standard input has no kind to detect without reading it: give "
				"--lackey -, --access-trace - or --trace -\n");
	if (!sniffable(path) && access(path, F_OK) == 0)
		die(EXIT_USAGE,
		    "%s is a pipe: its kind cannot be seen without reading it: give "
		    "--lackey %s, --access-trace %s or --trace %s\n",
		    path, path, path, path);
	k = kind_index(sim_input_detect(path, err, sizeof(err)));
	if (k < 0)
		die(EXIT_USAGE, "%s\n", err);
	return kinds[k].opt;
}

void sim_file_check(const char *opt, const char *path)
{
	char err[600];
	int k;

	if (!strcmp(path, "-") || !sniffable(path))
		return; /* not read twice (a pipe): its reader says what is wrong */
	k = kind_index(sim_input_detect(path, err, sizeof(err)));
	if (k < 0 || !strcmp(kinds[k].opt, opt))
		return; /* unknown or right: the reader reports the details */
	die(EXIT_USAGE, "%s %s: this is %s: read it with %s %s (or give the file alone)\n", opt,
	    path, kinds[k].what, kinds[k].opt, path);
}

/*
 * Standard input for several paging modes, each of which reads its input from the start:
 * copied as it is (still compressed) to a temporary file in $TMPDIR that is unlinked at once
 * and read again through /proc/self/fd, so no exit path leaves it behind. Its path in @path.
 */
void sim_stdin_spool(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	static char buf[1 << 16];
	char tmp[512];
	int fd, slot;
	ssize_t n;

	if (snprintf(tmp, sizeof(tmp), "%s/memvirt-stdin.XXXXXX", dir && *dir ? dir : "/tmp") >=
	    (int)sizeof(tmp))
		die(EXIT_USAGE, "TMPDIR %s: path too long\n", dir);
	fd = tmpclean_mkstemp(tmp, &slot);
	if (fd < 0)
		die(EXIT_HOST,
		    "a copy of standard input for the paging modes: %s: %s: set TMPDIR\n", tmp,
		    strerror(errno));
	unlink(tmp);
	tmpclean_del(slot);
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n)
			die(EXIT_HOST, "copying standard input to %s: %s: set TMPDIR\n", tmp,
			    strerror(errno));
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
}
