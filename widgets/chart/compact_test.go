package chart

import (
	"strings"
	"testing"

	"github.com/mixflow/mixflow/widgets/internal/jscheck"
)

func TestCompactJS(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"var a = 1; // one\nvar b = 'x // not a comment';\n", "var a=1;var b='x // not a comment';"},
		{"/* block */ f(a, b)\ng()", "f(a,b)\ng()"},
		{"x = u.replace(/\\.js$/, '');\ny = s.replace(/,\\s*[0-9.]+\\)$/, ',1)');", "x=u.replace(/\\.js$/,'');y=s.replace(/,\\s*[0-9.]+\\)$/,',1)');"},
		{"a = b / c / d;", "a=b/c/d;"},
		{"a = b - -c + +d;", "a=b- -c+ +d;"},
		{"if (x) {\n  return {\n    k: 'v'\n  };\n}\nvar y = typeof z;", "if(x){return{k:'v'};}\nvar y=typeof z;"},
		{"return /a[/]b/g.test(s);", "return /a[/]b/g.test(s);"},
		{`s = "a\"b" + 'c\'d';`, `s="a\"b"+'c\'d';`},
	} {
		if got := compactJS(c.in); got != c.want {
			t.Errorf("compactJS(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestCompactLoaderParses checks with node (skipped where it is not installed) that the compact
// loader every chart carries is a valid function expression, and that compaction kept every string
// literal of loader.js; the browser tests run it in Notebook 6 and JupyterLab.
func TestCompactLoaderParses(t *testing.T) {
	if !strings.HasPrefix(compactLoader, loaderMarker+"(function(id,rel){") || !IsLoader(compactLoader) || !IsLoader(loaderJS) {
		t.Fatalf("compact loader starts %q", compactLoader[:60])
	}
	if len(compactLoader) > len(loaderJS)*2/3 {
		t.Errorf("compact loader is %d bytes of loader.js's %d; want at most two thirds", len(compactLoader), len(loaderJS))
	}
	for _, lit := range []string{"'jupyter-config-data'", "'mixflow-echarts'", "'mixflow:band'", "'mixflow:heatmap'", "'data-mixflow-chart'", "'ready'", "/\\.js$/", "'script.mixflow-option'"} {
		if !strings.Contains(compactLoader, lit) {
			t.Errorf("compact loader lost %s", lit)
		}
	}
	jscheck.Parse(t, "compact-loader.js", "var run = "+compactLoader+";\n", "nothing else")
}
