// Package redis is the Redis trigger: it subscribes to the channels of an
// app's Redis triggers and runs each message through the channel's
// components, each message in a fresh instance, one message at a time in
// the order received (as Spin does). Connection failures are
// logged and retried with exponential backoff; the trigger stops when its
// context ends, after the messages being handled are done.
package redis
