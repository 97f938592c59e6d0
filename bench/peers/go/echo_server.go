// echo_server.go: Go peer of examples/echo_server.cpp. Listens on
// 127.0.0.1:PORT (0: a free port), prints "listening on 127.0.0.1:PORT" once
// it accepts, and echoes every connection in its own goroutine (a 16 KiB
// Read/Write loop, as the gmp server; not io.Copy, which would splice) until
// the peer closes. An accept that fails for lack of descriptors is retried
// after 5 ms. GOMAXPROCS comes from the environment (bench/echo.sh sets it).
//
// Build: GO111MODULE=off go build -o go_echo_server echo_server.go
// Usage: go_echo_server PORT       Runs until killed.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	var port uint64
	var err error
	if len(os.Args) == 2 {
		port, err = strconv.ParseUint(os.Args[1], 10, 16)
	}
	if len(os.Args) != 2 || err != nil {
		fmt.Fprintf(os.Stderr, "usage: %s PORT\n  echoes every connection to 127.0.0.1:PORT (0: a free port)\n", os.Args[0])
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.FormatUint(port, 10)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo_server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr()) // os.Stdout is unbuffered
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			fmt.Fprintf(os.Stderr, "echo_server: %v\n", err)
			os.Exit(1)
		}
		go serve(c)
	}
}
