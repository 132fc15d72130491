// Package textenum holds the one text (JSON) decoding of the library's named enums (nn.AttentionImpl,
// sampler.Method, objective.Target, timesteps.Mixture): each type's UnmarshalText hands its text to the
// type's own name parser through Unmarshal.
package textenum

// Unmarshal sets *p to parse(string(text)), leaving *p alone and returning parse's error when the name
// is unknown: the whole body of an enum's UnmarshalText.
func Unmarshal[T any](p *T, text []byte, parse func(string) (T, error)) error {
	v, err := parse(string(text))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
