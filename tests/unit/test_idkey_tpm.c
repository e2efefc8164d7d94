/*
 * Tests for the TPM key backend of dom0/identity/idkey against a real
 * software TPM: the group setup starts swtpm on free loopback ports with its
 * state in a temporary folder and the teardown stops it (it also dies with
 * this process: PR_SET_PDEATHSIG). tpm2-tools, pointed at the same swtpm
 * through TPM2TOOLS_TCTI, are the independent witness: they read back what
 * we created and plant the keys we must refuse. Each test first empties the
 * handle, so tests do not depend on their order.
 *
 * The pure checks of idkey_tpm_check_public need no TPM and come last.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bearssl/bearssl.h>

#include "idkey.h"

#define H 0x817FFFFFu

static struct {
	char dir[64];
	char tcti[96];
	int port;
	pid_t pid;
} T = { .pid = -1 };

/* ---- helpers: processes, ports, shell ---------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		close(s);
		return -1;
	}
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* A port P such that P and P+1 are free on loopback right now. */
static int free_port_pair(void)
{
	for (int i = 0; i < 50; i++) {
		int p = bind_port(0);

		if (p > 0 && p < 65535 && bind_port(p + 1) == p + 1)
			return p;
	}
	return -1;
}

static bool port_answers(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

/*
 * Starts `swtpm socket --tpm2` on port (server) and port+1 (control) with
 * its state in statedir; with startup, the TPM is started (startup-clear).
 * Returns its pid once both ports answer, or -1.
 */
static pid_t swtpm_start(const char *statedir, int port, bool startup)
{
	char server[64], ctrl[64], state[128], logf[128];
	int status;
	pid_t pid;

	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1",
		 port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1",
		 port + 1);
	snprintf(state, sizeof(state), "dir=%s", statedir);
	snprintf(logf, sizeof(logf), "%s/swtpm.log", statedir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", server,
		       "--ctrl", ctrl, "--tpmstate", state, "--flags",
		       startup ? "not-need-init,startup-clear" :
				 "not-need-init", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) { /* up to ~10 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -1; /* died: port taken meanwhile? */
		if (port_answers(port) && port_answers(port + 1))
			return pid;
		nap_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

static void swtpm_stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 250; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		nap_ms(20);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* Runs a shell command (stderr merged); exit status; stdout in out. */
__attribute__((format(printf, 3, 4)))
static int sh(char *out, size_t outsz, const char *fmt, ...)
{
	char cmd[2048], sink[256];
	size_t n = 0;
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (out) {
		n = fread(out, 1, outsz - 1, p);
		out[n] = '\0';
	}
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* ---- helpers: the TPM through tpm2-tools ------------------------------- */

static bool handle_in_use(void)
{
	char out[4096];

	assert_int_equal(sh(out, sizeof(out), "tpm2_getcap handles-persistent"),
			 0);
	return strstr(out, "0x817FFFFF") != NULL;
}

static void empty_handle(void)
{
	char out[4096];

	if (handle_in_use())
		assert_int_equal(sh(out, sizeof(out), "tpm2_evictcontrol -C o "
				    "-c 0x817FFFFF"), 0);
	assert_false(handle_in_use());
}

/* Plants a primary key made by tpm2-tools at the handle. */
static void plant(const char *alg, const char *attrs, const char *more)
{
	char out[4096];
	int rc;

	empty_handle();
	rc = sh(out, sizeof(out), "tpm2_createprimary -Q -C o -G %s -a '%s' "
		"%s -c %s/p.ctx && tpm2_evictcontrol -Q -C o -c %s/p.ctx "
		"0x817FFFFF", alg, attrs, more, T.dir, T.dir);
	sh(NULL, 0, "tpm2_flushcontext -t"); /* no resource manager */
	if (rc != 0)
		fail_msg("planting %s failed: %s", alg, out);
	assert_true(handle_in_use());
}

static int hex_line(const char *text, const char *key, uint8_t *dst,
		    size_t n)
{
	const char *p = strstr(text, key);

	if (!p)
		return -1;
	p += strlen(key);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(p + 2 * i, "%2x", &v) != 1)
			return -1;
		dst[i] = (uint8_t)v;
	}
	return 0;
}

/* tpm2_readpublic of the handle: the point in pub, the text in out. */
static void readpublic(uint8_t pub[65], char *out, size_t outsz)
{
	assert_int_equal(sh(out, outsz, "tpm2_readpublic -c 0x817FFFFF"), 0);
	if (!pub)
		return;
	pub[0] = 0x04;
	assert_int_equal(hex_line(out, "\nx: ", pub + 1, 32), 0);
	assert_int_equal(hex_line(out, "\ny: ", pub + 33, 32), 0);
}

static bool verifies(const uint8_t pub[65], const uint8_t hash[32],
		     const uint8_t sig[64])
{
	br_ec_public_key pk = { BR_EC_secp256r1, (unsigned char *)pub, 65 };

	return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig, 64);
}

