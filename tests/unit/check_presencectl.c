/*
 * check_presencectl.c - presencectl end to end on a temporary store: the
 * real binary is run, its exit status and messages checked, and the store
 * read back through db/.
 */
#include "config.h"
#include "db/db.h"
#include "src/core.h"

#include <check.h>
#include "tests/unit/check_main.h"
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], store[300], outp[300], errp[300];
static char out[8192], err[8192];

/* TS 35.208 test set 1. */
#define K1 "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OP1 "cdc202d5123e20f62b6d676ac72cb318"
#define OPC1 "cd63cb71954a9f4e48a5994e37a02baf"

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Run presencectl -s STORE args...; returns the exit status. */
static int ctl(const char *first, ...)
{
	const char *argv[40];
	const char *top = getenv("top_builddir");
	char bin[512];
	va_list ap;
	int n = 0, status;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/src/presencectl", top ? top : ".");
	argv[n++] = bin;
	argv[n++] = "-s";
	argv[n++] = store;
	va_start(ap, first);
	for (const char *a = first; a && n < 39; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	slurp(outp, out, sizeof(out));
	slurp(errp, err, sizeof(err));
	ck_assert_msg(WIFEXITED(status), "presencectl died");
	return WEXITSTATUS(status);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/pdctl.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(store, sizeof(store), "%s/s.db", dir);
	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int add_alice(void)
{
	return ctl("subscriber", "add", "--impi", "alice@example.test", "--impu",
		   "sip:alice@example.test", "--impu", "tel:+15551234", "--k", K1,
		   "--op", OP1, "--password", "wonderland", NULL);
}

START_TEST(add_show_list_delete)
{
	struct db *db;
	struct db_subscriber s;
	uint8_t opc[16];
	bool yes = false;
	char e[128];

	ck_assert_msg(add_alice() == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "added alice@example.test (2 public identities)"));

	/* The store holds OPc derived from OP (TS 35.208 set 1), the HA1
	 * values, and both identities with the first as default. */
	ck_assert_int_eq(db_open(&db, store, 0, 1000, e, sizeof(e)), 0);
	ck_assert_int_eq(db_subscriber_get(db, "alice@example.test", &s), 0);
	ck_assert_int_eq(util_hex_decode(OPC1, opc, 16), 0);
	ck_assert(memcmp(s.opc, opc, 16) == 0);
	ck_assert_str_eq(s.realm, "example.test");
	ck_assert_int_eq(strlen(s.ha1_md5), 32);
	ck_assert_int_eq(strlen(s.ha1_sha256), 64);
	ck_assert_int_eq(s.amf[0], 0x80);
	ck_assert_int_eq(db_impu_belongs(db, "alice@example.test", "tel:+15551234",
					 &yes), 0);
	ck_assert(yes);
	char def[256];
	ck_assert_int_eq(db_impu_default(db, "alice@example.test", def, sizeof(def)), 0);
	ck_assert_str_eq(def, "sip:alice@example.test");
	db_close(db);

	ck_assert_int_eq(ctl("subscriber", "show", "alice@example.test", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "impu: sip:alice@example.test tel:+15551234"));
	/* secrets are never printed */
	ck_assert_ptr_null(strstr(out, K1));
	ck_assert_ptr_null(strstr(out, OPC1));
	ck_assert_ptr_null(strstr(out, "wonderland"));
	ck_assert_ptr_nonnull(strstr(out, "k: (set)"));

	ck_assert_int_eq(ctl("subscriber", "list", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "alice@example.test\tsip:alice@example.test tel:+15551234\tpassword"));

	ck_assert_int_eq(ctl("subscriber", "delete", "alice@example.test", NULL), 0);
	ck_assert_int_eq(ctl("subscriber", "show", "alice@example.test", NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "no subscriber alice@example.test"));
}
END_TEST

START_TEST(opc_given_directly)
{
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "bob@example.test",
			     "--impu", "sip:bob@example.test", "--k", K1, "--opc",
			     OPC1, "--sqn", "0000000000ff", "--amf", "b9b9", NULL), 0);
	ck_assert_int_eq(ctl("subscriber", "show", "bob@example.test", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "sqn: 0000000000ff"));
	ck_assert_ptr_nonnull(strstr(out, "amf: b9b9"));
	ck_assert_ptr_nonnull(strstr(out, "digest: no password"));
}
END_TEST

