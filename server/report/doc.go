package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Doc is one report: a title and its blocks, rendered as Markdown (plots as SVG files
// beside it) or as one HTML page (plots inline).
type Doc struct {
	Audience, Title string
	Blocks          []Block
}

// Block is a heading, a paragraph, a table or a plot.
type Block struct {
	Heading string
	Text    string
	Table   *Table
	Plot    *Plot
}

// Table is a header row and rows of cells.
type Table struct {
	Head []string
	Rows [][]string
}

// Plot is a chart already drawn as SVG.
type Plot struct {
	Title string
	SVG   []byte
}

func (d *Doc) h(s string)           { d.Blocks = append(d.Blocks, Block{Heading: s}) }
func (d *Doc) p(f string, a ...any) { d.Blocks = append(d.Blocks, Block{Text: fmt.Sprintf(f, a...)}) }
func (d *Doc) table(t *Table)       { d.Blocks = append(d.Blocks, Block{Table: t}) }

func (d *Doc) plot(title string, draw func(io.Writer) error) error {
	var b bytes.Buffer
	if err := draw(&b); err != nil {
		return fmt.Errorf("plot %q: %w", title, err)
	}
	d.Blocks = append(d.Blocks, Block{Plot: &Plot{Title: title, SVG: b.Bytes()}})
	return nil
}

// plotName is the file name of the report's i-th plot (from 1).
func (d *Doc) plotName(i int) string { return fmt.Sprintf("%s-%d.svg", d.Audience, i) }

// Markdown writes the report; plot i is referenced as plotName(i).
func (d *Doc) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n", d.Title)
	n := 0
	for _, bl := range d.Blocks {
		switch {
		case bl.Heading != "":
			fmt.Fprintf(&b, "\n## %s\n", bl.Heading)
		case bl.Text != "":
			fmt.Fprintf(&b, "\n%s\n", bl.Text)
		case bl.Table != nil:
			b.WriteString("\n" + mdTable(bl.Table))
		case bl.Plot != nil:
			n++
			fmt.Fprintf(&b, "\n![%s](%s)\n", bl.Plot.Title, d.plotName(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdTable(t *Table) string {
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Head)
	b.WriteString("|" + strings.Repeat(" --- |", len(t.Head)) + "\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}

// HTML writes the report as one page with its plots inline.
func (d *Doc) HTML(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>\n", html.EscapeString(d.Title))
	b.WriteString("<style>body{font:14px system-ui,sans-serif;margin:2em auto;max-width:1000px}" +
		"table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}" +
		"figure{margin:1em 0}</style></head>\n")
	fmt.Fprintf(&b, "<body data-audience=%q>\n<h1>%s</h1>\n", d.Audience, html.EscapeString(d.Title))
	for _, bl := range d.Blocks {
		switch {
		case bl.Heading != "":
			fmt.Fprintf(&b, "<h2>%s</h2>\n", html.EscapeString(bl.Heading))
		case bl.Text != "":
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(bl.Text))
		case bl.Table != nil:
			b.WriteString(htmlTable(bl.Table))
		case bl.Plot != nil:
			fmt.Fprintf(&b, "<figure><figcaption>%s</figcaption>\n%s</figure>\n", html.EscapeString(bl.Plot.Title), bl.Plot.SVG)
		}
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func htmlTable(t *Table) string {
	var b strings.Builder
	b.WriteString("<table><thead><tr>")
	for _, h := range t.Head {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody></table>\n")
	return b.String()
}

// WriteDir writes AUDIENCE.md, its plots and AUDIENCE.html into dir.
func (d *Doc) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, f func(io.Writer) error) error {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
	}
	if err := write(d.Audience+".md", d.Markdown); err != nil {
		return err
	}
	n := 0
	for _, bl := range d.Blocks {
		if bl.Plot != nil {
			n++
			if err := os.WriteFile(filepath.Join(dir, d.plotName(n)), bl.Plot.SVG, 0o644); err != nil {
				return err
			}
		}
	}
	return write(d.Audience+".html", d.HTML)
}
