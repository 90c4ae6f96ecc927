package report

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Summary describes a sample of measurements (milliseconds, bytes, …).
type Summary struct {
	N                          int
	Min, P25, Median, P75, Max float64
	Mean                       float64
}

// Summarize computes the summary of xs; quartiles interpolate linearly
// between the closest ranks. An empty sample has N == 0 and zero values.
func Summarize(xs []float64) Summary {
	if len(xs) == 0 {
		return Summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Summary{
		N: len(s), Min: s[0], Max: s[len(s)-1], Mean: sum / float64(len(s)),
		P25: quantile(s, 0.25), Median: quantile(s, 0.5), P75: quantile(s, 0.75),
	}
}

// quantile is the q-quantile of sorted (non-empty), interpolated linearly.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
}

// Millis converts durations to milliseconds.
func Millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / float64(time.Millisecond)
	}
	return out
}

// FormatMillis renders milliseconds: one decimal below 10 ms, whole
// milliseconds below 10 s, seconds with two decimals above.
func FormatMillis(ms float64) string {
	switch {
	case ms >= 10000:
		return fmt.Sprintf("%.2f s", ms/1000)
	case ms >= 10 || ms <= -10:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%.1f ms", ms)
	}
}

// FormatMB renders bytes in MB (10^6 bytes) with one decimal.
func FormatMB(bytes float64) string { return fmt.Sprintf("%.1f MB", bytes/1e6) }

// FormatSize renders a file size: bytes, kB or MB (powers of ten).
func FormatSize(bytes int64) string {
	switch {
	case bytes < 1000:
		return fmt.Sprintf("%d B", bytes)
	case bytes < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(bytes)/1e3)
	}
	return FormatMB(float64(bytes))
}
