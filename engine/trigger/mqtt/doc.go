// Package mqtt is the MQTT trigger, as the spin-trigger-mqtt plugin runs
// it: it connects to the app's broker (address, username, password,
// keep-alive), subscribes to each trigger's topic with its QoS and runs
// every message through the topic's components, each in a fresh instance,
// one message at a time in the order received.
// The client reconnects (and resubscribes) by itself; the trigger stops
// when its context ends, after the messages being handled are done.
package mqtt