static void sha256(const void *d, size_t n, uint8_t out[32])
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, d, n);
	br_sha256_out(&c, out);
}

/* Opens the key and expects refusal with `needle` in the error; the
 * planted key must still be there afterwards (never replaced). */
static void expect_refused(const char *needle, const char *still)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX], out[4096];

	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err),
			 -EKEYREJECTED);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	assert_non_null(strstr(err, "0x817fffff"));
	assert_int_equal(k.backend, IDKEY_CLOSED);
	readpublic(NULL, out, sizeof(out));
	if (!strstr(out, still))
		fail_msg("the planted key changed: %s", out);
}

/* ---- group setup: one swtpm for the file ------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	strcpy(T.dir, "/tmp/idkey-tpm-test.XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	for (int tries = 0; tries < 5 && T.pid < 0; tries++) {
		T.port = free_port_pair();
		if (T.port > 0)
			T.pid = swtpm_start(T.dir, T.port, true);
	}
	if (T.pid < 0) {
		fprintf(stderr, "cannot start swtpm (see %s/swtpm.log)\n",
			T.dir);
		return -1;
	}
	snprintf(T.tcti, sizeof(T.tcti), "swtpm:host=127.0.0.1,port=%d",
		 T.port);
	setenv("TPM2TOOLS_TCTI", T.tcti, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	swtpm_stop(T.pid);
	T.pid = -1;
	nftw(T.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- tests against swtpm ---------------------------------------------- */

static void test_unreachable_tpm(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX], tcti[96];
	int port = free_port_pair(); /* nothing listens there */

	(void)state;
	assert_true(port > 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	assert_int_equal(idkey_tpm_open(&k, tcti, H, true, err), -ENODEV);
	assert_non_null(strstr(err, tcti));
	assert_non_null(strstr(err, "cannot reach it"));
	assert_int_equal(k.backend, IDKEY_CLOSED);
	idkey_close(&k);
	/* an unknown TCTI module too */
	assert_int_equal(idkey_tpm_open(&k, "nosuchtcti:x", H, true, err),
			 -ENODEV);
	assert_non_null(strstr(err, "nosuchtcti"));
}

static void test_bad_handle_refused(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX];

	(void)state;
	assert_int_equal(idkey_tpm_open(&k, T.tcti, 0x81800000u, true, err),
			 -EINVAL);
	assert_non_null(strstr(err, "0x81800000"));
	assert_non_null(strstr(err, "not an owner persistent handle"));
	assert_int_equal(idkey_tpm_open(&k, T.tcti, 0x01500000u, true, err),
			 -EINVAL);
	assert_int_equal(idkey_tpm_open(&k, "", H, true, err), -EINVAL);
	assert_non_null(strstr(err, "no TCTI"));
}

static void test_empty_handle_without_create(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX];

	(void)state;
	empty_handle();
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, false, err), -ENOENT);
	assert_non_null(strstr(err, "0x817fffff"));
	assert_non_null(strstr(err, "handle is empty"));
	assert_false(handle_in_use()); /* nothing created */
}

