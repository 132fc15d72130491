// Package evaluator scores generated Fashion-MNIST images with a frozen feature network trained by this
// project: an FID analogue, precision/recall in feature space, and classifier-based scores for
// class-conditional generation (conditional accuracy, an Inception-Score analogue). It is the yardstick of
// the image post-training experiments (MixFlow vs standard post-training of a SiT, at several numbers of
// sampling steps).
//
// # What our "FID" is
//
// FID here is the squared Fréchet distance ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})
// (metrics.FrechetDistance) between Gaussians fitted to FeatureDim = 128-dimensional features: the
// penultimate layer (dense + SiLU) of a small ConvNet (Architecture; three 3×3 convolution stages, about
// 104 000 parameters) trained on the 60000 Fashion-MNIST training images to classify the 10 classes. The
// reference statistics are those of all 10000 images of the Fashion-MNIST test split, computed once and
// shipped next to the weights (weights/reference-fmnist-test.mfckpt), so FID needs no data set on disk.
// Precision and recall (k = 3, Kynkäänniemi et al. 2019) compare against the first N test images for N
// generated ones (at most 10000); they need the data set (datasets/fashionmnist), whose features are cached
// on disk under env.CacheDir()/evaluator after the first use.
//
// These numbers are NOT comparable with Inception-based FID on ImageNet, CIFAR-10 or anywhere else: the
// feature network, its feature dimension and scale, the data and the reference set all differ. Compare
// FIDs only among runs scored by this package with the same weights (Weights.Fingerprint) and the same
// number of generated images: like every FID, ours is biased upwards for finite samples, more so for
// fewer images.
//
// # Inputs
//
// Images are float32 NHWC [N, H, W, 1] in [−1, 1] (x = pixel/127.5 − 1, as datasets/images produces
// them), given as a *tensors.Tensor (Embed, FID, Evaluate, ...) or as a flat []float32 with its shape
// (EmbedFlat). Pass what the generator produced: 28×28 images are used as they are, 32×32 images (the
// padded size the SiT experiments train at) are centre-cropped back to 28×28, and other sizes are cropped
// or resized as Options.Fit says. Values are clipped to [−1, 1]; NaN, ±Inf and values beyond
// ±Options.MaxAbs (default 2) are errors that name the image and pixel.
//
// # Weights
//
// The weights (weights/classifier.mfckpt, a checkpoint file with a SHA-256 checksum) and the reference
// statistics are embedded in the package with go:embed. `go run ./mixflowlib/cmd/train-classifier`
// retrains the network (seeded) and rewrites both files; it prints the test accuracy. A corrupted file is
// a "checksum mismatch" error, and reference statistics computed with other weights are refused.
//
// The network runs as one compiled GoMLX graph of a fixed batch size (DefaultBatchSize = 256; a short last
// batch is padded), on the backend chosen by mixflowlib/backend.
package evaluator
