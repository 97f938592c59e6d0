// mutex.go: Go peer of bench/mutex.cpp. 8 goroutines each lock one
// sync.Mutex, increment a shared counter and unlock, N times (default
// 1,000,000); the counter is checked. Prints elapsed / (8N) per lock/unlock
// pair. GOMAXPROCS from the env.
//
// Build: GO111MODULE=off go build -o go_mutex mutex.go
// Usage: go_mutex [N]      Output ends with: mutex <ns> ns/lock
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

const workers = 8

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [locks-per-goroutine]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	if counter != workers*n {
		fmt.Fprintf(os.Stderr, "mutex: counter %d, want %d\n", counter, workers*n)
		os.Exit(1)
	}
	fmt.Printf("locks %d x %d maxprocs %d\n", n, workers, runtime.GOMAXPROCS(0))
	fmt.Printf("mutex %.1f ns/lock\n", float64(elapsed.Nanoseconds())/float64(workers*n))
}
