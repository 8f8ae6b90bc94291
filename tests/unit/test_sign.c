// SPDX-License-Identifier: GPL-2.0-or-later
/* Module signing (installer/sign.h): keys made by generate_mok, a real
 * hello.ko signed and checked with openssl cms, modinfo and the kernel's
 * own sign-file, and every hygiene refusal on the key's path. Every test
 * works in a fresh temporary directory under /tmp, as root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dks/mok.h"
#include "installer/sign.h"
#include "sbtest.h"

TestSuite(sign, .fini = sbt_cleanup);

#define MOK_EKU	      "1.3.6.1.4.1.2312.16.1.2"
#define NOBODY	      65534
#define BUILD_TIMEOUT 300 /* the first test to need hello.ko builds it */

struct fx {
	char dir[64];
};

struct bytes {
	unsigned char *data;
	size_t len;
};

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	cr_assert(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

static void fx_init(struct fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/dks-sign-XXXXXX");
	cr_assert(mkdtemp(f->dir), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(f->dir);
}

/* "<dir>/<name>", malloc'd. */
static char *in(const struct fx *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

/* Run a shell command, output discarded: its exit status (-1: no exit). */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char *cmd, *quiet;
	va_list ap;
	int status;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	quiet = xasprintf("(%s) >/dev/null 2>&1 </dev/null", cmd);
	status = system(quiet);
	free(cmd);
	free(quiet);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A shell command's stdout (asserts it exited 0), malloc'd. */
__attribute__((format(printf, 1, 2))) static char *capture(const char *fmt, ...)
{
	char *cmd, *text = NULL;
	size_t size = 0;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	p = popen(cmd, "r");
	cr_assert_not_null(p, "%s: %s", cmd, strerror(errno));
	FILE *out = open_memstream(&text, &size);
	for (int c; (c = fgetc(p)) != EOF;)
		fputc(c, out);
	fclose(out);
	cr_assert_eq(pclose(p), 0, "%s failed:\n%s", cmd, text);
	free(cmd);
	return text;
}

static struct bytes read_bytes(const char *path)
{
	struct bytes b = {0};
	FILE *in_f = fopen(path, "rb");
	FILE *out = open_memstream((char **)&b.data, &b.len);

	cr_assert_not_null(in_f, "%s: %s", path, strerror(errno));
	for (int c; (c = fgetc(in_f)) != EOF;)
		fputc(c, out);
	fclose(in_f);
	fclose(out);
	return b;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *out = fopen(path, "wb");

	cr_assert_not_null(out, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, out), len);
	cr_assert_eq(fclose(out), 0);
}

static const char *srcdir(void)
{
	const char *s = getenv("DKS_SRCDIR");

	return s && *s ? s : ".";
}

/* ---- a real module ------------------------------------------------------ */

static void build_hello(const char *cache, const char *kver)
{
	char *tmp = xasprintf("%s.XXXXXX", cache);

	cr_assert(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
	sbt_defer_rmtree(tmp); /* gone once renamed; left only by a failure */
	cr_assert_eq(sh("cp '%s'/tests/modules/hello/* '%s' && "
			"make -C /lib/modules/%s/build M='%s' modules >'%s/make.log' 2>&1",
			srcdir(), tmp, kver, tmp, tmp),
		     0, "building hello.ko failed: see %s/make.log", tmp);
	cr_assert_eq(rename(tmp, cache), 0, "%s: %s", cache, strerror(errno));
	free(tmp);
}

/* hello.ko (tests/modules/hello) for the newest kernel headers. Building
 * takes about 10 s, so it is built once, under a lock that parallel tests
 * share, and kept in /tmp for later runs: signing does not care which
 * build of the module it gets. */
static struct bytes hello_ko(void)
{
	char *kver = sbt_installed_kernel();
	char *cache = xasprintf("/tmp/dks-test-sign-hello-%s", kver);
	char *lock = xasprintf("%s.lock", cache);
	char *ko = xasprintf("%s/hello.ko", cache);
	int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;

	cr_assert(fd >= 0, "%s: %s", lock, strerror(errno));
	cr_assert_eq(flock(fd, LOCK_EX), 0);
	if (lstat(cache, &st) != 0)
		build_hello(cache, kver);
	cr_assert_eq(lstat(cache, &st), 0);
	cr_assert(S_ISDIR(st.st_mode) && st.st_uid == geteuid(), "%s: not our directory", cache);
	close(fd);
	struct bytes b = read_bytes(ko);
	cr_assert(b.len > 1000 && memcmp(b.data, "\177ELF", 4) == 0, "%s: not a module", ko);
	cr_assert(!dks_module_is_signed(b.data, b.len), "%s: already signed", ko);
	free(kver);
	free(cache);
	free(lock);
	free(ko);
	return b;
}

/* ---- keys and signing ---------------------------------------------------- */

/* <dir>/<name>.key and <dir>/<name>.pub, CN "dks test <name>". */
static void generate(const char *dir, const char *name)
{
	struct dks_error err = {0};
	char *key = xasprintf("%s/%s.key", dir, name);
	char *cert = xasprintf("%s/%s.pub", dir, name);
	char *cn = xasprintf("dks test %s", name);

	cr_assert_eq(dks_generate_mok(key, cert, cn, &err), 0, "generate_mok: %s", err.msg);
	free(key);
	free(cert);
	free(cn);
}

static struct dks_signer *load(const struct fx *f, const char *name)
{
	struct dks_signer *s = NULL;
	struct dks_error err = {0};
	char *key = xasprintf("%s/%s.key", f->dir, name);
	char *cert = xasprintf("%s/%s.pub", f->dir, name);

	cr_assert_eq(dks_signer_load(key, cert, &s, &err), 0, "load: %s", err.msg);
	free(key);
	free(cert);
	return s;
}

/* dks_signer_load(@key, @cert) fails; its message (static). */
static const char *load_fails(const char *key, const char *cert)
{
	static struct dks_error err;
	struct dks_signer *s = NULL;

	memset(&err, 0, sizeof(err));
	cr_assert_lt(dks_signer_load(key, cert, &s, &err), 0, "%s was accepted", key);
	cr_assert_null(s);
	cr_assert(err.msg[0], "no message");
	cr_log_info("refused: %s", err.msg);
	return err.msg;
}

static void assert_has(const char *text, const char *needle)
{
	cr_assert(strstr(text, needle), "\"%s\" not in:\n%s", needle, text);
}

/* hello.ko signed with <dir>/mok.{key,pub} (generated here), sha256. */
static struct bytes signed_hello(const struct fx *f)
{
	struct bytes ko = hello_ko(), out = {0};
	struct dks_error err = {0};
	struct dks_signer *s;

	generate(f->dir, "mok");
	s = load(f, "mok");
	cr_assert_eq(
	    dks_sign_module(s, "sha256", ko.data, ko.len, (void **)&out.data, &out.len, &err), 0,
	    "sign: %s", err.msg);
	cr_assert(dks_module_is_signed(out.data, out.len));
	cr_assert(out.len > ko.len && memcmp(out.data, ko.data, ko.len) == 0,
		  "the module bytes are not kept as they were");
	dks_signer_free(s);
	free(ko.data);
	return out;
}

/* Split a signed module into <dir>/content.bin and <dir>/sig.der as
 * facts.md says: content | sig | 12-byte info | 28-byte marker, sig_len a
 * big-endian u32 at [size-32, size-28). Write <dir>/mok.pem for openssl. */
static void split(const struct fx *f, const struct bytes *m, size_t *content_len)
{
	const unsigned char *p = m->data + m->len - 32;
	size_t sig_len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	const unsigned char *info = m->data + m->len - 40;
	char *content = in(f, "content.bin"), *sig = in(f, "sig.der");

	cr_assert(m->len > 40 + sig_len);
	cr_assert(info[0] == 0 && info[1] == 0 && info[2] == 2 && info[3] == 0 && info[4] == 0,
		  "struct module_signature: algo/hash/id_type/signer_len/key_id_len wrong");
	*content_len = m->len - 40 - sig_len;
	write_bytes(content, m->data, *content_len);
	write_bytes(sig, m->data + *content_len, sig_len);
	cr_assert_eq(
	    sh("openssl x509 -inform DER -in '%s/mok.pub' -out '%s/mok.pem'", f->dir, f->dir), 0);
	free(content);
	free(sig);
}

static int cms_verify(const struct fx *f)
{
	return sh("cd '%s' && openssl cms -verify -binary -inform DER -in sig.der "
		  "-content content.bin -certfile mok.pem -nointern -noverify -out /dev/null",
		  f->dir);
}

/* ---- generate_mok ------------------------------------------------------- */

Test(sign, generate_mok_writes_private_key_0600_and_der_certificate)
{
	struct fx f;
	struct stat st;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	cr_assert_eq(lstat(key, &st), 0);
	cr_assert(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600, "key mode %o",
		  st.st_mode & 07777);
	cr_assert_eq(st.st_uid, 0);
	char *pem = capture("head -n1 '%s'", key);
	assert_has(pem, "-----BEGIN PRIVATE KEY-----");
	cr_assert_eq(lstat(cert, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "certificate mode %o", st.st_mode & 07777);
	char *text = capture("openssl x509 -inform DER -in '%s' -noout -text", cert);
	assert_has(text, MOK_EKU);
	assert_has(text, "Code Signing");
	assert_has(text, "Signature Algorithm: sha256WithRSAEncryption");
	assert_has(text, "Public-Key: (2048 bit)");
	assert_has(text, "Subject: CN = dks test mok");
	assert_has(text, "Issuer: CN = dks test mok");
	assert_has(text, "CA:FALSE");
	assert_has(text, "Digital Signature");
	assert_has(text, "Version: 3");
	dks_signer_free(load(&f, "mok"));
	free(key);
	free(cert);
	free(pem);
	free(text);
}

Test(sign, generate_mok_refuses_to_overwrite_a_key)
{
	struct fx f;
	struct dks_error err = {0};
	struct stat st;

	fx_init(&f);
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	sbt_write_file(key, "enrolled already\n", 0, 0, 0600);
	cr_assert_lt(dks_generate_mok(key, cert, "x", &err), 0);
	assert_has(err.msg, key);
	assert_has(err.msg, "already exists");
	char *kept = capture("cat '%s'", key);
	cr_assert_str_eq(kept, "enrolled already\n");
	cr_assert_neq(lstat(cert, &st), 0, "a certificate was written without its key");
	free(key);
	free(cert);
	free(kept);
}

Test(sign, generate_mok_refuses_to_overwrite_a_certificate)
{
	struct fx f;
	struct dks_error err = {0};
	struct stat st;

	fx_init(&f);
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	sbt_write_file(cert, "enrolled already\n", 0, 0, 0644);
	cr_assert_lt(dks_generate_mok(key, cert, "x", &err), 0);
	assert_has(err.msg, cert);
	assert_has(err.msg, "already exists");
	cr_assert_neq(lstat(key, &st), 0, "a key was left behind without its certificate");
	char *kept = capture("cat '%s'", cert);
	cr_assert_str_eq(kept, "enrolled already\n");
	free(key);
	free(cert);
	free(kept);
}

/* ---- signing a real module ---------------------------------------------- */

Test(sign, signed_module_verifies_with_openssl_cms, .timeout = BUILD_TIMEOUT)
{
	struct fx f;
	size_t content_len;

	fx_init(&f);
	struct bytes m = signed_hello(&f);
	split(&f, &m, &content_len);
	struct bytes ko = hello_ko();
	cr_assert_eq(content_len, ko.len, "the signature does not start right after the module");
	cr_assert_eq(cms_verify(&f), 0, "openssl cms -verify rejects the signature");
	free(m.data);
	free(ko.data);
}

Test(sign, flipped_byte_in_module_fails_verification, .timeout = BUILD_TIMEOUT)
{
	struct fx f;
	size_t content_len;

	fx_init(&f);
	struct bytes m = signed_hello(&f);
	m.data[m.len / 3] ^= 0x01; /* inside the module, far from the signature */
	split(&f, &m, &content_len);
	cr_assert_neq(cms_verify(&f), 0, "a modified module still verifies");
	free(m.data);
}

Test(sign, modinfo_shows_signer_serial_and_hash, .timeout = BUILD_TIMEOUT)
{
	struct fx f;

	fx_init(&f);
	struct bytes m = signed_hello(&f);
	char *path = in(&f, "hello.ko");
	write_bytes(path, m.data, m.len);
	char *signer = capture("modinfo -F signer '%s'", path);
	char *key = capture("modinfo -F sig_key '%s' | tr -d ':\\n'", path);
	char *hash = capture("modinfo -F sig_hashalgo '%s'", path);
	char *serial = capture("openssl x509 -inform DER -in '%s/mok.pub' -noout -serial | "
			       "sed 's/^serial=//' | tr -d '\\n'",
			       f.dir);
	cr_assert_str_eq(signer, "dks test mok\n");
	cr_assert(strlen(serial) >= 2 && strcasecmp(key, serial) == 0,
		  "sig_key %s, certificate serial %s", key, serial);
	cr_assert_str_eq(hash, "sha256\n");
	free(m.data);
	free(path);
	free(signer);
	free(key);
	free(hash);
	free(serial);
}

Test(sign, signature_is_byte_identical_to_kernel_sign_file, .timeout = BUILD_TIMEOUT)
{
	struct fx f;
	/* The kernel's own sign-file: its headers' scripts/ (on Debian a
	 * link into linux-kbuild-<series>). */
	char *kver = sbt_installed_kernel(), *headers = sbt_kernel_headers(kver);
	char *sign_file = xasprintf("%s/scripts/sign-file", headers);

	cr_assert_eq(access(sign_file, X_OK), 0, "%s: %s", sign_file, strerror(errno));
	fx_init(&f);
	struct bytes ours = signed_hello(&f);
	struct bytes ko = hello_ko();
	char *copy = in(&f, "theirs.ko");
	write_bytes(copy, ko.data, ko.len);
	cr_assert_eq(
	    sh("'%s' sha256 '%s/mok.key' '%s/mok.pub' '%s'", sign_file, f.dir, f.dir, copy), 0,
	    "sign-file failed");
	struct bytes theirs = read_bytes(copy);
	cr_assert_eq(theirs.len, ours.len, "sign-file: %zu bytes, ours: %zu", theirs.len, ours.len);
	cr_assert(memcmp(theirs.data, ours.data, ours.len) == 0,
		  "same length, different bytes than sign-file");
	free(ours.data);
	free(ko.data);
	free(theirs.data);
	free(copy);
	free(sign_file);
	free(headers);
	free(kver);
}

Test(sign, already_signed_module_is_refused, .timeout = BUILD_TIMEOUT)
{
	struct fx f;
	struct dks_error err = {0};
	void *twice = NULL;
	size_t twice_len = 0;

	fx_init(&f);
	struct bytes m = signed_hello(&f);
	struct dks_signer *s = load(&f, "mok");
	cr_assert_lt(dks_sign_module(s, "sha256", m.data, m.len, &twice, &twice_len, &err), 0);
	cr_assert_null(twice);
	assert_has(err.msg, "already signed");
	dks_signer_free(s);
	free(m.data);
}

Test(sign, unknown_hash_is_refused)
{
	struct fx f;
	struct dks_error err = {0};
	void *out = NULL;
	size_t out_len = 0;

	fx_init(&f);
	generate(f.dir, "mok");
	struct dks_signer *s = load(&f, "mok");
	cr_assert_lt(dks_sign_module(s, "sha257", "x", 1, &out, &out_len, &err), 0);
	cr_assert_null(out);
	assert_has(err.msg, "\"sha257\"");
	dks_signer_free(s);
}

Test(sign, is_signed_looks_only_at_the_marker)
{
	static const char signed_tail[] = "ELF...." DKS_MODULE_SIG_MAGIC;
	static const char marker_inside[] = DKS_MODULE_SIG_MAGIC "more";

	cr_assert(dks_module_is_signed(signed_tail, sizeof(signed_tail) - 1));
	cr_assert(dks_module_is_signed(DKS_MODULE_SIG_MAGIC, sizeof(DKS_MODULE_SIG_MAGIC) - 1));
	cr_assert_not(dks_module_is_signed(marker_inside, sizeof(marker_inside) - 1));
	cr_assert_not(dks_module_is_signed("Module signature appended~\n", 27));
	cr_assert_not(dks_module_is_signed("", 0));
}

Test(sign, certificate_in_pem_is_accepted)
{
	struct fx f;
	struct dks_signer *s = NULL;
	struct dks_error err = {0};

	fx_init(&f);
	generate(f.dir, "mok");
	cr_assert_eq(
	    sh("openssl x509 -inform DER -in '%s/mok.pub' -out '%s/mok.pem'", f.dir, f.dir), 0);
	char *key = in(&f, "mok.key"), *pem = in(&f, "mok.pem");
	cr_assert_eq(dks_signer_load(key, pem, &s, &err), 0, "%s", err.msg);
	dks_signer_free(s);
	free(key);
	free(pem);
}

/* ---- key hygiene -------------------------------------------------------- */

Test(sign, refuses_key_readable_by_others)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	cr_assert_eq(chmod(key, 0644), 0);
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "mode 0644");
	free(key);
	free(cert);
}

Test(sign, refuses_key_that_is_a_symlink)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *link = in(&f, "link.key"), *cert = in(&f, "mok.pub");
	cr_assert_eq(symlink("mok.key", link), 0);
	const char *msg = load_fails(link, cert);
	assert_has(msg, link);
	assert_has(msg, "symlink");
	free(link);
	free(cert);
}

Test(sign, refuses_symlink_among_parent_directories)
{
	struct fx f;

	fx_init(&f);
	char *real = in(&f, "real"), *alias = in(&f, "alias");
	cr_assert_eq(mkdir(real, 0755), 0);
	cr_assert_eq(symlink("real", alias), 0);
	generate(real, "mok");
	char *key = xasprintf("%s/mok.key", alias), *cert = xasprintf("%s/mok.pub", real);
	const char *msg = load_fails(key, cert);
	assert_has(msg, alias);
	assert_has(msg, "symlink");
	free(real);
	free(alias);
	free(key);
	free(cert);
}

Test(sign, refuses_key_owned_by_another_user)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	cr_assert_eq(chown(key, NOBODY, NOBODY), 0, "%s", strerror(errno));
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "owned by uid 65534");
	free(key);
	free(cert);
}

