package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// pageFaultCost touches pageFaultProbeBytes of fresh memory per round, in
// pageFaultProbeRounds rounds.
const (
	pageFaultProbeBytes  = 16 << 20
	pageFaultProbeRounds = 5
)

// pageFaultCost is the median time of a first write to a page of fresh
// anonymous memory (4 KiB pages; transparent huge pages declined): the
// cost of a page fault, which most of a first start and much of a
// process's start-up consist of. On a virtual machine it depends on the
// host's load as much as on the guest: on the machine these benchmarks
// were written on, runc's median start was 73 ms one day and 220–290 ms
// on others, when a page fault cost 11–25 µs; each report states it.
func pageFaultCost() (time.Duration, error) {
	pageSize := os.Getpagesize()
	perPage := make([]time.Duration, 0, pageFaultProbeRounds)
	for range pageFaultProbeRounds {
		mem, err := unix.Mmap(-1, 0, pageFaultProbeBytes, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return 0, fmt.Errorf("mapping memory to probe page faults: %w", err)
		}
		if err := unix.Madvise(mem, unix.MADV_NOHUGEPAGE); err != nil {
			_ = unix.Munmap(mem)
			return 0, fmt.Errorf("declining huge pages for the page fault probe: %w", err)
		}
		start := time.Now()
		for i := 0; i < len(mem); i += pageSize {
			mem[i] = 1
		}
		perPage = append(perPage, time.Since(start)/time.Duration(len(mem)/pageSize))
		if err := unix.Munmap(mem); err != nil {
			return 0, fmt.Errorf("unmapping the page fault probe's memory: %w", err)
		}
	}
	slices.Sort(perPage)
	return perPage[len(perPage)/2], nil
}

// pageFaultRow is the Machine table's row for the probe's result (none if
// it failed: the run's log says why).
func pageFaultRow(cost time.Duration) [][2]string {
	if cost <= 0 {
		return nil
	}
	return [][2]string{{"Page fault at the start of the run (first write to fresh anonymous memory, median)",
		micros(cost)}}
}
