// spawn.go: Go peer of bench/spawn.cpp. Starts N goroutines (default 1,000,000)
// that each only call wg.Done() on a sync.WaitGroup, waits for all of them, and
// prints the peak RSS and the cost per goroutine. GOMAXPROCS comes from the env.
//
// Build: GO111MODULE=off go build -o go_spawn spawn.go
// Usage: go_spawn [N]
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [goroutines]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fmt.Fprintln(os.Stderr, "getrusage:", err)
		os.Exit(1)
	}
	fmt.Printf("goroutines %d\n", n)
	fmt.Printf("peak_rss %d KiB\n", ru.Maxrss) // Linux reports ru_maxrss in KiB
	fmt.Printf("spawn %.1f ns/goroutine\n", float64(elapsed.Nanoseconds())/float64(n))
}