static void test_creates_key_at_handle(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX], out[4096], logf[128], buf[512];
	uint8_t pub[65];
	int fd, saved;
	ssize_t n;

	(void)state;
	empty_handle();
	/* tpm2-tss must print nothing for the expected miss: watch stderr */
	snprintf(logf, sizeof(logf), "%s/stderr", T.dir);
	fd = open(logf, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	if (n > 0)
		fail_msg("tpm2-tss wrote to stderr: %s", buf);

	assert_string_equal(err, "");
	assert_int_equal(k.backend, IDKEY_TPM);
	assert_true(k.created);
	assert_true(k.signer.in_tpm);
	assert_int_equal(k.signer.pub[0], 0x04);

	/* tpm2-tools see the same key, with the template we promise */
	readpublic(pub, out, sizeof(out));
	assert_memory_equal(pub, k.signer.pub, 65);
	assert_non_null(strstr(out, "value: fixedtpm|fixedparent|"
			       "sensitivedataorigin|userwithauth|noda|sign\n"));
	assert_non_null(strstr(out, "curve-id:\n  value: NIST p256"));
	assert_non_null(strstr(out, "scheme:\n  value: ecdsa"));
	assert_non_null(strstr(out, "scheme-halg:\n  value: sha256"));
	/* and no transient object was left behind */
	assert_int_equal(sh(out, sizeof(out), "tpm2_getcap handles-transient"),
			 0);
	assert_null(strstr(out, "0x80"));
	idkey_close(&k);
	assert_true(handle_in_use()); /* closing keeps the persistent key */
}

static void test_reopen_reuses_and_signs(void **state)
{
	struct idkey k, k2;
	char err[IDKEY_ERR_MAX], out[4096], path[160];
	uint8_t h[32], h2[32], sig[80];
	static const char msg[] = "register payload";
	int fd;
	size_t n;

	(void)state;
	empty_handle();
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	assert_true(k.created);
	idkey_close(&k);
	assert_int_equal(idkey_tpm_open(&k2, T.tcti, H, false, err), 0);
	assert_false(k2.created);
	idkey_close(&k2);
	assert_int_equal(idkey_tpm_open(&k2, T.tcti, H, true, err), 0);
	assert_false(k2.created);

	sha256(msg, strlen(msg), h);
	sha256("register payloae", 16, h2);
	assert_int_equal(k2.signer.sign(&k2.signer, h, sig), 0);
	assert_true(verifies(k2.signer.pub, h, sig));
	assert_false(verifies(k2.signer.pub, h2, sig));

	/* openssl agrees, with the public key as tpm2-tools export it */
	assert_int_equal(sh(out, sizeof(out), "tpm2_readpublic -c 0x817FFFFF "
			    "-f pem -o %s/pub.pem", T.dir), 0);
	n = br_ecdsa_raw_to_asn1(sig, 64);
	snprintf(path, sizeof(path), "%s/sig.der", T.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, sig, n), (ssize_t)n);
	close(fd);
	snprintf(path, sizeof(path), "%s/msg", T.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
	close(fd);
	assert_int_equal(sh(out, sizeof(out), "cd %s && openssl dgst -sha256 "
			    "-verify pub.pem -signature sig.der msg", T.dir),
			 0);
	assert_non_null(strstr(out, "Verified OK"));
	idkey_close(&k2);
}

/*
 * Our primary is derived from the owner seed and the template, so the same
 * pub after a re-create says nothing about reuse. A key planted by
 * tpm2-tools with another template (null scheme) is a different key: we
 * must report and sign with that one, and create nothing.
 */
static void test_uses_existing_key_as_is(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX], out[4096];
	uint8_t ours[65], planted[65], h[32] = { 9 }, sig[64];

	(void)state;
	empty_handle();
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	memcpy(ours, k.signer.pub, 65);
	idkey_close(&k);

	plant("ecc256:null", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|noda|sign", "");
	readpublic(planted, out, sizeof(out));
	assert_non_null(strstr(out, "scheme:\n  value: null"));
	assert_memory_not_equal(planted, ours, 65);

	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	assert_false(k.created);
	assert_memory_equal(k.signer.pub, planted, 65);
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	assert_true(verifies(planted, h, sig));
	idkey_close(&k);
}

static void test_recreated_after_evict_is_the_same_key(void **state)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX];
	uint8_t first[65];

	(void)state;
	empty_handle();
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	memcpy(first, k.signer.pub, 65);
	idkey_close(&k);
	empty_handle();
	assert_int_equal(idkey_tpm_open(&k, T.tcti, H, true, err), 0);
	assert_true(k.created);
	assert_memory_equal(k.signer.pub, first, 65);
	idkey_close(&k);
}

