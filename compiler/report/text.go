package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the tables aligned for people, one titled section each.
func (r *Report) WriteText(w io.Writer) error {
	sections := []func(*tabwriter.Writer){r.eventOpText, r.modelEventText, r.thresholdText, r.modelNText, r.watchlistText}
	titles := []string{"Event-operation", "Model-event", "Property-N-thresholds", "Model-N-property", "Property-WL"}
	if len(r.Metrics) > 0 {
		sections, titles = append(sections, r.metricsText), append(titles, "Security metrics")
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n%s\n", titles[i], strings.Repeat("=", len(titles[i])))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		s(tw)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) eventOpText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "CLOUD\tMODEL\tSOURCE\tOPERATION\tEVENT\tWHEN")
	for _, row := range r.EventOperation {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.Cloud, row.Model, row.Source, row.Operation, row.Event, row.condition())
	}
}

// condition is a row's if, each, also and when, as the spec writes them.
func (row *EventOpRow) condition() string {
	var parts []string
	if row.Also {
		parts = append(parts, "also")
	}
	if row.Each != "" {
		parts = append(parts, "each "+row.Each)
	}
	if row.If != "" {
		parts = append(parts, "if "+row.If)
	}
	if row.When != "" {
		parts = append(parts, row.When)
	}
	return strings.Join(parts, " ")
}

func (r *Report) modelEventText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "PROPERTY\tEVENT\tKIND")
	for _, row := range r.ModelEvent {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row.Property, row.Event, row.Kind)
	}
}

func (r *Report) thresholdText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "PROPERTY\tN-TH\tN-MAX")
	for _, row := range r.Thresholds {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", row.Property, row.Threshold, row.NMax)
	}
}

func (r *Report) modelNText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "PROPERTY\tCONFIGURATION\tN-CP")
	for _, row := range r.ModelN {
		n := fmt.Sprint(row.N)
		if row.N == 0 {
			n = "unreachable"
		}
		fmt.Fprintf(tw, "%s\t{%s}\t%s\n", row.Property, strings.Join(row.Configuration, ", "), n)
	}
}

func (r *Report) watchlistText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "PROPERTY\tWATCHLIST\tSCOPE\tELEMENTS\tRULE")
	for _, row := range r.PropertyWL {
		first := true
		line := func(rule string) {
			if first {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.Property, row.Watchlist, row.Scope, row.Elements, rule)
				first = false
				return
			}
			fmt.Fprintf(tw, "\t\t\t\t%s\n", rule)
		}
		for _, in := range row.Init {
			line("init " + in)
		}
		for _, u := range row.Updates {
			line(u)
		}
	}
}

func (r *Report) metricsText(tw *tabwriter.Writer) {
	fmt.Fprintln(tw, "METRIC\tMODEL\tUNIT\tTARGET\tREPORTED BY\tPOINT\tMISS COSTS")
	for _, row := range r.Metrics {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d level(s)\n", row.Metric, row.Model, row.Unit, row.Target, row.Event, row.Point, row.Penalty)
	}
}