Test(sign, refuses_world_writable_parent_directory)
{
	struct fx f;

	fx_init(&f);
	char *open_dir = in(&f, "open");
	cr_assert_eq(mkdir(open_dir, 0700), 0);
	generate(open_dir, "mok");
	cr_assert_eq(chmod(open_dir, 0777), 0);
	char *key = xasprintf("%s/mok.key", open_dir), *cert = xasprintf("%s/mok.pub", open_dir);
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "directory");
	assert_has(msg, "writable by group or others (mode 0777)");
	free(open_dir);
	free(key);
	free(cert);
}

Test(sign, refuses_group_writable_parent_directory)
{
	struct fx f;

	fx_init(&f);
	char *dir = in(&f, "group");
	cr_assert_eq(mkdir(dir, 0700), 0);
	generate(dir, "mok");
	cr_assert_eq(chmod(dir, 0770), 0);
	char *key = xasprintf("%s/mok.key", dir), *cert = xasprintf("%s/mok.pub", dir);
	assert_has(load_fails(key, cert), "writable by group or others (mode 0770)");
	free(dir);
	free(key);
	free(cert);
}

/* /tmp's own case: sticky, so only an entry's owner can rename it; that
 * holds only when the directory itself belongs to root. */
Test(sign, refuses_sticky_parent_directory_not_owned_by_root)
{
	struct fx f;

	fx_init(&f);
	char *dir = in(&f, "sticky");
	cr_assert_eq(mkdir(dir, 0700), 0);
	generate(dir, "mok");
	cr_assert_eq(chmod(dir, 01777), 0);
	cr_assert_eq(chown(dir, NOBODY, NOBODY), 0);
	char *key = xasprintf("%s/mok.key", dir), *cert = xasprintf("%s/mok.pub", dir);
	const char *msg = load_fails(key, cert);
	assert_has(msg, dir);
	assert_has(msg, "owned by uid 65534");
	free(dir);
	free(key);
	free(cert);
}

