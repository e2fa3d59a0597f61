// Module hooks for `npm run bench -- NAME --compiled`: every module of src/ a benchmark imports
// (as .ts, through tsx) is loaded from its compiled build in dist/ instead, so the benchmark
// measures the code `npm start` runs. The benchmark's own files stay TypeScript.
let src;
let dist;

export function initialize(data) {
  src = data.src;
  dist = data.dist;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(src) || !resolved.url.endsWith('.ts')) return resolved;
  return { ...resolved, url: `${dist}${resolved.url.slice(src.length, -'.ts'.length)}.js`, format: 'module' };
}
