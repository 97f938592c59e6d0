// skynet.go: Go peer of bench/skynet.cpp, the classic skynet benchmark. A
// node of size > 1 makes one unbuffered channel, starts 10 children (each of a
// tenth of its size) on goroutines, receives their 10 sums from that channel
// and sends its own sum to its parent; a leaf sends its ordinal. N leaves
// (default 1,000,000; a power of 10), so 1,111,111 goroutines in all; the sum
// must be N(N-1)/2 (499999500000). Prints the wall time in ms. GOMAXPROCS
// from the env.
//
// Build: GO111MODULE=off go build -o go_skynet skynet.go
// Usage: go_skynet [N]      Output ends with: skynet <ms> ms
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

const fanout = 10

func skynet(c chan<- int64, num, size int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	sub := size / fanout
	for i := int64(0); i < fanout; i++ {
		go skynet(rc, num+i*sub, sub)
	}
	var sum int64
	for i := 0; i < fanout; i++ {
		sum += <-rc
	}
	c <- sum
}

func main() {
	n := int64(1000000)
	if len(os.Args) > 1 {
		v, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [leaves (a power of 10)]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}
	for p := n; p > 1; p /= fanout {
		if p%fanout != 0 {
			fmt.Fprintf(os.Stderr, "skynet: leaves must be a power of %d, not %d\n", fanout, n)
			os.Exit(2)
		}
	}

	start := time.Now()
	c := make(chan int64)
	go skynet(c, 0, n)
	sum := <-c
	elapsed := time.Since(start)

	if want := n * (n - 1) / 2; sum != want {
		fmt.Fprintf(os.Stderr, "skynet: wrong sum %d, want %d\n", sum, want)
		os.Exit(1)
	}
	fmt.Printf("leaves %d sum %d maxprocs %d\n", n, sum, runtime.GOMAXPROCS(0))
	fmt.Printf("skynet %.1f ms\n", float64(elapsed.Nanoseconds())/1e6)
}
