/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal assertions for memvirt's C tests: file and line on failure, skip code 77. */
#ifndef MEMVIRT_TEST_H
#define MEMVIRT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP 77

extern int test_failures;
int test_failures;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			test_failures++;                                                         \
		}                                                                                \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                       \
	do {                                                                                     \
		uint64_t _a = (uint64_t)(a), _b = (uint64_t)(b);                                 \
		if (_a != _b) {                                                                  \
			fprintf(stderr,                                                          \
				"%s:%d: %s == %s failed: %" PRIu64 " != %" PRIu64 " (0x%" PRIx64 \
				" != 0x%" PRIx64 ")\n",                                          \
				__FILE__, __LINE__, #a, #b, _a, _b, _a, _b);                     \
			test_failures++;                                                         \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                         \
	do {                                                                                    \
		const char *_a = (a), *_b = (b);                                                \
		if (!_a || !_b || strcmp(_a, _b)) {                                             \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, \
				__LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");      \
			test_failures++;                                                        \
		}                                                                               \
	} while (0)

/*
 * Keep a copy of event record @rec's body in arr[n] when it fits and has the
 * element's size, and count it in @n either way (a test compares @n too).
 */
#define TEST_TAKE(arr, n, rec)                                                                   \
	do {                                                                                     \
		if ((n) < sizeof(arr) / sizeof((arr)[0]) && (rec)->body_len == sizeof((arr)[0])) \
			memcpy(&(arr)[(n)], (rec)->body, sizeof((arr)[0]));                      \
		(n)++;                                                                           \
	} while (0)

#define SKIP(...)                                      \
	do {                                           \
		fprintf(stderr, "SKIP: " __VA_ARGS__); \
		exit(TEST_SKIP);                       \
	} while (0)

#define TEST_DONE()                                                             \
	do {                                                                    \
		if (test_failures)                                              \
			fprintf(stderr, "%d check(s) failed\n", test_failures); \
		return test_failures ? 1 : 0;                                   \
	} while (0)

#endif
