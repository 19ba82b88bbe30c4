/* SPDX-License-Identifier: GPL-2.0 */
/* Bounds-checked ELF64 x86-64 loader for guest kernel and workload images (untrusted input). */
#ifndef MEMVIRT_VMM_ELF_H
#define MEMVIRT_VMM_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS  16
#define ELF_MAX_FILE_SIZE (64ULL << 20)

/* Segment permissions, decoded from p_flags. */
#define ELF_SEG_X 0x1u
#define ELF_SEG_W 0x2u
#define ELF_SEG_R 0x4u

/* One validated PT_LOAD segment, in program header order. */
struct elf_segment {
	uint64_t vaddr, paddr, offset, filesz, memsz, align;
	uint32_t flags; /* ELF_SEG_R/W/X */
};

/*
 * A validated image. @data points at the caller's bytes after elf_parse()
 * and at @owned after elf_load_file(); @owned is NULL when the image does
 * not own its buffer.
 */
struct elf_image {
	const uint8_t *data;
	size_t size;
	uint64_t entry;
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	void *owned;
};

/*
 * Validate the ELF header and program headers of @size bytes at @data and
 * fill @img (which borrows @data). Returns 0, -EINVAL for a malformed or
 * unsupported image, -E2BIG for too many headers or segments; on failure
 * @img is zeroed and @err (if @errlen) holds one line naming the part and
 * the problem.
 */
int elf_parse(const void *data, size_t size, struct elf_image *img, char *err, size_t errlen);

/*
 * Read @path (a regular file of at most ELF_MAX_FILE_SIZE bytes, else
 * -EFBIG) and elf_parse() it; @img owns the buffer. Errors are -errno with
 * a line in @err that starts with @path.
 */
int elf_load_file(const char *path, struct elf_image *img, char *err, size_t errlen);

/* Free the buffer elf_load_file() allocated (nothing for elf_parse() images) and zero @img. */
void elf_image_free(struct elf_image *img);

/*
 * Find section @name through bounds-checked section headers and .shstrtab:
 * its sh_addr and sh_size. Returns 0, -ENOENT (no such section or no
 * section headers) or -EINVAL (malformed section headers or names).
 */
int elf_find_section(const struct elf_image *img, const char *name, uint64_t *addr, uint64_t *size);

/*
 * Find the defined symbol @name in .symtab (entry size, string table link
 * and names bounds-checked): its st_value. Returns 0, -ENOENT or -EINVAL.
 */
int elf_find_symbol(const struct elf_image *img, const char *name, uint64_t *value);

/*
 * Copy segment @i into @dst (@dst_size bytes): filesz bytes from the file,
 * then zeroes up to memsz; bytes past memsz are untouched. Returns 0,
 * -EINVAL for a bad index, -E2BIG when memsz exceeds @dst_size.
 */
int elf_segment_copy(const struct elf_image *img, unsigned i, void *dst, size_t dst_size);

#endif
