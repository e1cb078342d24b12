// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Picking one string out of JSON: the shapes of the container runtimes'
 * files (Docker's config.v2.json keeps "Name" at the top and other "Name"s
 * deeper; an OCI config.json keeps annotations one level down), escapes,
 * and documents that are cut, too deep or not JSON. Random cuts of a real
 * shaped document must never read past the end (ASan).
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "jsonpick.h"

/* Shaped like Docker 24's config.v2.json (trimmed; the id shortened). */
static const char docker[] =
	"{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Pid\":4242,\"ExitCode\":0,"
	"\"Health\":null},\"ID\":\"3f4e5d6c\",\"Created\":\"2024-05-01T10:00:00.1Z\","
	"\"Path\":\"nginx\",\"Args\":[\"-g\",\"daemon off;\"],\"Config\":{\"Hostname\":\"3f4e\","
	"\"Env\":[\"PATH=/usr/bin\",\"NGINX_VERSION=1.25.5\"],\"Labels\":{\"Name\":\"not this\"}},"
	"\"MountPoints\":{\"/data\":{\"Name\":\"vol\",\"RW\":true}},"
	"\"Name\":\"/web-frontend\",\"Driver\":\"overlay2\",\"RestartCount\":0}";

/* Shaped like an OCI bundle config.json from containerd's CRI plugin. */
static const char oci[] =
	"{ \"ociVersion\": \"1.1.0\", \"process\": { \"args\": [ \"/coredns\" ], \"env\": [] },\n"
	"  \"annotations\": {\n"
	"    \"io.kubernetes.cri.container-type\": \"container\",\n"
	"    \"io.kubernetes.cri.container-name\": \"coredns\",\n"
	"    \"io.kubernetes.cri.sandbox-name\": \"coredns-6d4b75cb6d-w4b72\"\n  }\n}\n";

static int pick(const char *json, size_t len, const char *k1, const char *k2, char *out,
		size_t outsz)
{
	const char *path[] = { k1, k2 };

	return ws_json_pick(json, len, path, k2 ? 2 : 1, out, outsz);
}

TEST(runtime_files_give_their_container_name)
{
	char out[128];

	CHECK_INT(pick(docker, strlen(docker), "Name", NULL, out, sizeof(out)), 13);
	CHECK_STR(out, "/web-frontend");
	CHECK_INT(pick(oci, strlen(oci), "annotations", "io.kubernetes.cri.container-name", out,
		       sizeof(out)),
		  7);
	CHECK_STR(out, "coredns");
	CHECK_INT(pick(docker, strlen(docker), "Config", "Hostname", out, sizeof(out)), 4);
	CHECK_STR(out, "3f4e");
}

TEST(absent_or_not_a_string_is_enoent)
{
	char out[64] = "junk";

	CHECK_INT(pick(docker, strlen(docker), "Nope", NULL, out, sizeof(out)), -ENOENT);
	CHECK_STR(out, "");
	CHECK_INT(pick(docker, strlen(docker), "State", NULL, out, sizeof(out)), -ENOENT);
	CHECK_INT(pick(docker, strlen(docker), "RestartCount", NULL, out, sizeof(out)), -ENOENT);
	CHECK_INT(pick(docker, strlen(docker), "Name", "x", out, sizeof(out)), -ENOENT);
	CHECK_INT(pick("[1,2]", 5, "a", NULL, out, sizeof(out)), -ENOENT);
	CHECK_INT(pick("{}", 2, "a", NULL, out, sizeof(out)), -ENOENT);
}

