package mutate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// NormalizeImage returns an image reference with its registry spelled out,
// as the container runtime reads it (github.com/distribution/reference's
// ParseNormalizedNamed, which containerd and the kubelet use): a first
// path component with a dot or a colon, localhost, or one with an
// upper-case letter (a repository's path is lower case) is a registry;
// index.docker.io is docker.io; otherwise the image is on docker.io, and a
// single name there is under docker.io/library (nginx, docker.io/nginx
// and index.docker.io/nginx are all docker.io/library/nginx).
//
// It is that library's rule written out rather than called: every
// container of every pod is normalized on the admission path, and the
// library's parser matches the whole reference with regular expressions
// to validate it, which a rewrite of the registry does not need. An
// image it would refuse is normalized by the same rule: the kubelet
// cannot pull it, whatever it names. TestNormalizeImageAsTheRuntime holds
// the two to the same result.
func NormalizeImage(image string) string {
	first, rest, found := strings.Cut(image, "/")
	switch {
	case !found:
		return "docker.io/library/" + image
	case first == "docker.io" || first == "index.docker.io":
		if !strings.Contains(rest, "/") {
			return "docker.io/library/" + rest // an official image
		}
		return "docker.io/" + rest
	case namesRegistry(first):
		return image
	}
	return "docker.io/" + image
}

// namesRegistry reports whether first, a reference's first component,
// names a registry: it holds a dot or a colon (a host name, an address, a
// port), is localhost, or has an upper-case letter.
func namesRegistry(first string) bool {
	return first == "localhost" || strings.ContainsAny(first, ".:") || strings.ToLower(first) != first
}

// NormalizeRegistry returns the prefixes of normalized references
// (NormalizeImage) that prefix stands for, a registry or a repository's
// prefix as a platform writes one (isolation's allowedRegistries, a
// mirror's from); a trailing "/" means nothing. One whose first component
// names a registry is itself (index.docker.io is docker.io). Any other is
// on Docker Hub: team is docker.io/team, where the image team/app is, and,
// a single name, docker.io/library/team as well, where the image team:1
// is. So no prefix of Docker Hub stands for a registry: team does not for
// the image team:5000/app, of the registry team:5000. An empty prefix
// stands for none.
func NormalizeRegistry(prefix string) []string {
	switch a, b := registrySpellings(prefix); {
	case a == "":
		return nil
	case b == "":
		return []string{a}
	default:
		return []string{a, b}
	}
}

// registrySpellings is NormalizeRegistry without a slice: the second
// spelling is "" when there is one, both when there is none.
func registrySpellings(prefix string) (string, string) {
	prefix = strings.TrimSuffix(prefix, "/")
	first, rest, found := strings.Cut(prefix, "/")
	switch {
	case prefix == "":
		return "", ""
	case first == "docker.io" || first == "index.docker.io":
		if !found || rest == "" {
			return "docker.io", ""
		}
		return dockerHubSpellings(rest)
	case namesRegistry(first):
		return prefix, ""
	}
	return dockerHubSpellings(prefix)
}

// dockerHubSpellings is registrySpellings of path, a non-empty path on
// docker.io.
func dockerHubSpellings(path string) (string, string) {
	if strings.Contains(path, "/") {
		return "docker.io/" + path, ""
	}
	return "docker.io/" + path, "docker.io/library/" + path
}

// hasPrefix reports whether ref starts with prefix at a component
// boundary: docker.io/apache matches docker.io/apache/spark:3.5, not
// docker.io/apachefoo.
func hasPrefix(ref, prefix string) bool {
	if !strings.HasPrefix(ref, prefix) {
		return false
	}
	if len(ref) == len(prefix) {
		return true
	}
	switch ref[len(prefix)] {
	case '/', ':', '@':
		return true
	}
	return false
}

