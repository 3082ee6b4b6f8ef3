// Command pvsc-gen writes a spec directory's Go tables; go generate runs it. It is pvsc gen without
// the compiled-in specs, so that it builds even when the tables it is about to rewrite are stale.
package main

import (
	"fmt"
	"os"

	"pvsc.dev/pvsc/compiler"
	"pvsc.dev/pvsc/gen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pvsc-gen DIR")
		os.Exit(2)
	}
	res, err := compiler.CompileDir(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	path, wrote, err := gen.Write(res.Spec, gen.Target{Dir: os.Args[1]})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if wrote {
		fmt.Println("wrote", path)
	}
}
