// Package quantity keeps Kubernetes resource quantities from input Strata
// does not control (a tenant's pod or SparkApplication, a watched pod, a
// Layer) cheap to parse, compare and sum.
//
// A quantity's exponent is unbounded, and resource.Quantity's arithmetic
// is exponential in it: parsing "1e-999999999" rounds it to nanos, and
// comparing or adding "1.5e999999999" aligns the two operands' scales,
// each with a power of ten of that exponent, which takes minutes and
// gigabytes. A tenant who could reach either would hold an admission's
// goroutine, and the webhook's CPU and memory, long past the request's
// deadline.
//
// Parse refuses such a string before Kubernetes parses it; Bounded and
// Clamp find and replace such a quantity, already parsed, at the cost of
// a float conversion, before it is compared or summed. For JSON not yet
// decoded (a review's pod, a Layer's pod patch, a Layer file), CheckJSON
// names the first quantity Parse would refuse by its path, reading what
// the Go type it decodes into makes a quantity; MayHoldUnbounded, a scan
// of the bytes, says when it need not run.
package quantity
