// Package grid lays out images (generated samples, dataset examples, trajectories) in a captioned grid
// and shows it in a notebook or writes it to a PNG.
//
// Images come either as model tensors flattened to []float32 in [−1, 1] (grayscale or RGB, channels last
// or first; values outside are clipped) or as image.Image values. Each cell can have a caption below it;
// rows and columns can have labels (e.g. rows = methods, columns = sampling steps).
package grid

import (
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/mixflow/mixflow/widgets/compactpng"
	"github.com/mixflow/mixflow/widgets/internal/nb"
)

// Layout is the memory layout of a batch of images given as floats.
type Layout int

const (
	// ChannelsLast is [N, H, W, C] (GoMLX's default for images).
	ChannelsLast Layout = iota
	// ChannelsFirst is [N, C, H, W] (PyTorch's).
	ChannelsFirst
)

// Options configures a grid. The zero value is a square-ish grid without labels.
type Options struct {
	// Title is drawn above the grid.
	Title string
	// Cols is the number of images per row (default: ⌈√n⌉, at most 10). Rows wider than MaxCols are
	// drawn in bands of MaxCols columns: columns 1–10 of every row, then columns 11–20 of every row
	// below them, and so on, so that rows that belong together (test images above their
	// reconstructions) stay together and the grid stays readable on a notebook's width.
	Cols int
	// Captions has one caption per image (or none).
	Captions []string
	// RowLabels has one label per row (or none), drawn left of the row.
	RowLabels []string
	// ColLabels has one label per column (or none), drawn above the column.
	ColLabels []string
	// Scale enlarges each image by this integer factor with nearest-neighbour sampling (pixels stay
	// sharp). Zero picks the smallest factor that makes cells at least 64 pixels wide, up to 8.
	Scale int
	// Pad is the gap between cells in pixels (default 4).
	Pad int
	// Layout is the layout of float data (default ChannelsLast).
	Layout Layout
}

// Grid is a rendered image grid.
type Grid struct {
	img   *image.RGBA
	title string
	n     int
}

const maxSide = 8192

// FromFloats builds a grid from n images of h×w pixels with c channels (1: grayscale, 3: RGB) stored in
// data with values in [−1, 1] (the range generative models use; −1 is black). Values outside are clipped;
// NaN or ±Inf is an error naming the image and pixel.
func FromFloats(data []float32, n, h, w, c int, o Options) (*Grid, error) {
	if n < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("grid: shape [%d, %d, %d, %d]: n, h and w must be ≥ 1", n, h, w, c)
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("grid: %d channels: want 1 (grayscale) or 3 (RGB)", c)
	}
	if len(data) != n*h*w*c {
		return nil, fmt.Errorf("grid: data has %d values, shape [n=%d, h=%d, w=%d, c=%d] needs %d", len(data), n, h, w, c, n*h*w*c)
	}
	if o.Layout != ChannelsLast && o.Layout != ChannelsFirst {
		return nil, fmt.Errorf("grid: unknown layout %d", o.Layout)
	}
	imgs := make([]image.Image, n)
	for k := 0; k < n; k++ {
		im := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var px [3]uint8
				for ch := 0; ch < c; ch++ {
					var i int
					if o.Layout == ChannelsLast {
						i = ((k*h+y)*w+x)*c + ch
					} else {
						i = ((k*c+ch)*h+y)*w + x
					}
					v := float64(data[i])
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return nil, fmt.Errorf("grid: image %d pixel (y=%d, x=%d) channel %d is %v", k, y, x, ch, v)
					}
					px[ch] = uint8(math.Round((math.Max(-1, math.Min(1, v)) + 1) / 2 * 255))
				}
				if c == 1 {
					px[1], px[2] = px[0], px[0]
				}
				im.SetRGBA(x, y, color.RGBA{R: px[0], G: px[1], B: px[2], A: 255})
			}
		}
		imgs[k] = im
	}
	return FromImages(imgs, o)
}

var (
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	ink  = color.NRGBA{R: 0x33, G: 0x33, B: 0x33, A: 255}
)

// textPx is the font size in pixels of captions and labels.
const (
	textPx    = 12.0
	titlePx   = 15.0
	captionH  = 18
	colLabelH = 20
	titleH    = 28
)

