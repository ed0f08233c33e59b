package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	corev1 "k8s.io/api/core/v1"
)

// UnreadFieldsKey is the key, in the custom block of a policy file's
// package METADATA, listing the container fields the file never reads of
// input.pod:
//
//	# METADATA
//	# custom:
//	#   unread_container_fields: [env, args, command]
//	package strata.mine
//
// A field every file that reads input.pod declares unread is left out of
// every container of input.pod: converting a Spark pod's environment and
// mounts to OPA's values was half of converting the pod. A file that reads
// input.pod without declaring the field, or the input whole, gets it.
const UnreadFieldsKey = "unread_container_fields"

// unreadable are the container fields a policy file may declare unread,
// each with how it is left out: what a container carries for its own
// process, none of which the Pod Security Standards or isolation judge.
var unreadable = map[string]func(*corev1.Container){
	"args":         func(c *corev1.Container) { c.Args = nil },
	"command":      func(c *corev1.Container) { c.Command = nil },
	"env":          func(c *corev1.Container) { c.Env = nil },
	"envFrom":      func(c *corev1.Container) { c.EnvFrom = nil },
	"resources":    func(c *corev1.Container) { c.Resources = corev1.ResourceRequirements{} },
	"volumeMounts": func(c *corev1.Container) { c.VolumeMounts = nil },
	"workingDir":   func(c *corev1.Container) { c.WorkingDir = "" },
}

// unreadContainerFields are the fields every module of mods that reads
// input.pod declares unread, sorted; an unknown field, or a declaration
// that is not a list of names, is an error naming the file.
func unreadContainerFields(mods []*ast.Module) ([]string, error) {
	var common map[string]bool
	for _, m := range mods {
		declared, err := declaredUnread(m)
		if err != nil {
			return nil, err
		}
		if use := inputUseOf([]*ast.Module{m}); !use.needs("pod") {
			continue
		}
		if common == nil {
			common = declared
			continue
		}
		maps.DeleteFunc(common, func(name string, _ bool) bool { return !declared[name] })
	}
	return slices.Sorted(maps.Keys(common)), nil
}

// declaredUnread is what m's package METADATA declares unread.
func declaredUnread(m *ast.Module) (map[string]bool, error) {
	out := map[string]bool{}
	for _, a := range m.Annotations {
		v, ok := a.Custom[UnreadFieldsKey]
		if !ok || a.Scope != "package" {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("policy %s: METADATA custom.%s must be a list of container fields, not %v", m.Package.Location.File, UnreadFieldsKey, v)
		}
		for _, item := range list {
			name, ok := item.(string)
			if _, known := unreadable[name]; !ok || !known {
				return nil, fmt.Errorf("policy %s: METADATA custom.%s: %v is not a container field that can be left out; expected one of %s",
					m.Package.Location.File, UnreadFieldsKey, item, strings.Join(slices.Sorted(maps.Keys(unreadable)), ", "))
			}
			out[name] = true
		}
	}
	return out, nil
}

// podForPolicies is pod as the policies read it: without
// metadata.managedFields (the API server's record of which client last
// wrote each field, set on every CREATE before admission and as large as
// the spec it describes; bookkeeping no policy judges), and without the
// container fields in unread. pod is not changed: the copy is shallow but
// for the container lists it changes.
func podForPolicies(pod *corev1.Pod, unread []string) *corev1.Pod {
	if pod.ManagedFields == nil && len(unread) == 0 {
		return pod
	}
	out := *pod
	out.ManagedFields = nil
	if len(unread) == 0 {
		return &out
	}
	leaveOut := func(c *corev1.Container) {
		for _, name := range unread {
			unreadable[name](c)
		}
	}
	out.Spec.InitContainers = slices.Clone(pod.Spec.InitContainers)
	out.Spec.Containers = slices.Clone(pod.Spec.Containers)
	out.Spec.EphemeralContainers = slices.Clone(pod.Spec.EphemeralContainers)
	forEachContainer(&out, leaveOut)
	return &out
}

// forEachContainer calls fn with every container of pod: init, regular
// and ephemeral (whose fields are a container's, field for field).
func forEachContainer(pod *corev1.Pod, fn func(*corev1.Container)) {
	for i := range pod.Spec.InitContainers {
		fn(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		fn(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.EphemeralContainers {
		fn((*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}
