package humanize

import (
	"fmt"
	"strconv"
)

// Bytes formats n bytes with a binary (1024-based) unit: whole bytes below
// 1 KiB ("214 B"), one decimal below 10 of a unit ("1.5 KiB", "2 MiB" when
// the decimal is 0), whole units above ("143 MiB"). A negative n is
// "unknown size".
func Bytes(n int64) string {
	if n < 0 {
		return "unknown size"
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := [...]string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	unit := -1
	for v >= 1024 && unit < len(units)-1 {
		v /= 1024
		unit++
	}
	// Rounding may carry into the next unit (1023.96 KiB is 1 MiB).
	if v >= 1023.5 && unit < len(units)-1 {
		v /= 1024
		unit++
	}
	if v < 9.95 {
		s := strconv.FormatFloat(v, 'f', 1, 64)
		if s[len(s)-2:] == ".0" {
			s = s[:len(s)-2]
		}
		return s + " " + units[unit]
	}
	return fmt.Sprintf("%.0f %s", v, units[unit])
}
