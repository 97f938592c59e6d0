// sieve.go: Go peer of bench/sieve.cpp, the concurrent prime sieve from the Go
// tour / Go spec: a generator goroutine sends 2, 3, 4, ... on an unbuffered
// channel; for each prime read from the end of the chain, main starts a filter
// goroutine that drops its multiples, chained by unbuffered channels. Computes
// the first N primes (default 5,000; the 5000th is 48611, checked) and prints
// the wall time in ms. The goroutines are abandoned at exit. GOMAXPROCS from
// the env.
//
// Build: GO111MODULE=off go build -o go_sieve sieve.go
// Usage: go_sieve [N]      Output ends with: sieve <ms> ms
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	n := 5000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [primes]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	start := time.Now()
	ch := make(chan int)
	go generate(ch)
	prime := 0
	for i := 0; i < n; i++ {
		prime = <-ch
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	elapsed := time.Since(start)

	if n == 5000 && prime != 48611 {
		fmt.Fprintf(os.Stderr, "sieve: the 5000th prime is 48611, got %d\n", prime)
		os.Exit(1)
	}
	fmt.Printf("primes %d last %d maxprocs %d\n", n, prime, runtime.GOMAXPROCS(0))
	fmt.Printf("sieve %.1f ms\n", float64(elapsed.Nanoseconds())/1e6)
}
