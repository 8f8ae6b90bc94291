// SPDX-License-Identifier: GPL-2.0-or-later
/* Archives built by the tests (sbtar.h). */
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sbtar.h"

static void write_zeros(struct archive *a, size_t size)
{
	static const char zeros[65536];

	while (size) {
		size_t n = size < sizeof(zeros) ? size : sizeof(zeros);

		cr_assert_eq(archive_write_data(a, zeros, n), (la_ssize_t)n);
		size -= n;
	}
}

void sbt_make_tar(const char *path, const struct sbt_item *items, size_t n,
		  int (*filter)(struct archive *))
{
	struct archive *a = archive_write_new();

	cr_assert_not_null(a);
	cr_assert_eq(filter(a), ARCHIVE_OK, "filter: %s", archive_error_string(a));
	cr_assert_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	cr_assert_eq(archive_write_open_filename(a, path), ARCHIVE_OK, "%s",
		     archive_error_string(a));
	for (size_t i = 0; i < n; i++) {
		const struct sbt_item *it = &items[i];
		struct archive_entry *e = archive_entry_new();
		size_t len = it->data ? strlen(it->data) : it->size;

		archive_entry_set_pathname(e, it->path);
		archive_entry_set_filetype(e, it->type ? it->type : AE_IFREG);
		archive_entry_set_perm(e, it->perm ? it->perm : 0644);
		if (it->type == AE_IFCHR || it->type == AE_IFBLK)
			archive_entry_set_rdev(e, makedev(1, 3));
		if (it->link && it->hard)
			archive_entry_set_hardlink(e, it->link);
		else if (it->link)
			archive_entry_set_symlink(e, it->link);
		archive_entry_set_size(e, (la_int64_t)len);
		cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s: %s", it->path,
			     archive_error_string(a));
		if (it->data && len)
			cr_assert_eq(archive_write_data(a, it->data, len), (la_ssize_t)len);
		else if (len)
			write_zeros(a, len);
		archive_entry_free(e);
	}
	cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

void sbt_write_raw_tar(const char *path, const char *name, unsigned long long size)
{
	unsigned char h[1024] = {0};
	unsigned sum = 0;
	char num[32];
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	cr_assert_lt(size, 1ULL << 33, "11 octal digits");
	snprintf(num, sizeof(num), "%011llo", size);
	memcpy(h + 124, num, 12);
	memcpy(h + 136, "14000000000", 12);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf(num, sizeof(num), "%06o", sum & 0777777);
	memcpy(h + 148, num, 7);
	cr_assert_eq(fwrite(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
}
