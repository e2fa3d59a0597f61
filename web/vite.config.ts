// Builds the dashboard into web/dist, which the server serves at `/` (src/web/).
// `npm run dev:web` proxies the API to a server on :8787.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': 'http://localhost:8787', '/v1': 'http://localhost:8787' },
  },
});
