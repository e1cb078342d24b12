/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tests of process resources against a fake /proc tree built in a temporary
 * directory (environ files, exe symlinks), plus one look at the real /proc
 * entry of the test itself, and the reference count.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#include "resource.h"

static char root[] = "/tmp/ws-test-proc-XXXXXX";

/* Creates <root>/<pid>/ with an environ file (env, envlen bytes) when env is not NULL. */
static void fake_proc(uint32_t pid, const char *env, size_t envlen, const char *exe)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	if (env) {
		snprintf(path, sizeof(path), "%s/%u/environ", root, pid);
		f = fopen(path, "w");
		CHECK(f != NULL);
		if (f) {
			fwrite(env, 1, envlen, f);
			fclose(f);
		}
	}
	if (exe) {
		snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
		CHECK_INT(symlink(exe, path), 0);
	}
}

#define ENV(lit) lit, sizeof(lit) - 1

TEST(service_name_comes_from_otel_service_name)
{
	struct ws_resource *r;

	fake_proc(100, ENV("PATH=/bin\0OTEL_SERVICE_NAME=checkout\0HOME=/\0"),
		  "/usr/bin/python3.11");
	r = ws_resource_new(root, 100, "python3");
	CHECK(r != NULL);
	CHECK_INT(r->pid, 100);
	CHECK_INT(r->refs, 1);
	CHECK_STR(r->service_name, "checkout");
	CHECK_STR(r->exe_name, "python3.11");
	CHECK_STR(r->exe_path, "/usr/bin/python3.11");
	ws_resource_put(r);
}

TEST(service_name_falls_back_to_exe_name)
{
	struct ws_resource *r;

	fake_proc(101, ENV("PATH=/bin\0HOME=/\0"), "/srv/bin/api-server");
	r = ws_resource_new(root, 101, "api-server-comm");
	CHECK_STR(r->service_name, "api-server");
	CHECK_STR(r->exe_name, "api-server");
	ws_resource_put(r);
}

TEST(empty_otel_service_name_is_ignored)
{
	struct ws_resource *r;

	/* getenv() would return the first, empty definition: so do we. */
	fake_proc(102, ENV("OTEL_SERVICE_NAME=\0OTEL_SERVICE_NAME=second\0"), "/bin/node");
	r = ws_resource_new(root, 102, "node");
	CHECK_STR(r->service_name, "node");
	ws_resource_put(r);
}

TEST(first_otel_service_name_wins)
{
	struct ws_resource *r;

	fake_proc(103, ENV("OTEL_SERVICE_NAME=first\0OTEL_SERVICE_NAME=second\0"), "/bin/node");
	r = ws_resource_new(root, 103, "node");
	CHECK_STR(r->service_name, "first");
	ws_resource_put(r);
}

TEST(similar_variable_names_do_not_match)
{
	struct ws_resource *r;

	fake_proc(104, ENV("MY_OTEL_SERVICE_NAME=no\0OTEL_SERVICE_NAMES=no\0"), "/bin/app");
	r = ws_resource_new(root, 104, "app");
	CHECK_STR(r->service_name, "app");
	ws_resource_put(r);
}

TEST(deleted_executable_suffix_is_stripped)
{
	struct ws_resource *r;

	fake_proc(105, NULL, 0, "/opt/app/server (deleted)");
	r = ws_resource_new(root, 105, "server");
	CHECK_STR(r->exe_path, "/opt/app/server");
	CHECK_STR(r->exe_name, "server");
	ws_resource_put(r);
}

TEST(exited_process_falls_back_to_comm)
{
	struct ws_resource *r = ws_resource_new(root, 99999, "gunicorn");

	CHECK(r != NULL);
	CHECK_STR(r->exe_name, "gunicorn");
	CHECK_STR(r->exe_path, "");
	CHECK_STR(r->service_name, "gunicorn");
	ws_resource_put(r);
}

TEST(environ_without_exe_uses_comm_for_exe_name)
{
	struct ws_resource *r;

	fake_proc(106, ENV("OTEL_SERVICE_NAME=billing\0"), NULL);
	r = ws_resource_new(root, 106, "java");
	CHECK_STR(r->service_name, "billing");
	CHECK_STR(r->exe_name, "java");
	CHECK_STR(r->exe_path, "");
	ws_resource_put(r);
}

