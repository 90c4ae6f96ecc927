// Package runner runs a loaded app's triggers together, as the app process
// and `spinoci run` both do: HTTP on a listener (when the app serves HTTP,
// or has no other trigger), Redis and MQTT subscriptions until stopped, and
// command triggers once, whose status becomes the exit status.
package runner
