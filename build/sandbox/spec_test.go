package sandbox

import "testing"

func TestValidate(t *testing.T) {
	ok := func() *Spec {
		return &Spec{Args: []string{"/bin/sh"}, Mounts: []Mount{{Source: "/x", Target: "/nix/store"}}}
	}
	if err := ok().validate(); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	for name, break_ := range map[string]func(*Spec){
		"no command":       func(s *Spec) { s.Args = nil },
		"env without =":    func(s *Spec) { s.Env = []string{"FOO"} },
		"relative dir":     func(s *Spec) { s.Dir = "build" },
		"unclean target":   func(s *Spec) { s.Mounts[0].Target = "/nix/../etc" },
		"relative source":  func(s *Spec) { s.Mounts[0].Source = "x" },
		"root":             func(s *Spec) { s.Mounts[0].Target = "/" },
		"proc":             func(s *Spec) { s.Mounts[0].Target = "/proc/sys" },
		"dev":              func(s *Spec) { s.Mounts[0].Target = "/dev/kvm" },
		"etc":              func(s *Spec) { s.Mounts[0].Target = "/etc" },
		"passwd":           func(s *Spec) { s.Mounts[0].Target = "/etc/passwd" },
		"tmp":              func(s *Spec) { s.Tmpfs = []string{"/tmp"} },
		"twice":            func(s *Spec) { s.Tmpfs = []string{"/nix/store"} },
		"bin/sh twice":     func(s *Spec) { s.BinSh = "/bin/busybox"; s.Mounts[0].Target = "/bin/sh" },
		"device not /dev":  func(s *Spec) { s.Devices = []string{"/kvm"} },
		"negative timeout": func(s *Spec) { s.Timeout = -1 },
	} {
		s := ok()
		break_(s)
		if err := s.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	s := ok()
	s.Mounts = append(s.Mounts, Mount{Source: "/etc/ssl/certs", Target: "/etc/ssl/certs"}, Mount{Source: "/y", Target: "/tmp/x"})
	if err := s.validate(); err != nil {
		t.Errorf("mounts below /etc and /tmp: %v", err)
	}
}
