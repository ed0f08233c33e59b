package policy

import (
	"strings"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
)

// dependencyList is one list of what spark-submit resolves or hands the
// driver: a field of spec.deps, which the operator passes as a flag, and
// the Spark key that flag wins over, the whole list
// (SparkSubmitArguments.loadEnvironmentArguments).
type dependencyList struct {
	// Field is the field of spec.deps; Key the Spark setting.
	Field, Key string
	// of is the list as spec.deps holds it.
	of func(*sparkv1beta2.Dependencies) []string
	// local, when set, says what an entry local to spark-submit
	// (sparkvalue.SubmitterLocal) would make it do with the operator's
	// filesystem; an entry of a list without it is never local.
	local string
}

// dependencyLists are every list of spec.deps, in its order.
var dependencyLists = []dependencyList{
	{Field: "jars", Key: "spark.jars", local: localFileAdvice,
		of: func(d *sparkv1beta2.Dependencies) []string { return d.Jars }},
	{Field: "files", Key: "spark.files", local: localFileAdvice,
		of: func(d *sparkv1beta2.Dependencies) []string { return d.Files }},
	{Field: "pyFiles", Key: "spark.submit.pyFiles", local: localFileAdvice,
		of: func(d *sparkv1beta2.Dependencies) []string { return d.PyFiles }},
	{Field: "archives", Key: "spark.archives", local: localFileAdvice,
		of: func(d *sparkv1beta2.Dependencies) []string { return d.Archives }},
	{Field: "packages", Key: "spark.jars.packages",
		of: func(d *sparkv1beta2.Dependencies) []string { return d.Packages }},
	{Field: "excludePackages", Key: "spark.jars.excludes",
		of: func(d *sparkv1beta2.Dependencies) []string { return d.ExcludePackages }},
	{Field: "repositories", Key: "spark.jars.repositories", local: localRepositoryAdvice,
		of: func(d *sparkv1beta2.Dependencies) []string { return d.Repositories }},
}

// What an entry local to spark-submit is, with the operator, and how to
// name the application's own instead.
const (
	localFileAdvice       = operatorFile + "; name a file of the application's image local://, or a URI the driver fetches (s3a://, https://)"
	localRepositoryAdvice = "a repository where the operator submits: spark-submit would resolve the application's packages from the operator's filesystem; name a repository by its URL (https://)"
)

// listedUnder is the dependency list whose Spark key is key.
func listedUnder(key string) (dependencyList, bool) {
	for _, l := range dependencyLists {
		if l.Key == key {
			return l, true
		}
	}
	return dependencyList{}, false
}

// localEntries are the problems of the entries of a list local to
// spark-submit, each named by at(entry).
func (l dependencyList) localEntries(list string, at func(entry string) string) []string {
	if l.local == "" {
		return nil
	}
	var out []string
	for _, e := range sparkvalue.Files(list) {
		if sparkvalue.SubmitterLocal(e) {
			out = append(out, at(e)+": "+l.local)
		}
	}
	return out
}

// dependency is one list spark-submit resolves or hands the driver, as
// input.application.dependencies shows it.
type dependency struct {
	// Values are its entries, split at commas and trimmed as Spark splits
	// them.
	Values []string `json:"values"`
	// From is where it is written: spec.deps.<field>, or its Spark key
	// in spec.sparkConf.
	From string `json:"from"`
	// Source is the layer that gives the Spark key that value, or the
	// user; spec.deps is the user's.
	Source string `json:"source"`
	User   bool   `json:"user,omitempty"`
}

// dependenciesDocument is each list spark-submit will resolve or hand the
// driver, by spec.deps' field name: spec.deps' own when the application
// sets it (the flag wins), else its Spark key's in the composed
// sparkConf.
func dependenciesDocument(app *sparkv1beta2.SparkApplication, given *layerConf) map[string]dependency {
	out := map[string]dependency{}
	for _, l := range dependencyLists {
		if list := l.of(&app.Spec.Deps); len(list) > 0 {
			// The operator joins the list with commas, for spark-submit to
			// split; a layer's value of the key is written here.
			joined := strings.Join(list, ",")
			src, byLayer := given.source(l.Key, joined)
			if !byLayer {
				src = overlay.UserSource()
			}
			out[l.Field] = dependency{Values: listOf(sparkvalue.Files(joined)), From: "spec.deps." + l.Field,
				Source: src.String(), User: !byLayer}
			continue
		}
		value, ok := app.Spec.SparkConf[l.Key]
		if !ok {
			continue
		}
		src, byLayer := given.source(l.Key, value)
		if !byLayer {
			src = overlay.UserSource()
		}
		out[l.Field] = dependency{Values: listOf(sparkvalue.Files(value)), From: overlay.KeyPath("spec.sparkConf", l.Key),
			Source: src.String(), User: !byLayer}
	}
	return out
}

// listOf is s, an empty list rather than none: a list set empty is still
// the list spark-submit uses.
func listOf(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