TEST(no_comm_and_no_proc_gives_unknown_service)
{
	struct ws_resource *r = ws_resource_new(root, 99998, NULL);

	CHECK_STR(r->exe_name, "");
	CHECK_STR(r->service_name, "unknown_service");
	ws_resource_put(r);
}

TEST(long_values_are_cut_to_fit)
{
	char env[600], exe[500];
	struct ws_resource *r;
	int n;

	n = snprintf(env, sizeof(env), "OTEL_SERVICE_NAME=%0300d", 0);
	/* A path that does not fit exe_path is left out rather than cut. */
	snprintf(exe, sizeof(exe), "/%0300d/%0100d", 0, 1);
	fake_proc(107, env, n + 1, exe);
	r = ws_resource_new(root, 107, "x");
	CHECK_INT(strlen(r->service_name), sizeof(r->service_name) - 1);
	CHECK_STR(r->exe_path, "");
	CHECK_INT(strlen(r->exe_name), sizeof(r->exe_name) - 1);
	CHECK(r->exe_name[0] == '0');
	ws_resource_put(r);
}

TEST(variable_beyond_read_bound_is_not_seen)
{
	size_t pad = 70 * 1024;
	char *env = malloc(pad + 64);
	struct ws_resource *r;
	int n;

	memset(env, 'A', pad);
	memcpy(env, "PAD=", 4);
	env[pad - 1] = '\0';
	n = snprintf(env + pad, 64, "OTEL_SERVICE_NAME=late");
	fake_proc(108, env, pad + n + 1, "/bin/late-app");
	r = ws_resource_new(root, 108, "x");
	CHECK_STR(r->service_name, "late-app");
	ws_resource_put(r);
	free(env);
}

TEST(variable_cut_by_read_bound_is_not_trusted)
{
	size_t bound = 64 * 1024, n = bound + 32;
	char *env = malloc(n);
	struct ws_resource *r;
	const char key[] = "OTEL_SERVICE_NAME=";

	/* The entry straddles the bound: its value would be cut. */
	memset(env, 'A', n);
	memcpy(env, "PAD=", 4);
	env[bound - 30] = '\0';
	memcpy(env + bound - 29, key, sizeof(key) - 1);
	env[n - 1] = '\0';
	fake_proc(109, env, n, "/bin/cut-app");
	r = ws_resource_new(root, 109, "x");
	CHECK_STR(r->service_name, "cut-app");
	ws_resource_put(r);
	free(env);
}

