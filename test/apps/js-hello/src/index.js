import { AutoRouter } from 'itty-router';

let router = AutoRouter();

router
  .get('/', () => new Response('hello universe'))
  .get('/hello/:name', ({ name }) => `Hello, ${name}!`);

addEventListener('fetch', (event) => {
  event.respondWith(router.fetch(event.request));
});
