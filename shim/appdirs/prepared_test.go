package appdirs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/artifact"
)

// fakeSource writes an app directory holding an empty lock, or fails with
// err, and counts its calls.
type fakeSource struct {
	err   error
	calls int
}

func (s *fakeSource) MaterializeApp(_ context.Context, _, dir string, _ FileSources) error {
	s.calls++
	if s.err != nil {
		return s.err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "spin.lock"), []byte("{}"), 0o600)
}

// stateRoot moves the state root to a temporary directory and returns it.
func stateRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	t.Setenv(StateRootEnv, root)
	return root
}

// TestPrepare: Prepare materialises an app and records it for Create; when
// it cannot, it records nothing, so that Create materialises and reports;
// an ordinary image is recorded as such; a sandbox is never materialised.
func TestPrepare(t *testing.T) {
	sandbox := map[string]string{ContainerTypeAnnotation: ContainerTypeSandbox}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		err         error
		want        Prepared // what Create takes
	}{
		{name: "app", want: PreparedSpinApp},
		{name: "failure", err: errors.New("no such blob")},
		{name: "ordinary image", err: fmt.Errorf("artifact: %w: config media type x", artifact.ErrNotSpinApp), want: PreparedOrdinaryImage},
		{name: "sandbox", annotations: sandbox},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := stateRoot(t)
			bundle := t.TempDir()
			src := &fakeSource{err: tc.err}
			Prepare(t.Context(), src, bundle, tc.annotations, "ns", "web")
			wantCalls := 1
			if IsSandbox(tc.annotations) {
				wantCalls = 0
			}
			if src.calls != wantCalls {
				t.Errorf("materialised %d times, want %d", src.calls, wantCalls)
			}
			dir := filepath.Join(root, "apps", "ns", "web")
			got, err := os.ReadFile(filepath.Join(bundle, preparedAppFile))
			if tc.want == PreparedNothing && !os.IsNotExist(err) {
				t.Errorf("a prepared-app record was written (%q, %v)", got, err)
			}
			if took := TakePrepared(bundle, dir); took != tc.want {
				t.Errorf("Create takes %v, want %v", took, tc.want)
			}
			if _, err := os.Stat(filepath.Join(bundle, preparedAppFile)); !os.IsNotExist(err) {
				t.Errorf("the record is still there after Create took it (%v)", err)
			}
			if took := TakePrepared(bundle, dir); took != PreparedNothing {
				t.Errorf("a second Create takes %v, want nothing", took)
			}
		})
	}
}

// TestTakePreparedDistrustsRecords: a record naming another directory, or
// a directory without its lock, is not taken.
func TestTakePreparedDistrustsRecords(t *testing.T) {
	for name, spoil := range map[string]func(bundle, dir string){
		"other directory": func(bundle, _ string) {
			_ = os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte("/elsewhere"), 0o600)
		},
		"no lock": func(_, dir string) { _ = os.Remove(filepath.Join(dir, "spin.lock")) },
	} {
		t.Run(name, func(t *testing.T) {
			root := stateRoot(t)
			bundle := t.TempDir()
			Prepare(t.Context(), &fakeSource{}, bundle, nil, "ns", "web")
			dir := filepath.Join(root, "apps", "ns", "web")
			spoil(bundle, dir)
			if took := TakePrepared(bundle, dir); took != PreparedNothing {
				t.Errorf("took %v, want nothing", took)
			}
		})
	}
}

// TestUnclaimed: the delete action finds the directory of a task whose
// Create never came, only under the state root's apps/.
func TestUnclaimed(t *testing.T) {
	root := stateRoot(t)
	bundle := t.TempDir()
	if got := Unclaimed(bundle); got != "" {
		t.Errorf("no record: %q, want none", got)
	}
	Prepare(t.Context(), &fakeSource{}, bundle, nil, "ns", "web")
	if got, want := Unclaimed(bundle), filepath.Join(root, "apps", "ns", "web"); got != want {
		t.Errorf("Unclaimed = %q, want %s", got, want)
	}
	for _, bad := range []string{"/etc", filepath.Join(root, "apps"), filepath.Join(root, "apps", "..", "cache")} {
		if err := os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := Unclaimed(bundle); got != "" {
			t.Errorf("record %q: %q, want none", bad, got)
		}
	}
}
