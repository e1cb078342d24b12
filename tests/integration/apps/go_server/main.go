// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A Go net/http server for the tests. Listens on 127.0.0.1 on an ephemeral
// port, prints "READY <port>", and answers:
//   /call[/anything]?port=P&path=X[&ka=1]  a GET to 127.0.0.1:P X from the
//       handler's goroutine through http.Client (a fresh connection each
//       time, or with ka=1 a keep-alive pool), answered with its status;
//   /raw[/anything]?port=P&path=X  the same GET written by the handler's
//       goroutine itself on a net.Conn (no http.Transport);
//   anything else: 200 "ok".
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

var (
	fresh = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	pool  = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
)

func call(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := fresh
	if q.Get("ka") == "1" {
		c = pool
	}
	resp, err := c.Get("http://127.0.0.1:" + q.Get("port") + q.Get("path"))
	relay(w, resp, err)
}

// Answers with the call's status, its body read and dropped.
func relay(w http.ResponseWriter, resp *http.Response, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}

func raw(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	conn, err := net.Dial("tcp", "127.0.0.1:"+q.Get("port"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n", q.Get("path"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	relay(w, resp, err)
}

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/call"):
			call(w, r)
		case strings.HasPrefix(r.URL.Path, "/raw"):
			raw(w, r)
		default:
			io.WriteString(w, "ok")
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("READY %d\n", ln.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	http.Serve(ln, nil)
}
