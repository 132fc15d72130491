package timesteps

import (
	"fmt"
	"strconv"
	"strings"
)

// ByName parses a distribution from its config string, case-insensitively and ignoring spaces:
//
//	uniform               U[0, 1]
//	uniform(eps)          U[eps, 1 − eps]
//	beta21, beta(2,1)     Beta(2, 1)
//	logit-normal          logit-normal(0, 1)
//	logit-normal(mu,sigma), also RAE's spelling logit-normal_mu_sigma
//	shift(s,DIST)         ShiftTime(T, s) for T ~ DIST, any DIST of this list (nesting allowed)
//
// Dist.Name returns a string of this grammar for every distribution of the package, so ByName(d.Name())
// rebuilds d. Unknown names, malformed numbers and invalid parameters are errors that quote the input.
func ByName(spec string) (Dist, error) {
	d, err := parseDist(strings.ToLower(strings.Join(strings.Fields(spec), "")))
	if err != nil {
		return nil, fmt.Errorf("timesteps: %q: %s", spec, strings.TrimPrefix(err.Error(), "timesteps: "))
	}
	return d, nil
}

const grammar = "use uniform, uniform(eps), beta21, logit-normal(mu,sigma) or shift(s,dist)"

func parseDist(s string) (Dist, error) {
	name, args, err := splitCall(s)
	if err != nil {
		return nil, err
	}
	switch name {
	case "uniform":
		nums, err := numbers(args, 0, 1)
		if err != nil {
			return nil, err
		}
		d := Uniform{}
		if len(nums) == 1 {
			d.Eps = nums[0]
		}
		return d, d.Validate()
	case "beta21":
		if args != nil {
			return nil, fmt.Errorf("beta21 takes no parameters")
		}
		return Beta21{}, nil
	case "beta":
		nums, err := numbers(args, 2, 2)
		if err != nil {
			return nil, err
		}
		if nums[0] != 2 || nums[1] != 1 {
			return nil, fmt.Errorf("only beta(2,1) is supported, got beta(%v,%v)", nums[0], nums[1])
		}
		return Beta21{}, nil
	case "logit-normal", "logitnormal":
		nums, err := numbers(args, 0, 2)
		if err != nil {
			return nil, err
		}
		d := LogitNormal{Mu: 0, Sigma: 1}
		switch len(nums) {
		case 1:
			return nil, fmt.Errorf("logit-normal takes (mu,sigma)")
		case 2:
			d.Mu, d.Sigma = nums[0], nums[1]
		}
		return d, d.Validate()
	case "shift":
		parts := splitArgs(args)
		if len(parts) != 2 {
			return nil, fmt.Errorf("shift takes (s,dist)")
		}
		sf, err := number(parts[0])
		if err != nil {
			return nil, err
		}
		base, err := parseDist(parts[1])
		if err != nil {
			return nil, err
		}
		d := Shift{S: sf, Base: base}
		return d, d.Validate()
	}
	if rest, ok := strings.CutPrefix(name, "logit-normal_"); ok && args == nil { // RAE: logit-normal_0_1
		parts := strings.Split(rest, "_")
		if len(parts) != 2 {
			return nil, fmt.Errorf("RAE-style logit-normal needs logit-normal_mu_sigma")
		}
		d := LogitNormal{}
		var err error
		if d.Mu, err = number(parts[0]); err != nil {
			return nil, err
		}
		if d.Sigma, err = number(parts[1]); err != nil {
			return nil, err
		}
		return d, d.Validate()
	}
	return nil, fmt.Errorf("unknown distribution %q: %s", name, grammar)
}

// splitCall splits "name(args)" into name and the text between the outer parentheses (nil without them).
func splitCall(s string) (name string, args *string, err error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		if strings.ContainsAny(s, ",)") || s == "" {
			return "", nil, fmt.Errorf("malformed distribution %q: %s", s, grammar)
		}
		return s, nil, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, fmt.Errorf("malformed distribution %q: missing closing parenthesis", s)
	}
	inner := s[open+1 : len(s)-1]
	depth := 0
	for _, r := range inner {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth < 0 {
			return "", nil, fmt.Errorf("malformed distribution %q: unbalanced parentheses", s)
		}
	}
	if depth != 0 {
		return "", nil, fmt.Errorf("malformed distribution %q: unbalanced parentheses", s)
	}
	return s[:open], &inner, nil
}

// splitArgs splits at the commas outside parentheses.
func splitArgs(args *string) []string {
	if args == nil {
		return nil
	}
	var parts []string
	depth, start := 0, 0
	s := *args
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func numbers(args *string, minN, maxN int) ([]float64, error) {
	parts := splitArgs(args)
	if args != nil && *args == "" {
		parts = nil
	}
	if len(parts) < minN || len(parts) > maxN {
		return nil, fmt.Errorf("expected %d to %d parameters, got %d", minN, maxN, len(parts))
	}
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := number(p)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func number(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !finite(v) {
		return 0, fmt.Errorf("parameter %q is not a finite number", s)
	}
	return v, nil
}
