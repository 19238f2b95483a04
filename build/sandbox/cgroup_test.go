package sandbox

import (
	"slices"
	"testing"
)

func TestParseCgroupMounts(t *testing.T) {
	for _, tc := range []struct {
		name            string
		proc, mountinfo string
		want            []cgroupHier
		v2              bool
		runcPath        string
	}{
		{
			name: "v1/v2 hybrid (Debian 12 without systemd, this project's machines)",
			proc: "4:memory:/process_api/6420\n2:cpuacct:/\n1:cpu:/\n9:name=systemd:/\n0::/\n",
			mountinfo: `30 25 0:26 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
31 25 0:27 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 25 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 25 0:34 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
39 25 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
40 25 0:36 / /proc rw - proc proc rw
`,
			want: []cgroupHier{
				{mount: "/sys/fs/cgroup/cpu", rel: "/", controllers: []string{"cpu"}},
				{mount: "/sys/fs/cgroup/cpuacct", rel: "/", controllers: []string{"cpuacct"}},
				{mount: "/sys/fs/cgroup/memory", rel: "/process_api/6420", controllers: []string{"memory"}},
				{mount: "/sys/fs/cgroup/systemd", rel: "/", controllers: []string{"name=systemd"}},
				{mount: "/sys/fs/cgroup/unified", rel: "/"},
			},
			runcPath: "govix-1",
		},
		{
			name: "joint controllers in another order, inside a container",
			proc: "3:cpuacct,cpu:/docker/abc\n",
			mountinfo: `30 25 0:26 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
`,
			want: []cgroupHier{
				{mount: "/sys/fs/cgroup/cpu,cpuacct", rel: "/", controllers: []string{"cpu", "cpuacct"}},
			},
			runcPath: "govix-1",
		},
		{
			name: "pure v2: containers go next to the caller's cgroup",
			proc: "0::/user.slice/user-0.slice/session-1.scope\n",
			mountinfo: `29 24 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`,
			want: []cgroupHier{
				{mount: "/sys/fs/cgroup", rel: "/user.slice/user-0.slice"},
			},
			v2:       true,
			runcPath: "/user.slice/user-0.slice/govix-1",
		},
		{
			name:      "escaped mount point",
			proc:      "4:memory:/\n",
			mountinfo: `33 25 0:29 / /sys/fs/cgroup/my\040memory rw - cgroup cgroup rw,memory` + "\n",
			want:      []cgroupHier{{mount: "/sys/fs/cgroup/my memory", rel: "/", controllers: []string{"memory"}}},
			runcPath:  "govix-1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseCgroupMounts([]byte(tc.proc), []byte(tc.mountinfo))
			if !slices.EqualFunc(got, tc.want, func(a, b cgroupHier) bool {
				return a.mount == b.mount && a.rel == b.rel && slices.Equal(a.controllers, b.controllers)
			}) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			l := &cgroupLayout{v2: tc.v2, hiers: got}
			if p := l.runcPath("govix-1"); p != tc.runcPath {
				t.Errorf("runcPath = %q, want %q", p, tc.runcPath)
			}
		})
	}
}