func style(sizePx float64, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{Color: ink, Font: font.From(sans, vg.Length(sizePx*72/96)), XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

func textWidthPx(s string, sizePx float64) int {
	return int(math.Ceil(float64(style(sizePx, vgdraw.XLeft, vgdraw.YTop).Width(s)) * 96 / 72))
}

// FromImages builds a grid from images; cells take the size of the largest image, smaller ones are
// centred.
func FromImages(imgs []image.Image, o Options) (*Grid, error) {
	n := len(imgs)
	if n == 0 {
		return nil, fmt.Errorf("grid: no images")
	}
	cw, ch := 0, 0
	for i, im := range imgs {
		if im == nil {
			return nil, fmt.Errorf("grid: image %d is nil", i)
		}
		b := im.Bounds()
		if b.Empty() {
			return nil, fmt.Errorf("grid: image %d is empty", i)
		}
		cw, ch = max(cw, b.Dx()), max(ch, b.Dy())
	}
	cols := o.Cols
	if cols < 0 {
		return nil, fmt.Errorf("grid: Cols %d is negative", cols)
	}
	if cols == 0 {
		cols = min(int(math.Ceil(math.Sqrt(float64(n)))), 10)
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	if len(o.Captions) != 0 && len(o.Captions) != n {
		return nil, fmt.Errorf("grid: %d captions for %d images", len(o.Captions), n)
	}
	if len(o.RowLabels) != 0 && len(o.RowLabels) != rows {
		return nil, fmt.Errorf("grid: %d row labels for %d rows", len(o.RowLabels), rows)
	}
	if len(o.ColLabels) != 0 && len(o.ColLabels) != cols {
		return nil, fmt.Errorf("grid: %d column labels for %d columns", len(o.ColLabels), cols)
	}
	scale := o.Scale
	if scale < 0 || scale > 64 {
		return nil, fmt.Errorf("grid: Scale %d outside [0, 64]", scale)
	}
	if scale == 0 {
		scale = max(1, min(8, int(math.Ceil(64/float64(cw)))))
	}
	pad := o.Pad
	if pad < 0 || pad > 200 {
		return nil, fmt.Errorf("grid: Pad %d outside [0, 200]", pad)
	}
	if pad == 0 {
		pad = 4
	}
	cellW, cellH := cw*scale, ch*scale
	capH := 0
	if len(o.Captions) > 0 {
		capH = captionH
		// Widen cells so that captions fit (they are truncated only beyond 3× the image width).
		for _, c := range o.Captions {
			cellW = max(cellW, min(textWidthPx(c, textPx)+4, 3*cw*scale))
		}
	}
	left := 0
	for _, l := range o.RowLabels {
		left = max(left, textWidthPx(l, textPx)+10)
	}
	top := 0
	if o.Title != "" {
		top += titleH
	}
	if len(o.ColLabels) > 0 {
		top += colLabelH
	}
	lay := layout{cols: cols, rows: rows, bandCols: min(cols, MaxCols), left: left, top: top, pad: pad,
		cellW: cellW, cellH: cellH, capH: capH, bandGap: bandPad}
	if len(o.ColLabels) > 0 {
		lay.bandGap += colLabelH
	}
	bands := (cols + lay.bandCols - 1) / lay.bandCols
	W := left + lay.bandCols*(cellW+pad) + pad
	H := top + bands*rows*(cellH+capH+pad) + pad + (bands-1)*lay.bandGap
	if W > maxSide || H > maxSide {
		return nil, fmt.Errorf("grid: %d×%d pixels is larger than %d: use fewer images, fewer columns or a smaller Scale", W, H, maxSide)
	}
	needText := o.Title != "" || len(o.Captions) > 0 || len(o.RowLabels) > 0 || len(o.ColLabels) > 0
	var canvas *image.RGBA
	if needText {
		// Text first, on a white vgimg canvas of exactly W×H pixels; the images are pasted afterwards
		// (they never overlap the text, and vgimg paints its background over any image given to it).
		c, err := drawText(o, W, H, lay)
		if err != nil {
			return nil, err
		}
		canvas = c
	} else {
		canvas = image.NewRGBA(image.Rect(0, 0, W, H))
		draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	}
	for i, im := range imgs {
		x0, y0 := lay.cell(i/cols, i%cols)
		b := im.Bounds()
		iw, ih := b.Dx()*scale, b.Dy()*scale
		ox, oy := x0+(cellW-iw)/2, y0+(cellH-ih)/2
		for y := 0; y < ih; y++ {
			for x := 0; x < iw; x++ {
				canvas.Set(ox+x, oy+y, im.At(b.Min.X+x/scale, b.Min.Y+y/scale))
			}
		}
	}
	return &Grid{img: canvas, title: o.Title, n: n}, nil
}

// MaxCols is the widest a grid is drawn: wider rows wrap into bands (see Options.Cols).
const MaxCols = 10

// bandPad is the extra gap in pixels between bands of a wrapped grid.
const bandPad = 10

// layout places the cells of a grid of rows × cols images drawn in bands of bandCols columns.
type layout struct {
	cols, rows, bandCols        int
	left, top, pad              int
	cellW, cellH, capH, bandGap int
}

// cell returns the top-left pixel of the cell of image row r, column c.
func (l layout) cell(r, c int) (x, y int) {
	band, dc := c/l.bandCols, c%l.bandCols
	dr := band*l.rows + r
	return l.left + l.pad + dc*(l.cellW+l.pad), l.top + l.pad + dr*(l.cellH+l.capH+l.pad) + band*l.bandGap
}

// fit shortens s with an ellipsis until it is at most w pixels wide.
func fit(s string, w int) string {
	if textWidthPx(s, textPx) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && textWidthPx(string(r)+"…", textPx) > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// Image returns the grid as an image.
func (g *Grid) Image() image.Image { return g.img }

// PNG returns the grid encoded as PNG.
func (g *Grid) PNG() ([]byte, error) {
	b, err := compactpng.Encode(g.img)
	if err != nil {
		return nil, fmt.Errorf("grid: encoding PNG: %w", err)
	}
	return b, nil
}

// Save writes the grid to a PNG file.
func (g *Grid) Save(path string) error {
	if !strings.EqualFold(path[max(0, len(path)-4):], ".png") {
		return fmt.Errorf("grid: %s: want a .png path", path)
	}
	return compactpng.WriteFile("grid", path, g.PNG)
}

// Display shows the grid in the running notebook cell as an HTML <img> holding the PNG (stored once in
// a saved notebook, not also as image/png) and a text description.
func (g *Grid) Display() error {
	b, err := g.PNG()
	if err != nil {
		return err
	}
	desc := fmt.Sprintf("Image grid of %d image(s), %d×%d pixels", g.n, g.img.Bounds().Dx(), g.img.Bounds().Dy())
	if g.title != "" {
		desc = g.title + ": " + desc
	}
	nb.Display(nb.Output{
		HTML: fmt.Sprintf(`<img class="mixflow-grid" src="data:image/png;base64,%s" alt="%s" style="max-width:100%%;image-rendering:pixelated">`, encode64(b), html.EscapeString(desc)),
		Text: desc,
	})
	nb.Flush(nb.FlushTimeout)
	return nil
}

func encode64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// drawText renders the title, labels and captions on a white W×H canvas.
func drawText(o Options, W, H int, lay layout) (out *image.RGBA, err error) {
	defer func() {
		if e := recover(); e != nil {
			out, err = nil, fmt.Errorf("grid: drawing labels: %v", e)
		}
	}()
	vc := vgimg.NewWith(vgimg.UseWH(vg.Length(W)*72/96, vg.Length(H)*72/96), vgimg.UseDPI(96), vgimg.UseBackgroundColor(color.White))
	dc := vgdraw.New(vc)
	at := func(x, y float64) vg.Point {
		return vg.Point{X: vg.Length(x * 72 / 96), Y: vg.Length((float64(H) - y) * 72 / 96)}
	}
	if o.Title != "" {
		dc.FillText(style(titlePx, vgdraw.XCenter, vgdraw.YTop), at(float64(W)/2, 6), o.Title)
	}
	for c, l := range o.ColLabels { // above each band
		x, y := lay.cell(0, c)
		dc.FillText(style(textPx, vgdraw.XCenter, vgdraw.YBottom), at(float64(x+lay.cellW/2), float64(y-lay.pad-3)), l)
	}
	for band := 0; band*lay.bandCols < lay.cols; band++ { // beside every row of every band
		for r, l := range o.RowLabels {
			_, y := lay.cell(r, band*lay.bandCols)
			dc.FillText(style(textPx, vgdraw.XRight, vgdraw.YCenter), at(float64(lay.left-4), float64(y+lay.cellH/2)), l)
		}
	}
	for i, c := range o.Captions {
		x, y := lay.cell(i/lay.cols, i%lay.cols)
		dc.FillText(style(textPx, vgdraw.XCenter, vgdraw.YTop), at(float64(x+lay.cellW/2), float64(y+lay.cellH+3)), fit(c, lay.cellW))
	}
	img := vc.Image()
	if img.Bounds().Dx() != W || img.Bounds().Dy() != H {
		return nil, fmt.Errorf("grid: text canvas is %v, want %d×%d", img.Bounds(), W, H)
	}
	out = image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out, nil
}
