package graph

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestParallelBuildsUseEveryCore builds 20 independent derivations that
// each burn CPU, with the default number of jobs, and checks that builds
// ran at the same time (at least one per core); it logs how busy the
// cores were (CPU time of the builds over wall time times cores).
func TestParallelBuildsUseEveryCore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	expr := fmt.Sprintf(`let bb = builtins.path { path = %s; name = "busybox"; }; in
		builtins.genList (i: derivation {
			name = "busy-${toString i}"; system = "x86_64-linux"; builder = "${bb}/busybox";
			args = [ "sh" "-c" "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo $i > $out" ];
		}) 20`, f.bbdir)
	drvs := f.instantiate(t, expr)
	var mu sync.Mutex
	running, most := 0, 0
	b := f.builder(Options{Events: func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case Started:
			running++
			most = max(most, running)
		case Built, Failed:
			running--
		}
	}})
	var targets []Target
	for _, d := range drvs {
		targets = append(targets, Target{Drv: d})
	}
	start := time.Now()
	report, err := b.Build(ctx, targets, false)
	wall := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Built) != 20 {
		t.Fatalf("built %d of 20", len(report.Built))
	}
	var cpu time.Duration
	for _, as := range report.Attempts {
		for _, a := range as {
			cpu += a.CPU()
		}
	}
	cores := runtime.NumCPU()
	t.Logf("20 builds in %v, %v of CPU in the builds: %.0f%% of %d cores; at most %d at once",
		wall.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/(wall.Seconds()*float64(cores)), cores, most)
	if most < cores {
		t.Errorf("at most %d builds ran at once on %d cores", most, cores)
	}
}
