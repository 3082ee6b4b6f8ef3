// Command pvsc checks PVSC specs, prints and generates their tables, and runs the proactive verifier.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one pvsc subcommand; each lives in its own file and registers itself in init.
type command struct {
	name    string
	summary string
	usage   string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// exitError carries an exit status without another message (diagnostics were already printed).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pvsc: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(args[1:], stdout, stderr)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "pvsc %s: %v\n", c.name, err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pvsc: proactive verification of security compliance for clouds\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'pvsc <command> -h' for a command's flags.")
}

// newFlags makes a flag set that prints the command's usage and returns errors instead of exiting.
func newFlags(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pvsc "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: pvsc %s %s\n\n%s\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	return fs
}

// specDirs expands PATH arguments to spec units: a directory (all its .pvsc
// files form one spec), a single .pvsc file (a spec on its own), or DIR/...
// for every spec directory below DIR.
func specDirs(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("no spec path given")
	}
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, a := range args {
		if root, ok := strings.CutSuffix(a, "/..."); ok || a == "..." {
			if a == "..." {
				root = "."
			}
			dirs, err := walkSpecDirs(root)
			if err != nil {
				return nil, err
			}
			for _, d := range dirs {
				add(d)
			}
			continue
		}
		d, err := specDir(a)
		if err != nil {
			return nil, err
		}
		add(d)
	}
	return out, nil
}

// deprecated registers old as a former name of the flag now, warning whenever it is used.
func deprecated(fs *flag.FlagSet, old, now string) {
	f := fs.Lookup(now)
	fs.Func(old, "deprecated name of -"+now, func(v string) error {
		fmt.Fprintf(fs.Output(), "pvsc: -%s is deprecated; use -%s\n", old, now)
		return f.Value.Set(v)
	})
}

// registerCloudBlock registers -operations-block, which picks the operation blocks
// (`operations <name> for ...`) that map real operations; -cloud is its former name.
func registerCloudBlock(fs *flag.FlagSet, dst *string) {
	fs.StringVar(dst, "operations-block", "", "use only this operation block (`operations NAME for ...`)")
	deprecated(fs, "cloud", "operations-block")
}

// writeJSON writes v as indented JSON: what every --json and --format json prints.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
