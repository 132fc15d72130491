package chart

import "strings"

// loaderMarker opens the compact loader every chart carries, so that `go run ./kernel slim` can
// recognise a copy of it (or of the commented loader.js older charts carried) in a saved notebook.
const loaderMarker = "/*mixflow-chart-loader*/"

// compactLoader is loader.js as the chart HTML carries it: comments and needless whitespace
// removed (a notebook holds one copy per chart, so every byte counts once per chart).
var compactLoader = loaderMarker + compactJS(loaderJS)

// CompactLoader returns the chart loader's script as chart HTML embeds it, a function expression
// taking the container id and the URL path of echarts.min.js.
func CompactLoader() string { return compactLoader }

// IsLoader reports whether script, the text of a chart's loader <script> before its (id, rel)
// arguments, is a MixFlow chart loader: the compact one, or the commented loader.js older charts
// carried (every version takes the same arguments and reads the same HTML).
func IsLoader(script string) bool {
	return strings.HasPrefix(script, loaderMarker) || strings.HasPrefix(script, "// MixFlow chart loader:")
}

// compactJS removes the comments of a script and the whitespace it does not need: indentation,
// blank lines, spaces next to punctuation, and line breaks after which no automatic semicolon could
// be inserted (after ; { , ( [ or an operator, or before } ) ] . , ; : ?). String, template and
// regular-expression literals are copied as they are. It is written for the project's own loader.js
// (plain ES5 with explicit semicolons); TestCompactLoaderParses checks its output with node.
func compactJS(src string) string {
	type tok struct {
		text  string
		space bool // whitespace before it
		nl    bool // a line break before it
		re    bool // a regular-expression literal
	}
	var toks []tok
	space, nl := false, false
	emit := func(s string) {
		toks = append(toks, tok{text: s, space: space, nl: nl})
		space, nl = false, false
	}
	// prevSig is the last non-space character emitted, to tell a regex literal from a division.
	prevSig := func() byte {
		if len(toks) == 0 {
			return 0
		}
		t := toks[len(toks)-1].text
		return t[len(t)-1]
	}
	isIdent := func(c byte) bool {
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			nl, space = true, true
			i++
		case c == ' ' || c == '\t' || c == '\r':
			space = true
			i++
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				i = len(src)
			} else {
				if strings.Contains(src[i:i+2+end], "\n") {
					nl = true
				}
				i += end + 4
			}
			space = true
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			emit(src[i:min(j+1, len(src))])
			i = j + 1
		case c == '/' && (len(toks) == 0 || strings.IndexByte("(,=:[!&|?{};+-*%<>~^", prevSig()) >= 0 || toks[len(toks)-1].text == "return"):
			j, class := i+1, false
			for j < len(src) && src[j] != '\n' && (src[j] != '/' || class) {
				switch src[j] {
				case '\\':
					j++
				case '[':
					class = true
				case ']':
					class = false
				}
				j++
			}
			j++ // the closing slash
			for j < len(src) && isIdent(src[j]) {
				j++ // flags
			}
			emit(src[i:min(j, len(src))])
			toks[len(toks)-1].re = true
			i = j
		case isIdent(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			emit(src[i:j])
			i = j
		default:
			emit(src[i : i+1])
			i++
		}
	}
	var b strings.Builder
	for k, t := range toks {
		if k > 0 {
			prev := toks[k-1].text
			p, n := prev[len(prev)-1], t.text[0]
			switch {
			case t.nl && strings.IndexByte(";{,([=:&|?+-*/%<>!~^", p) < 0 && strings.IndexByte("})].,;:?", n) < 0:
				b.WriteByte('\n')
			case t.space && (isIdent(p) && (isIdent(n) || t.re) || strings.IndexByte("+-", p) >= 0 && strings.IndexByte("+-", n) >= 0):
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.text)
	}
	return b.String()
}
