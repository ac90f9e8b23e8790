import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = process.env.TT_WEB_PACKAGE || path.resolve(here, '../../../build/web/web/package');

export default defineConfig({
  root: here,
  logLevel: 'warn',
  resolve: { alias: { 'ttsocket-web': pkg } },
  build: {
    outDir: process.env.TT_BUNDLE_OUT || path.resolve(here, '../../../build/web/bundle'),
    emptyOutDir: true,
    target: 'es2022',
  },
});
