// chan_throughput.go: Go peer of bench/chan_throughput.cpp. 4 producers send
// N ints in total (default 10,000,000) on one channel of capacity 1024 that 4
// consumers drain; the producers' WaitGroup closes the channel, the consumers
// range over it. Prints the cost per item, elapsed / N. GOMAXPROCS from the env.
//
// Build: GO111MODULE=off go build -o go_chan_throughput chan_throughput.go
// Usage: go_chan_throughput [N]      Output ends with: chan_throughput <ns> ns/item
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

const (
	producers = 4
	consumers = 4
	capacity  = 1024
)

func main() {
	n := 10000000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [items]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}

	c := make(chan int, capacity)
	var pwg, cwg sync.WaitGroup
	sums := make([]int64, consumers*8) // one per consumer, 64 bytes apart

	start := time.Now()
	for p := 0; p < producers; p++ {
		// Producer p sends items [lo, hi): the ranges cover 0..n-1 exactly.
		lo, hi := n*p/producers, n*(p+1)/producers
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			for i := lo; i < hi; i++ {
				c <- i
			}
		}()
	}
	for k := 0; k < consumers; k++ {
		cwg.Add(1)
		go func(k int) {
			defer cwg.Done()
			var s int64
			for v := range c {
				s += int64(v)
			}
			sums[k*8] = s
		}(k)
	}
	pwg.Wait()
	close(c)
	cwg.Wait()
	elapsed := time.Since(start)

	var total int64
	for k := 0; k < consumers; k++ {
		total += sums[k*8]
	}
	if want := int64(n) * int64(n-1) / 2; total != want {
		fmt.Fprintf(os.Stderr, "chan_throughput: wrong sum %d, want %d\n", total, want)
		os.Exit(1)
	}
	fmt.Printf("items %d producers %d consumers %d capacity %d maxprocs %d\n",
		n, producers, consumers, capacity, runtime.GOMAXPROCS(0))
	fmt.Printf("chan_throughput %.1f ns/item\n", float64(elapsed.Nanoseconds())/float64(n))
}
