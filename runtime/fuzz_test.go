package runtime_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/specs/openstack"
)

// FuzzSnapshot feeds the snapshot loader, seeded with a real live snapshot and the shipped
// test snapshot: a broken or truncated one is refused whole with a SnapshotError or a clear
// error, never a panic, and a refused load leaves the context it had.
func FuzzSnapshot(f *testing.F) {
	for _, p := range []string{"../openstack/testdata/captured/pvsc-snapshot.json", "testdata/snapshot.json"} {
		if data, err := os.ReadFile(filepath.FromSlash(p)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"ports": [{"id": "p", "fixed_ips": [{"subnet_id": 7}]}]}`))
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	_, err = e.LoadSnapshot(bytes.NewReader([]byte(`{"domains": [{"id": "d"}], "projects": [{"id": "keep", "domain_id": "d"}]}`)), "base")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := e.LoadSnapshot(bytes.NewReader(data), "fuzz")
		if err == nil {
			_, err = e.LoadSnapshot(bytes.NewReader([]byte(`{"domains": [{"id": "d"}], "projects": [{"id": "keep", "domain_id": "d"}]}`)), "base")
			require.NoError(t, err)
			return
		}
		var se *runtime.SnapshotError
		if !errors.As(err, &se) {
			require.Contains(t, err.Error(), "fuzz", "the error names the snapshot: %v", err)
		}
		n, lerr := e.Len("tenant")
		require.NoError(t, lerr)
		require.Equal(t, 1, n, "a refused snapshot leaves the context as it was")
	})
}
