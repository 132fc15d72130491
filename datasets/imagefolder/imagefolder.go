// Package imagefolder loads a folder of PNG and JPEG images laid out by class, as ImageNet and torchvision's
// ImageFolder do:
//
//	root/<class name>/<any sub-folders>/<image>.png|.jpg|.jpeg
//
// Class indices follow the sorted order of the class folder names; images are ordered by class, then by
// path. Every image is converted to the chosen channel count (grayscale by ITU-R 601 luma, or RGB with gray
// replicated; transparent pixels are composited over black) and brought to one size, so the result is an
// images.Set like any other data set. Hidden files and folders (names starting with ".") and files with
// other extensions are skipped.
package imagefolder

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers the JPEG decoder
	_ "image/png"  // registers the PNG decoder
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/mixflow/mixflow/datasets/images"
)

// Fit says how an image whose size differs from the output size is brought to it.
type Fit int

const (
	// Stretch resizes to the output size (antialiased bilinear), ignoring the aspect ratio.
	Stretch Fit = iota
	// CenterCrop resizes so the image covers the output size keeping its aspect ratio, then crops the
	// centre (the usual ImageNet evaluation transform).
	CenterCrop
)

// Options configures Load.
type Options struct {
	// Channels is the channel count of the result: 1 (grayscale) or 3 (RGB); 0 means 3.
	Channels int
	// Height and Width are the output size. 0 (both) keeps the size of the first image, and then every image
	// must have that size.
	Height, Width int
	// Fit says how images of another size are brought to Height×Width.
	Fit Fit
	// Workers is the number of images decoded at once; 0 means GOMAXPROCS.
	Workers int
}

// extensions are the file extensions loaded (case-insensitive).
var extensions = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// List returns the class names (sorted) and, for each class, its image files (sorted), without decoding.
func List(root string) (classes []string, files [][]string, err error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("imagefolder: folder %s not found", root)
		}
		return nil, nil, fmt.Errorf("imagefolder: %w", err)
	}
	for _, e := range entries {
		if hidden(e.Name()) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 { // follow links to class folders
			if st, err := os.Stat(filepath.Join(root, e.Name())); err == nil && st.IsDir() {
				isDir = true
			}
		}
		if isDir {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, nil, fmt.Errorf("imagefolder: %s has no class sub-folders: want %s/<class>/<image>.png (or .jpg)",
			root, root)
	}
	sort.Strings(classes)
	for _, class := range classes {
		var list []string
		dir := filepath.Join(root, class)
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != dir && hidden(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && extensions[strings.ToLower(filepath.Ext(p))] {
				list = append(list, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("imagefolder: %w", err)
		}
		if len(list) == 0 {
			return nil, nil, fmt.Errorf("imagefolder: class folder %s holds no .png, .jpg or .jpeg images", dir)
		}
		sort.Strings(list)
		files = append(files, list)
	}
	return classes, files, nil
}

// Load reads every image under root into an images.Set named "imagefolder/<base name of root>".
func Load(root string, opt Options) (*images.Set, error) {
	if opt.Channels == 0 {
		opt.Channels = 3
	}
	if opt.Channels != 1 && opt.Channels != 3 {
		return nil, fmt.Errorf("imagefolder: %d channels, want 1 (grayscale) or 3 (RGB)", opt.Channels)
	}
	if opt.Height < 0 || opt.Width < 0 || (opt.Height == 0) != (opt.Width == 0) {
		return nil, fmt.Errorf("imagefolder: output size %d×%d: give both or neither", opt.Height, opt.Width)
	}
	if opt.Fit != Stretch && opt.Fit != CenterCrop {
		return nil, fmt.Errorf("imagefolder: unknown fit %d, want Stretch or CenterCrop", int(opt.Fit))
	}
	classes, files, err := List(root)
	if err != nil {
		return nil, err
	}
	var paths []string
	var labels []int32
	for c, list := range files {
		for _, p := range list {
			paths = append(paths, p)
			labels = append(labels, int32(c))
		}
	}
	// The first image fixes the size when none is given.
	first, err := decode(paths[0])
	if err != nil {
		return nil, err
	}
	strict := ""
	if opt.Height == 0 {
		opt.Height, opt.Width = first.Bounds().Dy(), first.Bounds().Dx()
		strict = paths[0]
	}
	per := opt.Height * opt.Width * opt.Channels
	pixels := make([]uint8, len(paths)*per)
	if err := convert(first, paths[0], opt, strict, pixels[:per]); err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				img, err := decode(paths[i])
				if err == nil {
					err = convert(img, paths[i], opt, strict, pixels[i*per:(i+1)*per])
				}
				errs[i] = err
			}
		})
	}
	for i := 1; i < len(paths); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs { // the first failure in file order, so the error does not depend on timing
		if err != nil {
			return nil, err
		}
	}
	return images.New("imagefolder/"+filepath.Base(filepath.Clean(root)), opt.Height, opt.Width, opt.Channels,
		pixels, labels, classes)
}

