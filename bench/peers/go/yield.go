// yield.go: Go peer of bench/yield.cpp. With GOMAXPROCS=1, two goroutines each
// call runtime.Gosched() N times (default 10,000,000); prints the cost of one
// switch, elapsed / (2N).
//
// Build: GO111MODULE=off go build -o go_yield yield.go
// Usage: go_yield [N]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

func main() {
	n := 10000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [yields-per-goroutine]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}
	runtime.GOMAXPROCS(1)

	var wg sync.WaitGroup
	worker := func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			runtime.Gosched()
		}
	}
	start := time.Now()
	wg.Add(2)
	go worker()
	go worker()
	wg.Wait()
	elapsed := time.Since(start)

	fmt.Printf("yields %d x 2\n", n)
	fmt.Printf("yield %.1f ns/switch\n", float64(elapsed.Nanoseconds())/float64(2*n))
}
