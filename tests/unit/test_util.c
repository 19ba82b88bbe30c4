// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the common helpers: sizes, numbers, JSON escaping, atomic files. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/tmpclean.h"
#include "common/util.h"
#include "test.h"

static void test_parse_size(void)
{
	uint64_t v = 0;

	CHECK(parse_size("4096", &v) == 0 && v == 4096);
	CHECK(parse_size("4k", &v) == 0 && v == 4096);
	CHECK(parse_size("4K", &v) == 0 && v == 4096);
	CHECK(parse_size("2m", &v) == 0 && v == 2ULL << 20);
	CHECK(parse_size("256M", &v) == 0 && v == 256ULL << 20);
	CHECK(parse_size("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(parse_size("1GiB", &v) == 0 && v == 1ULL << 30);
	CHECK(parse_size("3T", &v) == 0 && v == 3ULL << 40);
	CHECK(parse_size("12MB", &v) == 0 && v == 12ULL << 20);
	CHECK(parse_size("", &v) == -EINVAL);
	CHECK(parse_size("-4k", &v) == -EINVAL);
	CHECK(parse_size("4x", &v) == -EINVAL);
	CHECK(parse_size("4kk", &v) == -EINVAL);
	CHECK(parse_size("k", &v) == -EINVAL);
	CHECK(parse_size(" 4k", &v) == -EINVAL);
	CHECK(parse_size("99999999999999999999", &v) == -ERANGE);
	CHECK(parse_size("20000000T", &v) == -ERANGE);
}

static void test_parse_u64(void)
{
	uint64_t v = 0;

	CHECK(parse_u64("0", &v) == 0 && v == 0);
	CHECK(parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(parse_u64("0x10", &v) == 0 && v == 16);
	CHECK(parse_u64("18446744073709551616", &v) == -ERANGE);
	CHECK(parse_u64("-1", &v) == -EINVAL);
	CHECK(parse_u64("12a", &v) == -EINVAL);
	CHECK(parse_u64("", &v) == -EINVAL);
}

static void test_format_size(void)
{
	char b[32];

	CHECK_STR(format_size(4096, b, sizeof(b)), "4K");
	CHECK_STR(format_size(256ULL << 20, b, sizeof(b)), "256M");
	CHECK_STR(format_size(1ULL << 30, b, sizeof(b)), "1G");
	CHECK_STR(format_size(1536ULL << 20, b, sizeof(b)), "1536M");
	CHECK_STR(format_size(1000, b, sizeof(b)), "1000 bytes");
	CHECK_STR(format_size(0, b, sizeof(b)), "0 bytes");
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "s", "a\"b\\c\n\x01");
	json_u64(&j, "n", 42);
	json_hex(&j, "h", 255);
	json_arr_begin(&j, "a");
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_arr_end(&j);
	json_obj_begin(&j, "empty");
	json_obj_end(&j);
	json_obj_end(&j);
	CHECK(json_finish(&j) == 0);
	fclose(f);
	CHECK_STR(buf, "{\n  \"s\": \"a\\\"b\\\\c\\n\\u0001\",\n  \"n\": 42,\n  \"h\": \"0xff\",\n"
		       "  \"a\": [\n    true,\n    null\n  ],\n  \"empty\": {}\n}\n");
	free(buf);

	/* An unbalanced document is an error, not silent output. */
	f = open_memstream(&buf, &len);
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	CHECK(json_finish(&j) == -EIO);
	fclose(f);
	free(buf);
}

static int fill_ok(FILE *f, void *arg)
{
	fputs(arg, f);
	return 0;
}

static int fill_fail(FILE *f, void *arg)
{
	fputs("partial", f);
	return -EIO;
}

static void test_atomic_write(void)
{
	char dir[] = "/tmp/memvirt-test-XXXXXX", path[64], got[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	CHECK(write_file_atomic(path, fill_ok, "first", true) == 0);
	CHECK(read_text_file(path, got, sizeof(got)) == 0);
	CHECK_STR(got, "first");
	/* A failing writer leaves the old file whole and no temporary behind. */
	CHECK(write_file_atomic(path, fill_fail, NULL, false) == -EIO);
	CHECK(read_text_file(path, got, sizeof(got)) == 0);
	CHECK_STR(got, "first");
	unlink(path);
	CHECK(rmdir(dir) == 0);
}

/* Checked without making anything: the nearest existing parent decides. */
static void test_dir_writable(void)
{
	char dir[] = "/tmp/memvirt-test-XXXXXX", path[128];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(dir_writable(dir) == 0);
	snprintf(path, sizeof(path), "%s/a/b/c/", dir);
	CHECK(dir_writable(path) == 0);
	snprintf(path, sizeof(path), "%s/a", dir);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fclose(f);
	CHECK(dir_writable(path) == -ENOTDIR);
	snprintf(path, sizeof(path), "%s/file/sub/dir", dir);
	CHECK(dir_writable(path) == -ENOTDIR);
	CHECK(dir_writable("relative-that-does-not-exist/x") == 0);
	CHECK(dir_writable("") == -ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	CHECK(rmdir(dir) == 0);
}

/* A child makes a temporary and takes @sig: the signal ended it and the file is gone. */
static void check_tmpclean(int sig)
{
	char path[] = "/tmp/memvirt-tmpclean-XXXXXX", got[sizeof(path)] = "";
	int status = 0, fds[2], slot;
	pid_t pid;

	CHECK(pipe(fds) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (tmpclean_mkstemp(path, &slot) < 0 || slot < 0 ||
		    write(fds[1], path, sizeof(path)) != (ssize_t)sizeof(path))
			_exit(1);
		raise(sig);
		_exit(2);
	}
	close(fds[1]);
	CHECK(read(fds[0], got, sizeof(got)) == (ssize_t)sizeof(got));
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	CHECK(got[0] == '/' && access(got, F_OK) != 0);
}

static void test_tmpclean(void)
{
	char path[] = "/tmp/memvirt-tmpclean-XXXXXX";
	int fd, slot;

	check_tmpclean(SIGINT);
	check_tmpclean(SIGTERM);
	/* Forgotten once renamed or removed: the program's own exit leaves the file alone. */
	fd = tmpclean_mkstemp(path, &slot);
	CHECK(fd >= 0 && slot >= 0);
	tmpclean_del(slot);
	close(fd);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
}

int main(void)
{
	/* Default actions, as for a program started from a terminal (a shell's job ignores SIGINT).
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	test_parse_size();
	test_parse_u64();
	test_format_size();
	test_json();
	test_atomic_write();
	test_dir_writable();
	test_tmpclean();
	TEST_DONE();
}
