package sandbox

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// writeRootfs creates the root directory of one run under bundle: an
// almost empty tree (runc creates the mount points it needs) with the
// /etc files Nix's sandbox writes. The root is mounted read-only, so
// nothing the build does lands here.
//
// Like Nix 2.8's sandbox without build users, where the builder's user
// namespace maps it to the host user that created these files, the root
// (mode 0750), /etc and its files belong to the sandbox user.
func writeRootfs(bundle string, s *Spec) (string, error) {
	root := filepath.Join(bundle, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return "", err
	}
	uid, gid := s.ids()
	home := s.buildDir()
	files := map[string]string{
		// The same users and groups as Nix 2.8's sandbox, so that programs
		// calling getpwuid or "id -gn" see a consistent system.
		"passwd": fmt.Sprintf("root:x:0:0:Nix build user:%s:/noshell\n"+
			"nixbld:x:%d:%d:Nix build user:%s:/noshell\n"+
			"nobody:x:65534:65534:Nobody:/:/noshell\n", home, uid, gid, home),
		"group": fmt.Sprintf("root:x:0:\nnixbld:!:%d:\nnogroup:x:65534:\n", gid),
	}
	if s.Network {
		// Name resolution from files and DNS only, with the host's
		// resolv.conf/services/hosts mounted on top (see ociSpec).
		files["nsswitch.conf"] = "hosts: files dns\nservices: files\n"
	} else {
		files["hosts"] = "127.0.0.1 localhost\n::1 localhost\n"
	}
	for name, content := range files {
		p := filepath.Join(root, "etc", name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return "", err
		}
		if err := os.Chown(p, int(uid), int(gid)); err != nil {
			return "", err
		}
	}
	for _, p := range []string{filepath.Join(root, "etc"), root} {
		if err := os.Chown(p, int(uid), int(gid)); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(root, 0o750); err != nil {
		return "", err
	}
	if err := makeMountParents(root, s, int(uid), int(gid)); err != nil {
		return "", err
	}
	return root, nil
}

// makeMountParents creates the directories of the root that lead to mount
// targets (/nix for /nix/store), owned by the sandbox user like the rest
// of the root; runc would create them owned by root. Mount points
// themselves are hidden by what is mounted on them.
func makeMountParents(root string, s *Spec, uid, gid int) error {
	targets := make([]string, 0, len(s.Mounts)+len(s.Tmpfs)+1)
	for _, m := range s.Mounts {
		targets = append(targets, m.Target)
	}
	targets = append(targets, s.Tmpfs...)
	if s.BinSh != "" {
		targets = append(targets, "/bin/sh")
	}
	covered := func(dir string) bool {
		for _, t := range targets {
			if dir == t || strings.HasPrefix(dir, t+"/") {
				return true
			}
		}
		return dir == "/proc" || dir == "/dev" || dir == "/tmp" || dir == "/etc" ||
			strings.HasPrefix(dir, "/proc/") || strings.HasPrefix(dir, "/dev/") ||
			strings.HasPrefix(dir, "/tmp/") || strings.HasPrefix(dir, "/etc/")
	}
	for _, t := range targets {
		for dir := path.Dir(t); dir != "/"; dir = path.Dir(dir) {
			if covered(dir) {
				continue
			}
			p := filepath.Join(root, dir)
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	return nil
}
