package runtime_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
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

// FuzzCheckpoint feeds checkpoint bodies with a valid checksum (so that the
// decoder, not the checksum, meets the damage): never a panic, and a refused
// one leaves the context as it was.
func FuzzCheckpoint(f *testing.F) {
	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(f, err)
	data, err := os.ReadFile("../openstack/testdata/captured/pvsc-snapshot.json")
	require.NoError(f, err)
	_, err = e.LoadSnapshot(bytes.NewReader(data), "captured")
	require.NoError(f, err)
	var ck bytes.Buffer
	require.NoError(f, e.WriteCheckpoint(&ck))
	f.Add(ck.Bytes()[:ck.Len()-4])
	tenants, _ := e.Len("tenant")
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	f.Fuzz(func(t *testing.T, body []byte) {
		in := append([]byte("PVSCCKPT"), bytes.TrimPrefix(body, []byte("PVSCCKPT"))...)
		in = binary.LittleEndian.AppendUint32(in, crc32.Checksum(in, castagnoli))
		if _, err := e.LoadSnapshot(bytes.NewReader(in), "fuzz"); err == nil {
			_, err = e.LoadSnapshot(bytes.NewReader(ck.Bytes()), "captured")
			require.NoError(t, err)
			return
		}
		n, _ := e.Len("tenant")
		require.Equal(t, tenants, n, "a refused checkpoint leaves the context as it was")
	})
}
