package evaluator

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// MinTestAccuracy is the test accuracy the shipped weights must reach on the 10000 Fashion-MNIST test
// images (they measured 0.9xx when trained; see the weights' metadata).
const minTestAccuracy = 0.90

var (
	testOnce   sync.Once
	testEv     *Evaluator
	testSet    *images.Set
	testEmb    *Embedding
	testLabels []int32
	testErr    error
)

// shared returns an evaluator with the shipped weights (disk cache off) and the embedding of the whole
// test split, computed once for all tests.
func shared(t testing.TB) (*Evaluator, *images.Set, *Embedding, []int32) {
	t.Helper()
	testOnce.Do(func() {
		if testSet, testErr = fashionmnist.Load(fashionmnist.Test); testErr != nil {
			return
		}
		if testEv, testErr = New(Options{CacheDir: "-"}); testErr != nil {
			return
		}
		testEmb, testLabels, testErr = testEv.embedSet(testSet)
	})
	if testErr != nil {
		t.Fatal(testErr)
	}
	return testEv, testSet, testEmb, testLabels
}

// testImages returns test images [lo, hi) normalised, as float32 [n, 28, 28, 1] flat data.
func testImages(set *images.Set, lo, hi int) []float32 {
	const per = InputSize * InputSize
	return normalizePixels(set.Pixels[lo*per : hi*per])
}

func TestShippedFilesAgree(t *testing.T) {
	w, err := ShippedWeights()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ShippedReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.check(w); err != nil {
		t.Fatal(err)
	}
	if ref.Images != 10000 || ref.Split != ReferenceSplit || ref.Stats.Dim() != FeatureDim {
		t.Errorf("reference: %d images of %q, dimension %d; want 10000 of %q, %d", ref.Images, ref.Split, ref.Stats.Dim(), ReferenceSplit, FeatureDim)
	}
	acc, ok := w.TestAccuracy()
	if !ok || acc < minTestAccuracy {
		t.Errorf("recorded test accuracy %v (recorded: %v), want ≥ %v", acc, ok, minTestAccuracy)
	}
	n := 0
	for _, v := range w.Variables {
		n += v.Value.Shape().Size()
	}
	t.Logf("shipped weights: %d parameters, %d bytes on disk, fingerprint %.16s, recorded test accuracy %.4f",
		n, len(shippedWeights), w.Fingerprint(), acc)
}

// TestShippedAccuracy recomputes the test accuracy of the shipped weights and the reference statistics.
func TestShippedAccuracy(t *testing.T) {
	ev, _, emb, labels := shared(t)
	cs, err := ClassScoresOf(emb, labels)
	if err != nil {
		t.Fatal(err)
	}
	recorded, _ := ev.Weights().TestAccuracy()
	t.Logf("test accuracy %.4f (recorded %.4f), Inception Score of the test set %.3f", cs.Accuracy, recorded, cs.InceptionScore)
	if cs.Accuracy < minTestAccuracy {
		t.Errorf("test accuracy %.4f < %.2f", cs.Accuracy, minTestAccuracy)
	}
	// Another CPU (AVX2 instead of AVX-512 kernels) may round differently and flip a few borderline images.
	if math.Abs(cs.Accuracy-recorded) > 0.002 {
		t.Errorf("test accuracy %.4f differs from the recorded %.4f", cs.Accuracy, recorded)
	}
	// The shipped reference statistics are those of the test embedding.
	ref, err := ev.Reference()
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := metrics.FeatureStats(emb.Features)
	if err != nil {
		t.Fatal(err)
	}
	d, err := metrics.FrechetDistance(fresh, ref.Stats)
	if err != nil {
		t.Fatal(err)
	}
	if d > 1e-6 {
		t.Errorf("FID between recomputed and shipped test statistics = %g, want ~0", d)
	}
	fid, err := ev.FIDOf(emb)
	if err != nil {
		t.Fatal(err)
	}
	if fid > 1e-6 {
		t.Errorf("FID of the test set itself = %g", fid)
	}
}

