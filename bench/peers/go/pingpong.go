// pingpong.go: Go peer of bench/pingpong.cpp. Two goroutines pass an int back
// and forth over two unbuffered channels N times (default 1,000,000 round
// trips) and the cost of one round trip is printed. GOMAXPROCS comes from the
// environment (compare.sh runs it with 1 and with all cores).
//
// Build: GO111MODULE=off go build -o go_pingpong pingpong.go
// Usage: go_pingpong [N]      Output ends with: pingpong <ns> ns/roundtrip
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func main() {
	n := 1000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [round-trips]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			pong <- (<-ping) + 1
		}
	}()

	start := time.Now()
	sum := 0
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong - i
	}
	elapsed := time.Since(start)
	if sum != n {
		fmt.Fprintf(os.Stderr, "pingpong: wrong sum %d, want %d\n", sum, n)
		os.Exit(1)
	}

	fmt.Printf("roundtrips %d maxprocs %d\n", n, runtime.GOMAXPROCS(0))
	fmt.Printf("pingpong %.1f ns/roundtrip\n", float64(elapsed.Nanoseconds())/float64(n))
}
