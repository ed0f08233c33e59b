package mutate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	psadmission "k8s.io/pod-security-admission/admission/api"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The API server's PodSecurity admission plugin judges every pod after all
// mutating webhooks, by the Pod Security Standards level its namespace's
// pod-security.kubernetes.io/enforce label names. A layer that injects
// what the level forbids (a sidecar that may escalate privileges, a
// hostPath volume) has every Spark pod of such a namespace refused by the
// plugin, in words that name no layer. Composition says which layer, and
// the composer predicts the plugin's verdict; both judge with
// k8s.io/pod-security-admission's own checks, the plugin's library.

// podSecurityChecks is the plugin's evaluator of the Pod Security
// Standards, made once: it is read-only.
var podSecurityChecks = sync.OnceValues(func() (psapolicy.Evaluator, error) {
	return psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
})

// PodSecurityEnforced is the Pod Security Standards level and version the
// plugin enforces on the pods of namespace, whose labels are nsLabels,
// read as the plugin reads them: the namespace's enforce labels, else the
// default of its configuration cfg (nil: the plugin's own, privileged); an
// unreadable level is restricted, an unreadable version latest. false when
// it enforces nothing there: privileged, or cfg exempts the namespace.
func PodSecurityEnforced(cfg *psadmission.PodSecurityConfiguration, namespace string, nsLabels map[string]string) (psaapi.LevelVersion, bool) {
	if cfg != nil && slices.Contains(cfg.Exemptions.Namespaces, namespace) {
		return psaapi.LevelVersion{}, false
	}
	p, _ := psaapi.PolicyToEvaluate(nsLabels, podSecurityDefaults(cfg))
	return p.Enforce, p.Enforce.Level != psaapi.LevelPrivileged
}

// PodSecurityExempts reports whether the plugin's configuration cfg exempts
// a pod of runtimeClass (nil for none) that user creates ("" when the
// creator is not known) from its checks, as it exempts RuntimeClasses and
// users.
func PodSecurityExempts(cfg *psadmission.PodSecurityConfiguration, runtimeClass *string, user string) bool {
	if cfg == nil {
		return false
	}
	return runtimeClass != nil && slices.Contains(cfg.Exemptions.RuntimeClasses, *runtimeClass) ||
		user != "" && slices.Contains(cfg.Exemptions.Usernames, user)
}

// podSecurityDefaults is the policy cfg gives a namespace without the
// plugin's labels: each level as the plugin reads a label, privileged
// where unset (the plugin's own default), restricted where unreadable,
// each version latest where unset or unreadable.
func podSecurityDefaults(cfg *psadmission.PodSecurityConfiguration) psaapi.Policy {
	var d psadmission.PodSecurityDefaults
	if cfg != nil {
		d = cfg.Defaults
	}
	lv := func(level, version string) psaapi.LevelVersion {
		out := psaapi.LevelVersion{Level: psaapi.LevelPrivileged, Version: psaapi.LatestVersion()}
		if level != "" {
			var err error
			if out.Level, err = psaapi.ParseLevel(level); err != nil {
				out.Level = psaapi.LevelRestricted
			}
		}
		if version != "" {
			if v, err := psaapi.ParseVersion(version); err == nil {
				out.Version = v
			}
		}
		return out
	}
	return psaapi.Policy{Enforce: lv(d.Enforce, d.EnforceVersion), Audit: lv(d.Audit, d.AuditVersion), Warn: lv(d.Warn, d.WarnVersion)}
}

// PodSecurityDenial is the plugin's refusal of pod at level lv, in its
// words (`violates PodSecurity "baseline:latest": host ports (8080)`);
// "" when pod meets lv.
func PodSecurityDenial(lv psaapi.LevelVersion, pod *corev1.Pod) (string, error) {
	failed, err := podSecurityFailures(lv, pod)
	if err != nil || len(failed) == 0 {
		return "", err
	}
	return podSecurityWords(lv, failed), nil
}

// podSecurityFailures are the checks pod fails at lv.
func podSecurityFailures(lv psaapi.LevelVersion, pod *corev1.Pod) ([]psapolicy.CheckResult, error) {
	eval, err := podSecurityChecks()
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	results := eval.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec)
	return slices.DeleteFunc(results, func(r psapolicy.CheckResult) bool { return r.Allowed }), nil
}

// podSecurityWords words failed checks as the plugin does.
func podSecurityWords(lv psaapi.LevelVersion, failed []psapolicy.CheckResult) string {
	agg := psapolicy.AggregateCheckResults(failed)
	return fmt.Sprintf("violates PodSecurity %q: %s", lv.String(), agg.ForbiddenDetail())
}

// podSecurityBreach is what composition broke of the Pod Security level
// a pod's namespace enforces.
type podSecurityBreach struct {
	level psaapi.LevelVersion
	// detail is the broken checks in the plugin's words.
	detail string
	// added names what the layers added that the checks judge, by layer.
	added []string
}

