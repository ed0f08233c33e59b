// Package median is the median of measurements, as the benchmark report,
// the load tool and the end-to-end benchmarks quote them.
package median

import "slices"

// Of is the median of v (the mean of the middle two for an even count);
// 0 for none. v is not changed.
func Of(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