START_TEST(duplicates_refused)
{
	ck_assert_int_eq(add_alice(), 0);
	ck_assert_int_eq(add_alice(), 1);
	ck_assert_ptr_nonnull(strstr(err, "already exists"));
	/* another IMPI claiming alice's IMPU is refused too, atomically */
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "eve@example.test",
			     "--impu", "sip:eve@example.test", "--impu",
			     "sip:alice@example.test", "--k", K1, "--opc", OPC1, NULL), 1);
	ck_assert_int_eq(ctl("subscriber", "show", "eve@example.test", NULL), 1);
}
END_TEST

static const struct {
	const char *opt, *val, *msg;
} bad_hex[] = {
	{ "--k", "465b5ce8b199b49faa5f0a2ee238a6", "--k must be 32 hex digits" },
	{ "--k", "465b5ce8b199b49faa5f0a2ee238a6bg", "--k must be 32 hex digits" },
	{ "--amf", "800", "--amf must be 4 hex digits" },
	{ "--sqn", "0000000000001", "--sqn must be 12 hex digits" },
};

START_TEST(wrong_hex)
{
	const char *k = strcmp(bad_hex[_i].opt, "--k") == 0 ? bad_hex[_i].val : K1;
	const char *extra_opt = strcmp(bad_hex[_i].opt, "--k") ? bad_hex[_i].opt : "--amf";
	const char *extra_val = strcmp(bad_hex[_i].opt, "--k") ? bad_hex[_i].val : "8000";

	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "a@example.test", "--impu",
			     "sip:a@example.test", "--k", k, "--opc", OPC1, extra_opt,
			     extra_val, NULL), 1);
	ck_assert_msg(strstr(err, bad_hex[_i].msg), "got: %s", err);
	ck_assert_int_eq(ctl("subscriber", "show", "a@example.test", NULL), 1);
}
END_TEST

static const char *bad_uris[] = {
	"alice@example.test", "sip:example.test", "sip:@example.test",
	"sip:a@b@example.test", "http://example.test", "sip:a b@example.test",
	"tel:5551234", "sip:a@-bad-.test", "sip:a@ex..test", "",
};

START_TEST(malformed_uri)
{
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "a@example.test", "--impu",
			     bad_uris[_i], "--k", K1, "--opc", OPC1, NULL), 1);
	ck_assert_msg(strstr(err, "is not a public identity"), "%s: %s", bad_uris[_i], err);
}
END_TEST

START_TEST(malformed_impi_and_usage)
{
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "no-realm", "--impu",
			     "sip:a@example.test", "--k", K1, "--opc", OPC1, NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "user@realm"));
	/* both --op and --opc, or neither: usage */
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "a@example.test", "--impu",
			     "sip:a@example.test", "--k", K1, NULL), 2);
	ck_assert_int_eq(ctl("subscriber", "add", "--impi", "a@example.test", "--impu",
			     "sip:a@example.test", "--k", K1, "--op", OP1, "--opc", OPC1,
			     NULL), 2);
	ck_assert_int_eq(ctl("subscriber", "frobnicate", NULL), 2);
	ck_assert_int_eq(ctl("nosuchcommand", NULL), 2);
	ck_assert_int_eq(ctl("subscriber", "delete", "ghost@example.test", NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "no subscriber ghost@example.test"));
}
END_TEST