static void test_refuses_rsa_key(void **state)
{
	(void)state;
	plant("rsa2048", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|noda|sign", "");
	expect_refused("an RSA key", "type:\n  value: rsa");
}

static void test_refuses_restricted_key(void **state)
{
	(void)state;
	plant("ecc256:ecdsa-sha256:null", "fixedtpm|fixedparent|"
	      "sensitivedataorigin|userwithauth|restricted|noda|sign", "");
	expect_refused("restricted signing key", "restricted");
}

static void test_refuses_other_curve(void **state)
{
	(void)state;
	plant("ecc384:ecdsa-sha384", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|noda|sign", "");
	expect_refused("NIST P-384", "NIST p384");
}

static void test_refuses_storage_key(void **state)
{
	(void)state;
	plant("ecc256", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|restricted|decrypt|noda", "");
	expect_refused("not a signing key", "decrypt");
}

static void test_refuses_key_not_fixed_to_tpm(void **state)
{
	(void)state;
	plant("ecc256:ecdsa-sha256", "sensitivedataorigin|userwithauth|noda|"
	      "sign", "");
	expect_refused("not fixedTPM", "value: sensitivedataorigin");
}

static void test_refuses_key_with_unknown_auth(void **state)
{
	(void)state;
	plant("ecc256:ecdsa-sha256", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|noda|sign", "-p secret");
	expect_refused("authValue we do not know", "NIST p256");
}

static void test_auto_uses_tpm(void **state)
{
	struct idkey_auto_conf c = { 0 };
	struct idkey_choice why;
	struct idkey k;
	char err[IDKEY_ERR_MAX], soft[160], out[4096];
	uint8_t pub[65];

	(void)state;
	empty_handle();
	snprintf(soft, sizeof(soft), "%s/device.key.pem", T.dir);
	c.soft_path = soft;
	c.tcti_conf = T.tcti;
	c.create_if_missing = true;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), 0);
	assert_int_equal(why.backend, IDKEY_TPM);
	assert_non_null(strstr(why.reason, "TPM reached"));
	assert_true(k.signer.in_tpm);
	assert_true(k.created);
	readpublic(pub, out, sizeof(out));
	assert_memory_equal(pub, k.signer.pub, 65);
	assert_int_equal(access(soft, F_OK), -1); /* no soft key made */
	idkey_close(&k);
}

/* A TPM that is there but holds an unusable key: an error, no soft key. */
static void test_auto_never_falls_back_from_a_present_tpm(void **state)
{
	struct idkey_auto_conf c = { 0 };
	struct idkey_choice why;
	struct idkey k;
	char err[IDKEY_ERR_MAX], soft[160];

	(void)state;
	plant("rsa2048", "fixedtpm|fixedparent|sensitivedataorigin|"
	      "userwithauth|noda|sign", "");
	snprintf(soft, sizeof(soft), "%s/device.key.pem", T.dir);
	c.soft_path = soft;
	c.tcti_conf = T.tcti;
	c.create_if_missing = true;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), -EKEYREJECTED);
	assert_int_equal(why.backend, IDKEY_TPM);
	assert_non_null(strstr(err, "RSA"));
	assert_int_equal(access(soft, F_OK), -1);
	assert_int_equal(k.backend, IDKEY_CLOSED);
}

static void test_auto_soft_key_file_wins(void **state)
{
	struct idkey_auto_conf c = { 0 };
	struct idkey_choice why;
	struct idkey k, s;
	char err[IDKEY_ERR_MAX], soft[160];

	(void)state;
	empty_handle();
	snprintf(soft, sizeof(soft), "%s/device.key.pem", T.dir);
	assert_int_equal(idkey_soft_open(&s, soft, true, err), 0);
	c.soft_path = soft;
	c.tcti_conf = T.tcti;
	c.create_if_missing = true;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), 0);
	assert_int_equal(why.backend, IDKEY_SOFT);
	assert_non_null(strstr(why.reason, "without a TPM"));
	assert_false(k.signer.in_tpm);
	assert_memory_equal(k.signer.pub, s.signer.pub, 65);
	assert_false(handle_in_use()); /* the TPM was not touched */
	idkey_close(&k);
	idkey_close(&s);
	unlink(soft);
}

