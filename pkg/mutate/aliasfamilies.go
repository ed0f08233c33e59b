package mutate

import (
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// aliasFamily is a typed map of a SparkApplication (or a list keyed by
// name) each entry of which the operator passes as its own Spark key,
// prefix+name, after spec.sparkConf: each entry is an alias of its key
// (spec.driver.serviceLabels.team is
// spark.kubernetes.driver.service.label.team). Which entries there are
// depends on the application and the layers, so a family makes its
// aliases on demand (aliasesOf).
type aliasFamily struct {
	// prefix is what the keys start with; the rest is the entry's name.
	prefix string
	// field is the typed field's path.
	field string
	// each calls f with the name of each entry s has; size is how many
	// there are.
	each func(s *sparkv1beta2.Spec, f func(name string))
	size func(s *sparkv1beta2.Spec) int
	// member is the alias of the entry named name.
	member func(name string) sparkAlias
}

// aliasFamilies are every family of the operator's typed fields: the
// roles' mounted Secrets, and the labels and annotations of the driver's
// Service. (A section's envSecretKeyRefs are its Spark container's
// variables, composed as the environment is: templatePod, projectPod.)
var aliasFamilies = sync.OnceValue(newAliasFamilies)

func newAliasFamilies() []aliasFamily {
	var out []aliasFamily
	for _, role := range Roles() {
		r := string(role)
		pod := func(s *sparkv1beta2.Spec) *sparkv1beta2.SparkPodSpec { return s.Pod(r) }
		secrets := func(s *sparkv1beta2.Spec) *[]sparkv1beta2.SecretInfo { return &pod(s).Secrets }
		out = append(out, aliasFamily{prefix: sparkSecretsPrefix(role), field: "spec." + r + ".secrets",
			each: func(s *sparkv1beta2.Spec, f func(string)) {
				for _, sec := range *secrets(s) {
					f(sec.Name)
				}
			},
			size: func(s *sparkv1beta2.Spec) int { return len(*secrets(s)) },
			member: func(name string) sparkAlias {
				return sparkAlias{key: sparkSecretsPrefix(role) + name, role: role,
					field: overlay.ElementPath("spec."+r+".secrets", name),
					// The last entry of the name is the key passed last.
					get: func(s *sparkv1beta2.Spec) (string, bool) {
						for _, sec := range slices.Backward(*secrets(s)) {
							if sec.Name == name {
								return sec.Path, true
							}
						}
						return "", false
					},
					// Every entry of the name mounts at v, its type kept; a
					// new entry needs no variable.
					set: func(s *sparkv1beta2.Spec, v string) bool {
						if v == "" {
							return false
						}
						found := false
						for i := range *secrets(s) {
							if sec := &(*secrets(s))[i]; sec.Name == name {
								sec.Path, found = v, true
							}
						}
						if !found {
							*secrets(s) = append(*secrets(s), sparkv1beta2.SecretInfo{Name: name, Path: v, Type: sparkv1beta2.SecretTypeGeneric})
						}
						return true
					},
					clear: func(s *sparkv1beta2.Spec) {
						*secrets(s) = nonEmptyList(slices.DeleteFunc(*secrets(s), func(sec sparkv1beta2.SecretInfo) bool { return sec.Name == name }))
					}}
			}})
	}
	service := func(prefix, field string, at func(s *sparkv1beta2.Spec) *map[string]string) aliasFamily {
		return aliasFamily{prefix: prefix, field: field,
			each: func(s *sparkv1beta2.Spec, f func(string)) {
				for name := range *at(s) {
					f(name)
				}
			},
			size: func(s *sparkv1beta2.Spec) int { return len(*at(s)) },
			member: func(name string) sparkAlias {
				return sparkAlias{key: prefix + name, role: v1alpha1.RoleDriver, field: overlay.KeyPath(field, name),
					get: func(s *sparkv1beta2.Spec) (string, bool) {
						v, ok := (*at(s))[name]
						return v, ok
					},
					set:   func(s *sparkv1beta2.Spec, v string) bool { *at(s) = setKey(*at(s), name, v); return true },
					clear: func(s *sparkv1beta2.Spec) { *at(s) = deleteEntry(*at(s), name) }}
			}}
	}
	return append(out,
		service("spark.kubernetes.driver.service.label.", "spec.driver.serviceLabels",
			func(s *sparkv1beta2.Spec) *map[string]string { return &s.Driver.ServiceLabels }),
		service("spark.kubernetes.driver.service.annotation.", "spec.driver.serviceAnnotations",
			func(s *sparkv1beta2.Spec) *map[string]string { return &s.Driver.ServiceAnnotations }))
}

// aliasesOf are the aliases of s: every alias of the table
// (sparkAliases), then, sorted by key, the alias of each entry of a family
// that s has, or that a key of s's sparkConf or of confs names.
func aliasesOf(s *sparkv1beta2.Spec, confs ...map[string]string) []sparkAlias {
	families := aliasFamilies()
	if !hasFamilyEntry(s, families, confs) {
		return sparkAliases() // read only, as every caller does
	}
	members := map[string]sparkAlias{}
	add := func(f *aliasFamily, name string) {
		if _, ok := members[f.prefix+name]; !ok && name != "" {
			members[f.prefix+name] = f.member(name)
		}
	}
	for i := range families {
		families[i].each(s, func(name string) { add(&families[i], name) })
	}
	for _, conf := range append(confs, s.SparkConf) {
		for k := range conf {
			for i := range families {
				if name, ok := strings.CutPrefix(k, families[i].prefix); ok {
					add(&families[i], name)
				}
			}
		}
	}
	out := slices.Clone(sparkAliases())
	for _, k := range slices.Sorted(maps.Keys(members)) {
		out = append(out, members[k])
	}
	return out
}

// hasFamilyEntry reports whether s has an entry of one of families, or
// its sparkConf or one of confs a key of theirs: whether aliasesOf has
// more than the table to give. It allocates nothing, so an application
// without any costs its composition nothing.
func hasFamilyEntry(s *sparkv1beta2.Spec, families []aliasFamily, confs []map[string]string) bool {
	for i := range families {
		if families[i].size(s) > 0 {
			return true
		}
	}
	hasKey := func(conf map[string]string) bool {
		for k := range conf {
			for i := range families {
				if strings.HasPrefix(k, families[i].prefix) {
					return true
				}
			}
		}
		return false
	}
	if hasKey(s.SparkConf) {
		return true
	}
	for _, conf := range confs {
		if hasKey(conf) {
			return true
		}
	}
	return false
}

// aliasOf is the alias of key, false when key has no typed field.
func aliasOf(key string) (sparkAlias, bool) {
	for _, a := range sparkAliases() {
		if a.key == key {
			return a, true
		}
	}
	for _, f := range aliasFamilies() {
		if name, ok := strings.CutPrefix(key, f.prefix); ok && name != "" {
			return f.member(name), true
		}
	}
	return sparkAlias{}, false
}

// deleteEntry is m without k; nil when nothing is left.
func deleteEntry[V any](m map[string]V, k string) map[string]V {
	delete(m, k)
	if len(m) == 0 {
		return nil
	}
	return m
}
