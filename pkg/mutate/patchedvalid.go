package mutate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay"
)

// invalidPatched is the first error the API server's validation of every
// pod finds in composed (the rendered pod) that it does not find so in
// written (the pod as its user wrote it): in composed's labels,
// annotations and pod-level fields (overlay.PodErrorsBeyond: DNS, host
// networking, affinity, topology spread, security context, volumes, ...),
// then in its containers, init containers first (overlay.ContainerErrors:
// resources, environment sources, ports, probes and hooks, security
// context, mounts). A layer's podPatch that writes dnsPolicy None without
// a dnsConfig, a limit below the user's request or a second handler into a
// probe would have every pod it matches refused, each in words that name
// no layer, and the dry run would call them allowed. Only a composition
// with pod patches is judged: every other value the layers give was judged
// when its Layer was applied. What is wrong with the written pod as
// written is left to the API server, as without Strata.
func invalidPatched(written, composed *corev1.Pod, patches []overlay.PodPatch) error {
	if len(patches) == 0 {
		return nil
	}
	fail := func(e *field.Error) error {
		return invalidComposition(fmt.Errorf("%s: the API server would refuse the pod as invalid (%s)", e.Error(), patchSources(patches)))
	}
	if errs := overlay.PodErrorsBeyond(written, composed); len(errs) > 0 {
		return fail(errs[0])
	}
	for _, list := range []struct {
		path       string
		containers []corev1.Container
		init       bool
	}{{"initContainers", composed.Spec.InitContainers, true}, {"containers", composed.Spec.Containers, false}} {
		for i := range list.containers {
			c := &list.containers[i]
			sidecar := !list.init || isNativeSidecar(c)
			errs := overlay.ContainerErrors(field.NewPath("spec", list.path).Key(c.Name), c, sidecar)
			if len(errs) == 0 {
				continue
			}
			had := map[string]bool{}
			if wc, ok := podContainer(written, c.Name); ok {
				for _, e := range overlay.ContainerErrors(field.NewPath("spec", list.path).Key(c.Name), wc.(*corev1.Container), sidecar) {
					had[e.Error()] = true
				}
			}
			for _, e := range errs {
				if !had[e.Error()] {
					return fail(e)
				}
			}
		}
	}
	return nil
}

// patchSources names the layers whose pod patches were applied: "the
// podPatch of NamespaceOverrides layer "x"", or of each of several.
func patchSources(patches []overlay.PodPatch) string {
	names := make([]string, len(patches))
	for i := range patches {
		names[i] = patches[i].Source.String()
	}
	if len(names) == 1 {
		return "the podPatch of " + names[0]
	}
	return "the podPatches of " + strings.Join(names, ", ")
}
