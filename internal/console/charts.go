package console

import (
	"fmt"
	"math"
)

// chart is an inline SVG chart, drawn by the "chart" template: shapes
// carry CSS classes (colours live in console.css, allowed by the CSP),
// and every chart has a title and a description for screen readers,
// beside a table of the same figures.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Rects           []rect
	Texts           []text
	Circles         []circle
	Legend          []legend
}

type rect struct {
	X, Y, W, H int
	Class      string
	// Tip is the figure, shown as the shape's tooltip (<title>).
	Tip string
}

type text struct {
	X, Y   int
	Anchor string
	Class  string
	Text   string
}

type circle struct {
	CX, CY, R int
	Class     string
	Tip       string
}

type legend struct {
	X, Y  int
	Class string
	Text  string
}

// series is one named series of a stacked bar chart.
type series struct {
	Name  string
	Class string
}

// barRow is one bar: a label and a value per series.
type barRow struct {
	Label  string
	Values []int
}

// stackedBars draws rows as horizontal stacked bars, one segment per
// series, with the total at the end of each bar.
func stackedBars(id, title, desc string, ss []series, rows []barRow, num func(any) string) *chart {
	const labelW, barMax, rowH, top, pad = 140, 420, 28, 36, 8
	ch := &chart{ID: id, Title: title, Desc: desc, Width: labelW + barMax + 80, Height: top + len(rows)*rowH + pad}
	max := 0
	for _, r := range rows {
		t := 0
		for _, v := range r.Values {
			t += v
		}
		if t > max {
			max = t
		}
	}
	x := labelW
	for i, s := range ss {
		ch.Legend = append(ch.Legend, legend{X: x, Y: 10, Class: s.Class, Text: s.Name})
		x += 24 + 8*len([]rune(s.Name))
		_ = i
	}
	for i, r := range rows {
		y := top + i*rowH
		ch.Texts = append(ch.Texts, text{X: labelW - 8, Y: y + 15, Anchor: "end", Class: "label", Text: r.Label})
		x, t := labelW, 0
		for j, v := range r.Values {
			if v <= 0 || max == 0 {
				continue
			}
			w := int(math.Round(float64(v) / float64(max) * barMax))
			if w < 2 {
				w = 2
			}
			ch.Rects = append(ch.Rects, rect{X: x, Y: y, W: w, H: rowH - 8, Class: ss[j].Class, Tip: fmt.Sprintf("%s, %s: %s", r.Label, ss[j].Name, num(v))})
			x += w
			t += v
		}
		ch.Texts = append(ch.Texts, text{X: x + 6, Y: y + 15, Anchor: "start", Class: "value", Text: num(t)})
	}
	return ch
}

// columns draws one vertical bar per row (a trend), its value above it.
func columns(id, title, desc string, rows []barRow, class string, num func(any) string) *chart {
	const left, colW, gap, hMax, top, bottom = 10, 36, 10, 160, 24, 30
	ch := &chart{ID: id, Title: title, Desc: desc, Width: left*2 + len(rows)*(colW+gap), Height: top + hMax + bottom}
	max := 0
	for _, r := range rows {
		if len(r.Values) > 0 && r.Values[0] > max {
			max = r.Values[0]
		}
	}
	for i, r := range rows {
		x := left + i*(colW+gap)
		v := 0
		if len(r.Values) > 0 {
			v = r.Values[0]
		}
		h := 0
		if max > 0 {
			h = int(math.Round(float64(v) / float64(max) * hMax))
		}
		if v > 0 && h < 2 {
			h = 2
		}
		y := top + hMax - h
		ch.Rects = append(ch.Rects, rect{X: x, Y: y, W: colW, H: h, Class: class, Tip: r.Label + ": " + num(v)})
		ch.Texts = append(ch.Texts, text{X: x + colW/2, Y: y - 4, Anchor: "middle", Class: "value", Text: num(v)})
		ch.Texts = append(ch.Texts, text{X: x + colW/2, Y: top + hMax + 18, Anchor: "middle", Class: "label", Text: r.Label})
	}
	return ch
}

// matrix draws a from×to matrix: a circle per cell whose area grows with
// the count, coloured by the cell's dominant outcome.
func matrix(id, title, desc string, from, to []string, count func(f, t string) (total int, class string), num func(any) string) *chart {
	const left, top, cell = 60, 50, 44
	ch := &chart{ID: id, Title: title, Desc: desc, Width: left + len(to)*cell + 20, Height: top + len(from)*cell + 20}
	max := 0
	for _, f := range from {
		for _, t := range to {
			if n, _ := count(f, t); n > max {
				max = n
			}
		}
	}
	for j, t := range to {
		ch.Texts = append(ch.Texts, text{X: left + j*cell + cell/2, Y: top - 12, Anchor: "middle", Class: "label", Text: t})
	}
	for i, f := range from {
		y := top + i*cell
		ch.Texts = append(ch.Texts, text{X: left - 10, Y: y + cell/2 + 5, Anchor: "end", Class: "label", Text: f})
		for j, t := range to {
			x := left + j*cell
			ch.Rects = append(ch.Rects, rect{X: x, Y: y, W: cell, H: cell, Class: "grid"})
			n, class := count(f, t)
			if n == 0 || max == 0 {
				continue
			}
			r := int(math.Round(math.Sqrt(float64(n)/float64(max)) * float64(cell/2-3)))
			if r < 3 {
				r = 3
			}
			ch.Circles = append(ch.Circles, circle{CX: x + cell/2, CY: y + cell/2, R: r, Class: class, Tip: fmt.Sprintf("%s → %s: %s", f, t, num(n))})
		}
	}
	return ch
}
