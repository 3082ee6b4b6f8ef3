// Package findings renders what an audit found: text, JSON, Markdown and HTML.
package findings

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/server/idmef"
)

// Finding is a violation a running node knows of, with when it was first seen.
type Finding struct {
	runtime.Violation
	FirstSeen time.Time `json:"first_seen"`
}

// Report is one audit of one context.
type Report struct {
	Source     string              `json:"source"` // the snapshot file, or "live snapshot <time>"
	Time       time.Time           `json:"time"`
	Stats      runtime.AuditStats  `json:"stats"`
	Violations []runtime.Violation `json:"violations"`
	// Spec, Version and Docs name the standard, the product and each property for the
	// SOC formats (OCSF, IDMEF).
	Spec    string            `json:"-"`
	Version string            `json:"-"`
	Docs    map[string]string `json:"-"`
}

// Formats are the output formats Write knows.
var Formats = []string{"text", "json", "markdown", "html", "ocsf", "idmef"}

// Write renders the report in one of Formats.
func (r *Report) Write(w io.Writer, format string) error {
	if r.Violations == nil {
		r.Violations = []runtime.Violation{}
	}
	switch format {
	case "text":
		return r.text(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "markdown":
		return r.markdown(w)
	case "html":
		return page.Execute(w, r)
	case "ocsf":
		return WriteOCSF(w, r.findings(), OCSFCreate, r.Spec, r.Version, r.Time)
	case "idmef":
		fs := r.findings()
		alerts := make([]idmef.Alert, len(fs))
		for i := range fs {
			alerts[i] = fs[i].IDMEF(r.Docs[fs[i].Property])
		}
		return idmef.Encode(w, idmef.Analyzer{ID: "pvsc-audit", Name: "pvsc audit", Version: r.Version}, alerts)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// findings are the report's violations as findings first seen at the audit's time.
func (r *Report) findings() []Finding {
	out := make([]Finding, len(r.Violations))
	for i, v := range r.Violations {
		out[i] = Finding{Violation: v, FirstSeen: r.Time}
	}
	return out
}

// Summary is the one line that ends every report.
func (r *Report) Summary() string {
	verdict := "clean"
	if n := len(r.Violations); n > 0 {
		verdict = fmt.Sprintf("%d violation%s", n, map[bool]string{true: "", false: "s"}[n == 1])
	}
	return fmt.Sprintf("%s: %s (%d properties, %d records checked in %v)", r.Source, verdict,
		r.Stats.Properties, r.Stats.Records, r.Stats.Elapsed.Round(time.Millisecond))
}

func (r *Report) text(w io.Writer) error {
	for _, v := range r.Violations {
		if _, err := fmt.Fprintln(w, v.Reason); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range r.counts() {
		fmt.Fprintf(tw, "  %s\t%d\n", c.prop, c.n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

type count struct {
	prop string
	n    int
}

// counts are the violations per property, in the report's (sorted) order.
func (r *Report) counts() []count {
	var out []count
	for _, v := range r.Violations {
		if len(out) == 0 || out[len(out)-1].prop != v.Property {
			out = append(out, count{prop: v.Property})
		}
		out[len(out)-1].n++
	}
	return out
}

func (r *Report) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Audit of %s\n\n%s\n\n", r.Source, r.Summary())
	if len(r.Violations) > 0 {
		b.WriteString("| property | scope | records | rule |\n| --- | --- | --- | --- |\n")
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", v.Property, cell(v.Scope), cell(records(v)), strings.ReplaceAll(v.Rule, "|", `\|`))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// records names a violation's records: entity "id", ...
func records(v runtime.Violation) string {
	parts := make([]string, len(v.Records))
	for i, r := range v.Records {
		parts[i] = fmt.Sprintf("%s %q", r.Entity, r.ID)
	}
	return strings.Join(parts, ", ")
}

var page = template.Must(template.New("audit").Funcs(template.FuncMap{"records": records}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pvsc audit: {{.Source}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}code{font-size:90%}</style>
</head><body>
<h1>Audit of {{.Source}}</h1>
<p id="summary">{{.Summary}}</p>
{{if .Violations}}<table id="violations"><tr><th>property</th><th>scope</th><th>records</th><th>reason</th></tr>
{{range .Violations}}<tr><td>{{.Property}}</td><td>{{.Scope}}</td><td>{{records .}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
