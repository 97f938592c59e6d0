// idle_mem.go: Go peer of bench/idle_mem.cpp. Reads the resident set size
// (/proc/self/statm), starts N goroutines (default 100,000) that each block
// receiving from one unbuffered channel, waits until they have all started and
// then 100 ms more so that they are parked, reads the RSS again and prints
// (RSS parked - RSS before) / N. Then closes the channel and waits for all of
// them to return. GOMAXPROCS from the env.
//
// Build: GO111MODULE=off go build -o go_idle_mem idle_mem.go
// Usage: go_idle_mem [N]      Output ends with: idle_mem <bytes> bytes/goroutine
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rss returns the resident set size in bytes, from /proc/self/statm.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		fmt.Fprintln(os.Stderr, "idle_mem:", err)
		os.Exit(1)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "idle_mem: bad /proc/self/statm:", string(b))
		os.Exit(1)
	}
	return pages * int64(os.Getpagesize())
}

func main() {
	n := 100000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [goroutines]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	c := make(chan int)
	var started, finished sync.WaitGroup
	before := rss()
	started.Add(n)
	finished.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			<-c // parks until close
			finished.Done()
		}()
	}
	started.Wait()
	time.Sleep(100 * time.Millisecond) // the last ones get from Done to the receive
	parked := rss()
	close(c)
	finished.Wait()

	fmt.Printf("goroutines %d rss_before %d rss_parked %d maxprocs %d\n",
		n, before, parked, runtime.GOMAXPROCS(0))
	fmt.Printf("idle_mem %.1f bytes/goroutine\n", float64(parked-before)/float64(n))
}
