package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Memory is a process's memory from /proc/<pid>/smaps_rollup, in bytes.
// PSS (proportional set size) charges each shared page to the processes
// mapping it in equal parts, so the PSS of several processes adds up to
// the memory they really use together.
type Memory struct {
	RSS, PSS, PSSAnon, PSSFile, PSSShmem int64
}

// Add returns the sum of m and o.
func (m Memory) Add(o Memory) Memory {
	return Memory{RSS: m.RSS + o.RSS, PSS: m.PSS + o.PSS, PSSAnon: m.PSSAnon + o.PSSAnon,
		PSSFile: m.PSSFile + o.PSSFile, PSSShmem: m.PSSShmem + o.PSSShmem}
}

// Div returns m divided by n: the share of each of n.
func (m Memory) Div(n int64) Memory {
	return Memory{RSS: m.RSS / n, PSS: m.PSS / n, PSSAnon: m.PSSAnon / n, PSSFile: m.PSSFile / n, PSSShmem: m.PSSShmem / n}
}

// ReadMemory reads /proc/<pid>/smaps_rollup.
func ReadMemory(pid int) (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("reading the memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	m, err := ParseSmapsRollup(f)
	if err != nil {
		return Memory{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return m, nil
}

// ParseSmapsRollup parses the text of a smaps_rollup file ("Pss:  123 kB"
// lines after a header line). A file without a Pss line is an error: it is
// not smaps_rollup (or the process is a kernel thread).
func ParseSmapsRollup(r io.Reader) (Memory, error) {
	var m Memory
	fields := map[string]*int64{"Rss": &m.RSS, "Pss": &m.PSS, "Pss_Anon": &m.PSSAnon,
		"Pss_File": &m.PSSFile, "Pss_Shmem": &m.PSSShmem}
	sawPSS := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		dst, known := fields[name]
		if !ok || !known {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("smaps_rollup: malformed line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("smaps_rollup: line %q: %w", sc.Text(), err)
		}
		*dst = kb * 1024
		sawPSS = sawPSS || name == "Pss"
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("smaps_rollup: %w", err)
	}
	if !sawPSS {
		return Memory{}, fmt.Errorf("smaps_rollup: no Pss line")
	}
	return m, nil
}
