// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A thread-per-connection HTTP/1.1 server in C with pthreads, for the tests:
 * "GET /call/N?port=P HTTP/1.1" makes "GET /leafN" to 127.0.0.1:P from the
 * connection's thread and answers with that call's status line code;
 * anything else answers 200 "ok". One request per connection. Listens on
 * 127.0.0.1, prints "READY <port>".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads until the end of a head (or the buffer is full); 0 terminated. */
static ssize_t read_head(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n <= 0)
			return -1;
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return got;
	}
	return -1;
}

static int downstream(int port, const char *n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char req[128], resp[1024];
	int fd = socket(AF_INET, SOCK_STREAM, 0), code = 502;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	snprintf(req, sizeof(req), "GET /leaf%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", n);
	if (write(fd, req, strlen(req)) < 0 || read_head(fd, resp, sizeof(resp)) < 0)
		goto out;
	if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1)
		code = 502;
out:
	if (fd >= 0)
		close(fd);
	return code;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg, code = 200, port;
	char buf[4096], n[16], out[256];

	if (read_head(fd, buf, sizeof(buf)) > 0) {
		if (sscanf(buf, "GET /call/%15[0-9]?port=%d", n, &port) == 2)
			code = downstream(port, n);
		snprintf(out, sizeof(out),
			 "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", code);
		if (write(fd, out, strlen(out)) < 0)
			perror("write");
	}
	close(fd);
	return NULL;
}

int main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 256) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		perror("listen");
		return 1;
	}
	printf("READY %d\n", ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(long)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}
