package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/policies"
)

// policyPoll is how often --policies DIR is read again.
const policyPoll = 5 * time.Second

// PolicyStore holds the compiled policies being served. With --policies
// DIR it rereads DIR every policyPoll and, when the files changed,
// compiles them; policies that do not compile are reported and the last
// good ones keep serving, as with layers.
type PolicyStore struct {
	current atomic.Pointer[policy.Engine]
	dir     string
	poll    time.Duration
	digest  [32]byte
	metrics *Metrics
	log     logr.Logger
}

// NewPolicyStore compiles the built-in policies, or those of dir.
func NewPolicyStore(ctx context.Context, dir string, m *Metrics, log logr.Logger) (*PolicyStore, error) {
	s := &PolicyStore{dir: dir, poll: policyPoll, metrics: m, log: log}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Load returns the engine being served.
func (s *PolicyStore) Load() *policy.Engine { return s.current.Load() }

func (s *PolicyStore) modules() (policy.Modules, [32]byte, error) {
	var mods policy.Modules
	var err error
	if s.dir == "" {
		mods, err = policy.LoadModules(policies.FS)
	} else {
		mods, err = policy.LoadDir(s.dir)
	}
	if err != nil {
		return nil, [32]byte{}, err
	}
	h := sha256.New()
	for _, f := range mods.Files() {
		_, _ = fmt.Fprintf(h, "%s\x00%s\x00", f, mods[f]) // a hash never fails to write
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return mods, d, nil
}

// reload compiles the policies if they changed; on error the engine being
// served stays.
func (s *PolicyStore) reload(ctx context.Context) error {
	mods, digest, err := s.modules()
	if err == nil && digest == s.digest && s.current.Load() != nil {
		return nil
	}
	var engine *policy.Engine
	if err == nil {
		engine, err = policy.NewEngine(ctx, mods)
	}
	if err != nil {
		s.metrics.policyErrors.Inc()
		return err
	}
	s.digest = digest
	s.current.Store(engine)
	s.log.Info("serving policies", "policies", engine.Policies(), "dir", s.dir)
	return nil
}

// Start polls --policies DIR until ctx is done; it returns at once for the
// built-in policies, which cannot change.
func (s *PolicyStore) Start(ctx context.Context) error {
	if s.dir == "" {
		return nil
	}
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.reload(ctx); err != nil && !errors.Is(err, fs.ErrNotExist) && !os.IsNotExist(err) {
				s.log.Error(err, "policies do not compile; the previous ones keep serving", "dir", s.dir)
			}
		}
	}
}