// TestFIDSanity: two disjoint halves of the test set are close; Gaussian noise and blur of growing strength
// make FID grow monotonically, well above the real-vs-real value.
func TestFIDSanity(t *testing.T) {
	ev, set, emb, _ := shared(t)
	half := emb.Len() / 2
	a, _ := emb.Slice(0, half)
	b, _ := emb.Slice(half, emb.Len())
	gb, err := metrics.FeatureStats(b.Features)
	if err != nil {
		t.Fatal(err)
	}
	halves, err := frechetTo(a.Features, gb)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FID(test[:5000], test[5000:]) = %.4f", halves)

	// Perturbations of 1000 images against the second half; the clean 1000 give the finite-sample floor.
	const n = 1000
	clean := testImages(set, 0, n)
	fid := func(x []float32) float64 {
		t.Helper()
		m, err := ev.EmbedFlat(x, n, InputSize, InputSize, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := frechetTo(m.Features, gb)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := fid(clean)
	t.Logf("FID(clean test[:1000], test[5000:]) = %.4f", base)
	if halves > base {
		t.Errorf("FID of 5000 vs 5000 real images (%.4f) should be below that of 1000 vs 5000 (%.4f): the bias shrinks with N", halves, base)
	}
	check := func(kind string, levels []float64, perturb func(float64) []float32) {
		prev := base
		for _, s := range levels {
			d := fid(perturb(s))
			t.Logf("%s %.2f: FID %.4f", kind, s, d)
			if d <= prev {
				t.Errorf("%s %.2f: FID %.4f not above the previous level's %.4f", kind, s, d, prev)
			}
			prev = d
		}
		if prev < 10*base {
			t.Errorf("%s: strongest perturbation gives FID %.4f, less than 10× the real-vs-real %.4f", kind, prev, base)
		}
	}
	check("noise σ", []float64{0.05, 0.1, 0.2, 0.4}, func(s float64) []float32 { return addNoise(clean, s, 7) })
	check("blur σ", []float64{0.5, 1, 1.5, 2}, func(s float64) []float32 { return blur(clean, n, s) })
}

func TestEmbedShapesAndFits(t *testing.T) {
	ev, set, _, _ := shared(t)
	const n = 5
	x28 := testImages(set, 0, n)
	m28 := embed28(t, ev, x28, n)
	if m28.Len() != n || len(m28.Features[0]) != FeatureDim || len(m28.Probs[0]) != NumClasses {
		t.Fatalf("embedding %d × %d features, %d probabilities; want %d × %d, %d", m28.Len(), len(m28.Features[0]), len(m28.Probs[0]), n, FeatureDim, NumClasses)
	}
	for i, p := range m28.Probs {
		var s float64
		for _, v := range p {
			s += v
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("probabilities of image %d sum to %v", i, s)
		}
	}
	// The 32×32 padding used by the SiT experiments is undone exactly by FitAuto.
	src, err := images.NewSource(set, images.Options{Height: 32, Width: 32, Sequential: true})
	if err != nil {
		t.Fatal(err)
	}
	b32, err := src.Range(0, n)
	if err != nil {
		t.Fatal(err)
	}
	m32, err := ev.Embed(b32.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j, v := range m32.Features[i] {
			if v != m28.Features[i][j] {
				t.Fatalf("32×32 padded image %d: feature %d = %v, 28×28 gives %v", i, j, v, m28.Features[i][j])
			}
		}
	}
	// FitCrop takes any larger size; FitResize any size. A constant image stays constant under resizing.
	crop, err := New(Options{Weights: ev.Weights(), Fit: FitCrop, CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crop.EmbedFlat(make([]float32, 2*30*31), 2, 30, 31, 1); err != nil {
		t.Error(err)
	}
	resize, err := New(Options{Weights: ev.Weights(), Fit: FitResize, CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPrep(57, 19, FitResize, 2)
	if err != nil {
		t.Fatal(err)
	}
	src57 := make([]float32, 57*19)
	for i := range src57 {
		src57[i] = 0.25
	}
	dst := make([]float32, InputSize*InputSize)
	p.convert(dst, src57)
	for i, v := range dst {
		if math.Abs(float64(v)-0.25) > 1e-6 {
			t.Fatalf("resized constant image: pixel %d = %v, want 0.25", i, v)
		}
	}
	if _, err := resize.EmbedFlat(src57, 1, 57, 19, 1); err != nil {
		t.Error(err)
	}
	// Values slightly outside [−1, 1] are clipped, so they give the same features as the clipped image.
	over := append([]float32(nil), x28[:InputSize*InputSize]...)
	clipped := append([]float32(nil), over...)
	over[100], over[200] = 1.7, -1.3
	clipped[100], clipped[200] = 1, -1
	mo := embed28(t, ev, over, 1)
	mc := embed28(t, ev, clipped, 1)
	for j := range mo.Features[0] {
		if mo.Features[0][j] != mc.Features[0][j] {
			t.Fatalf("feature %d: %v with overshooting values, %v clipped", j, mo.Features[0][j], mc.Features[0][j])
		}
	}
}

func TestDeterminism(t *testing.T) {
	ev, set, emb, _ := shared(t)
	// Images 300..309 run in a batch at other positions than in the full-split pass, and twice.
	x := testImages(set, 300, 310)
	m1 := embed28(t, ev, x, 10)
	m2 := embed28(t, ev, x, 10)
	var maxDiff float64
	for i := range 10 {
		for j := range FeatureDim {
			if m1.Features[i][j] != m2.Features[i][j] {
				t.Fatalf("two calls differ: image %d feature %d: %v vs %v", i, j, m1.Features[i][j], m2.Features[i][j])
			}
			maxDiff = max(maxDiff, math.Abs(m1.Features[i][j]-emb.Features[300+i][j]))
		}
	}
	if maxDiff > 1e-4 {
		t.Errorf("features depend on the position in the batch: max difference %g", maxDiff)
	}
	t.Logf("max feature difference between batch positions: %g", maxDiff)
}

func TestInputErrors(t *testing.T) {
	ev, set, _, _ := shared(t)
	good := testImages(set, 0, 4)
	bad := func(mut func([]float32)) []float32 {
		x := append([]float32(nil), good...)
		mut(x)
		return x
	}
	cases := []struct {
		name  string
		data  []float32
		shape []int
		want  string
	}{
		{"NaN", bad(func(x []float32) { x[2*784+30] = float32(math.NaN()) }), []int{4, 28, 28, 1}, "image 2 has value NaN at (y=1, x=2)"},
		{"Inf", bad(func(x []float32) { x[5] = float32(math.Inf(-1)) }), []int{4, 28, 28, 1}, "-Inf"},
		{"pixel range", bad(func(x []float32) { x[784+3] = 200 }), []int{4, 28, 28, 1}, "outside [−2, 2]"},
		{"rank", good, []int{4, 28, 28}, "want [N, H, W, 1]"},
		{"channels", good[:4*28*28/3*3], []int{4, 28, 28 / 3, 3}, "want [N, H, W, 1]"},
		{"size", good, []int{4, 28, 28, 2}, "want [N, H, W, 1]"},
		{"count", good[:100], []int{4, 28, 28, 1}, "100 values"},
		{"odd size", make([]float32, 30*30), []int{1, 30, 30, 1}, "FitCrop or FitResize"},
		{"empty", nil, []int{0, 28, 28, 1}, "empty axis"},
	}
	for _, c := range cases {
		_, err := ev.EmbedFlat(c.data, c.shape...)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "evaluator: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := ev.Embed(tensors.FromFlatDataAndDimensions(make([]float64, 784), 1, 28, 28, 1)); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("float64 images: error %v", err)
	}
	x := tensors.FromFlatDataAndDimensions(good, 4, 28, 28, 1)
	if _, err := ev.ClassScores(x, tensors.FromFlatDataAndDimensions([]int32{1, 2, 3}, 3)); err == nil || !strings.Contains(err.Error(), "3 labels for 4 images") {
		t.Errorf("wrong label count: %v", err)
	}
	if _, err := ev.ClassScores(x, tensors.FromFlatDataAndDimensions([]int32{1, 2, 3, 10}, 4)); err == nil || !strings.Contains(err.Error(), "label 10 of image 3") {
		t.Errorf("label out of range: %v", err)
	}
	if _, err := ev.FID(tensors.FromFlatDataAndDimensions(good[:784], 1, 28, 28, 1)); err == nil {
		t.Error("FID of one image: no error")
	}
	if _, _, err := ev.PrecisionRecall(tensors.FromFlatDataAndDimensions(good[:3*784], 3, 28, 28, 1)); err == nil || !strings.Contains(err.Error(), "need at least 4") {
		t.Errorf("precision/recall of 3 images: %v", err)
	}
	for _, o := range []Options{{BatchSize: -1}, {Fit: Fit(9)}, {MaxAbs: 0.5}, {MaxAbs: math.NaN()}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}

func TestCorruptFiles(t *testing.T) {
	flipped := append([]byte(nil), shippedWeights...)
	flipped[len(flipped)/2] ^= 0x10
	if _, err := DecodeWeights("test", flipped); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("bit-flipped weights: error %v, want a checksum mismatch", err)
	}
	if _, err := DecodeWeights("test", shippedWeights[:len(shippedWeights)-10]); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated weights: error %v", err)
	}
	path := filepath.Join(t.TempDir(), "w.mfckpt")
	if err := os.WriteFile(path, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWeights(path); err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), path) {
		t.Errorf("bit-flipped weights file: error %v, want a checksum mismatch naming the file", err)
	}
	badRef := append([]byte(nil), shippedReference...)
	badRef[len(badRef)-100] ^= 1
	if _, err := DecodeReference("test", badRef); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("bit-flipped reference: error %v", err)
	}
	// Weights of the right shapes but other values do not match the shipped reference statistics.
	w, err := ShippedWeights()
	if err != nil {
		t.Fatal(err)
	}
	other := *w
	other.Variables = append([]checkpoint.Variable(nil), w.Variables...)
	v, err := other.Variables[0].Value.LocalClone()
	if err != nil {
		t.Fatal(err)
	}
	tensors.MustMutableFlatData(v, func(f []float32) { f[0] += 0.5 })
	other.Variables[0].Value = v
	ref, err := ShippedReference()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Weights: &other, Reference: ref}); err == nil || !strings.Contains(err.Error(), "computed with weights") {
		t.Errorf("reference of other weights: error %v", err)
	}
	// Weights from another architecture are refused.
	other.Meta = checkpoint.Metadata{metaArchitecture: "something else"}
	if _, err := New(Options{Weights: &other}); err == nil || !strings.Contains(err.Error(), "architecture") {
		t.Errorf("other architecture: error %v", err)
	}
}

func TestWeightsAndReferenceRoundTrip(t *testing.T) {
	w, err := ShippedWeights()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := w.Save(filepath.Join(dir, "w.mfckpt")); err != nil {
		t.Fatal(err)
	}
	w2, err := ReadWeights(filepath.Join(dir, "w.mfckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if w2.Fingerprint() != w.Fingerprint() {
		t.Error("fingerprint changed through Save/ReadWeights")
	}
	ref, err := ShippedReference()
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.Save(filepath.Join(dir, "r.mfckpt")); err != nil {
		t.Fatal(err)
	}
	ref2, err := ReadReference(filepath.Join(dir, "r.mfckpt"))
	if err != nil {
		t.Fatal(err)
	}
	if ref2.WeightsFingerprint != ref.WeightsFingerprint || ref2.Images != ref.Images || ref2.Split != ref.Split {
		t.Errorf("reference round trip: %+v, want %+v", ref2, ref)
	}
	for i := range FeatureDim {
		if ref2.Stats.Mean[i] != ref.Stats.Mean[i] {
			t.Fatalf("reference round trip: mean[%d] %v, want %v", i, ref2.Stats.Mean[i], ref.Stats.Mean[i])
		}
		for j := range FeatureDim {
			if ref2.Stats.Cov.At(i, j) != ref.Stats.Cov.At(i, j) {
				t.Fatalf("reference round trip: cov[%d][%d] %v, want %v", i, j, ref2.Stats.Cov.At(i, j), ref.Stats.Cov.At(i, j))
			}
		}
	}
}

func TestTestEmbeddingDiskCache(t *testing.T) {
	ev, _, emb, labels := shared(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "c.mfckpt")
	if err := writeEmbedding(path, ev.fingerprint, emb, labels); err != nil {
		t.Fatal(err)
	}
	got, lab, err := readEmbedding(path, ev.fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != emb.Len() || lab[17] != labels[17] || got.Features[123][45] != emb.Features[123][45] || got.Probs[9][3] != emb.Probs[9][3] {
		t.Error("cached embedding differs from the computed one")
	}
	if _, _, err := readEmbedding(path, "another fingerprint"); err == nil {
		t.Error("cache of other weights accepted")
	}
	// An evaluator finds the cache by the weights' fingerprint and does not touch the data set.
	ev2, err := New(Options{Weights: ev.Weights(), CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, ev2.testCachePath()); err != nil {
		t.Fatal(err)
	}
	t.Setenv(fashionmnist.DirVar, filepath.Join(dir, "no-data-here"))
	got2, _, err := ev2.TestEmbedding()
	if err != nil || got2.Features[5][6] != emb.Features[5][6] {
		t.Errorf("embedding from the disk cache: %v", err)
	}
}

func TestPrecisionRecallAndReport(t *testing.T) {
	ev, set, emb, labels := shared(t)
	ev.lazyMu.Lock()
	ev.testEmb, ev.testLab = emb, labels // as TestEmbedding would compute them
	ev.lazyMu.Unlock()
	const n = 500
	// The real subset for n images is the first n test images: the same images give precision = recall = 1.
	x := tensors.FromFlatDataAndDimensions(testImages(set, 0, n), n, 28, 28, 1)
	lab := tensors.FromFlatDataAndDimensions(append([]int32(nil), labels[:n]...), n)
	rep, err := ev.Evaluate(x, lab)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("real test[:500] as generated: %s", rep)
	if rep.Precision != 1 || rep.Recall != 1 || rep.RealImages != n || !rep.Labelled {
		t.Errorf("identical sets: %+v", rep)
	}
	if rep.Class.Accuracy < minTestAccuracy-0.03 {
		t.Errorf("conditional accuracy of real images %.3f", rep.Class.Accuracy)
	}
	// Other real images score high; heavily noised ones lose precision and accuracy, and FID grows.
	other := tensors.FromFlatDataAndDimensions(testImages(set, 5000, 5000+n), n, 28, 28, 1)
	rep2, err := ev.Evaluate(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	noisy := tensors.FromFlatDataAndDimensions(addNoise(testImages(set, 5000, 5000+n), 0.5, 3), n, 28, 28, 1)
	rep3, err := ev.Evaluate(noisy, tensors.FromFlatDataAndDimensions(append([]int32(nil), labels[5000:5000+n]...), n))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("other real images: %s", rep2)
	t.Logf("noise σ=0.5:       %s", rep3)
	if rep2.Precision < 0.6 || rep2.Recall < 0.6 || rep2.Labelled {
		t.Errorf("disjoint real images: %s", rep2)
	}
	if rep3.Precision >= rep2.Precision-0.2 || rep3.FID < 10*rep2.FID || rep3.Class.Accuracy > rep.Class.Accuracy {
		t.Errorf("noisy images should score clearly worse: %s vs %s", rep3, rep2)
	}
}

func TestClassScoresOf(t *testing.T) {
	oneHot := func(c int) []float64 {
		p := make([]float64, NumClasses)
		p[c] = 1
		return p
	}
	feats := make([][]float64, 20)
	probs := make([][]float64, 20)
	labels := make([]int32, 20)
	for i := range probs {
		probs[i] = oneHot(i % NumClasses)
		labels[i] = int32(i % NumClasses)
		feats[i] = make([]float64, FeatureDim)
	}
	labels[3] = 4 // one miss
	s, err := ClassScoresOf(&Embedding{Features: feats, Probs: probs}, labels)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.InceptionScore-10) > 1e-12 || s.Accuracy != 19.0/20 || s.PerClassAccuracy[4] != 2.0/3 || s.PerClassCount[4] != 3 || s.PerClassAccuracy[3] != 1 {
		t.Errorf("confident, evenly spread predictions: %+v", s)
	}
	for i := range probs {
		probs[i] = oneHot(2)
	}
	if s, _ = ClassScoresOf(&Embedding{Features: feats, Probs: probs}, nil); math.Abs(s.InceptionScore-1) > 1e-12 || s.Predicted[2] != 20 || s.Accuracy != 0 {
		t.Errorf("one class: %+v", s)
	}
	for i := range probs {
		for c := range probs[i] {
			probs[i][c] = 0.1
		}
	}
	if s, _ = ClassScoresOf(&Embedding{Features: feats, Probs: probs}, nil); math.Abs(s.InceptionScore-1) > 1e-12 {
		t.Errorf("uniform probabilities: IS %v, want 1", s.InceptionScore)
	}
}

func TestTrainSmallRunIsDeterministic(t *testing.T) {
	_, set, _, _ := shared(t) // test images stand in for training images: only the mechanics are checked
	small, err := set.Head(256)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultTrainConfig()
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps = 3, 32, 1
	var losses []float64
	w1, err := Train(small, cfg, 1, func(p TrainProgress) { losses = append(losses, p.Loss) })
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 3 || math.IsNaN(losses[2]) {
		t.Fatalf("losses %v", losses)
	}
	w2, err := Train(small, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w1.Fingerprint() != w2.Fingerprint() {
		t.Error("two trainings with the same seed differ")
	}
	cfg.Seed++
	w3, err := Train(small, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w3.Fingerprint() == w1.Fingerprint() {
		t.Error("another seed gives the same weights")
	}
	// Trained weights without reference statistics: FID computes them from the test split.
	ev, err := New(Options{Weights: w1, CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.EmbedFlat(testImages(set, 0, 3), 3, 28, 28, 1); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []TrainConfig{{}, {Epochs: 1, BatchSize: 8, LR: -1}, {Epochs: 1, BatchSize: 8, LR: 1e-3, MaxShift: 14}} {
		if _, err := Train(small, bad, 0, nil); err == nil || !strings.HasPrefix(err.Error(), "evaluator: TrainConfig") {
			t.Errorf("Train(%+v): error %v", bad, err)
		}
	}
}

// BenchmarkEmbed measures the feature throughput at batch 256 (one compiled call per batch).
func BenchmarkEmbed(b *testing.B) {
	set, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		b.Fatal(err)
	}
	ev, err := New(Options{CacheDir: "-"})
	if err != nil {
		b.Fatal(err)
	}
	const n = 256
	x := testImages(set, 0, n)
	if _, err := ev.EmbedFlat(x, n, 28, 28, 1); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	calls := 0
	for b.Loop() {
		if _, err := ev.EmbedFlat(x, n, 28, 28, 1); err != nil {
			b.Fatal(err)
		}
		calls++
	}
	b.ReportMetric(float64(n*calls)/b.Elapsed().Seconds(), "images/s")
}

// embed28 embeds the n flat 28×28 grayscale images x with ev, stopping t on an error.
func embed28(t *testing.T, ev *Evaluator, x []float32, n int) *Embedding {
	t.Helper()
	m, err := ev.EmbedFlat(x, n, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
