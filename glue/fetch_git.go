package glue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// git runs the git command and returns its standard output.
func runGit(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &gitError{args: args, err: err, stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.String(), nil
}

type gitError struct {
	args   []string
	err    error
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: %v: %s", strings.Join(e.args, " "), e.err, e.stderr)
}

func (e *gitError) Unwrap() error { return e.err }

// exitCode is the exit status of a failed git command, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// badGitRef matches ref names git refuses (Nix's badGitRefRegex).
var badGitRef = regexp.MustCompile(`//|^[./]|/\.|\.\.|[[:cntrl:][:space:]:?^~\[]|\\|\*|\.lock$|\.lock/|@\{|[/.]$|^@$|^$`)

// fetchGit fetches a git input as Nix 2.8's GitInputScheme::fetch: a
// local working tree without ref or rev may be dirty (its tracked files
// are copied then); otherwise the revision (the ref's tip by default:
// HEAD's branch locally, master remotely) is exported with git archive
// and added to the store.
func (g *Glue) fetchGit(ctx context.Context, in *input) (*fetchedTree, error) {
	rawURL, _ := in.str("url")
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("'%s' is not a valid URL: %w", rawURL, err)
	}
	ref, hasRef := in.str("ref")
	rev, hasRev := in.str("rev")
	if hasRef && badGitRef.MatchString(ref) {
		return nil, fmt.Errorf("invalid Git branch/tag name '%s'", ref)
	}
	if hasRev {
		if _, err := hex.DecodeString(rev); err != nil || len(rev) != 40 {
			return nil, fmt.Errorf("invalid Git revision '%s'", rev)
		}
	}
	shallow, submodules, allRefs := in.boolean("shallow"), in.boolean("submodules"), in.boolean("allRefs")
	name := in.name()

	isBare := u.Scheme == "file"
	if isBare {
		if _, err := os.Stat(filepath.Join(u.Path, ".git")); err == nil {
			isBare = false
		}
	}
	isLocal := u.Scheme == "file" && !isBare
	actual := rawURL
	if isLocal {
		actual = u.Path
	}

	// A local working tree without ref or rev: its tracked files as
	// they are, if it has changes.
	if !hasRef && !hasRev && isLocal {
		t, dirty, err := g.fetchDirtyGit(ctx, actual, name, submodules)
		if err != nil || dirty {
			return t, err
		}
	}

	if !hasRef {
		if isLocal {
			out, err := runGit(ctx, "-C", actual, "rev-parse", "--abbrev-ref", "HEAD")
			if err != nil {
				return nil, err
			}
			ref = strings.TrimSpace(out)
		} else {
			ref = "master"
		}
	}
	repo := actual
	if isLocal {
		if !hasRev {
			out, err := runGit(ctx, "-C", actual, "rev-parse", ref)
			if err != nil {
				return nil, err
			}
			rev = strings.TrimSpace(out)
		}
	} else {
		if repo, err = g.gitMirror(ctx, actual); err != nil {
			return nil, err
		}
		fetchRef := "refs/heads/" + ref
		switch {
		case allRefs:
			fetchRef = "refs/*"
		case strings.HasPrefix(ref, "refs/") || ref == "HEAD":
			fetchRef = ref
		}
		doFetch := true
		if hasRev {
			_, err := runGit(ctx, "-C", repo, "cat-file", "-e", rev)
			doFetch = err != nil
		}
		if doFetch {
			if _, err := runGit(ctx, "-C", repo, "fetch", "--quiet", "--force", "--", actual, fetchRef+":"+fetchRef); err != nil {
				return nil, fmt.Errorf("fetching Git repository '%s': %w", actual, err)
			}
		}
		if !hasRev {
			localRef := ref
			if !strings.HasPrefix(ref, "refs/") && ref != "HEAD" {
				localRef = "refs/heads/" + ref
			}
			out, err := runGit(ctx, "-C", repo, "rev-parse", localRef)
			if err != nil {
				return nil, err
			}
			rev = strings.TrimSpace(out)
		}
	}
	if out, err := runGit(ctx, "-C", repo, "rev-parse", "--is-shallow-repository"); err == nil && strings.TrimSpace(out) == "true" && !shallow {
		return nil, fmt.Errorf("'%s' is a shallow Git repository, but a non-shallow repository is needed", actual)
	}
	if _, err := runGit(ctx, "-C", repo, "cat-file", "commit", rev); err != nil {
		return nil, fmt.Errorf("cannot find Git revision '%s' in ref '%s' of repository '%s'! Please make sure that the rev exists on the ref you've specified or add allRefs = true; to fetchGit", rev, ref, actual)
	}

	key := cacheKey("git", rev, name, strconv.FormatBool(submodules))
	var info *fetchedTree
	if t := g.cachedFetch(ctx, key, true); t != nil {
		info = &fetchedTree{info: t}
	} else {
		tmp, err := os.MkdirTemp(g.opts.TempDir, "govix-git-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		root := filepath.Join(tmp, "tree")
		if submodules {
			err = checkoutWithSubmodules(ctx, repo, actual, rev, root)
		} else {
			err = gitArchive(ctx, repo, rev, root, tmp)
		}
		if err != nil {
			return nil, err
		}
		pi, err := g.addToStore(ctx, root, name, false)
		if err != nil {
			return nil, err
		}
		g.rememberFetch(key, pi, 0)
		info = &fetchedTree{info: pi}
	}
	info.rev = rev
	out, err := runGit(ctx, "-C", repo, "log", "-1", "--format=%ct", "--no-show-signature", rev)
	if err != nil {
		return nil, err
	}
	if info.lastModified, err = strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
		return nil, err
	}
	info.hasLastMod = true
	if !shallow {
		out, err := runGit(ctx, "-C", repo, "rev-list", "--count", rev)
		if err != nil {
			return nil, err
		}
		if info.revCount, err = strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
			return nil, err
		}
		info.hasRevCount = true
	}
	return info, nil
}

