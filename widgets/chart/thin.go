package chart

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Thinning of the interactive chart's data to what a reader can see (the PNG keeps every point):
//   - a line with more than 2·lineBuckets points keeps, per bucket of consecutive points, the lowest
//     and the highest one (the envelope a noisy loss curve draws at any screen width up to
//     lineBuckets pixels per panel);
//   - a scatter series with more than maxScatter points keeps maxScatter of them, evenly spread over
//     the series (ECharts' own "large" mode starts there; overlapping points draw the same cloud);
//   - line and scatter coordinates on an axis with a fixed range are rounded to 1/axisSteps of
//     that range (a twentieth of a pixel on a 2000-pixel-wide panel); on a log axis to 4 significant
//     digits.
const (
	lineBuckets = 400
	maxScatter  = 2000
	axisSteps   = 2000
)

// ThinOption thins the data of an ECharts option that EChartsOption wrote (see the rules above)
// and returns it re-encoded; `go run ./kernel slim` applies it to charts saved by older versions.
// An option that is not a JSON object is an error; parts it does not recognise are left as they are.
func ThinOption(option []byte) ([]byte, error) {
	var opt map[string]any
	if err := json.Unmarshal(option, &opt); err != nil {
		return nil, fmt.Errorf("chart: not an ECharts option: %w", err)
	}
	thinOption(opt)
	return json.Marshal(opt)
}

// axisRounder returns the rounding of values on the index-th axis of key ("xAxis" or "yAxis").
func axisRounder(opt map[string]any, key string, index int) func(float64) float64 {
	keep := func(v float64) float64 { return v }
	axes, _ := opt[key].([]any)
	if index < 0 || index >= len(axes) {
		return keep
	}
	a, _ := axes[index].(map[string]any)
	if t, _ := a["type"].(string); t == "log" {
		return func(v float64) float64 { return roundSig(v, 4) }
	}
	lo, ok1 := a["min"].(float64)
	hi, ok2 := a["max"].(float64)
	if !ok1 || !ok2 || !(hi > lo) {
		return keep
	}
	decimals := int(math.Ceil(-math.Log10((hi - lo) / axisSteps)))
	return func(v float64) float64 { return roundDecimals(v, decimals) }
}

func roundSig(v float64, sig int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', sig, 64), 64)
	return f
}

func roundDecimals(v float64, decimals int) float64 {
	if decimals < 0 { // round to tens, hundreds, ...
		p := math.Pow(10, float64(-decimals))
		return math.Round(v/p) * p
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', decimals, 64), 64)
	return f
}

// thinOption thins every line and scatter series of opt in place.
func thinOption(opt map[string]any) {
	series, _ := opt["series"].([]any)
	for _, s := range series {
		m, _ := s.(map[string]any)
		if m == nil {
			continue
		}
		typ, _ := m["type"].(string)
		if typ != "line" && typ != "scatter" {
			continue
		}
		rows, ok := pairs(m["data"])
		if !ok {
			continue
		}
		if typ == "line" {
			rows = envelope(rows, lineBuckets)
		} else if n := len(rows); n > maxScatter {
			kept := make([][2]float64, maxScatter)
			for i := range kept {
				kept[i] = rows[i*n/maxScatter]
			}
			rows = kept
		}
		xi, _ := m["xAxisIndex"].(float64)
		yi, _ := m["yAxisIndex"].(float64)
		rx, ry := axisRounder(opt, "xAxis", int(xi)), axisRounder(opt, "yAxis", int(yi))
		data := make([]any, len(rows))
		for i, r := range rows {
			data[i] = []any{rx(r[0]), ry(r[1])}
		}
		m["data"] = data
	}
}

// pairs reads series data made of [x, y] numbers; ok is false for any other shape.
func pairs(v any) ([][2]float64, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([][2]float64, len(list))
	for i, e := range list {
		row, ok := e.([]any)
		if !ok || len(row) != 2 {
			return nil, false
		}
		x, ok1 := row[0].(float64)
		y, ok2 := row[1].(float64)
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i] = [2]float64{x, y}
	}
	return out, true
}

// envelope keeps, for each of buckets runs of consecutive points, the lowest and the highest point
// (in x order), when there are more than 2·buckets points and x never decreases; else rows as given.
func envelope(rows [][2]float64, buckets int) [][2]float64 {
	n := len(rows)
	if n <= 2*buckets {
		return rows
	}
	for i := 1; i < n; i++ {
		if !(rows[i][0] >= rows[i-1][0]) {
			return rows
		}
	}
	out := make([][2]float64, 0, 2*buckets+1)
	for b := 0; b < buckets; b++ {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		minI, maxI := lo, lo
		for i := lo; i < hi; i++ {
			if rows[i][1] < rows[minI][1] {
				minI = i
			}
			if rows[i][1] > rows[maxI][1] {
				maxI = i
			}
		}
		first, second := min(minI, maxI), max(minI, maxI)
		out = append(out, rows[first])
		if second != first {
			out = append(out, rows[second])
		}
	}
	if last := rows[n-1]; out[len(out)-1] != last {
		out = append(out, last) // the curve ends where the data ends
	}
	return out
}