TEST(escapes_are_decoded)
{
	static const struct {
		const char *json, *want;
	} rows[] = {
		{ "{\"a\":\"x\\\"y\\\\z\\/\"}", "x\"y\\z/" },
		{ "{\"a\":\"\\b\\f\\n\\r\\t\"}", "\b\f\n\r\t" },
		{ "{\"a\":\"caf\\u00e9 \\u20AC\"}", "caf\xc3\xa9 \xe2\x82\xac" },
		/* a surrogate pair is one character; a lone one is U+FFFD */
		{ "{\"a\":\"\\ud83d\\ude00\"}", "\xf0\x9f\x98\x80" },
		{ "{\"a\":\"\\ud83d!\"}", "\xef\xbf\xbd!" },
		{ "{\"a\":\"\\ude00\"}", "\xef\xbf\xbd" },
		/* an escaped key matches its decoded form */
		{ "{\"\\u0061\":\"yes\"}", "yes" },
		/* the first of two equal keys */
		{ "{\"a\":\"1\",\"a\":\"2\"}", "1" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = pick(rows[i].json, strlen(rows[i].json), "a", NULL, out, sizeof(out));

		CHECK_INT(n, strlen(rows[i].want));
		CHECK_STR(out, rows[i].want);
	}
}

TEST(broken_documents_are_einval)
{
	static const char *const rows[] = {
		"",
		"{",
		"{\"a\"",
		"{\"b\":1,\"a\":\"unterminated",
		"{\"b\":\"bad \\q escape\",\"a\":\"x\"}",
		"{\"b\":\"bad \\u12 escape\",\"a\":\"x\"}",
		"{\"b\":\"raw\nnewline\",\"a\":\"x\"}",
		"{\"b\":[1,2,\"a\":\"x\"}",
		"{\"b\" 1,\"a\":\"x\"}",
		"{\"b\":,\"a\":\"x\"}",
		"{\"b\":{}\"a\":\"x\"}",
	};
	char out[64];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int n = pick(rows[i], strlen(rows[i]), "a", NULL, out, sizeof(out));

		if (n != -EINVAL)
			fprintf(stderr, "    row %zu: %s -> %d\n", i, rows[i], n);
		CHECK_INT(n, -EINVAL);
	}
}

TEST(too_deep_is_refused_not_recursed)
{
	static char deep[100000];
	size_t n = 0;
	char out[16];

	n += snprintf(deep, sizeof(deep), "{\"x\":");
	for (int i = 0; i < 20000; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	CHECK_INT(pick(deep, n, "a", NULL, out, sizeof(out)), -EINVAL);
	/* 60 levels are fine */
	n = snprintf(deep, sizeof(deep), "{\"x\":");
	for (int i = 0; i < 60; i++)
		deep[n++] = '[';
	for (int i = 0; i < 60; i++)
		deep[n++] = ']';
	n += snprintf(deep + n, sizeof(deep) - n, ",\"a\":\"ok\"}");
	CHECK_INT(pick(deep, n, "a", NULL, out, sizeof(out)), 2);
}

TEST(a_value_too_long_is_enospc)
{
	char out[8];

	CHECK_INT(pick("{\"a\":\"1234567\"}", 15, "a", NULL, out, sizeof(out)), 7);
	CHECK_INT(pick("{\"a\":\"12345678\"}", 16, "a", NULL, out, sizeof(out)), -ENOSPC);
	CHECK_STR(out, "");
	/* a key longer than any path key is skipped, not an error */
	{
		char json[600];
		int n = snprintf(json, sizeof(json), "{\"%0300d\":\"x\",\"a\":\"y\"}", 0);

		CHECK_INT(pick(json, n, "a", NULL, out, sizeof(out)), 1);
	}
}

TEST(bad_arguments)
{
	const char *path[] = { "a" };
	char out[8];

	CHECK_INT(ws_json_pick(NULL, 0, path, 1, out, sizeof(out)), -EINVAL);
	CHECK_INT(ws_json_pick("{}", 2, path, 0, out, sizeof(out)), -EINVAL);
	CHECK_INT(ws_json_pick("{}", 2, path, 1, out, 0), -EINVAL);
}

/* Every prefix of the real-shaped files, copied to a tight heap block: ASan sees overreads. */
TEST(every_cut_stays_in_bounds)
{
	const char *docs[] = { docker, oci };
	char out[128];

	for (size_t d = 0; d < 2; d++) {
		size_t len = strlen(docs[d]);

		for (size_t cut = 0; cut <= len; cut++) {
			char *buf = malloc(cut ? cut : 1);
			int n;

			memcpy(buf, docs[d], cut);
			n = d ? pick(buf, cut, "annotations", "io.kubernetes.cri.container-name",
				     out, sizeof(out))
			      : pick(buf, cut, "Name", NULL, out, sizeof(out));
			/* complete once the value's closing quote is in */
			CHECK(n == -EINVAL || n == -ENOENT || n > 0);
			free(buf);
		}
	}
}

static const struct check_case cases[] = {
	CASE(runtime_files_give_their_container_name),
	CASE(absent_or_not_a_string_is_enoent),
	CASE(escapes_are_decoded),
	CASE(broken_documents_are_einval),
	CASE(too_deep_is_refused_not_recursed),
	CASE(a_value_too_long_is_enospc),
	CASE(bad_arguments),
	CASE(every_cut_stays_in_bounds),
};
CHECK_MAIN("jsonpick", cases)