Test(sign, accepts_key_below_root_owned_sticky_directory)
{
	struct fx f;

	fx_init(&f);
	char *dir = in(&f, "tmp");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 01777), 0);
	char *keys = xasprintf("%s/keys", dir);
	cr_assert_eq(mkdir(keys, 0700), 0);
	generate(keys, "mok");
	struct fx sub;
	snprintf(sub.dir, sizeof(sub.dir), "%s", keys);
	dks_signer_free(load(&sub, "mok"));
	free(dir);
	free(keys);
}

Test(sign, refuses_key_that_does_not_match_the_certificate)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "a");
	generate(f.dir, "b");
	char *key = in(&f, "a.key"), *cert = in(&f, "b.pub");
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "does not match the certificate");
	assert_has(msg, cert);
	free(key);
	free(cert);
}

Test(sign, refuses_missing_key_and_missing_certificate)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	char *nokey = in(&f, "none.key"), *nocert = in(&f, "none.pub");
	const char *msg = load_fails(nokey, cert);
	assert_has(msg, nokey);
	assert_has(msg, "No such file or directory");
	msg = load_fails(key, nocert);
	assert_has(msg, nocert);
	assert_has(msg, "No such file or directory");
	free(key);
	free(cert);
	free(nokey);
	free(nocert);
}

