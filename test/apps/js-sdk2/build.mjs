import { build } from 'esbuild';
await build({
  entryPoints: ['./src/index.js'],
  outfile: './build/bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  sourcemap: false,
  minify: false,
  external: ['wasi:*', 'fermyon:*', 'spin:*'],
});
