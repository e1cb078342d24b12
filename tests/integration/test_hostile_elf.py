# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Executables a traced program controls are hostile input. An unprivileged
user (nobody) runs, in a traced cgroup, a static binary that claims to be Go
1.21 (a .go.buildinfo section) and whose .symtab has an entry size of 0:
placing the Go uprobes used to hand that file to libbpf 1.1's symbol lookup,
which divided by the entry size and ended the agent with SIGFPE. The agent
must live on, count and log the failed probe, and trace the next request."""
import os
import struct
import subprocess
import tempfile

import pytest

from conftest import (CLIENT, SERVER, concurrent_gets, spans_of, start_py_server,
                      wait_until)

NOBODY = 65534
SHT_SYMTAB = 2

# A client that makes one HTTP request (so the agent builds its resource and,
# seeing Go, places the uprobes) and stays alive a second for the attach.
CLIENT_C = r"""
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const char req[] = "GET /hostile HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
	char buf[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc < 2 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		return 1;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	sleep(1);
	return 0;
}
"""


def go_buildinfo(version=b"go1.21.0"):
    """Go 1.18+ build info: the 32-byte header (flag 2: strings inline),
    then the varint-prefixed version and an empty module info."""
    head = b"\xff Go buildinf:" + bytes([8, 2])
    return head.ljust(32, b"\0") + bytes([len(version)]) + version + b"\0"


def zero_symtab_entsize(path):
    """Sets sh_entsize of the ELF64 file's SHT_SYMTAB section to 0, in place."""
    with open(path, "r+b") as f:
        data = f.read()
        assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "not ELF64 LE"
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
        for i in range(shnum):
            at = shoff + i * shentsize
            if struct.unpack_from("<I", data, at + 4)[0] == SHT_SYMTAB:
                f.seek(at + 56)  # sh_entsize, the last field of Elf64_Shdr
                f.write(struct.pack("<Q", 0))
                return
    raise AssertionError("the static binary has no .symtab")


@pytest.fixture(scope="module")
def hostile_bin():
    """The crafted binary in a directory nobody can reach (pytest's are 0700)."""
    d = tempfile.mkdtemp(prefix="ws-hostile-elf-")
    os.chmod(d, 0o755)
    src, out, info = (os.path.join(d, n) for n in ("client.c", "fake_go", "buildinfo"))
    with open(src, "w") as f:
        f.write(CLIENT_C)
    with open(info, "wb") as f:
        f.write(go_buildinfo())
    subprocess.run(["gcc", "-static", "-O1", "-o", out, src], check=True)
    subprocess.run(["objcopy", "--add-section", f".go.buildinfo={info}", out], check=True)
    zero_symtab_entsize(out)
    os.chmod(out, 0o755)
    yield out
    for n in (src, out, info):
        os.unlink(n)
    os.rmdir(d)


def test_the_readelf_view_of_the_crafted_binary(hostile_bin):
    """The file is what the test says: a .go.buildinfo and a .symtab with entry size 0."""
    r = subprocess.run(["readelf", "-SW", hostile_bin], capture_output=True, text=True)
    assert ".go.buildinfo" in r.stdout
    assert "has invalid sh_entsize of 0" in r.stderr, r.stderr  # readelf shows 18 and says so


def test_a_hostile_go_binary_run_by_nobody_does_not_kill_the_agent(
        cgroup, receiver, start_agent, hostile_bin):
    agent = start_agent("--cgroup", str(cgroup.path))
    server, port = start_py_server(cgroup)

    def as_nobody():
        cgroup._enter()
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)

    p = subprocess.Popen([hostile_bin, str(port)], preexec_fn=as_nobody)
    cgroup.procs.append(p)
    assert p.wait(30) == 0
    # Its call traced means the agent read the process (and met "Go") by then.
    wait_until(lambda: agent.proc.poll() is not None
               or spans_of(receiver.spans(), CLIENT, pid=p.pid), timeout=15)
    assert agent.proc.poll() is None, \
        f"agent died ({agent.proc.returncode}):\n" + "".join(agent.lines)
    assert spans_of(receiver.spans(), CLIENT, pid=p.pid), "the hostile client was not traced"

    # And it still traces a normal request.
    client_pid = concurrent_gets(cgroup, f"http://127.0.0.1:{port}/after%d", 1)
    receiver.wait_for(lambda s: spans_of(s, CLIENT, pid=client_pid)
                      and spans_of(s, SERVER, path="/after0"), timeout=15)
    stats = agent.stop()
    assert stats["go"]["probe_failures"] == 1, stats
    logged = [l for l in agent.lines if f"pid {p.pid} is a Go program" in l]
    assert logged and "could not be probed" in logged[0], agent.lines