/* The installer runs unattended: an encrypted key is refused, never a
 * passphrase prompt on its terminal. */
Test(sign, refuses_encrypted_key_without_prompting)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	cr_assert_eq(sh("cd '%s' && umask 077 && openssl pkey -in mok.key -aes256 "
			"-passout pass:secret -out enc.key",
			f.dir),
		     0);
	char *key = in(&f, "enc.key"), *cert = in(&f, "mok.pub");
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "the key is encrypted");
	free(key);
	free(cert);
}

Test(sign, refuses_certificate_writable_by_others)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "mok.key"), *cert = in(&f, "mok.pub");
	cr_assert_eq(chmod(cert, 0666), 0);
	const char *msg = load_fails(key, cert);
	assert_has(msg, cert);
	assert_has(msg, "mode 0666");
	free(key);
	free(cert);
}

Test(sign, refuses_key_that_is_not_a_key)
{
	struct fx f;

	fx_init(&f);
	generate(f.dir, "mok");
	char *key = in(&f, "junk.key"), *cert = in(&f, "mok.pub");
	sbt_write_file(key, "not a key\n", 0, 0, 0600);
	const char *msg = load_fails(key, cert);
	assert_has(msg, key);
	assert_has(msg, "not a PEM private key");
	free(key);
	free(cert);
}