// MirrorImage rewrites image with the mirror whose from is the longest
// prefix of it, and reports which. The most specific prefix among all froms
// and all tos decides: an image whose longest match is a mirror's to is
// already mirrored and is left as it is, so rewriting is idempotent even
// when mirrors chain (a tie counts as mirrored).
func MirrorImage(image string, mirrors []v1alpha1.ImageMirror) (string, *v1alpha1.ImageMirror) {
	ref := NormalizeImage(image)
	var best *v1alpha1.ImageMirror
	longestTo := -1
	var bestFrom, bestTo string
	for i := range mirrors {
		m := &mirrors[i]
		// A trailing "/" is allowed and means nothing: docker.io/ is docker.io.
		to := strings.TrimSuffix(m.To, "/")
		if (hasPrefix(ref, to) || hasPrefix(image, to)) && len(to) > longestTo {
			longestTo = len(to)
		}
		// from as normalized references spell it: apache is docker.io/apache.
		a, b := registrySpellings(m.From)
		for _, from := range [2]string{a, b} {
			if from != "" && hasPrefix(ref, from) && (best == nil || len(from) > len(bestFrom)) {
				best, bestFrom, bestTo = m, from, to
			}
		}
	}
	if best == nil || longestTo >= len(bestFrom) {
		return image, nil
	}
	return bestTo + ref[len(bestFrom):], best
}

// renderImageMirrors rewrites the image of every container and init
// container (sidecars included), and the reference of every image volume,
// which the kubelet pulls as it pulls a container's image. It records each
// rewrite in provenance as spec.containers[name].image (or
// spec.initContainers[...], spec.volumes[name].image.reference), won by
// the source of the mirror, beating the source of the container or volume:
// the user, or the layer that gave it.
func renderImageMirrors(pod *corev1.Pod, c *v1alpha1.Config, prov *overlay.Provenance) {
	if len(c.ImageMirrors) == 0 {
		return
	}
	rewrite := func(key overlay.Key, image *string, from overlay.Source) {
		if *image == "" {
			return // no image to pull (an application that names none yet)
		}
		mirrored, m := MirrorImage(*image, c.ImageMirrors)
		if m == nil {
			return
		}
		winner := overlay.UserSource()
		if w, ok := prov.WinnerOf(overlay.ElementKey(overlay.PathImageMirrors, overlay.ImageMirrorKey(m))); ok {
			winner = w
		}
		prov.Derive(key, mirrored, winner, overlay.Contribution{Source: from, Value: *image})
		*image = mirrored
	}
	for i := range pod.Spec.InitContainers {
		ctr := &pod.Spec.InitContainers[i]
		rewrite(overlay.ElementKey(overlay.PathInitContainers, ctr.Name).WithSub("image"), &ctr.Image, containerSource(prov, ctr.Name))
	}
	for i := range pod.Spec.Containers {
		ctr := &pod.Spec.Containers[i]
		rewrite(overlay.ElementKey("spec.containers", ctr.Name).WithSub("image"), &ctr.Image, containerSource(prov, ctr.Name))
	}
	for i := range pod.Spec.Volumes {
		if v := &pod.Spec.Volumes[i]; v.Image != nil {
			rewrite(overlay.ElementKey(overlay.PathVolumes, v.Name).WithSub("image.reference"), &v.Image.Reference, volumeSource(prov, v.Name))
		}
	}
}

// volumeSource is who put the named volume in the pod: the layer that won
// its volumes entry, or the user.
func volumeSource(prov *overlay.Provenance, name string) overlay.Source {
	if w, ok := prov.WinnerOf(overlay.ElementKey(overlay.PathVolumes, name)); ok {
		return w
	}
	return overlay.UserSource()
}

// containerSource is who put the named container in the pod: the layer
// that won its sidecar or init container entry, or the user.
func containerSource(prov *overlay.Provenance, name string) overlay.Source {
	for _, base := range []string{overlay.PathSidecars, overlay.PathInitContainers} {
		if w, ok := prov.WinnerOf(overlay.ElementKey(base, name)); ok {
			return w
		}
	}
	return overlay.UserSource()
}
