// js-spin: a Spin 3 http-js style app that also imports fermyon:spin@2.0.0
// key-value and variables (declared in ../wit). Every route exercises one
// thing the host must do; the tests assert on these exact bodies.
import { AutoRouter } from 'itty-router';
import { Store } from 'fermyon:spin/key-value@2.0.0';
import { get as getVariable } from 'fermyon:spin/variables@2.0.0';
import { infer } from 'fermyon:spin/llm@2.0.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// errorTag renders a WIT error variant thrown by a host call.
function errorTag(e) {
  const p = e && e.payload;
  if (p && p.tag) {
    return p.val === undefined ? p.tag : `${p.tag}: ${p.val}`;
  }
  return String(e);
}

// bytes streams n bytes of 'x' in 64 KiB chunks, optionally pausing
// between chunks. Each chunk is a new array: the runtime takes ownership of
// what is enqueued.
function bytes(n, pauseMs) {
  let left = n;
  return new ReadableStream({
    async pull(controller) {
      if (left <= 0) {
        controller.close();
        return;
      }
      if (pauseMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
      const size = Math.min(left, 64 * 1024);
      controller.enqueue(new Uint8Array(size).fill(0x78));
      left -= size;
    },
  });
}

const router = AutoRouter();

router
  .get('/', () => new Response('js-spin\n'))
  // GET /kv/incr/:key: increments a counter in the "default" store.
  .get('/kv/incr/:key', ({ key }) => {
    let store;
    try {
      store = Store.open('default');
    } catch (e) {
      return new Response(`error: ${errorTag(e)}\n`, { status: 403 });
    }
    const old = store.get(key);
    const next = (old ? parseInt(decoder.decode(old), 10) : 0) + 1;
    store.set(key, encoder.encode(String(next)));
    return new Response(`${next}\n`);
  })
  // GET /kv/open/:label: opens a store by label, reporting the error tag.
  .get('/kv/open/:label', ({ label }) => {
    try {
      Store.open(label);
      return new Response('opened\n');
    } catch (e) {
      return new Response(`error: ${errorTag(e)}\n`, { status: 403 });
    }
  })
  .get('/kv/keys', () => new Response(Store.open('default').getKeys().sort().join('\n') + '\n'))
  // GET /var/:name: an application variable through the component's config.
  .get('/var/:name', ({ name }) => {
    try {
      return new Response(getVariable(name));
    } catch (e) {
      return new Response(`error: ${errorTag(e)}\n`, { status: 404 });
    }
  })
  // GET /fetch?url=…: outbound HTTP to url (default: the "upstream" variable).
  .get('/fetch', async (req) => {
    const url = new URL(req.url).searchParams.get('url') || getVariable('upstream');
    try {
      const resp = await fetch(url, { headers: { 'x-from': 'js-spin' } });
      const body = await resp.text();
      return new Response(`status=${resp.status}\n${body}`);
    } catch (e) {
      return new Response(`fetch failed: ${e}\n`, { status: 502 });
    }
  })
  // GET /big?mb=N: a streamed response of N MiB (default 50).
  .get('/big', (req) => {
    const mb = parseInt(new URL(req.url).searchParams.get('mb') || '50', 10);
    return new Response(bytes(mb * 1024 * 1024, 0), { headers: { 'content-type': 'application/octet-stream' } });
  })
  // GET /slow?chunks=N&ms=M: N chunks of 64 KiB, M ms apart.
  .get('/slow', (req) => {
    const q = new URL(req.url).searchParams;
    const chunks = parseInt(q.get('chunks') || '5', 10);
    return new Response(bytes(chunks * 64 * 1024, parseInt(q.get('ms') || '200', 10)));
  })
  // POST /echo: the request body, streamed back.
  .post('/echo', (req) => new Response(req.body, { headers: { 'content-type': 'application/octet-stream' } }))
  // GET /trap: a host call that fails (llm infer of a model the component
  // may not use: invalid-input), and the error escapes the handler → 500.
  .get('/trap', () => {
    infer('llama2-chat', 'trap');
    return new Response('not reached\n');
  })
  // GET /loop: never returns (the host must interrupt it).
  .get('/loop', () => {
    for (;;) {}
  });

addEventListener('fetch', (event) => {
  // GET /throw: an exception escapes the handler, past the router (which
  // would answer it with its own 500).
  if (new URL(event.request.url).pathname === '/throw') {
    throw new Error('js-spin: uncaught error');
  }
  event.respondWith(router.fetch(event.request));
});
