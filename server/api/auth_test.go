package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pvsc.dev/pvsc/runtime"
	"pvsc.dev/pvsc/specs/openstack"
)

// issue makes a certificate signed by parent (self-signed when parent is nil).
func issue(t *testing.T, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, serial int64) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return cert, key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600))
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := issue(t, "pvsc test CA", nil, nil, 1)
	srvCert, srvKey := issue(t, "pvsc", ca, caKey, 2)
	cliCert, cliKey := issue(t, "operator", ca, caKey, 3)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "srv.pem"), "CERTIFICATE", srvCert.Raw)
	k, _ := x509.MarshalECPrivateKey(srvKey)
	writePEM(t, filepath.Join(dir, "srv.key"), "EC PRIVATE KEY", k)
	tc, err := TLSConfig(filepath.Join(dir, "srv.pem"), filepath.Join(dir, "srv.key"), filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)

	e, err := runtime.New(openstack.Spec, nil, runtime.Options{})
	require.NoError(t, err)
	mw, err := AuthConfig{Mode: "mtls"}.Middleware()
	require.NoError(t, err)
	srv, err := New(Config{Engine: e, Auth: mw})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.TLS = tc
	ts.StartTLS()
	defer ts.Close()

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	client := func(withCert bool) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if withCert {
			cfg.Certificates = []tls.Certificate{{Certificate: [][]byte{cliCert.Raw}, PrivateKey: cliKey}}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	get := func(c *http.Client, path string) int {
		resp, err := c.Get(ts.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get(client(true), "/v1/properties"))
	assert.Equal(t, http.StatusUnauthorized, get(client(false), "/v1/properties"))
	assert.Equal(t, http.StatusOK, get(client(false), "/healthz"), "health needs no certificate")

	_, err = TLSConfig(filepath.Join(dir, "srv.pem"), filepath.Join(dir, "srv.key"), filepath.Join(dir, "srv.key"))
	assert.ErrorContains(t, err, "no PEM certificate in it")
}
