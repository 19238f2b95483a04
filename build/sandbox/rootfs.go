package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeRootfs creates the root directory of one run under bundle: an
// almost empty tree (runc creates the mount points it needs) with the
// /etc files Nix's sandbox writes. The root is mounted read-only, so
// nothing the build does lands here.
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
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}
