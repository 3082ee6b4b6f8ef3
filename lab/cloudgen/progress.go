package cloudgen

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress draws a progress bar for a known amount of work. On a terminal it
// redraws one line; elsewhere it prints a line every tenth. A nil *Progress
// draws nothing, so generators take one unconditionally.
type Progress struct {
	w        io.Writer
	label    string
	total    int
	done     int
	tty      bool
	start    time.Time
	lastDraw time.Time
	lastTen  int
	now      func() time.Time
}

// NewProgress starts a bar of total units on w; tty says whether w is a terminal.
func NewProgress(w io.Writer, label string, total int, tty bool) *Progress {
	p := &Progress{w: w, label: label, total: max(total, 1), tty: tty, now: time.Now}
	p.start = p.now()
	return p
}

// Add records n more units done.
func (p *Progress) Add(n int) {
	if p == nil {
		return
	}
	p.done += n
	if p.tty {
		if t := p.now(); t.Sub(p.lastDraw) >= 100*time.Millisecond {
			p.lastDraw = t
			p.draw()
		}
		return
	}
	if ten := p.done * 10 / p.total; ten > p.lastTen && ten < 10 {
		p.lastTen = ten
		p.draw()
	}
}

// Done draws the final state and ends the line.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.done = p.total
	p.draw()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *Progress) draw() {
	const width = 30
	frac := float64(min(p.done, p.total)) / float64(p.total)
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	el := p.now().Sub(p.start).Round(100 * time.Millisecond)
	line := fmt.Sprintf("%s [%s] %3.0f%%  %d/%d  %s", p.label, bar, frac*100, min(p.done, p.total), p.total, el)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}
