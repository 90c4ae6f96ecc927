// Package spinredis runs Spin 1.x Redis handler modules: core modules of
// the wit-bindgen 0.2 ABI exporting handle-redis-message(payload) ->
// expected<unit, error>, one fresh instance per message.
package spinredis
