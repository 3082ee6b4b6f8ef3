package main

import (
	"fmt"

	"io/fs"
	"os"
	"path/filepath"
	"pvsc.dev/pvsc/compiler"
	"sort"
	"strings"
)

// specDir checks a path names a spec unit: a directory or a .pvsc file.
func specDir(p string) (string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return filepath.Clean(p), nil
	}
	if !strings.HasSuffix(p, ".pvsc") {
		return "", fmt.Errorf("%s: not a directory or a .pvsc file", p)
	}
	return p, nil
}

// compileUnit compiles a spec directory, or one .pvsc file on its own.
func compileUnit(path string) (*compiler.Result, error) {
	if !strings.HasSuffix(path, ".pvsc") {
		return compiler.CompileDir(path)
	}
	return compiler.CompileFile(path)
}

// walkSpecDirs lists every directory below root that holds .pvsc files, skipping testdata.
func walkSpecDirs(root string) ([]string, error) {
	set := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".pvsc") {
			set[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("%s: no .pvsc files below it", root)
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}
