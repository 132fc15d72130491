package toyexp

import "github.com/mixflow/mixflow/mixflowlib/trainer"

// TrainerConfig returns the trainer.Config of t (canonicalised and validated), without a checkpoint
// directory, for experiments built on toyexp's TrainSpec (e.g. experiment/highdim).
func (t TrainSpec) TrainerConfig() (trainer.Config, error) {
	c, err := t.Canonical()
	if err != nil {
		return trainer.Config{}, err
	}
	return c.config()
}
