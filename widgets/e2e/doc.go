// Package e2e holds the widgets' end-to-end tests, which need Jupyter (and chromium for the browser
// test) and therefore only build with the "browser" tag:
//
//	go test -tags browser ./widgets/e2e
//
// TestHeadlessAllWidgets executes testdata/all-widgets.ipynb through `go run ./kernel exec` (every widget,
// headless: it must finish, with static fallbacks in the saved notebook). TestBrowserGammaSlider starts
// `jupyter notebook` on 127.0.0.1 with a random port and token, opens testdata/explorer.ipynb in Debian's
// chromium (headless, driven by chromedp), runs the cell, moves the γ slider with the keyboard, changes
// the distribution, and checks that the interactive chart was redrawn for the new values before pressing
// Done. TestJupyterLab does the same in JupyterLab 4 (scripts/setup.sh's ~/.venvs/jupyterlab, or
// $MIXFLOW_JUPYTERLAB): the kernel in the launcher, a bundled notebook opening trusted with every chart
// interactive and no request leaving 127.0.0.1, a live cell's chart, the explorer's slider, interrupt
// and restart from the UI, and a compile error (testdata/lab.ipynb). Tests skip, saying what is missing,
// only when jupyter, JupyterLab or chromium is not installed.
package e2e
