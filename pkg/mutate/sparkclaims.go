package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// SparkClaim is a PersistentVolumeClaim Spark creates for each pod of a
// role from its configuration: a volume
// spark.kubernetes.<role>.volumes.persistentVolumeClaim.<name> with a
// mount path, a claim name (OnDemand, or one of its own) and both
// options.storageClass and options.sizeLimit, which Spark's
// MountVolumesFeatureStep makes a claim requesting that size of storage,
// created before the pod (by spark-submit for the driver, by the driver
// for each executor). The API server's LimitRanger plugin judges its
// creation by the PersistentVolumeClaim items of the namespace's
// LimitRanges, and refuses it in words that name no layer and no key: a
// driver never submitted, or an application that never gets executors.
type SparkClaim struct {
	// Role is the role of the pods the claim is for.
	Role v1alpha1.Role
	// Volume is the volume's name in the keys.
	Volume string
	// Size is options.sizeLimit, as written.
	Size string
	// StorageClass is options.storageClass, the claim's class.
	StorageClass string
}

// sparkClaimType is the volume type of a claim in Spark's keys.
const sparkClaimType = "persistentVolumeClaim"

// SizeKey is the key that sizes c.
func (c SparkClaim) SizeKey() string {
	return "spark.kubernetes." + string(c.Role) + ".volumes." + sparkClaimType + "." + c.Volume + ".options.sizeLimit"
}

// String names c as its refusals are led: `the PersistentVolumeClaim
// Spark creates for volume "spill"
// (spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.sizeLimit=500Gi)`.
func (c SparkClaim) String() string {
	return fmt.Sprintf("the PersistentVolumeClaim Spark creates for volume %q (%s=%s)", c.Volume, c.SizeKey(), c.Size)
}

// SparkClaims are the claims Spark creates for role's pods with conf (the
// job's effective configuration, or a composition's), in volume name
// order. A volume Spark refuses (no mount path or claim name, or a size
// of bare digits under 1 KiB, which Spark takes for a missing unit)
// launches nothing and creates no claim; neither does one without a
// storage class or a size, whose claim must exist already.
func SparkClaims(conf map[string]string, role v1alpha1.Role) []SparkClaim {
	prefix := "spark.kubernetes." + string(role) + ".volumes." + sparkClaimType + "."
	byVolume := map[string]map[string]string{}
	for k, v := range conf {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		name, prop, ok := strings.Cut(rest, ".")
		if !ok || name == "" {
			continue
		}
		if byVolume[name] == nil {
			byVolume[name] = map[string]string{}
		}
		byVolume[name][prop] = v
	}
	var out []SparkClaim
	for _, name := range slices.Sorted(maps.Keys(byVolume)) {
		props := byVolume[name]
		_, mounted := props["mount.path"]
		_, named := props["options.claimName"]
		class, classed := props["options.storageClass"]
		size, sized := props["options.sizeLimit"]
		if !mounted || !named || !classed || !sized || sparkRefusesSize(size) {
			continue
		}
		out = append(out, SparkClaim{Role: role, Volume: name, Size: size, StorageClass: class})
	}
	return out
}

// sparkRefusesSize reports whether Spark refuses a volume's size: bare
// digits under 1024 (KubernetesVolumeUtils.verifySize), or more than a
// long holds.
func sparkRefusesSize(size string) bool {
	if size == "" || strings.Trim(size, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseInt(size, 10, 64)
	return err != nil || n < 1024
}

// Storage is the storage c requests: its size as the API server reads
// it; an error when it is no quantity, and no claim can be created.
func (c SparkClaim) Storage() (resource.Quantity, error) {
	q, err := quantity.Parse(c.Size)
	if err != nil {
		return resource.Quantity{}, fmt.Errorf("%s: its size %q is no quantity: %w", c, c.Size, err)
	}
	return q, nil
}

// ClaimRefusals returns the reasons the LimitRanger plugin refuses the
// creation of c in a namespace of ranges, in its words (Container is
// empty): each PersistentVolumeClaim item's min and max of each resource,
// in resource name order, against the claim's requests (its storage, its
// only one). The plugin names only the first LimitRange the claim
// breaks; every reason of every LimitRange is returned here. A claim
// whose size is no quantity (Storage) has none.
func ClaimRefusals(ranges []*corev1.LimitRange, c SparkClaim) []LimitRefusal {
	size, err := c.Storage()
	if err != nil {
		return nil
	}
	requests := corev1.ResourceList{corev1.ResourceStorage: size}
	var out []LimitRefusal
	for _, lr := range ranges {
		for i := range lr.Spec.Limits {
			item := &lr.Spec.Limits[i]
			if item.Type != corev1.LimitTypePersistentVolumeClaim {
				continue
			}
			for _, reason := range claimBoundReasons(item, requests) {
				out = append(out, LimitRefusal{LimitRange: lr.Name, Reason: reason})
			}
		}
	}
	return out
}

// claimBoundReasons are the reasons requests break a
// PersistentVolumeClaim item's min and max: a claim's limits are not
// judged, only what it requests.
func claimBoundReasons(item *corev1.LimitRangeItem, requests corev1.ResourceList) []string {
	var out []string
	kind := string(item.Type)
	for _, name := range sortedResourceNames(item.Min) {
		switch o := observe(name, item.Min[name], requests, nil); {
		case !o.requested:
			out = append(out, fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", name, kind, o.bound.String()))
		case o.r < o.b:
			out = append(out, fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", name, kind, o.bound.String(), o.req.String()))
		}
	}
	for _, name := range sortedResourceNames(item.Max) {
		switch o := observe(name, item.Max[name], requests, nil); {
		case !o.requested:
			out = append(out, fmt.Sprintf("maximum %s usage per %s is %s.  No request is specified", name, kind, o.bound.String()))
		case o.r > o.b:
			out = append(out, fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", name, kind, o.bound.String(), o.req.String()))
		}
	}
	return out
}

// claimRefusals are why the claims Spark creates for role's pods with
// conf cannot be created in namespace, as snap holds it: a size that is
// no quantity, ClaimRefusals of its LimitRanges, and UncoveredClaimRefusals
// of its ResourceQuotas as the plugin's configuration limits claims, each
// led by the claim.
func claimRefusals(snap *overlay.Snapshot, namespace string, conf map[string]string, role v1alpha1.Role) []string {
	var out []string
	ranges, quotas, limited := snap.LimitRanges(namespace), snap.ResourceQuotas(namespace), snap.LimitedResources()
	for _, c := range SparkClaims(conf, role) {
		if _, err := c.Storage(); err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, r := range ClaimRefusals(ranges, c) {
			out = append(out, c.String()+": "+r.String())
		}
		for _, r := range UncoveredClaimRefusals(limited, quotas, c) {
			out = append(out, c.String()+": "+r.String())
		}
	}
	return out
}

// claimWarning warns that the API server will refuse, in namespace as
// snap holds it, claims Spark creates for role's pods with conf: claimRefusals,
// as the creator of the application is told; "" when it creates none it
// refuses.
func claimWarning(snap *overlay.Snapshot, conf map[string]string, role v1alpha1.Role, namespace string) string {
	refused := claimRefusals(snap, namespace, conf, role)
	if len(refused) == 0 {
		return ""
	}
	return fmt.Sprintf("the claims it creates: In namespace %q the API server will refuse %s", namespace, strings.Join(refused, "; "))
}
