/* Unit tests: controller/pki — `evc init`'s certificates, checked by openssl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pki.h"

static char dir[] = "/tmp/test-pki.XXXXXX";

static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return sh("rm -rf %s", dir);
}

static void
test_init_makes_a_verifiable_pki(void **state)
{
	struct pki_params p = { .names = { "localhost", "evc.example" }, .n_names = 2,
				.server = "localhost:4443", .enterprise = "acme" };
	char d[64], err[PKI_ERR_MAX], path[128];
	struct stat st;

	(void)state;
	snprintf(d, sizeof(d), "%s/evc", dir);
	p.dir = d;
	assert_int_equal(pki_init(&p, err), 0);
	/* keys are private */
	const char *keys[] = { "root", "server", "signing", "onboard" };
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s.key.pem", d, keys[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	/* openssl: the root is a CA, every leaf chains to it */
	assert_int_equal(sh("openssl x509 -in %s/root-certificate.pem -noout -text | grep -q 'CA:TRUE'", d), 0);
	assert_int_equal(sh("cd %s && openssl verify -CAfile root-certificate.pem -verify_hostname localhost "
			    "server.cert.pem >/dev/null", d), 0);
	assert_int_equal(sh("cd %s && openssl verify -CAfile root-certificate.pem -verify_hostname evc.example "
			    "server.cert.pem >/dev/null", d), 0);
	assert_int_equal(sh("cd %s && openssl verify -CAfile root-certificate.pem -verify_hostname other "
			    "server.cert.pem >/dev/null 2>&1", d) != 0, 1);
	assert_int_equal(sh("cd %s && openssl verify -CAfile root-certificate.pem signing.cert.pem "
			    "onboard.cert.pem >/dev/null", d), 0);
	assert_int_equal(sh("cd %s && openssl x509 -in onboard.cert.pem -noout -subject | grep -q 'O = acme'", d), 0);
	/* each key matches its certificate */
	for (int i = 0; i < 4; i++) {
		const char *cert = i == 0 ? "root-certificate.pem" : NULL;
		char c[64];

		snprintf(c, sizeof(c), "%s.cert.pem", keys[i]);
		assert_int_equal(sh("cd %s && test \"$(openssl pkey -in %s.key.pem -pubout)\" = "
				    "\"$(openssl x509 -in %s -noout -pubkey)\"", d, keys[i],
				    cert ? cert : c), 0);
	}
	/* what a device needs */
	assert_int_equal(sh("cd %s/device-config && test -s root-certificate.pem && test -s onboard.cert.pem "
			    "&& test -s onboard.key.pem && grep -qx 'localhost:4443' server", d), 0);
	assert_int_equal(sh("cmp -s %s/root-certificate.pem %s/device-config/root-certificate.pem", d, d), 0);
}

static void
test_init_never_overwrites(void **state)
{
	struct pki_params p = { .enterprise = "e" };
	char d[64], err[PKI_ERR_MAX];

	(void)state;
	snprintf(d, sizeof(d), "%s/twice", dir);
	p.dir = d;
	assert_int_equal(pki_init(&p, err), 0);
	assert_int_equal(sh("sha256sum %s/root.key.pem > %s/sum", d, dir), 0);
	assert_int_equal(pki_init(&p, err), -EEXIST);
	assert_non_null(strstr(err, "a PKI is already there"));
	assert_int_equal(sh("cd %s && sha256sum -c --status sum", dir), 0);
	/* default name: localhost */
	assert_int_equal(sh("cd %s && openssl verify -CAfile root-certificate.pem -verify_hostname localhost "
			    "server.cert.pem >/dev/null", d), 0);
}

static void
test_unwritable_folder(void **state)
{
	struct pki_params p = { .dir = "/proc/edgevisor-no/evc", .enterprise = "e" };
	char err[PKI_ERR_MAX];

	(void)state;
	assert_true(pki_init(&p, err) < 0);
	assert_non_null(strstr(err, "/proc/edgevisor-no/evc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_makes_a_verifiable_pki),
		cmocka_unit_test(test_init_never_overwrites),
		cmocka_unit_test(test_unwritable_folder),
	};
	return cmocka_run_group_tests_name("pki", tests, setup, teardown);
}
