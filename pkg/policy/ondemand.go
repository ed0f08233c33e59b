package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/strata-dev/strata/policies"
)

// Platform parts on demand. Which containers and hostPath volumes of a
// Spark pod the layers injected (mutate.PlatformParts, input.injected and
// input.injectedVolumes) takes composing the pod a second time: a fifth of
// judging one. The built-in baseline is the only built-in policy that
// reads them, and it reads them only to leave the platform's parts out
// (not input.injected[c.name], not input.injectedVolumes[v.name]): marking more
// of a pod as the platform's can only take violations away, never add one
// (TestBaselineIsMonotoneInInjected holds it to that). So a pod judged with
// nothing marked as injected that breaks no rule of such a policy breaks
// none with its platform parts marked either, and they need not be
// computed; only a pod that does break one (a platform sidecar that is
// privileged, a hostPath volume a layer mounts) has them computed and is
// judged again (Check.Pod). TestPlatformOnDemandIsPlatform holds the
// verdicts to those of computing them always.

// injectedKeys are the input's keys that hold a pod's platform parts.
var injectedKeys = []string{"injected", "injectedVolumes"}

// platformReaders are the policies whose violations can depend on a pod's
// platform parts (those whose modules read input.injected or
// input.injectedVolumes, or the input whole), and onDemand whether they
// may be computed on demand: every such policy is built-in, every module
// of it the built-in one unchanged, and no policy refers to another's
// rules (a rule there could read the platform parts for it).
func platformReaders(mods []*ast.Module, sources []string) (readers map[string]bool, onDemand bool) {
	builtin := builtinSources()
	readers = map[string]bool{}
	byPolicy := map[string][]int{}
	onDemand = true
	for i, m := range mods {
		name, isPolicy := policyOf(m.Package.Path)
		if !isPolicy || !refersToItsPolicyOnly(m, name) {
			onDemand = false
			continue
		}
		byPolicy[name] = append(byPolicy[name], i)
		u := inputUseOf([]*ast.Module{m})
		for _, k := range injectedKeys {
			if u.needs(k) {
				readers[name] = true
			}
		}
	}
	for name := range readers {
		for _, i := range byPolicy[name] {
			if !builtin[sources[i]] {
				onDemand = false
			}
		}
	}
	return readers, onDemand
}

// builtinSources are the texts of the built-in policies' modules.
func builtinSources() map[string]bool {
	mods, err := LoadModules(policies.FS)
	if err != nil { // the embedded files: read at build time
		return nil
	}
	out := make(map[string]bool, len(mods))
	for _, src := range mods {
		out[src] = true
	}
	return out
}