// fetchDirtyGit copies the tracked files of a local working tree that has
// uncommitted changes (or no commit at all). dirty is false (and nothing
// is fetched) for a clean tree.
func (g *Glue) fetchDirtyGit(ctx context.Context, dir, name string, submodules bool) (*fetchedTree, bool, error) {
	out, err := runGit(ctx, "-C", dir, "--git-dir=.git", "rev-parse", "--verify", "--no-revs", "HEAD^{commit}")
	hasHead := err == nil
	if err != nil {
		var ge *gitError
		switch {
		case errors.As(err, &ge) && strings.Contains(ge.stderr, "not a git repository"):
			return nil, false, fmt.Errorf("'%s' is not a Git repository", dir)
		case errors.As(err, &ge) && strings.Contains(ge.stderr, "Needed a single revision"):
		default:
			return nil, false, fmt.Errorf("getting the HEAD of the Git tree '%s' failed: %w", dir, err)
		}
	}
	_ = out
	if hasHead {
		args := []string{"-C", dir, "diff", "HEAD", "--quiet"}
		if !submodules {
			args = append(args, "--ignore-submodules")
		}
		_, err := runGit(ctx, append(args, "--")...)
		if err == nil {
			return nil, false, nil
		}
		if exitCode(err) != 1 {
			return nil, false, err
		}
	}
	g.warnf("Git tree '%s' is dirty", dir)
	args := []string{"-C", dir, "ls-files", "-z"}
	if submodules {
		args = append(args, "--recurse-submodules")
	}
	list, err := runGit(ctx, args...)
	if err != nil {
		return nil, false, err
	}
	tmp, err := os.MkdirTemp(g.opts.TempDir, "govix-git-*")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "tree")
	if err := os.Mkdir(root, 0o755); err != nil {
		return nil, false, err
	}
	for _, f := range strings.Split(list, "\x00") {
		if f == "" {
			continue
		}
		if err := copyEntry(filepath.Join(dir, f), filepath.Join(root, f)); err != nil {
			return nil, false, err
		}
	}
	info, err := g.addToStore(ctx, root, name, false)
	if err != nil {
		return nil, false, err
	}
	t := &fetchedTree{info: info, hasLastMod: true}
	if hasHead {
		out, err := runGit(ctx, "-C", dir, "log", "-1", "--format=%ct", "--no-show-signature", "HEAD")
		if err != nil {
			return nil, false, err
		}
		t.lastModified, _ = strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	}
	return t, true, nil
}

// copyEntry copies a tracked file or symlink (a deleted one is skipped)
// with its executable bit.
func copyEntry(src, dst string) error {
	fi, err := os.Lstat(src)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		t, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(t, dst)
	case fi.IsDir():
		// A submodule not checked out.
		return os.MkdirAll(dst, 0o755)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeFile(dst, in, fileMode(int64(fi.Mode().Perm())), fi.ModTime())
}

// gitMirror returns the bare repository that mirrors a remote one, making
// it if needed.
func (g *Glue) gitMirror(ctx context.Context, remote string) (string, error) {
	base := g.opts.CacheDir
	if base == "" {
		if g.gitTmp == "" {
			d, err := os.MkdirTemp(g.opts.TempDir, "govix-gitcache-*")
			if err != nil {
				return "", err
			}
			g.gitTmp = d
		}
		base = g.gitTmp
	}
	h := sha256.Sum256([]byte(remote))
	dir := filepath.Join(base, "git", hex.EncodeToString(h[:16]))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if _, err := runGit(ctx, "-c", "init.defaultBranch=__govix", "init", "--quiet", "--bare", dir); err != nil {
		return "", err
	}
	return dir, nil
}

// gitArchive exports revision rev of repo into dst.
func gitArchive(ctx context.Context, repo, rev, dst, tmp string) error {
	tarFile := filepath.Join(tmp, "archive.tar")
	f, err := os.Create(tarFile)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "archive", rev)
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("git archive %s: %w: %s", rev, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	return unpackArchive(ctx, tarFile, dst)
}

// checkoutWithSubmodules checks rev out with its submodules into dst, and
// removes the .git file.
func checkoutWithSubmodules(ctx context.Context, repo, origin, rev, dst string) error {
	gitDir := dst + ".git"
	steps := [][]string{
		{"-c", "init.defaultBranch=__govix", "init", "--quiet", dst, "--separate-git-dir", gitDir},
		{"-C", dst, "fetch", "--quiet", "--force", "--update-head-ok", "--", repo, "refs/*:refs/*"},
		{"-C", dst, "checkout", "--quiet", rev},
		{"-C", dst, "remote", "add", "origin", origin},
		{"-C", dst, "-c", "protocol.file.allow=always", "submodule", "--quiet", "update", "--init", "--recursive"},
	}
	for _, s := range steps {
		if _, err := runGit(ctx, s...); err != nil {
			return err
		}
	}
	return removeDotGit(dst)
}

// removeDotGit deletes the .git entries of a checkout (Nix filters them
// out when it adds the tree).
func removeDotGit(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.Name() == ".git" {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			continue
		}
		if e.IsDir() {
			if err := removeDotGit(p); err != nil {
				return err
			}
		}
	}
	return nil
}