static void test_auto_unreachable_tcti_means_soft(void **state)
{
	struct idkey_auto_conf c = { 0 };
	struct idkey_choice why;
	struct idkey k;
	char err[IDKEY_ERR_MAX], soft[160], tcti[96];
	int port = free_port_pair();

	(void)state;
	assert_true(port > 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	snprintf(soft, sizeof(soft), "%s/device.key.pem", T.dir);
	c.soft_path = soft;
	c.tcti_conf = tcti;
	c.create_if_missing = true;
	assert_int_equal(idkey_open_auto(&k, &c, &why, err), 0);
	assert_int_equal(why.backend, IDKEY_SOFT);
	assert_non_null(strstr(why.reason, "does not answer"));
	assert_non_null(strstr(why.reason, tcti));
	assert_true(k.created);
	assert_false(k.signer.in_tpm);
	idkey_close(&k);
	unlink(soft);
}

/* A TPM nobody sent TPM2_Startup gets one, then works. */
static void test_starts_up_a_fresh_tpm(void **state)
{
	char dir[96], tcti[96], err[IDKEY_ERR_MAX];
	struct idkey k;
	uint8_t h[32] = { 3 }, sig[64];
	pid_t pid = -1;
	int port = -1;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fresh", T.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	for (int tries = 0; tries < 5 && pid < 0; tries++) {
		port = free_port_pair();
		if (port > 0)
			pid = swtpm_start(dir, port, false);
	}
	assert_true(pid > 0);
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	assert_int_equal(idkey_tpm_open(&k, tcti, H, true, err), 0);
	assert_true(k.created);
	assert_int_equal(k.signer.sign(&k.signer, h, sig), 0);
	assert_true(verifies(k.signer.pub, h, sig));
	idkey_close(&k);
	swtpm_stop(pid);
}

/*
 * idkey_tss_log_quiet(): tpm2-tss reads TSS2_LOG once per module, so this
 * runs in a fresh process (this binary re-executed with --tss-child): with
 * the call, an unreachable TPM leaves stderr empty; without it, tpm2-tss
 * complains there (which shows the check can see noise at all).
 */
static int tss_child(bool quiet)
{
	struct idkey k;
	char err[IDKEY_ERR_MAX], tcti[96];
	int port = free_port_pair();

	unsetenv("TSS2_LOG");
	if (quiet) {
		idkey_tss_log_quiet();
		if (!getenv("TSS2_LOG") ||
		    strcmp(getenv("TSS2_LOG"), "all+none") != 0)
			return 3;
	}
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", port);
	if (idkey_tpm_open(&k, tcti, H, true, err) != -ENODEV)
		return 4;
	/* an operator's own TSS2_LOG is kept */
	setenv("TSS2_LOG", "all+debug", 1);
	idkey_tss_log_quiet();
	return strcmp(getenv("TSS2_LOG"), "all+debug") == 0 ? 0 : 5;
}