static void fake_cgroup(uint32_t pid, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", root, pid);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#define ID64 "3f4e5d6c7b8a99887766554433221100aabbccddeeff00112233445566778899"
#define ID_GONE "9f4e5d6c7b8a99887766554433221100aabbccddeeff00112233445566778899"

/*
 * The fake cgroup hierarchies: v2 at <root>/cg2, v1's pids at "<root>/cg1 pids"
 * (a space, escaped in mountinfo) and cpu,cpuacct at <root>/cg1cpu, as
 * <root>/self/mountinfo says. A mount of a subtree (root not "/") does not
 * count: its paths are not the ones /proc/PID/cgroup gives.
 */
static char cg2[256], cg1pids[256], cg1cpu[256];

static void fake_file(const char *rel, const char *text);

static void fake_mountinfo(void)
{
	char text[2048];

	snprintf(cg2, sizeof(cg2), "%s/cg2", root);
	snprintf(cg1pids, sizeof(cg1pids), "%s/cg1 pids", root);
	snprintf(cg1cpu, sizeof(cg1cpu), "%s/cg1cpu", root);
	mkdir(cg2, 0755);
	mkdir(cg1pids, 0755);
	mkdir(cg1cpu, 0755);
	snprintf(text, sizeof(text),
		 "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		 "29 25 0:26 /system.slice %s/decoy rw shared:3 - cgroup2 cgroup2 rw\n"
		 "30 25 0:26 / %s rw,nosuid,nodev,noexec shared:4 master:1 - cgroup2 cgroup2 "
		 "rw,nsdelegate\n"
		 "35 25 0:30 / %s/cg1\\040pids rw,nosuid shared:9 - cgroup cgroup rw,pids\n"
		 "36 25 0:31 / %s rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct\n",
		 root, cg2, root, cg1cpu);
	fake_file("self/mountinfo", text);
}

/* Makes the directories of path[0..len) under base, as root would (mkdir -p). */
static void cg_mkdir_n(const char *base, const char *path, size_t len)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/%.*s", base, (int)len, path);

	CHECK(n > 0 && n < (int)sizeof(dir));
	for (char *p = dir + strlen(base) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	mkdir(dir, 0755);
}

static void cg_mkdir(const char *base, const char *path)
{
	cg_mkdir_n(base, path, strlen(path));
}

/* Makes the directories every line of a /proc/PID/cgroup text names, in its hierarchy. */
static void fake_cgroup_dirs(const char *text)
{
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l);
		const char *c1 = memchr(l, ':', end - l),
			   *c2 = c1 ? memchr(c1 + 1, ':', end - c1 - 1) : NULL;

		if (c2 && strstr(c2, "..") != c2 + 2 && !strstr(c2, ID_GONE)) {
			const char *base = c1 == l + 1 && *l == '0'	? cg2
					   : strstr(c1, ":pids:") == c1 ? cg1pids
									: cg1cpu;

			cg_mkdir_n(base, c2 + 2, end - c2 - 2);
		}
		l = nl ? nl + 1 : end;
	}
}

/* Gives <cg2>/<rel> to uid, as a delegation (or a careless chown) would. */
static void cg_chown(const char *rel, uid_t uid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cg2, rel);
	CHECK_INT(chown(path, uid, uid), 0);
}

TEST(container_id_comes_from_the_cgroup_path)
{
	static const struct {
		const char *cgroup, *want;
	} rows[] = {
		{ "0::/system.slice/docker-" ID64 ".scope\n", ID64 },
		{ "0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-" ID64 ".scope\n",
		  ID64 },
		{ "0::/kubepods.slice/kubepods-pod1.slice/crio-" ID64 ".scope\n", ID64 },
		{ "0::/kubepods/burstable/pod0f1e/" ID64 "\n", ID64 },
		{ "0::/kubepods/pod0f1e/crio-" ID64 "\n", ID64 },
		{ "0::/docker/" ID64 "\n", ID64 },
		{ "0::/machine.slice/libpod-" ID64 ".scope/container\n", ID64 },
		{ "0::/libpod_parent/libpod-" ID64 "\n", ID64 },
		/* a v1-only host: the v1 hierarchy's directories are the ones looked at */
		{ "12:pids:/docker/" ID64 "\n", ID64 },
		{ "5:cpu,cpuacct:/docker/" ID64 "\n", ID64 },
		/* a hybrid host: the v2 line alone counts */
		{ "12:pids:/docker/" ID64 "\n0::/system.slice/docker-" ID64 ".scope\n", ID64 },
		{ "12:pids:/docker/" ID64 "\n0::/system.slice/cron.service\n", "" },
		{ "0::/user.slice/user-0.slice/session-1.scope\n", "" },
		/* 65 hex digits is not an id; neither is an upper-case one */
		{ "0::/docker/0" ID64 "\n", "" },
		{ "0::/docker/3F4E5D6C7B8A99887766554433221100AABBCCDDEEFF00112233445566778899\n",
		  "" },
		/* the runtime's layout, but no such directory: nothing vouches for the name */
		{ "0::/system.slice/docker-" ID_GONE ".scope\n", "" },
		{ "0::/../system.slice/docker-" ID64 ".scope\n", "" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_resource *r;

		fake_proc(700 + i, NULL, 0, NULL);
		fake_cgroup(700 + i, rows[i].cgroup);
		fake_cgroup_dirs(rows[i].cgroup);
		r = ws_resource_new(root, 700 + i, "app");
		CHECK(r != NULL);
		if (r)
			CHECK_STR(r->container_id, rows[i].want);
		ws_resource_put(r);
	}
}

TEST(host_name_is_gethostname)
{
	char host[256] = "";
	struct ws_resource *r = ws_resource_new(root, 99997, "x");

	gethostname(host, sizeof(host));
	host[sizeof(r->host_name) - 1] = '\0';
	CHECK_STR(r->host_name, host);
	ws_resource_put(r);
}

TEST(real_proc_self_names_the_test_binary)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct ws_resource *r = ws_resource_new("/proc", getpid(), "comm");
	const char *base;

	CHECK(n > 0);
	self[n > 0 ? n : 0] = '\0';
	base = strrchr(self, '/');
	CHECK_STR(r->exe_name, base ? base + 1 : self);
	ws_resource_put(r);
}

