'use strict';
// Loads the native addon (through the napi-rs loader), turning a failure
// into an error that says what to do — in Next.js the usual cause is a
// bundled `noormme`, fixed by withNoormme() from 'noormme/next'.

const path = require('node:path');
const { NoormmeError } = require('./errors');

function load() {
  try {
    // Not a literal require: a bundler would pull the .node file into its
    // chunks and fail with an opaque error. Bundled, this path is missing at
    // run time, and the error below names the fix. (Output tracing still
    // follows path.join(__dirname, ...).)
    return require(path.join(__dirname, '..', 'native.js'));
  } catch (err) {
    const inNext = Boolean(process.env.NEXT_RUNTIME) || /[\\/]\.next[\\/]/.test(__dirname);
    const fix = inNext
      ? "Next.js bundled it: wrap next.config with withNoormme() from 'noormme/next' (it adds 'noormme' to serverExternalPackages), and ship node_modules with .next when you deploy."
      : `No build of the native addon for ${process.platform}-${process.arch} was found: install the matching noormme-${process.platform}-${process.arch} package, or run \`npm run build\` in a clone.`;
    throw new NoormmeError(`NOORMME's native addon could not be loaded. ${fix} (${err.message.split('\n')[0]})`, { code: 'NATIVE_ADDON_MISSING', cause: err });
  }
}

module.exports = load();