static void run_tss_child(const char *mode, char *out, size_t outsz)
{
	char cmd[256];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "/proc/%d/exe %s 2>&1 >/dev/null",
		 (int)getpid(), mode);
	p = popen(cmd, "r");

	assert_non_null(p);
	n = fread(out, 1, outsz - 1, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_log_quiet_silences_tss(void **state)
{
	char out[4096];

	(void)state;
	run_tss_child("--tss-child-noisy", out, sizeof(out));
	assert_non_null(strstr(out, "tcti"));
	run_tss_child("--tss-child-quiet", out, sizeof(out));
	assert_string_equal(out, "");
}

/* ---- pure checks of a public area ------------------------------------ */

static TPMT_PUBLIC good_public(void)
{
	TPMT_PUBLIC p;

	memset(&p, 0, sizeof(p));
	p.type = TPM2_ALG_ECC;
	p.nameAlg = TPM2_ALG_SHA256;
	p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			     TPMA_OBJECT_SENSITIVEDATAORIGIN |
			     TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
	p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p.unique.ecc.x.size = 32;
	p.unique.ecc.y.size = 32;
	memset(p.unique.ecc.x.buffer, 0x11, 32);
	memset(p.unique.ecc.y.buffer, 0x22, 32);
	return p;
}

static void check_refused(const TPMT_PUBLIC *p, const char *needle)
{
	uint8_t pub[65];
	char err[IDKEY_ERR_MAX];

	assert_int_equal(idkey_tpm_check_public(p, H, pub, err),
			 -EKEYREJECTED);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	assert_non_null(strstr(err, "0x817fffff"));
}

static void test_check_public_rules(void **state)
{
	TPMT_PUBLIC p = good_public();
	uint8_t pub[65];
	char err[IDKEY_ERR_MAX];

	(void)state;
	assert_int_equal(idkey_tpm_check_public(&p, H, pub, err), 0);
	assert_int_equal(pub[0], 0x04);
	assert_int_equal(pub[1], 0x11);
	assert_int_equal(pub[64], 0x22);
	/* null scheme and sign+decrypt are fine */
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p.objectAttributes |= TPMA_OBJECT_DECRYPT;
	assert_int_equal(idkey_tpm_check_public(&p, H, pub, err), 0);

	p = good_public();
	p.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM;
	check_refused(&p, "not fixedTPM");
	p = good_public();
	p.objectAttributes |= TPMA_OBJECT_X509SIGN;
	check_refused(&p, "x509sign");
	p = good_public();
	p.objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH;
	check_refused(&p, "userWithAuth clear");
	p = good_public();
	p.objectAttributes |= TPMA_OBJECT_RESTRICTED;
	check_refused(&p, "restricted");
	p = good_public();
	p.objectAttributes &= ~TPMA_OBJECT_SIGN_ENCRYPT;
	check_refused(&p, "not a signing key");
	p = good_public();
	p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA384;
	check_refused(&p, "not ECDSA-SHA256 or null");
	p = good_public();
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDAA;
	check_refused(&p, "signing scheme 0x001a");
	p = good_public();
	p.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	check_refused(&p, "BN P-256");
	p = good_public();
	p.type = TPM2_ALG_KEYEDHASH;
	check_refused(&p, "keyed-hash");
	p = good_public();
	p.unique.ecc.x.size = 33;
	check_refused(&p, "not a P-256 point");
	p = good_public();
	p.unique.ecc.y.size = 0;
	check_refused(&p, "not a P-256 point");
	assert_int_equal(idkey_tpm_check_public(NULL, H, pub, err), -EINVAL);
}

static void test_check_public_pads_short_coordinates(void **state)
{
	TPMT_PUBLIC p = good_public();
	uint8_t pub[65];

	(void)state;
	p.unique.ecc.x.size = 31; /* a leading zero byte the TPM dropped */
	p.unique.ecc.y.size = 30;
	assert_int_equal(idkey_tpm_check_public(&p, H, pub, NULL), 0);
	assert_int_equal(pub[1], 0x00);
	assert_int_equal(pub[2], 0x11);
	assert_int_equal(pub[33], 0x00);
	assert_int_equal(pub[34], 0x00);
	assert_int_equal(pub[35], 0x22);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreachable_tpm),
		cmocka_unit_test(test_bad_handle_refused),
		cmocka_unit_test(test_empty_handle_without_create),
		cmocka_unit_test(test_creates_key_at_handle),
		cmocka_unit_test(test_reopen_reuses_and_signs),
		cmocka_unit_test(test_uses_existing_key_as_is),
		cmocka_unit_test(test_recreated_after_evict_is_the_same_key),
		cmocka_unit_test(test_refuses_rsa_key),
		cmocka_unit_test(test_refuses_restricted_key),
		cmocka_unit_test(test_refuses_other_curve),
		cmocka_unit_test(test_refuses_storage_key),
		cmocka_unit_test(test_refuses_key_not_fixed_to_tpm),
		cmocka_unit_test(test_refuses_key_with_unknown_auth),
		cmocka_unit_test(test_auto_uses_tpm),
		cmocka_unit_test(test_auto_never_falls_back_from_a_present_tpm),
		cmocka_unit_test(test_auto_soft_key_file_wins),
		cmocka_unit_test(test_auto_unreachable_tcti_means_soft),
		cmocka_unit_test(test_starts_up_a_fresh_tpm),
		cmocka_unit_test(test_log_quiet_silences_tss),
		cmocka_unit_test(test_check_public_rules),
		cmocka_unit_test(test_check_public_pads_short_coordinates),
	};

	if (argc == 2 && !strcmp(argv[1], "--tss-child-quiet"))
		return tss_child(true);
	if (argc == 2 && !strcmp(argv[1], "--tss-child-noisy"))
		return tss_child(false);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
