// SPDX-License-Identifier: GPL-2.0
/* libFuzzer harness for the ELF loader: arbitrary bytes must be refused cleanly or load safely. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What elf_parse() promises about an image it accepted. */
static void check_accepted(const struct elf_image *img, size_t size)
{
	int exec = 0;

	if (!img->nseg || img->nseg > ELF_MAX_SEGMENTS)
		abort();
	for (unsigned i = 0; i < img->nseg; i++) {
		const struct elf_segment *s = &img->seg[i];

		if (s->offset > size || s->filesz > size - s->offset || s->filesz > s->memsz)
			abort();
		if (s->vaddr + s->memsz < s->vaddr)
			abort();
		if ((s->flags & ELF_SEG_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			exec = 1;
	}
	if (!exec)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dst[1 << 16];
	struct elf_image img;
	char err[256];
	uint64_t a, s;

	if (elf_parse(data, size, &img, err, sizeof(err))) {
		if (!err[0] || memchr(err, '\n', strlen(err)))
			abort();
		return 0;
	}
	check_accepted(&img, size);
	for (unsigned i = 0; i < img.nseg; i++)
		elf_segment_copy(&img, i, dst, sizeof(dst));
	elf_find_section(&img, ".text", &a, &s);
	elf_find_section(&img, ".mvhdr", &a, &s);
	elf_find_symbol(&img, "_start", &a);
	elf_find_symbol(&img, "guest_result", &a);
	return 0;
}
