// js-sdk2: an app written against the Spin 2-era JS SDK
// (@fermyon/spin-sdk@2.0.0: handler(req, res) with a ResponseBuilder, Kv,
// Variables), wired to the fetch event as that SDK's templates do.
import { ResponseBuilder, Kv, Variables } from '@fermyon/spin-sdk';

const decoder = new TextDecoder();

async function handler(req, res) {
  const path = new URL(req.url).pathname;
  if (path.endsWith('/kv')) {
    const store = Kv.openDefault();
    const old = store.get('counter');
    const next = (old ? parseInt(decoder.decode(old), 10) : 0) + 1;
    store.set('counter', String(next));
    res.send(`counter=${next}\n`);
    return;
  }
  if (path.endsWith('/var')) {
    const value = Variables.get('greeting');
    res.status(value === null ? 404 : 200);
    res.send(`greeting=${value}\n`);
    return;
  }
  res.set('content-type', 'text/plain');
  res.send(`hello from spin-sdk 2 ${req.method} ${path}\n`);
}

addEventListener('fetch', (event) => {
  let resolve;
  const response = new Promise((r) => {
    resolve = r;
  });
  event.respondWith(response);
  const res = new ResponseBuilder(resolve);
  handler(event.request, res).catch((e) => {
    console.error(`js-sdk2: ${e}`);
    resolve(new Response(`error: ${e}\n`, { status: 500 }));
  });
});
