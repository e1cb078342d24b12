# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`make run` installs only what the agent needs to build and run; what the
tests use comes with `make test`. Read from the installer's own lists
(--list installs nothing) and from make's dry runs."""
import os
import shutil
import subprocess

from conftest import REPO

SCRIPT = REPO / "packaging" / "install-deps.sh"
# Packages only the test suites (and benchmarks) use.
TEST_ONLY = {"golang-go", "wrk", "nginx-light", "nodejs", "npm", "python3-pytest",
             "python3-grpcio", "python3-protobuf", "protobuf-compiler", "libclang-rt-14-dev",
             "podman", "runc", "clang-format"}
BUILD = {"make", "gcc", "clang", "llvm", "libbpf-dev", "bpftool", "libelf-dev", "zlib1g-dev",
         "protobuf-c-compiler", "libprotobuf-c-dev", "libcurl4-openssl-dev"}


def listed(*args):
    # An installer without --list would take it for a package and try apt: never run it so.
    assert "--list" in SCRIPT.read_text(), "install-deps.sh has no --list"
    r = subprocess.run([str(SCRIPT), "--list", *args], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def dry_run(target):
    # Under `make test` this runs inside make: its flags and jobserver are not this make's.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True,
                       timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    return [l for l in r.stdout.splitlines() if "install-deps.sh" in l]


def test_the_run_list_builds_the_agent_and_holds_no_test_package():
    run = set(listed("run"))
    assert BUILD <= run, BUILD - run
    assert not run & TEST_ONLY, run & TEST_ONLY


def test_the_test_list_is_the_run_list_and_the_test_packages():
    run, test = set(listed("run")), set(listed("test"))
    assert run <= test, run - test
    want = set(TEST_ONLY)
    # A node already installed (NodeSource's, with its npm) is used as it is.
    want -= {t for t in ("nodejs", "npm") if shutil.which("node" if t == "nodejs" else t)}
    assert want <= test, want - test


def test_extra_packages_still_come_with_the_test_list():
    # bench/install-deps.sh calls the installer with its packages and no purpose.
    got = listed("linux-perf", "procps")
    assert set(listed("test")) | {"linux-perf", "procps"} == set(got)


def test_make_run_calls_only_the_run_installer_and_make_test_the_test_one():
    assert dry_run("run") == ["packaging/install-deps.sh run"]
    assert dry_run("test") == ["packaging/install-deps.sh test"]
