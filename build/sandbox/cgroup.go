package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runc creates a cgroup for every container. The sandbox names it after the
// run and reads the run's peak memory from it before deleting the container.
//
// With cgroup v1 (and the v1/v2 hybrid of Debian 12 and this project's
// machines) the path given to runc is relative, so runc nests the container
// inside the calling process's cgroup in every hierarchy, and a memory limit
// placed on the caller still applies to its builds. With a pure cgroup v2
// hierarchy it goes next to the caller's cgroup, as runc itself does for
// relative paths (a cgroup holding processes cannot have children with
// controllers).

// cgroupHier is one mounted cgroup hierarchy and the calling process's
// directory in it.
type cgroupHier struct {
	mount       string   // where the hierarchy is mounted
	rel         string   // the directory holding containers, relative to mount
	controllers []string // "cpuacct", "memory", "name=systemd"; empty for v2
}

type cgroupLayout struct {
	v2    bool
	hiers []cgroupHier
}

func detectCgroups() (*cgroupLayout, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/sys/fs/cgroup", &st); err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	const cgroup2Magic = 0x63677270
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	l := &cgroupLayout{v2: st.Type == cgroup2Magic}
	l.hiers = parseCgroupMounts(own, mountinfo)
	if len(l.hiers) == 0 {
		return nil, errors.New("cgroups: no cgroup hierarchy mounted")
	}
	return l, nil
}

// parseCgroupMounts matches the cgroup mounts in a mountinfo file with the
// process's cgroup paths from /proc/self/cgroup.
func parseCgroupMounts(procCgroup, mountinfo []byte) []cgroupHier {
	// controller set (sorted, comma-joined; "" for v2) → path
	own := map[string]string{}
	for _, line := range strings.Split(string(procCgroup), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		own[f[1]] = f[2]
	}
	var out []cgroupHier
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 >= len(fields) {
			continue
		}
		root, mnt, fstype, super := unescapeMount(fields[3]), unescapeMount(fields[4]), fields[sep+1], fields[sep+3]
		var key string
		var ctrls []string
		switch fstype {
		case "cgroup2":
			key = ""
		case "cgroup":
			for _, o := range strings.Split(super, ",") {
				switch o {
				case "rw", "ro", "clone_children", "noprefix", "xattr", "nsdelegate", "cpuset_v2_mode", "memory_recursiveprot", "favordynmods":
					continue
				}
				if strings.HasPrefix(o, "release_agent=") {
					continue
				}
				ctrls = append(ctrls, o)
			}
			key = strings.Join(ctrls, ",")
		default:
			continue
		}
		p, ok := own[key]
		if !ok {
			// /proc/self/cgroup lists controllers in the kernel's order;
			// try to match the set whatever the order.
			for k, v := range own {
				if sameSet(k, key) {
					p, ok = v, true
					break
				}
			}
			if !ok {
				continue
			}
		}
		// The mount may show only a subtree (inside a container).
		rel := p
		if root != "/" {
			rel = strings.TrimPrefix(p, root)
		}
		if fstype == "cgroup2" && procCgroupIsV2Only(own) {
			rel = path.Dir(rel)
		}
		out = append(out, cgroupHier{mount: mnt, rel: path.Clean("/" + rel), controllers: ctrls})
	}
	return out
}

func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	m := map[string]bool{}
	for _, x := range as {
		m[x] = true
	}
	for _, x := range bs {
		if !m[x] {
			return false
		}
	}
	return true
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// procCgroupIsV2Only reports whether the process lives in a pure cgroup v2
// hierarchy (a single "0::" line).
func procCgroupIsV2Only(own map[string]string) bool {
	_, ok := own[""]
	return ok && len(own) == 1
}

// runcPath is the cgroupsPath runc gets for container id.
func (l *cgroupLayout) runcPath(id string) string {
	if l.v2 {
		return path.Join(l.hiers[0].rel, id)
	}
	return id
}

// dirs returns the host directories of container id's cgroup in every
// hierarchy.
func (l *cgroupLayout) dirs(id string) []string {
	out := make([]string, 0, len(l.hiers))
	for _, h := range l.hiers {
		out = append(out, filepath.Join(h.mount, h.rel, id))
	}
	return out
}

// peakMemory reads the memory high-water mark of container id, 0 if the
// kernel does not keep one (cgroup v2 before Linux 5.19).
func (l *cgroupLayout) peakMemory(id string) (uint64, error) {
	for _, h := range l.hiers {
		dir := filepath.Join(h.mount, h.rel, id)
		if l.v2 {
			n, err := readUint(filepath.Join(dir, "memory.peak"))
			if errors.Is(err, fs.ErrNotExist) {
				return 0, nil
			}
			return n, err
		}
		if slices.Contains(h.controllers, "memory") {
			return readUint(filepath.Join(dir, "memory.max_usage_in_bytes"))
		}
	}
	return 0, nil
}

// remove deletes container id's cgroups in every hierarchy. Right after
// the last process of a cgroup is reaped the kernel may still hold it for a
// moment (EBUSY), so it retries briefly, as runc does.
func (l *cgroupLayout) remove(id string) error {
	var errs []error
	for _, d := range l.dirs(id) {
		var err error
		for delay := 100 * time.Microsecond; ; delay *= 2 {
			err = syscall.Rmdir(d)
			if !errors.Is(err, syscall.EBUSY) || delay > 50*time.Millisecond {
				break
			}
			time.Sleep(delay)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing cgroup %s: %w", d, err))
		}
	}
	return errors.Join(errs...)
}

func readUint(name string) (uint64, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
}