START_TEST(audit_records_changes)
{
	struct db *db;
	char e[128];
	int64_t n = 0;

	ck_assert_int_eq(add_alice(), 0);
	ck_assert_int_eq(ctl("subscriber", "delete", "alice@example.test", NULL), 0);
	ck_assert_int_eq(db_open(&db, store, 0, 1000, e, sizeof(e)), 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	db_close(db);
}
END_TEST


static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(import_csv)
{
	char path[400];
	struct db *db;
	struct db_subscriber s;
	char e[128];
	int64_t n = 0;
	bool yes = false;

	write_file("subs.csv",
		   "# demo\n"
		   "impi,impu,k,op,password\n"
		   "a@example.test,sip:a@example.test," K1 "," OP1 ",pw-a\n"
		   "\n"
		   "\"b@example.test\",\"sip:b@example.test  tel:+15550001\"," K1 "," OP1 ",\"p,w\"\"b\"\r\n",
		   path, sizeof(path));
	ck_assert_msg(ctl("subscriber", "import", path, NULL) == 0, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "imported 2 subscribers"));
	ck_assert_int_eq(db_open(&db, store, 0, 1000, e, sizeof(e)), 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(db_impu_belongs(db, "b@example.test", "tel:+15550001", &yes), 0);
	ck_assert(yes);
	ck_assert_int_eq(db_subscriber_get(db, "a@example.test", &s), 0);
	ck_assert_int_eq(strlen(s.ha1_sha256), 64);
	db_close(db);

	/* default column order, no header; amf, sqn and password left out */
	write_file("plain.csv", "c@example.test,sip:c@example.test," K1 "," OPC1 "\n",
		   path, sizeof(path));
	ck_assert_msg(ctl("subscriber", "import", path, NULL) == 0, "%s", err);
	ck_assert_int_eq(ctl("subscriber", "show", "c@example.test", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "digest: no password"));
}
END_TEST

static const struct {
	const char *csv, *msg;
} bad_csv[] = {
	{ "impi,impu,k,opc\nx@example.test,sip:x@example.test," K1 "," OPC1 "\n"
	  "y@example.test,sip:y@example.test,nothex," OPC1 "\n", "bad.csv:3: --k must be 32 hex digits" },
	{ "x@example.test,sip:x@example.test," K1 "," OPC1 "\n"
	  "y@example.test,sip:x@example.test," K1 "," OPC1 "\n", "bad.csv:2: subscriber y@example.test or one of its identities already exists" },
	{ "x@example.test,\"sip:x@example.test," K1 "\n", "bad.csv:1: malformed CSV" },
	{ "impi,impu,k,opc,colour\n", "bad.csv:1: unknown column 'colour'" },
	{ "impi,impu,k\n", "bad.csv:1: the header needs impi, impu, k and exactly one of opc or op" },
	{ "x@example.test,mailto:x@example.test," K1 "," OPC1 "\n", "bad.csv:1: 'mailto:x@example.test' is not a public identity" },
	{ "x@example.test,sip:x@example.test," K1 "," OPC1 ",8000,000000000000,pw,extra\n", "bad.csv:1: 8 fields, at most 7 expected" },
};

START_TEST(import_all_or_nothing)
{
	char path[400];
	struct db *db;
	char e[128];
	int64_t n = 1;

	write_file("bad.csv", bad_csv[_i].csv, path, sizeof(path));
	ck_assert_int_eq(ctl("subscriber", "import", path, NULL), 1);
	ck_assert_msg(strstr(err, bad_csv[_i].msg), "case %d: %s", _i, err);
	ck_assert_ptr_nonnull(strstr(err, "nothing imported"));
	ck_assert_int_eq(db_open(&db, store, 0, 1000, e, sizeof(e)), 0);
	ck_assert_int_eq(db_subscriber_count(db, &n), 0);
	ck_assert_int_eq(n, 0);
	db_close(db);
}
END_TEST

START_TEST(import_missing_file)
{
	ck_assert_int_eq(ctl("subscriber", "import", "/nonexistent/x.csv", NULL), 1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("presencectl");
	TCase *tc = tcase_create("subscriber");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, add_show_list_delete);
	tcase_add_test(tc, opc_given_directly);
	tcase_add_test(tc, duplicates_refused);
	tcase_add_loop_test(tc, wrong_hex, 0, (int)(sizeof(bad_hex) / sizeof(bad_hex[0])));
	tcase_add_loop_test(tc, malformed_uri, 0, (int)(sizeof(bad_uris) / sizeof(bad_uris[0])));
	tcase_add_test(tc, malformed_impi_and_usage);
	tcase_add_test(tc, audit_records_changes);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, import_csv);
	tcase_add_loop_test(tc, import_all_or_nothing, 0,
			    (int)(sizeof(bad_csv) / sizeof(bad_csv[0])));
	tcase_add_test(tc, import_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(ctl_suite)