TEST(references_are_counted)
{
	struct ws_resource *r = ws_resource_new(root, 99996, "x");

	CHECK(ws_resource_get(r) == r);
	CHECK_INT(r->refs, 2);
	ws_resource_put(r);
	CHECK_INT(r->refs, 1);
	ws_resource_put(r); /* freed here: ASan reports a leak or a double free otherwise */
	ws_resource_put(NULL);
	CHECK(ws_resource_get(NULL) == NULL);
}

TEST(service_name_from_the_process_resource_attributes)
{
	struct ws_resource *r;

	fake_proc(110, ENV("OTEL_RESOURCE_ATTRIBUTES=team=pay, service.name = billing\0"),
		  "/usr/bin/java");
	r = ws_resource_new(root, 110, "java");
	CHECK_STR(r->service_name, "billing");
	/* emitted once, as service.name, not again among the attributes */
	CHECK(ws_resource_attr(r, "service.name") == NULL);
	CHECK_STR(ws_resource_attr(r, "team"), "pay");
	ws_resource_put(r);

	/* OTEL_SERVICE_NAME wins, as the specification says */
	fake_proc(111,
		  ENV("OTEL_RESOURCE_ATTRIBUTES=service.name=billing\0"
		      "OTEL_SERVICE_NAME=ledger\0"),
		  "/usr/bin/java");
	r = ws_resource_new(root, 111, "java");
	CHECK_STR(r->service_name, "ledger");
	ws_resource_put(r);
}

/*
 * The agent's variable is the base, the process's own wins key by key, and
 * neither may contradict what the agent measures.
 */
TEST(resource_attributes_merge_over_the_agents)
{
	struct ws_res_attrs base;
	struct ws_resource_opts o = { .proc_root = root, .base = &base };
	const char *b = "deployment.environment=prod,team=platform,service.name=wirespan,"
			"host.name=node-7,process.pid=1,telemetry.sdk.name=other";
	struct ws_resource *r;

	ws_res_attrs_init(&base);
	CHECK_INT(ws_res_attrs_parse(&base, b, strlen(b)), 0);
	fake_proc(120,
		  ENV("OTEL_RESOURCE_ATTRIBUTES=team=payments,process.pid=999,"
		      "container.id=fake,host.name=laptop,telemetry.sdk.version=9,bad,"
		      "k8s.pod.name=pay-7d9f\0"),
		  "/srv/pay");
	r = ws_resource_new_opts(&o, 120, "pay");
	CHECK_INT(r->pid, 120);
	CHECK_STR(r->service_name, "pay");
	CHECK_STR(r->host_name, "node-7");
	CHECK_STR(r->container_id, "");
	CHECK_INT(r->nattrs, 3);
	CHECK_STR(ws_resource_attr(r, "deployment.environment"), "prod");
	CHECK_STR(ws_resource_attr(r, "team"), "payments");
	CHECK_STR(ws_resource_attr(r, "k8s.pod.name"), "pay-7d9f");
	CHECK_INT(r->attrs_dropped, 1);
	ws_resource_put(r);

	/* a process with nothing of its own gets the base alone */
	fake_proc(121, ENV("PATH=/bin\0"), "/srv/other");
	r = ws_resource_new_opts(&o, 121, "other");
	CHECK_INT(r->nattrs, 2);
	CHECK_STR(ws_resource_attr(r, "team"), "platform");
	CHECK_INT(r->attrs_dropped, 0);
	ws_resource_put(r);
}

