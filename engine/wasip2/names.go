package wasip2

// interfaceTable lists, per interface this host defines, its resource types
// and functions (component-model names), one interface a line:
// "interface|resource,…|function …". Functions the host does not implement
// are linked as traps naming the function, so a guest importing them still
// instantiates. Generated from the WASI 0.2.3 and fermyon:spin@2.0.0 WIT
// (the WASI versions raised to the 0.2.x this host defines), plus the
// unversioned fermyon:spin config, key-value, redis, postgres and mysql of
// componentized Spin 1.x modules, spin:postgres/postgres@3.0.0,
// wasi:config/store@0.2.0-draft-2024-09-27 and
// wasi:keyvalue@0.2.0-draft2. Imports in no line are stubbed per component
// (capi.Linker.DefineMissing).
const interfaceTable = `
wasi:io/error@0.2.6|error|[method]error.to-debug-string
wasi:io/poll@0.2.6|pollable|[method]pollable.ready [method]pollable.block poll
wasi:io/streams@0.2.6|input-stream,output-stream|[method]input-stream.read [method]input-stream.blocking-read [method]input-stream.skip [method]input-stream.blocking-skip [method]input-stream.subscribe [method]output-stream.check-write [method]output-stream.write [method]output-stream.blocking-write-and-flush [method]output-stream.flush [method]output-stream.blocking-flush [method]output-stream.subscribe [method]output-stream.write-zeroes [method]output-stream.blocking-write-zeroes-and-flush [method]output-stream.splice [method]output-stream.blocking-splice
wasi:clocks/monotonic-clock@0.2.6||now resolution subscribe-instant subscribe-duration
wasi:clocks/wall-clock@0.2.6||now resolution
wasi:random/insecure-seed@0.2.6||insecure-seed
wasi:random/insecure@0.2.6||get-insecure-random-bytes get-insecure-random-u64
wasi:random/random@0.2.6||get-random-bytes get-random-u64
wasi:filesystem/types@0.2.6|descriptor,directory-entry-stream|[method]descriptor.read-via-stream [method]descriptor.write-via-stream [method]descriptor.append-via-stream [method]descriptor.advise [method]descriptor.sync-data [method]descriptor.get-flags [method]descriptor.get-type [method]descriptor.set-size [method]descriptor.set-times [method]descriptor.read [method]descriptor.write [method]descriptor.read-directory [method]descriptor.sync [method]descriptor.create-directory-at [method]descriptor.stat [method]descriptor.stat-at [method]descriptor.set-times-at [method]descriptor.link-at [method]descriptor.open-at [method]descriptor.readlink-at [method]descriptor.remove-directory-at [method]descriptor.rename-at [method]descriptor.symlink-at [method]descriptor.unlink-file-at [method]descriptor.is-same-object [method]descriptor.metadata-hash [method]descriptor.metadata-hash-at [method]directory-entry-stream.read-directory-entry filesystem-error-code
wasi:filesystem/preopens@0.2.6||get-directories
wasi:sockets/network@0.2.6|network|
wasi:sockets/instance-network@0.2.6||instance-network
wasi:sockets/ip-name-lookup@0.2.6|resolve-address-stream|[method]resolve-address-stream.resolve-next-address [method]resolve-address-stream.subscribe resolve-addresses
wasi:sockets/tcp@0.2.6|tcp-socket|[method]tcp-socket.start-bind [method]tcp-socket.finish-bind [method]tcp-socket.start-connect [method]tcp-socket.finish-connect [method]tcp-socket.start-listen [method]tcp-socket.finish-listen [method]tcp-socket.accept [method]tcp-socket.local-address [method]tcp-socket.remote-address [method]tcp-socket.is-listening [method]tcp-socket.address-family [method]tcp-socket.set-listen-backlog-size [method]tcp-socket.keep-alive-enabled [method]tcp-socket.set-keep-alive-enabled [method]tcp-socket.keep-alive-idle-time [method]tcp-socket.set-keep-alive-idle-time [method]tcp-socket.keep-alive-interval [method]tcp-socket.set-keep-alive-interval [method]tcp-socket.keep-alive-count [method]tcp-socket.set-keep-alive-count [method]tcp-socket.hop-limit [method]tcp-socket.set-hop-limit [method]tcp-socket.receive-buffer-size [method]tcp-socket.set-receive-buffer-size [method]tcp-socket.send-buffer-size [method]tcp-socket.set-send-buffer-size [method]tcp-socket.subscribe [method]tcp-socket.shutdown
wasi:sockets/tcp-create-socket@0.2.6||create-tcp-socket
wasi:sockets/udp@0.2.6|udp-socket,incoming-datagram-stream,outgoing-datagram-stream|[method]udp-socket.start-bind [method]udp-socket.finish-bind [method]udp-socket.stream [method]udp-socket.local-address [method]udp-socket.remote-address [method]udp-socket.address-family [method]udp-socket.unicast-hop-limit [method]udp-socket.set-unicast-hop-limit [method]udp-socket.receive-buffer-size [method]udp-socket.set-receive-buffer-size [method]udp-socket.send-buffer-size [method]udp-socket.set-send-buffer-size [method]udp-socket.subscribe [method]incoming-datagram-stream.receive [method]incoming-datagram-stream.subscribe [method]outgoing-datagram-stream.check-send [method]outgoing-datagram-stream.send [method]outgoing-datagram-stream.subscribe
wasi:sockets/udp-create-socket@0.2.6||create-udp-socket
wasi:cli/environment@0.2.6||get-environment get-arguments initial-cwd
wasi:cli/exit@0.2.6||exit
wasi:cli/stdin@0.2.6||get-stdin
wasi:cli/stdout@0.2.6||get-stdout
wasi:cli/stderr@0.2.6||get-stderr
wasi:cli/terminal-input@0.2.6|terminal-input|
wasi:cli/terminal-output@0.2.6|terminal-output|
wasi:cli/terminal-stdin@0.2.6||get-terminal-stdin
wasi:cli/terminal-stdout@0.2.6||get-terminal-stdout
wasi:cli/terminal-stderr@0.2.6||get-terminal-stderr
wasi:http/types@0.2.6|fields,incoming-request,outgoing-request,request-options,response-outparam,incoming-response,incoming-body,future-trailers,outgoing-response,outgoing-body,future-incoming-response|[constructor]fields [static]fields.from-list [method]fields.get [method]fields.has [method]fields.set [method]fields.delete [method]fields.append [method]fields.entries [method]fields.clone [method]incoming-request.method [method]incoming-request.path-with-query [method]incoming-request.scheme [method]incoming-request.authority [method]incoming-request.headers [method]incoming-request.consume [constructor]outgoing-request [method]outgoing-request.body [method]outgoing-request.method [method]outgoing-request.set-method [method]outgoing-request.path-with-query [method]outgoing-request.set-path-with-query [method]outgoing-request.scheme [method]outgoing-request.set-scheme [method]outgoing-request.authority [method]outgoing-request.set-authority [method]outgoing-request.headers [constructor]request-options [method]request-options.connect-timeout [method]request-options.set-connect-timeout [method]request-options.first-byte-timeout [method]request-options.set-first-byte-timeout [method]request-options.between-bytes-timeout [method]request-options.set-between-bytes-timeout [static]response-outparam.set [method]incoming-response.status [method]incoming-response.headers [method]incoming-response.consume [method]incoming-body.stream [static]incoming-body.finish [method]future-trailers.subscribe [method]future-trailers.get [constructor]outgoing-response [method]outgoing-response.status-code [method]outgoing-response.set-status-code [method]outgoing-response.headers [method]outgoing-response.body [method]outgoing-body.write [static]outgoing-body.finish [method]future-incoming-response.subscribe [method]future-incoming-response.get http-error-code
wasi:http/outgoing-handler@0.2.6||handle
fermyon:spin/key-value@2.0.0|store|[static]store.open [method]store.get [method]store.set [method]store.delete [method]store.exists [method]store.get-keys
fermyon:spin/llm@2.0.0||infer generate-embeddings
fermyon:spin/mqtt@2.0.0|connection|[static]connection.open [method]connection.publish
fermyon:spin/mysql@2.0.0|connection|[static]connection.open [method]connection.query [method]connection.execute
fermyon:spin/postgres@2.0.0|connection|[static]connection.open [method]connection.query [method]connection.execute
fermyon:spin/rdbms-types@2.0.0||
fermyon:spin/redis@2.0.0|connection|[static]connection.open [method]connection.publish [method]connection.get [method]connection.set [method]connection.incr [method]connection.del [method]connection.sadd [method]connection.smembers [method]connection.srem [method]connection.execute
fermyon:spin/sqlite@2.0.0|connection|[static]connection.open [method]connection.execute
fermyon:spin/variables@2.0.0||get
wasi:config/store@0.2.0-draft-2024-09-27||get get-all
wasi:keyvalue/store@0.2.0-draft2|bucket|open [method]bucket.get [method]bucket.set [method]bucket.delete [method]bucket.exists [method]bucket.list-keys
wasi:keyvalue/atomics@0.2.0-draft2|cas|[static]cas.new [method]cas.current increment swap
wasi:keyvalue/batch@0.2.0-draft2||get-many set-many delete-many
fermyon:spin/config||get-config
fermyon:spin/key-value||open get set delete exists get-keys close
fermyon:spin/redis||publish get set incr del sadd smembers srem execute
spin:postgres/postgres@3.0.0|connection|[static]connection.open [method]connection.query [method]connection.execute
fermyon:spin/postgres||query execute
fermyon:spin/mysql||query execute
fermyon:spin/rdbms-types||
`