// podSecurityWarning is the warning of a composed pod that the namespace's
// enforced Pod Security level refuses where the pod as written (before) is
// not refused for the same reasons (podSecurityBreak). "" when composition
// broke nothing, or when the configuration the snapshot holds exempts the
// pod's namespace, its RuntimeClass or creator, the user who creates it
// ("" when not known: Result.WarningsFor leaves the warning out for an
// exempt user the webhook knows). The plugin refuses the pod itself,
// after every mutating webhook, unless its configuration exempts it, and
// the webhook may not have been given that configuration, so this warns,
// and never refuses.
func podSecurityWarning(snap *overlay.Snapshot, before *corev1.Pod, res *Result, creator string) (string, error) {
	b, err := podSecurityBreak(snap, before, res, creator)
	if err != nil || b == nil {
		return "", err
	}
	return fmt.Sprintf("Pod Security %q (enforced on namespace %q) is broken by what the layers added: %s; added: %s. "+
		"The API server's PodSecurity admission will refuse the pod unless its configuration exempts it",
		b.level.String(), before.Namespace, b.detail, strings.Join(b.added, ", ")), nil
}

// podSecurityBreak is what composition broke of the Pod Security level
// before's namespace enforces: the checks the composed pod fails that the
// pod as written passes, or fails for other containers, in the plugin's
// words, and what the layers added that they judge (layerAdditions). nil
// when the namespace enforces no level, the configuration exempts the
// composed pod or its creator ("" for not known), or composition broke no
// check.
func podSecurityBreak(snap *overlay.Snapshot, before *corev1.Pod, res *Result, creator string) (*podSecurityBreach, error) {
	lv, enforced := PodSecurityEnforced(snap.PodSecurity(), before.Namespace, snap.NamespaceLabels(before.Namespace))
	if !enforced || PodSecurityExempts(snap.PodSecurity(), res.Pod.Spec.RuntimeClassName, creator) {
		return nil, nil
	}
	after, err := podSecurityFailures(lv, res.Pod)
	if err != nil || len(after) == 0 {
		return nil, err
	}
	written, err := podSecurityFailures(lv, before)
	if err != nil {
		return nil, err
	}
	broken := slices.DeleteFunc(after, func(r psapolicy.CheckResult) bool {
		return slices.Contains(written, r) // failed as written, for the same containers
	})
	if len(broken) == 0 {
		return nil, nil
	}
	agg := psapolicy.AggregateCheckResults(broken)
	detail := agg.ForbiddenDetail()
	return &podSecurityBreach{level: lv, detail: detail, added: layerAdditions(before, res, detail)}, nil
}

// layerAdditions names what composition added to before that the broken
// checks' detail names, and the layer that added it: each container and
// volume before does not have whose name the detail quotes (the checks
// name the containers and volumes they fail on), then each pod patch
// applied, which may have changed anything. When that names nothing, all
// the containers and volumes added are named.
func layerAdditions(before *corev1.Pod, res *Result, detail string) []string {
	named := additions(before, res, func(name string) bool { return strings.Contains(detail, strconv.Quote(name)) })
	if len(named) == 0 {
		named = additions(before, res, func(string) bool { return true })
	}
	return named
}

// additions names what composition added to before, of the containers
// and volumes those whose name keep reports, and the pod patches.
func additions(before *corev1.Pod, res *Result, keep func(name string) bool) []string {
	prov := res.Composition.Provenance
	by := func(keys ...overlay.Key) string {
		for _, k := range keys {
			if w, ok := prov.WinnerOf(k); ok && !w.IsUser() {
				return " (" + w.String() + ")"
			}
		}
		return ""
	}
	had := func(list []corev1.Container, name string) bool {
		return slices.ContainsFunc(list, func(c corev1.Container) bool { return c.Name == name })
	}
	var out []string
	for _, c := range res.Pod.Spec.InitContainers {
		if keep(c.Name) && !had(before.Spec.InitContainers, c.Name) {
			kind := "init container"
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				kind = "sidecar"
			}
			out = append(out, fmt.Sprintf("%s %q%s", kind, c.Name,
				by(overlay.ElementKey(overlay.PathSidecars, c.Name), overlay.ElementKey(overlay.PathInitContainers, c.Name))))
		}
	}
	for _, c := range res.Pod.Spec.Containers {
		if keep(c.Name) && !had(before.Spec.Containers, c.Name) {
			out = append(out, fmt.Sprintf("container %q%s", c.Name, by(overlay.ElementKey(overlay.PathSidecars, c.Name))))
		}
	}
	for _, v := range res.Pod.Spec.Volumes {
		if keep(v.Name) && !slices.ContainsFunc(before.Spec.Volumes, func(b corev1.Volume) bool { return b.Name == v.Name }) {
			out = append(out, fmt.Sprintf("volume %q%s", v.Name, by(overlay.ElementKey(overlay.PathVolumes, v.Name))))
		}
	}
	for _, p := range res.Composition.PodPatches {
		out = append(out, "the pod patch of "+p.Source.String())
	}
	if len(out) == 0 {
		out = append(out, "nothing the pod did not have; the values of layers "+strings.Join(res.Composition.Layers, ", "))
	}
	return out
}
