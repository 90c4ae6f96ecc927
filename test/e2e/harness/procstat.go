package harness

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// statFields splits /proc/<pid>/stat ("pid (comm) S ppid …", comm may hold
// spaces and parentheses) into the fields after comm: the state first, then
// the parent's pid, …; utime and stime are the 12th and 13th.
func statFields(stat []byte) ([]string, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(stat[i+1:]))
	return f, len(f) >= 13
}

// procStat reads the fields of /proc/<pid>/stat after comm.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	f, ok := statFields(b)
	if !ok {
		return nil, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, b)
	}
	return f, nil
}

// ParentPID is the parent of process pid.
func ParentPID(pid int) (int, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// ProcessCPU is the user and system time process pid (all its threads) has
// used.
func ProcessCPU(pid int) (time.Duration, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil // USER_HZ
}

// ProcessAlive reports whether process pid exists and is not a zombie.
func ProcessAlive(pid int) bool {
	f, err := procStat(pid)
	return err == nil && f[0] != "Z"
}
