// Package command is the command trigger: it runs each of the app's
// command components once, in order, and reports the exit status (the
// first non-zero one), so that the container behaves as a batch job.
package command
