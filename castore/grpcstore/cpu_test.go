package grpcstore_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures the CPU time the process (client and server alike)
// spends, which says more than wall time on a busy machine.
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{cpuNow()} }

// report adds the CPU time per operation and, for byte benchmarks, the
// megabytes moved per CPU second.
func (m cpuMeter) report(b *testing.B, bytesPerOp int64) {
	cpu := cpuNow() - m.start
	n := b.N
	if n == 0 {
		return
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(n)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}
