package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 4, 2, 3})
	want := Summary{N: 5, Min: 1, P25: 2, Median: 3, P75: 4, Max: 5, Mean: 3}
	if s != want {
		t.Fatalf("Summarize = %+v, want %+v", s, want)
	}
	// Even count: the median interpolates between the middle two.
	if m := Summarize([]float64{10, 20, 40, 30}).Median; m != 25 {
		t.Errorf("median of 10,20,30,40 = %v, want 25", m)
	}
	if q := Summarize([]float64{0, 10}).P25; math.Abs(q-2.5) > 1e-9 {
		t.Errorf("P25 of 0,10 = %v, want 2.5", q)
	}
	if s := Summarize(nil); s.N != 0 || s.Median != 0 {
		t.Errorf("Summarize(nil) = %+v", s)
	}
}

func TestMillisAndFormat(t *testing.T) {
	ms := Millis([]time.Duration{1500 * time.Microsecond, 2 * time.Second})
	if ms[0] != 1.5 || ms[1] != 2000 {
		t.Errorf("Millis = %v", ms)
	}
	for in, want := range map[float64]string{1.54: "1.5 ms", 81.4: "81 ms", 12345: "12.35 s", -25: "-25 ms"} {
		if got := FormatMillis(in); got != want {
			t.Errorf("FormatMillis(%v) = %q, want %q", in, got, want)
		}
	}
	if got := FormatMB(8.34e6); got != "8.3 MB" {
		t.Errorf("FormatMB = %q", got)
	}
	for in, want := range map[int64]string{367: "367 B", 12_500: "12.5 kB", 12_203_458: "12.2 MB"} {
		if got := FormatSize(in); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", in, got, want)
		}
	}
}

const smapsSample = `55b37c390000-7ffc4f9c4000 ---p 00000000 00:00 0                          [rollup]
Rss:                6248 kB
Pss:                3120 kB
Pss_Dirty:          1112 kB
Pss_Anon:           2000 kB
Pss_File:           1100 kB
Pss_Shmem:            20 kB
Shared_Clean:       1536 kB
Private_Dirty:       112 kB
Swap:                  0 kB
SwapPss:               0 kB
`

func TestParseSmapsRollup(t *testing.T) {
	m, err := ParseSmapsRollup(strings.NewReader(smapsSample))
	if err != nil {
		t.Fatal(err)
	}
	want := Memory{RSS: 6248 << 10, PSS: 3120 << 10, PSSAnon: 2000 << 10, PSSFile: 1100 << 10, PSSShmem: 20 << 10}
	if m != want {
		t.Fatalf("parsed %+v, want %+v", m, want)
	}
	if sum := m.Add(m); sum.PSS != 2*want.PSS || sum.PSSAnon != 2*want.PSSAnon {
		t.Errorf("Add = %+v", sum)
	}
	for name, text := range map[string]string{
		"no Pss":     "Rss: 12 kB\n",
		"no unit":    "Pss: 12\n",
		"not number": "Pss: x kB\n",
	} {
		if _, err := ParseSmapsRollup(strings.NewReader(text)); err == nil {
			t.Errorf("%s: parsed %q without an error", name, text)
		}
	}
}

func TestReadMemorySelf(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Skipf("no smaps_rollup here: %v", err)
	}
	if m.PSS <= 0 || m.RSS < m.PSS {
		t.Errorf("own memory %+v: want 0 < PSS <= RSS", m)
	}
}

func TestRows(t *testing.T) {
	rows := []Row{
		{ID: "P1", Measure: "hello start", Measured: "80 ms vs runc 100 ms", Value: 0.8, Target: 0.5, Unit: "×", Goal: AtMost},
		{ID: "P3", Measure: "req/s", Measured: "a | b", Value: 0.8, Target: 0.75, Unit: "×", Goal: AtLeast},
		{ID: "P4", Measure: "per pod", Measured: "9 MB", Value: 9, Unit: " MB", Goal: NoTarget},
		{ID: "P5", Measure: "disk", Value: 0, Target: 1, Unit: " MB", Goal: AtMost, Missing: "not run"},
	}
	if rows[0].Met() || !rows[1].Met() || rows[2].Met() || rows[3].Met() {
		t.Errorf("Met: %v %v %v %v", rows[0].Met(), rows[1].Met(), rows[2].Met(), rows[3].Met())
	}
	if got := rows[0].VsTarget(); got != "1.60×" {
		t.Errorf("VsTarget = %q", got)
	}
	md := Table(rows)
	for _, want := range []string{
		"| P1 | hello start | 80 ms vs runc 100 ms | 0.80× | ≤ 0.50× | 1.60× | not met |",
		`| P3 | req/s | a \| b | 0.80× | ≥ 0.75× | 1.07× | **met** |`,
		"| P4 | per pod | 9 MB | 9.00 MB | — | — | — |",
		"| P5 | disk | not run | — | ≤ 1.00 MB | — | not measured |",
	} {
		if !strings.Contains(md, want+"\n") {
			t.Errorf("table lacks row %q:\n%s", want, md)
		}
	}
	if n := strings.Count(md, "\n"); n != 2+len(rows) {
		t.Errorf("table has %d lines, want %d", n, 2+len(rows))
	}
}

