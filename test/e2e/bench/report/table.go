package report

import (
	"fmt"
	"strings"
)

// Goal says which side of a target meets it.
type Goal int

const (
	// AtMost: the value meets the target when it is at most the target
	// (times, ratios of times, memory, disk).
	AtMost Goal = iota
	// AtLeast: the value meets the target when it is at least the target
	// (throughput).
	AtLeast
	// NoTarget: the row is reported without a target.
	NoTarget
)

// Row is one measured value against its target.
type Row struct {
	ID       string  // e.g. "P1"
	Measure  string  // what is measured
	Measured string  // how it was measured, with the value (markdown)
	Value    float64 // the value compared with Target, in Unit
	Target   float64
	Unit     string // suffix of Value and Target: "×", " ms", " MB", …
	Goal     Goal
	// Missing is set when the value could not be measured (the reason).
	Missing string
	// Bound is, for an AtMost target, the least value any implementation
	// could reach in this run: the sum of costs measured in the same run
	// that every such implementation pays (0: none known); for an AtLeast
	// target, the most any could reach: what a server doing only the work
	// every such implementation does reached. BoundText says what they are
	// (markdown).
	Bound     float64
	BoundText string
}

// Met reports whether the row's value meets its target.
func (r Row) Met() bool {
	switch r.Goal {
	case AtMost:
		return r.Missing == "" && r.Value <= r.Target
	case AtLeast:
		return r.Missing == "" && r.Value >= r.Target
	}
	return false
}

// OutOfReach reports whether the row's target is beyond its Bound: not
// met, and not meetable in this run. A bound on the wrong side of the value
// itself is not one (its costs were measured at a worse moment of the run
// than the value), and proves nothing.
func (r Row) OutOfReach() bool {
	if r.Missing != "" || r.BoundText == "" {
		return false
	}
	switch r.Goal {
	case AtMost:
		return r.Target < r.Bound && r.Bound <= r.Value
	case AtLeast:
		return r.Target > r.Bound && r.Bound >= r.Value
	}
	return false
}

// boundIsNone reports whether the bound is on the wrong side of the value
// measured, and so no bound.
func (r Row) boundIsNone() bool {
	if r.Goal == AtLeast {
		return r.Bound < r.Value
	}
	return r.Bound > r.Value
}

// TargetText renders the target: "≤ 0.5×", "≥ 0.75×", "—".
func (r Row) TargetText() string {
	switch r.Goal {
	case AtMost:
		return "≤ " + formatValue(r.Target) + r.Unit
	case AtLeast:
		return "≥ " + formatValue(r.Target) + r.Unit
	}
	return "—"
}

// VsTarget renders the value as a multiple of the target ("1.64×"), or
// "—" without a target or a value.
func (r Row) VsTarget() string {
	if r.Goal == NoTarget || r.Missing != "" || r.Target == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r.Value/r.Target)
}

// MetText renders whether the target is met.
func (r Row) MetText() string {
	switch {
	case r.Goal == NoTarget:
		return "—"
	case r.Missing != "":
		return "not measured"
	case r.Met():
		return "**met**"
	case r.OutOfReach():
		if r.Goal == AtLeast {
			return "out of reach (≤ " + r.BoundValueText() + ")"
		}
		return "out of reach (≥ " + r.BoundValueText() + ")"
	}
	return "not met"
}

// Bounds renders a list item for each row with a bound: the bound, what
// it is made of, and whether it puts the target out of reach, does not
// rule it out, or is no bound at all (above the value measured).
func Bounds(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		if r.Goal == NoTarget || r.Missing != "" || r.BoundText == "" {
			continue
		}
		least, side := "at least", "above"
		if r.Goal == AtLeast {
			least, side = "at most", "below"
		}
		verdict := "not ruled out by this bound"
		switch {
		case r.OutOfReach():
			verdict = "**out of reach**"
		case r.boundIsNone():
			verdict = "no bound (" + side + " the value measured)"
		}
		fmt.Fprintf(&b, "- %s (%s): %s %s against the target %s, %s: %s.\n", r.ID, r.Measure, least,
			r.BoundValueText(), r.TargetText(), verdict, r.BoundText)
	}
	return b.String()
}

// BoundValueText renders the bound with its unit, with a third decimal
// where two would show it equal to the target.
func (r Row) BoundValueText() string {
	v := formatValue(r.Bound)
	if v == formatValue(r.Target) && r.Bound != r.Target && r.Bound < 10 && r.Bound > -10 {
		v = fmt.Sprintf("%.3f", r.Bound)
	}
	return v + r.Unit
}

// Table renders rows as a markdown table: id, measure, measured, value,
// target, value/target and whether it is met.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| id | measure | measured | value | target | value / target | met |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---|\n")
	for _, r := range rows {
		value := formatValue(r.Value) + r.Unit
		measured := r.Measured
		if r.Missing != "" {
			value, measured = "—", r.Missing
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.ID, cell(r.Measure), cell(measured),
			value, r.TargetText(), r.VsTarget(), r.MetText())
	}
	return b.String()
}

// formatValue keeps two significant decimals for small values and none for
// large ones.
func formatValue(v float64) string {
	switch {
	case v >= 100 || v <= -100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10 || v <= -10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// cell escapes what would break a table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