TEST(systemd_unit_names_the_service)
{
	static const struct {
		const char *cgroup, *want;
	} rows[] = {
		{ "0::/system.slice/nginx.service\n", "nginx" },
		{ "12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/x.service\n"
		  "0::/system.slice/postgresql@15-main.service\n",
		  "postgresql@15-main" },
		/* the innermost service, not the user's manager */
		{ "0::/user.slice/user-0.slice/user@0.service/app.slice/sync.service\n", "sync" },
		{ "0::/user.slice/user-0.slice/user@0.service/init.scope\n", "app-exe" },
		{ "0::/user.slice/user-0.slice/session-3.scope\n", "app-exe" },
		{ "0::/system.slice/foo.service/extra\n", "foo" },
		{ "0::/\n", "app-exe" },
		{ "0::/x.servic\n", "app-exe" },
		{ "0::/.service\n", "app-exe" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_resource *r;

		fake_proc(800 + i, NULL, 0, "/opt/app-exe");
		fake_cgroup(800 + i, rows[i].cgroup);
		r = ws_resource_new(root, 800 + i, "app");
		CHECK_STR(r->service_name, rows[i].want);
		ws_resource_put(r);
	}
}

/* Writes <root>/<rel> with text, making the directories on the way. */
static void fake_file(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

#define ID_D "d0000000000000000000000000000000000000000000000000000000000000d0"
#define ID_K "c0000000000000000000000000000000000000000000000000000000000000c0"
#define ID_O "e0000000000000000000000000000000000000000000000000000000000000e0"

TEST(container_name_comes_from_the_runtime_record)
{
	static const struct {
		const char *cgroup, *want;
	} rows[] = {
		{ "0::/system.slice/docker-" ID_D ".scope\n", "web" },
		{ "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" ID_K ".scope\n",
		  "coredns" },
		{ "0::/kubepods.slice/crio-" ID_O ".scope\n", "api" },
		/* a container without a readable record: the executable names it */
		{ "0::/system.slice/docker-" ID64 ".scope\n", "" },
	};
	struct ws_resource_opts o = { .proc_root = root, .host_root = root };

	fake_file("var/lib/docker/containers/" ID_D "/config.v2.json",
		  "{\"Config\":{\"Labels\":{\"Name\":\"x\"}},\"Name\":\"/web\"}");
	fake_file("run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID_K "/config.json",
		  "{\"annotations\":{\"io.kubernetes.cri.container-name\":\"coredns\"}}");
	fake_file("run/containers/storage/overlay-containers/" ID_O "/userdata/config.json",
		  "{\"annotations\":{\"io.kubernetes.container.name\":\"api\"}}");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ws_resource *r;

		fake_proc(900 + i, NULL, 0, "/usr/sbin/srv");
		fake_cgroup(900 + i, rows[i].cgroup);
		fake_cgroup_dirs(rows[i].cgroup);
		r = ws_resource_new_opts(&o, 900 + i, "srv");
		CHECK(r->container_id[0] != '\0');
		CHECK_STR(r->container_name, rows[i].want);
		CHECK_STR(r->service_name, rows[i].want[0] ? rows[i].want : "srv");
		ws_resource_put(r);
	}
}

/* The resource of a process in cgroup path (a v2 line), with the host's runtime files under root. */
static struct ws_resource *in_cgroup(uint32_t pid, const char *path)
{
	struct ws_resource_opts o = { .proc_root = root, .host_root = root };
	char text[PATH_MAX];

	snprintf(text, sizeof(text), "0::%s\n", path);
	fake_proc(pid, NULL, 0, "/usr/sbin/srv");
	fake_cgroup(pid, text);
	return ws_resource_new_opts(&o, pid, "srv");
}

#define ID_F "f0000000000000000000000000000000000000000000000000000000000000f0"
#define USER_DELEGATION "user.slice/user-1000.slice/user@1000.service"

/*
 * Issue 20: systemd delegates user@UID.service to its user, who may name a
 * cgroup there docker-<id>.scope. The agent took that id, and the real
 * container's name when one had that id.
 */
TEST(forged_scope_in_a_user_delegation_is_not_a_container)
{
	struct ws_resource *r;

	fake_file("var/lib/docker/containers/" ID_F "/config.v2.json", "{\"Name\":\"/web\"}");
	cg_mkdir(cg2, USER_DELEGATION "/app.slice/docker-" ID_F ".scope");
	cg_chown(USER_DELEGATION, 65534);
	cg_chown(USER_DELEGATION "/app.slice", 65534);
	cg_chown(USER_DELEGATION "/app.slice/docker-" ID_F ".scope", 65534);
	r = in_cgroup(1000, "/" USER_DELEGATION "/app.slice/docker-" ID_F ".scope");
	CHECK_STR(r->container_id, "");
	CHECK_STR(r->container_name, "");
	CHECK_STR(r->service_name, "srv");
	ws_resource_put(r);

	/* Below a delegation even a root-owned directory is the user's to have named. */
	cg_mkdir(cg2,
		 "user.slice/user-1001.slice/user@1001.service/app.slice/docker-" ID_F ".scope");
	r = in_cgroup(1001, "/user.slice/user-1001.slice/user@1001.service/app.slice/docker-" ID_F
			    ".scope");
	CHECK_STR(r->container_id, "");
	CHECK_STR(r->container_name, "");
	ws_resource_put(r);
}

/* The same name where only root can make a cgroup is the runtime's. */
TEST(runtime_scope_made_by_root_is_a_container)
{
	struct ws_resource *r;

	fake_file("var/lib/docker/containers/" ID_F "/config.v2.json", "{\"Name\":\"/web\"}");
	cg_mkdir(cg2, "system.slice/docker-" ID_F ".scope");
	r = in_cgroup(1002, "/system.slice/docker-" ID_F ".scope");
	CHECK_STR(r->container_id, ID_F);
	CHECK_STR(r->container_name, "web");
	CHECK_STR(r->service_name, "web");
	ws_resource_put(r);
}

#define ID_C "c1000000000000000000000000000000000000000000000000000000000000c1"

/* A user owning the directory, or any directory above it, could have made it. */
TEST(cgroup_chowned_to_a_user_is_not_a_container)
{
	struct ws_resource *r;

	fake_file("var/lib/docker/containers/" ID_C "/config.v2.json", "{\"Name\":\"/db\"}");
	cg_mkdir(cg2, "ci.slice/docker-" ID_C ".scope");
	cg_chown("ci.slice", 65534);
	r = in_cgroup(1003, "/ci.slice/docker-" ID_C ".scope");
	CHECK_STR(r->container_id, "");
	CHECK_STR(r->container_name, "");
	ws_resource_put(r);

	cg_mkdir(cg2, "machine.slice/libpod-" ID_C ".scope");
	cg_chown("machine.slice/libpod-" ID_C ".scope", 65534);
	r = in_cgroup(1004, "/machine.slice/libpod-" ID_C ".scope");
	CHECK_STR(r->container_id, "");
	ws_resource_put(r);
}

/* podman with the cgroupfs manager, as on the project's machines. */
TEST(libpod_parent_container_made_by_root_is_a_container)
{
	struct ws_resource *r;

	cg_mkdir(cg2, "libpod_parent/libpod-" ID_C);
	r = in_cgroup(1005, "/libpod_parent/libpod-" ID_C);
	CHECK_STR(r->container_id, ID_C);
	ws_resource_put(r);
}

/* 64 hex characters are an id only where a runtime puts one. */
TEST(hex_name_outside_a_runtime_layout_is_not_a_container)
{
	static const char *const paths[] = {
		"/mygroup/" ID_C,
		"/system.slice/" ID_C ".scope",
		"/system.slice/mine-" ID_C ".scope",
		"/system.slice/docker-" ID_C ".service",
		"/libpod_parent/conmon-" ID_C,
		"/notkubepods/pod1/" ID_C,
		"/kubepods/burstable/" ID_C,
		"/kubepods/a/burstable/pod1/" ID_C,
		"/docker-" ID_C ".scope", /* a scope is placed in a slice */
		"/mygroup/docker-" ID_C ".scope",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct ws_resource *r;

		cg_mkdir(cg2, paths[i] + 1);
		r = in_cgroup(1010 + i, paths[i]);
		CHECK_STR(r->container_id, "");
		ws_resource_put(r);
	}
}

#define ID_R "a0000000000000000000000000000000000000000000000000000000000000a%c"

/*
 * The runtime's record names the container only when root alone could have
 * written it: a root-owned regular file, writable by no one else.
 */
TEST(runtime_record_must_be_roots_alone)
{
	static const struct {
		char last; /* the id's last digit */
		const char *how;
	} rows[] = {
		{ '0', "root 0644" },	   { '1', "user" },    { '2', "group-writable" },
		{ '3', "world-writable" }, { '4', "symlink" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char id[65], rel[256], path[PATH_MAX], cg[256];
		struct ws_resource *r;

		snprintf(id, sizeof(id), ID_R, rows[i].last);
		snprintf(rel, sizeof(rel), "var/lib/docker/containers/%s/config.v2.json", id);
		fake_file(rel, "{\"Name\":\"/named\"}");
		snprintf(path, sizeof(path), "%s/%s", root, rel);
		if (!strcmp(rows[i].how, "user"))
			CHECK_INT(chown(path, 65534, 65534), 0);
		if (!strcmp(rows[i].how, "group-writable"))
			CHECK_INT(chmod(path, 0664), 0);
		if (!strcmp(rows[i].how, "world-writable"))
			CHECK_INT(chmod(path, 0646), 0);
		if (!strcmp(rows[i].how, "symlink")) {
			char real[PATH_MAX];

			snprintf(real, sizeof(real), "%s/elsewhere.json", root);
			CHECK_INT(rename(path, real), 0);
			CHECK_INT(symlink(real, path), 0);
		}
		snprintf(cg, sizeof(cg), "system.slice/docker-%s.scope", id);
		cg_mkdir(cg2, cg);
		snprintf(cg, sizeof(cg), "/system.slice/docker-%s.scope", id);
		r = in_cgroup(1020 + i, cg);
		CHECK_STR(r->container_id, id);
		if (strcmp(r->container_name, i ? "" : "named"))
			fprintf(stderr, "    record %s\n", rows[i].how);
		CHECK_STR(r->container_name, i ? "" : "named");
		ws_resource_put(r);
	}
}

static const struct check_case cases[] = {
	CASE(container_id_comes_from_the_cgroup_path),
	CASE(service_name_comes_from_otel_service_name),
	CASE(service_name_falls_back_to_exe_name),
	CASE(empty_otel_service_name_is_ignored),
	CASE(first_otel_service_name_wins),
	CASE(similar_variable_names_do_not_match),
	CASE(deleted_executable_suffix_is_stripped),
	CASE(exited_process_falls_back_to_comm),
	CASE(environ_without_exe_uses_comm_for_exe_name),
	CASE(no_comm_and_no_proc_gives_unknown_service),
	CASE(long_values_are_cut_to_fit),
	CASE(variable_beyond_read_bound_is_not_seen),
	CASE(variable_cut_by_read_bound_is_not_trusted),
	CASE(host_name_is_gethostname),
	CASE(real_proc_self_names_the_test_binary),
	CASE(references_are_counted),
	CASE(service_name_from_the_process_resource_attributes),
	CASE(resource_attributes_merge_over_the_agents),
	CASE(systemd_unit_names_the_service),
	CASE(container_name_comes_from_the_runtime_record),
	CASE(forged_scope_in_a_user_delegation_is_not_a_container),
	CASE(runtime_scope_made_by_root_is_a_container),
	CASE(cgroup_chowned_to_a_user_is_not_a_container),
	CASE(libpod_parent_container_made_by_root_is_a_container),
	CASE(hex_name_outside_a_runtime_layout_is_not_a_container),
	CASE(runtime_record_must_be_roots_alone),
};

int main(void)
{
	int rc;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	fake_mountinfo();
	rc = check_run("resource", cases, sizeof(cases) / sizeof(cases[0]));
	tmptree_remove(root);
	return rc;
}