// TestBounds: a row not met whose bound is beyond its target (above an
// AtMost one, below an AtLeast one) is out of reach, in its met column and
// in Bounds; one whose bound is within the target or on the wrong side of
// the value itself (no bound, then), or that has none, is only not met.
func TestBounds(t *testing.T) {
	rows := []Row{
		{ID: "P6", Measure: "cached start", Value: 180, Target: 100, Unit: " ms", Goal: AtMost, Bound: 125, BoundText: "the floor"},
		{ID: "P1", Measure: "start", Value: 0.6, Target: 0.5, Unit: "×", Goal: AtMost, Bound: 0.45, BoundText: "the floor"},
		{ID: "P2", Measure: "first start", Value: 2, Target: 1.5, Unit: " s", Goal: AtMost},
		{ID: "P2", Measure: "JS first start", Value: 1.8, Target: 1.5, Unit: " s", Goal: AtMost, Bound: 2.4, BoundText: "the compile"},
		{ID: "P3", Measure: "req/s", Value: 0.5, Target: 0.75, Unit: "×", Goal: AtLeast, Bound: 0.7, BoundText: "the floor"},
		{ID: "P3", Measure: "req/s again", Value: 0.5, Target: 0.75, Unit: "×", Goal: AtLeast, Bound: 0.8, BoundText: "the floor"},
		{ID: "P3", Measure: "req/s once more", Value: 0.5, Target: 0.75, Unit: "×", Goal: AtLeast, Bound: 0.4, BoundText: "the floor"},
	}
	for i, want := range []bool{true, false, false, false, true, false, false} {
		if got := rows[i].OutOfReach(); got != want {
			t.Errorf("%s %s: OutOfReach = %v, want %v", rows[i].ID, rows[i].Measure, got, want)
		}
	}
	md := Table(rows)
	for _, want := range []string{
		"| P6 | cached start |  | 180 ms | ≤ 100 ms | 1.80× | out of reach (≥ 125 ms) |",
		"| P1 | start |  | 0.60× | ≤ 0.50× | 1.20× | not met |",
		"| P2 | first start |  | 2.00 s | ≤ 1.50 s | 1.33× | not met |",
		"| P2 | JS first start |  | 1.80 s | ≤ 1.50 s | 1.20× | not met |",
		"| P3 | req/s |  | 0.50× | ≥ 0.75× | 0.67× | out of reach (≤ 0.70×) |",
		"| P3 | req/s again |  | 0.50× | ≥ 0.75× | 0.67× | not met |",
	} {
		if !strings.Contains(md, want+"\n") {
			t.Errorf("table lacks row %q:\n%s", want, md)
		}
	}
	want := "- P6 (cached start): at least 125 ms against the target ≤ 100 ms, **out of reach**: the floor.\n" +
		"- P1 (start): at least 0.45× against the target ≤ 0.50×, not ruled out by this bound: the floor.\n" +
		"- P2 (JS first start): at least 2.40 s against the target ≤ 1.50 s, no bound (above the value measured): the compile.\n" +
		"- P3 (req/s): at most 0.70× against the target ≥ 0.75×, **out of reach**: the floor.\n" +
		"- P3 (req/s again): at most 0.80× against the target ≥ 0.75×, not ruled out by this bound: the floor.\n" +
		"- P3 (req/s once more): at most 0.40× against the target ≥ 0.75×, no bound (below the value measured): the floor.\n"
	if got := Bounds(rows); got != want {
		t.Errorf("Bounds =\n%s\nwant\n%s", got, want)
	}
	// A bound just above the target shows a third decimal rather than
	// equal it.
	edge := Row{Value: 0.6, Target: 0.5, Unit: "×", Goal: AtMost, Bound: 0.5041, BoundText: "x"}
	if got := edge.MetText(); got != "out of reach (≥ 0.504×)" {
		t.Errorf("MetText = %q", got)
	}
}

func TestWritePlots(t *testing.T) {
	dir := t.TempDir()
	start := filepath.Join(dir, "start.svg")
	err := WriteStartPlot(start, []StartSeries{
		{Name: "spinoci hello", Cached: []float64{80, 85, 90, 120, 75}, First: 150},
		{Name: "runc", Cached: []float64{100, 110, 105}},
	})
	if err != nil {
		t.Fatal(err)
	}
	density := filepath.Join(dir, "density.png")
	if err := WriteDensityPlot(density, []DensityPoint{{Apps: 1, PerApp: 9e6, Shim: 5e6, AppProc: 4e6}, {Apps: 50, PerApp: 7e6, Shim: 4e6, AppProc: 3e6}}, 5e6); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{start, density} {
		st, err := os.Stat(f)
		if err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v, %v bytes; want a plot", f, err, st)
		}
	}
	b, _ := os.ReadFile(start)
	if !strings.Contains(string(b), "<svg") {
		t.Errorf("%s is not SVG", start)
	}
	if err := WriteStartPlot(filepath.Join(dir, "x.svg"), []StartSeries{{Name: "empty"}}); err == nil {
		t.Error("a series without starts was drawn")
	}
	if err := WriteDensityPlot(filepath.Join(dir, "y.svg"), nil, 0); err == nil {
		t.Error("a density plot without points was drawn")
	}
}

func TestOneTwoFiveTicks(t *testing.T) {
	var got []string
	for _, tk := range (oneTwoFiveTicks{}).Ticks(80, 1100) {
		got = append(got, tk.Label)
	}
	if strings.Join(got, ",") != "100,200,500,1000" {
		t.Errorf("ticks for 80..1100: %v", got)
	}
}
