// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A Go net/http server for the tests: /call[/anything]?port=P&path=X makes a GET to
// 127.0.0.1:P X from the handler's goroutine (a fresh connection each time)
// and answers with its status; anything else answers 200 "ok". Listens on
// 127.0.0.1 on an ephemeral port and prints "READY <port>".
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

func main() {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/call") {
			io.WriteString(w, "ok")
			return
		}
		q := r.URL.Query()
		resp, err := client.Get("http://127.0.0.1:" + q.Get("port") + q.Get("path"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
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
