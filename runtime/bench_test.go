package runtime_test

import (
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"sync"
	"testing"

	"pvsc.dev/pvsc/runtime"
)

// Benchmarks run no_bypass (the paper's property) on clouds of 10k, 100k and
// 1M ports, 10 ports per tenant: one network and subnet per tenant, half the
// ports bound to VMs.
var benchSizes = []int{10_000, 100_000, 1_000_000}

type benchCloud struct {
	e       *runtime.Engine
	tenants int
}

var (
	benchMu     sync.Mutex
	benchClouds = map[int]*benchCloud{}
)

func cloudOf(b *testing.B, ports int) *benchCloud {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if c, ok := benchClouds[ports]; ok {
		return c
	}
	e := engine(b, "../specs/openstack", runtime.Options{Properties: []string{"no_bypass"}})
	c := &benchCloud{e: e, tenants: ports / 10}
	must := func(event string, params P) {
		o, err := e.NewOp(event, params)
		if err != nil {
			b.Fatal(err)
		}
		if d := e.Process(&o); d.Err != nil {
			b.Fatal(d.Err)
		}
	}
	must("create_domain", P{"domain_id": "d"})
	for t := range c.tenants {
		tn := fmt.Sprint("t", t)
		must("create_tenant", P{"tenant_id": tn, "domain_id": "d"})
		must("create_network", P{"network_id": "n" + tn, "tenant_id": tn})
		must("create_subnet", P{"subnet_id": "s" + tn, "network_id": "n" + tn})
		for k := range 10 {
			port := fmt.Sprintf("p%s-%d", tn, k)
			must("create_port", P{"port_id": port, "subnet_id": "s" + tn, "tenant_id": tn})
			if k%2 == 1 {
				must("create_vm", P{"port_id": port, "vm_id": "vm" + port, "device_owner": "compute:nova"})
			}
		}
	}
	benchClouds[ports] = c
	return c
}

// ops binds n operations made by mk from random tenants and port numbers.
func ops(b *testing.B, e *runtime.Engine, n int, mk func(i int, tenant string, k int) (string, P)) []runtime.Op {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]runtime.Op, n)
	for i := range out {
		event, params := mk(i, fmt.Sprint("t", r.IntN(tenantsOf(e))), r.IntN(10))
		o, err := e.NewOp(event, params)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = o
	}
	return out
}

func tenantsOf(e *runtime.Engine) int {
	n, _ := e.Len("tenant")
	return n
}

// BenchmarkCriticalDecision decides update_port(device_owner=network:dhcp)
// on random ports, half bound to a VM (denied) and half free (allowed).
func BenchmarkCriticalDecision(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("ports=%d", size), func(b *testing.B) {
			c := cloudOf(b, size)
			batch := ops(b, c.e, 4096, func(_ int, tn string, k int) (string, P) {
				return "update_port", P{"port_id": fmt.Sprintf("p%s-%d", tn, k), "device_owner": "network:dhcp"}
			})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d := c.e.Decide(&batch[i&4095])
				if d.Len() == 0 {
					b.Fatal("no check")
				}
			}
		})
	}
}

// BenchmarkWatchlistEvent processes watchlist events: a port created, then deleted, in random tenants.
func BenchmarkWatchlistEvent(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("ports=%d", size), func(b *testing.B) {
			c := cloudOf(b, size)
			tenants := make([]string, 2048)
			batch := ops(b, c.e, 4096, func(i int, tn string, _ int) (string, P) {
				if i%2 == 0 {
					tenants[i/2] = tn
					return "create_port", P{"port_id": fmt.Sprint("bench-port-", i/2), "subnet_id": "s" + tn, "tenant_id": tn}
				}
				return "delete_port", P{"port_id": fmt.Sprint("bench-port-", i/2)}
			})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.e.Process(&batch[i&4095])
			}
			b.StopTimer()
			if i := b.N & 4095; i%2 == 1 { // leave no benchmark port behind
				c.e.Process(&batch[i])
			}
		})
	}
}

// BenchmarkTriggerEvent processes trigger events: a second subnet created, then deleted, in random tenants.
func BenchmarkTriggerEvent(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("ports=%d", size), func(b *testing.B) {
			c := cloudOf(b, size)
			batch := ops(b, c.e, 4096, func(i int, tn string, _ int) (string, P) {
				if i%2 == 0 {
					return "create_subnet", P{"subnet_id": fmt.Sprint("bench-subnet-", i/2), "network_id": "n" + tn}
				}
				return "delete_subnet", P{"subnet_id": fmt.Sprint("bench-subnet-", i/2)}
			})
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.e.Process(&batch[i&4095])
			}
			b.StopTimer()
			if i := b.N & 4095; i%2 == 1 {
				c.e.Process(&batch[i])
			}
		})
	}
}

// BenchmarkWatchlistInit builds every tenant's watchlist from the context,
// as after a snapshot load, and reports the bytes each watched element costs.
func BenchmarkWatchlistInit(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("ports=%d", size), func(b *testing.B) {
			c := cloudOf(b, size)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.e.InitWatchlists()
			}
			b.StopTimer()
			b.ReportMetric(bytesPerElement(c.e), "B/elem")
		})
	}
}

// bytesPerElement is the heap the watchlists take, per watched element.
func bytesPerElement(e *runtime.Engine) float64 {
	var before, after goruntime.MemStats
	e.DropWatchlists()
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	e.InitWatchlists()
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	_, elems := e.WatchlistSize()
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(elems)
}
