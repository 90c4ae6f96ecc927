// Package mqtt is the outbound MQTT host capability of Spin applications:
// the connections of fermyon:spin/mqtt@2.0.0 (publish with QoS 0, 1 or 2,
// on the Eclipse Paho client), with Spin's semantics and error kinds.
//
// An address is mqtt://host[:port]?client_id=… (mqtts:// for TLS;
// client_id is required and clean_session=true|false may follow, as in
// Spin). A component reaches only the endpoints its allowed_outbound_hosts
// allow ("mqtt://host:port"); another address fails as Spin's does, with
// connection-failed "address … is not permitted". Opening only checks the
// address, as in Spin: the broker is connected to at the first publish,
// whose failure is connection-failed with the reason.
//
// Connections belong to one guest instance (one request): at most
// MaxConnections at once, all disconnected when the instance ends.
// Connecting is bounded by ConnectTimeout and a publish (until the broker
// acknowledges it for QoS 1 and 2) by PublishTimeout.
package mqtt
