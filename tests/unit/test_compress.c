// SPDX-License-Identifier: GPL-2.0-or-later
/* Module compression (installer/compress.h): the format a kernel config
 * asks for, and round trips through the standard tools (xz, zstd, gzip)
 * and through kmod, which must read a compressed real module. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "installer/compress.h"
#include "sbtest.h"

TestSuite(compress, .fini = sbt_cleanup);

/* tests/unit/test_validate.c: hello.ko built for @kver, cached. */
char *tv_hello_ko(const char *kver);

static char *tmpdir(void)
{
	char *dir = strdup("/tmp/dks-compress-XXXXXX");

	cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(dir);
	return dir;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static void write_bytes(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(buf, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void *read_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fileno(f), &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = (size_t)st.st_size;
	return buf;
}

/* Output of a shell command, NUL-terminated, malloc'd; its exit status. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t cap = 0;
	ssize_t n;

	cr_assert_not_null(p, "%s", cmd);
	n = getdelim(&out, &cap, '\0', p);
	if (n < 0) {
		free(out);
		out = strdup("");
	}
	*status = pclose(p);
	return out;
}

/* Something module-sized that compresses but not trivially. */
static unsigned char *sample(size_t len)
{
	unsigned char *buf = malloc(len);
	unsigned seed = 7;

	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i % 251 < 220 ? "hello module "[i % 13] : rand_r(&seed));
	return buf;
}

static enum dks_compression config_says(const char *text)
{
	char *dir = tmpdir(), *path = path_in(dir, ".config");
	enum dks_compression c = -1;
	struct dks_error err = {0};

	write_bytes(path, text, strlen(text));
	cr_assert_eq(dks_kernel_compression(path, &c, &err), 0, "%s", err.msg);
	free(path);
	free(dir);
	return c;
}

Test(compress, kernel_config_chooses_the_format)
{
	cr_assert_eq(config_says(""), DKS_COMPRESS_NONE);
	cr_assert_eq(config_says("CONFIG_MODULE_COMPRESS_NONE=y\n"), DKS_COMPRESS_NONE);
	cr_assert_eq(config_says("# CONFIG_MODULE_COMPRESS_XZ is not set\n"), DKS_COMPRESS_NONE);
	cr_assert_eq(config_says("CONFIG_MODULE_COMPRESS_XZ=n\n"), DKS_COMPRESS_NONE);
	cr_assert_eq(config_says("CONFIG_MODULE_COMPRESS_GZIP=y\n"), DKS_COMPRESS_GZIP);
	cr_assert_eq(config_says("CONFIG_A=1\nCONFIG_MODULE_COMPRESS_XZ=y\n"), DKS_COMPRESS_XZ);
	cr_assert_eq(config_says("CONFIG_MODULE_COMPRESS_ZSTD=y\r\n"), DKS_COMPRESS_ZSTD);
	cr_assert_eq(config_says("CONFIG_MODULE_COMPRESS_ZSTD_LEVEL=y\n"), DKS_COMPRESS_NONE);
}

/* Each installed kernel's own choice (CONFIG_MODULE_COMPRESS_*, read here
 * from its config; none of them set: uncompressed). */
Test(compress, installed_kernels_configs_give_their_compression)
{
	size_t n;
	char **kernels = sbt_installed_kernels(&n);

	for (size_t i = 0; i < n; i++) {
		enum dks_compression c = -1, want = DKS_COMPRESS_NONE;
		struct dks_error err = {0};
		char cfg[512];

		if (sbt_kernel_config_set(kernels[i], "CONFIG_MODULE_COMPRESS_GZIP"))
			want = DKS_COMPRESS_GZIP;
		if (sbt_kernel_config_set(kernels[i], "CONFIG_MODULE_COMPRESS_XZ"))
			want = DKS_COMPRESS_XZ;
		if (sbt_kernel_config_set(kernels[i], "CONFIG_MODULE_COMPRESS_ZSTD"))
			want = DKS_COMPRESS_ZSTD;
		snprintf(cfg, sizeof(cfg), "/lib/modules/%s/build/.config", kernels[i]);
		cr_assert_eq(dks_kernel_compression(cfg, &c, &err), 0, "%s", err.msg);
		cr_expect_eq(c, want, "%s: compression %d, its config says %d", kernels[i], c, want);
	}
	sbt_strv_free(kernels);
}

Test(compress, bad_config_fails_naming_the_file)
{
	enum dks_compression c;
	struct dks_error err = {0};
	char *dir = tmpdir(), *path = path_in(dir, ".config");
	const char *two = "CONFIG_MODULE_COMPRESS_XZ=y\nCONFIG_MODULE_COMPRESS_GZIP=y\n";

	cr_assert_lt(dks_kernel_compression("/nonexistent/.config", &c, &err), 0);
	cr_assert_not_null(strstr(err.msg, "/nonexistent/.config"), "%s", err.msg);
	write_bytes(path, two, strlen(two));
	cr_assert_lt(dks_kernel_compression(path, &c, &err), 0);
	cr_assert_not_null(strstr(err.msg, path), "%s", err.msg);
	free(path);
	free(dir);
}

Test(compress, extensions)
{
	cr_assert_str_eq(dks_compression_ext(DKS_COMPRESS_NONE), "");
	cr_assert_str_eq(dks_compression_ext(DKS_COMPRESS_GZIP), ".gz");
	cr_assert_str_eq(dks_compression_ext(DKS_COMPRESS_XZ), ".xz");
	cr_assert_str_eq(dks_compression_ext(DKS_COMPRESS_ZSTD), ".zst");
}

/* Compress @len bytes with @c into DIR/f<ext>, decompress with @tool
 * ("xz -dc"), and compare. Returns the compressed file's path. */
static char *round_trip(enum dks_compression c, const char *tool, const char *dir, size_t len)
{
	unsigned char *in = sample(len);
	char *file, *outp, *cmd, *name;
	void *z, *back;
	size_t zlen, blen;
	struct dks_error err = {0};
	int status;

	cr_assert_eq(dks_compress(c, in, len, &z, &zlen, &err), 0, "%s", err.msg);
	cr_assert(asprintf(&name, "f%zu%s", len, dks_compression_ext(c)) > 0);
	file = path_in(dir, name);
	outp = path_in(dir, "out");
	write_bytes(file, z, zlen);
	cr_assert(asprintf(&cmd, "%s '%s' > '%s'", tool, file, outp) > 0);
	status = system(cmd);
	cr_assert_eq(status, 0, "%s: status %d", cmd, status);
	back = read_bytes(outp, &blen);
	cr_assert_eq(blen, len, "%s", cmd);
	cr_assert(len == 0 || memcmp(back, in, len) == 0, "%s: different bytes", cmd);
	cr_assert(c == DKS_COMPRESS_NONE || len < 4096 || zlen < len / 2,
		  "%zu bytes compressed to %zu", len, zlen);
	free(cmd);
	free(back);
	free(outp);
	free(name);
	free(z);
	free(in);
	return file;
}

Test(compress, xz_round_trip_with_crc32_and_a_1_mib_dictionary)
{
	char *dir = tmpdir(), *file, *cmd, *out;
	int status;

	free(round_trip(DKS_COMPRESS_XZ, "xz -dc", dir, 0));
	file = round_trip(DKS_COMPRESS_XZ, "xz -dc", dir, 3 << 20);
	cr_assert(asprintf(&cmd, "unxz -t '%s' && xz --robot -lvv '%s'", file, file) > 0);
	out = run(cmd, &status);
	cr_assert_eq(status, 0, "%s: %s", cmd, out);
	/* The kernel's xz decompressor knows CRC32, not CRC64 (xz's default). */
	cr_assert_not_null(strstr(out, "\tCRC32\t"), "%s", out);
	cr_assert_null(strstr(out, "CRC64"), "%s", out);
	cr_assert_not_null(strstr(out, "--lzma2=dict=1MiB"), "%s", out);
	free(out);
	free(cmd);
	free(file);
	free(dir);
}

Test(compress, zstd_round_trip_with_a_checksum)
{
	char *dir = tmpdir(), *file, *cmd, *out;
	int status;

	free(round_trip(DKS_COMPRESS_ZSTD, "zstd -q -dc", dir, 0));
	file = round_trip(DKS_COMPRESS_ZSTD, "zstd -q -dc", dir, 1 << 20);
	cr_assert(asprintf(&cmd, "zstd -lv '%s' 2>&1", file) > 0);
	out = run(cmd, &status);
	cr_assert_eq(status, 0, "%s: %s", cmd, out);
	cr_assert_not_null(strstr(out, "XXH64"), "%s", out);
	free(out);
	free(cmd);
	free(file);
	free(dir);
}

Test(compress, gzip_round_trip)
{
	char *dir = tmpdir();

	free(round_trip(DKS_COMPRESS_GZIP, "gzip -dc", dir, 0));
	free(round_trip(DKS_COMPRESS_GZIP, "gzip -dc", dir, 1 << 20));
	free(dir);
}

Test(compress, none_copies)
{
	char *dir = tmpdir();

	free(round_trip(DKS_COMPRESS_NONE, "cat", dir, 12345));
	free(dir);
}

/* modinfo FILE: the name field of a compressed real module. */
static void assert_kmod_reads(const char *ko, enum dks_compression c, const char *dir)
{
	size_t len, zlen;
	void *raw = read_bytes(ko, &len), *z;
	struct dks_error err = {0};
	char *name, *file, *cmd, *out;
	int status;

	cr_assert_eq(dks_compress(c, raw, len, &z, &zlen, &err), 0, "%s", err.msg);
	cr_assert(asprintf(&name, "hello.ko%s", dks_compression_ext(c)) > 0);
	file = path_in(dir, name);
	write_bytes(file, z, zlen);
	cr_assert(asprintf(&cmd, "modinfo -F name '%s' 2>&1", file) > 0);
	out = run(cmd, &status);
	cr_assert_eq(status, 0, "%s: %s", cmd, out);
	cr_assert_str_eq(out, "hello\n", "%s", cmd);
	free(out);
	free(cmd);
	free(file);
	free(name);
	free(z);
	free(raw);
}

Test(compress, kmod_reads_a_compressed_real_module, .timeout = 300)
{
	char *kver = sbt_installed_kernel(), *ko = tv_hello_ko(kver), *dir = tmpdir();

	/* Debian's kmod 30 reads .xz and .zst, not .gz. */
	assert_kmod_reads(ko, DKS_COMPRESS_XZ, dir);
	assert_kmod_reads(ko, DKS_COMPRESS_ZSTD, dir);
	free(dir);
	free(ko);
	free(kver);
}
