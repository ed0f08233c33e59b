package main

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-dev/strata/test/controlplane"
)

// waitForLayers waits until the webhook serves a snapshot with n layers.
func waitForLayers(ctx context.Context, cp *controlplane.ControlPlane, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s := cp.Webhook.Store.Load(); s != nil && s.LayerCount() >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the webhook did not load %d layers within 30s", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
