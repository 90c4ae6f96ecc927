package report

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StartSeries is the start times of one workload, in milliseconds.
type StartSeries struct {
	Name   string
	Cached []float64 // starts with the compiled code cached
	First  float64   // the first start (compiles); 0 if none
}

// WriteStartPlot draws one box per workload (cached starts, log scale)
// with its first start as a cross, into path (.svg, .png or .pdf by the
// extension).
func WriteStartPlot(path string, series []StartSeries) error {
	if len(series) == 0 {
		return errors.New("start plot: no series")
	}
	p := plot.New()
	p.Title.Text = "Start time: ctr run -d → first HTTP 200 (box: cached starts; ×: first start)"
	p.Y.Label.Text = "milliseconds (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = oneTwoFiveTicks{}
	var names []string
	var firsts plotter.XYs
	for i, s := range series {
		if len(s.Cached) == 0 {
			return fmt.Errorf("start plot: %s has no cached starts", s.Name)
		}
		box, err := plotter.NewBoxPlot(vg.Points(24), float64(i), plotter.Values(s.Cached))
		if err != nil {
			return fmt.Errorf("start plot: %s: %w", s.Name, err)
		}
		p.Add(box)
		names = append(names, s.Name)
		if s.First > 0 {
			firsts = append(firsts, plotter.XY{X: float64(i), Y: s.First})
		}
	}
	if len(firsts) > 0 {
		sc, err := plotter.NewScatter(firsts)
		if err != nil {
			return fmt.Errorf("start plot: %w", err)
		}
		sc.GlyphStyle.Shape = draw.CrossGlyph{}
		sc.GlyphStyle.Radius = vg.Points(4)
		sc.GlyphStyle.Color = color.RGBA{R: 200, A: 255}
		p.Add(sc)
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.35
	p.X.Tick.Label.XAlign = draw.XRight
	p.Add(plotter.NewGrid())
	if err := p.Save(9*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("start plot: %w", err)
	}
	return nil
}

// DensityPoint is the memory per app with Apps apps running, in bytes.
type DensityPoint struct {
	Apps          int
	PerApp        float64 // PSS of shim + app process, divided by Apps
	Shim, AppProc float64 // the shim's and the app process's parts
}

// WriteDensityPlot draws PSS per app against the number of running apps
// (total, shim, app process) with the target as a dashed line, into path.
func WriteDensityPlot(path string, points []DensityPoint, targetBytes float64) error {
	if len(points) == 0 {
		return errors.New("density plot: no points")
	}
	p := plot.New()
	p.Title.Text = "Idle memory per app (PSS of shim + app process) vs apps running"
	p.X.Label.Text = "apps running"
	p.Y.Label.Text = "MB per app"
	total, shim, app := make(plotter.XYs, len(points)), make(plotter.XYs, len(points)), make(plotter.XYs, len(points))
	for i, pt := range points {
		x := float64(pt.Apps)
		total[i] = plotter.XY{X: x, Y: pt.PerApp / 1e6}
		shim[i] = plotter.XY{X: x, Y: pt.Shim / 1e6}
		app[i] = plotter.XY{X: x, Y: pt.AppProc / 1e6}
	}
	colors := []color.Color{color.RGBA{B: 200, A: 255}, color.RGBA{G: 140, A: 255}, color.RGBA{R: 200, G: 120, A: 255}}
	for i, s := range []struct {
		name string
		xys  plotter.XYs
	}{{"shim + app", total}, {"shim", shim}, {"app process", app}} {
		line, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return fmt.Errorf("density plot: %w", err)
		}
		line.Color, pts.Color = colors[i], colors[i]
		p.Add(line, pts)
		p.Legend.Add(s.name, line, pts)
	}
	if targetBytes > 0 {
		target, err := plotter.NewLine(plotter.XYs{{X: 0, Y: targetBytes / 1e6}, {X: float64(points[len(points)-1].Apps), Y: targetBytes / 1e6}})
		if err != nil {
			return fmt.Errorf("density plot: %w", err)
		}
		target.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		target.Color = color.RGBA{R: 220, A: 255}
		p.Add(target)
		p.Legend.Add("target", target)
	}
	p.Y.Min = 0
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	if err := p.Save(8*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("density plot: %w", err)
	}
	return nil
}

// oneTwoFiveTicks labels 1, 2, 5, 10, 20, 50, … within the axis range: a
// log axis spanning less than a few decades gets readable ticks.
type oneTwoFiveTicks struct{}

// Ticks implements plot.Ticker.
func (oneTwoFiveTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for decade := 1e-3; decade <= hi; decade *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := m * decade
			if v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return ticks
}
