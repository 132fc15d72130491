// Package toyview shows the results of package toyexp with the project's widgets: the figures and
// tables of the toy notebooks (metric against sampling steps, γ ablation with error bars, sample
// scatters, loss curves, results tables). Progress bars and Slow Flow figures are the core's
// (experiment/expview), also reachable here under their old names.
//
// Figures are chart.Figure values (Display them in a notebook, Save them elsewhere) and tables are
// table.Table values (Display, Markdown, HTML), so the command-line tool uses the same builders.
package toyview
