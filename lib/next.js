'use strict';
// `withNoormme(nextConfig)`: what Next.js needs to run NOORMME. The native
// addon must be required from node_modules at run time, not bundled; Next.js
// does that for packages on serverExternalPackages (Turbopack and webpack,
// dev and production), and noormme is not on its built-in list.

function withNoormme(config = {}) {
  if (typeof config === 'function') {
    return async (...args) => withNoormme(await config(...args));
  }
  const external = new Set([...(config.serverExternalPackages ?? []), 'noormme']);
  return { ...config, serverExternalPackages: [...external] };
}

module.exports = { withNoormme };