// MaxPixels is the largest image Load decodes (64 megapixels): a file whose header claims more is an error
// before its pixels are allocated, so a corrupt or hostile header cannot exhaust memory.
const MaxPixels = 64 << 20

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %w", err)
	}
	defer f.Close()
	return decodeFrom(f, path)
}

// decodeFrom decodes one PNG or JPEG image from r, checking its size in the header first; path is used
// in errors.
func decodeFrom(r io.ReadSeeker, path string) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: cannot decode image: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("imagefolder: %s: empty image", path)
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return nil, fmt.Errorf("imagefolder: %s: %d×%d image is larger than the %d-megapixel limit", path, cfg.Width, cfg.Height, MaxPixels>>20)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("imagefolder: %s: %w", path, err)
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("imagefolder: %s: cannot decode image: %w", path, err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("imagefolder: %s: empty image", path)
	}
	return img, nil
}

// convert writes img as opt.Height×opt.Width×opt.Channels pixels into dst. When strict names the first
// image (no output size was given), an image of another size is an error.
func convert(img image.Image, path string, opt Options, strict string, dst []uint8) error {
	b := img.Bounds()
	h, w, c := b.Dy(), b.Dx(), opt.Channels
	px := Pixels(img, c)
	if h == opt.Height && w == opt.Width {
		copy(dst, px)
		return nil
	}
	if strict != "" {
		return fmt.Errorf("imagefolder: %s is %d×%d but the first image %s is %d×%d: set Options.Height and Width to resize every image to one size",
			path, h, w, strict, opt.Height, opt.Width)
	}
	var err error
	if opt.Fit == CenterCrop {
		scale := max(float64(opt.Height)/float64(h), float64(opt.Width)/float64(w))
		sh := max(opt.Height, int(math.Round(float64(h)*scale)))
		sw := max(opt.Width, int(math.Round(float64(w)*scale)))
		if px, err = images.Resample(px, h, w, c, sh, sw, images.Resize, 0); err == nil {
			px, err = images.Resample(px, sh, sw, c, opt.Height, opt.Width, images.Pad, 0)
		}
	} else {
		px, err = images.Resample(px, h, w, c, opt.Height, opt.Width, images.Resize, 0)
	}
	if err != nil {
		return fmt.Errorf("imagefolder: %s: %w", path, err)
	}
	copy(dst, px)
	return nil
}

// Pixels converts an image to HWC uint8 pixels with c = 1 (ITU-R 601 luma) or 3 (RGB) channels. Transparent
// pixels are composited over black; 16-bit images are reduced to 8 bits.
func Pixels(img image.Image, c int) []uint8 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	out := make([]uint8, h*w*c)
	if g, ok := img.(*image.Gray); ok {
		for y := range h {
			row := g.Pix[(y)*g.Stride : y*g.Stride+w]
			if c == 1 {
				copy(out[y*w:], row)
				continue
			}
			for x, v := range row {
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = v, v, v
			}
		}
		return out
	}
	if _, ok := img.(*image.Gray16); ok && c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
		for y := range h {
			copy(out[y*w:], g.Pix[y*g.Stride:y*g.Stride+w])
		}
		return out
	}
	rgba, ok := img.(*image.RGBA)
	if !ok || rgba.Rect.Min != (image.Point{}) {
		rgba = image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src) // premultiplied: alpha composites over black
	}
	for y := range h {
		row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*w]
		for x := range w {
			r, g, bl := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2])
			if c == 1 {
				out[y*w+x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
			} else {
				o := (y*w + x) * 3
				out[o], out[o+1], out[o+2] = uint8(r), uint8(g), uint8(bl)
			}
		}
	}
	return out
}
