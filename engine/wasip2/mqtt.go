package wasip2

import (
	"errors"
	"time"

	"github.com/spinoci/spinoci/engine/capability/mqtt"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// MQTT is the component's outbound MQTT capability (*mqtt.Access).
type MQTT interface {
	Connections() *mqtt.Connections
}

// mqttConnections returns the Store's MQTT connections, made on first use
// and disconnected with the Store.
func (st *State) mqttConnections() *mqtt.Connections {
	if st.mqtt == nil {
		var access *mqtt.Access // denies every address
		if st.host.cfg.MQTT != nil {
			st.mqtt = st.host.cfg.MQTT.Connections()
		} else {
			st.mqtt = access.Connections()
		}
		st.table.push(tableCloser(st.mqtt.Close))
	}
	return st.mqtt
}

// mqttConnection is an open fermyon:spin/mqtt@2.0.0 connection.
type mqttConnection struct{ conn *mqtt.Conn }

func (c *mqttConnection) close() { c.conn.Close() }

// mqttError is the error variant of a capability error.
func mqttError(err error) capi.Val {
	var cf *mqtt.ConnectionFailed
	switch {
	case errors.Is(err, mqtt.ErrInvalidAddress):
		return capi.Err(capi.Variant{Case: "invalid-address"})
	case errors.Is(err, mqtt.ErrTooManyConnections):
		return capi.Err(capi.Variant{Case: "too-many-connections"})
	case errors.As(err, &cf):
		return capi.Err(capi.Variant{Case: "connection-failed", Val: capi.String(cf.Reason)})
	}
	return capi.Err(capi.Variant{Case: "other", Val: capi.String(err.Error())})
}

// mqttQoS are the cases of the qos enum, by mqtt.QoS.
var mqttQoS = map[capi.Enum]mqtt.QoS{"at-most-once": mqtt.AtMostOnce, "at-least-once": mqtt.AtLeastOnce, "exactly-once": mqtt.ExactlyOnce}

func argQoS(_ *State, v capi.Val) (mqtt.QoS, error) {
	e, ok := v.(capi.Enum)
	q, known := mqttQoS[e]
	if !ok || !known {
		return 0, mismatch("qos", v)
	}
	return q, nil
}

// spinMQTT is fermyon:spin/mqtt@2.0.0.
func spinMQTT() *iface {
	i := newIface("fermyon:spin/mqtt" + spinVersion)
	i.types["connection"] = tyMQTTConnection
	i.funcs["[static]connection.open"] = fn4(argString, argString, argString, argU64,
		func(st *State, address, username, password string, keepAliveSecs uint64) (results, error) {
			// MQTT's keep-alive is 16 bits of seconds.
			keepAlive := time.Duration(min(keepAliveSecs, 65535)) * time.Second
			conn, err := st.mqttConnections().Open(address, username, password, keepAlive)
			if err != nil {
				return one(mqttError(err))
			}
			return one(capi.Ok(st.own(tyMQTTConnection, &mqttConnection{conn: conn})))
		})
	i.funcs["[method]connection.publish"] = fn4(borrowed[*mqttConnection], argString, argBytes, argQoS,
		func(st *State, c *mqttConnection, topic string, payload []byte, qos mqtt.QoS) (results, error) {
			if err := c.conn.Publish(st.ctx, topic, payload, qos); err != nil {
				return one(mqttError(err))
			}
			return one(capi.Ok(nil))
		})
	return i
}
