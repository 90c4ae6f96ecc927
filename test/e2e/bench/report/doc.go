// Package report holds the pure parts of the benchmark (test/e2e/bench):
// summary statistics of repeated measurements, the parsing of a process's
// /proc/<pid>/smaps_rollup (proportional set size), the table of measured
// values against the performance targets rendered as markdown, and the
// plots (start-time distribution per runtime, memory per app against the
// number of apps) drawn with gonum.org/v1/plot.
//
// Nothing here starts a daemon or a container, so all of it is unit-tested.
package report
