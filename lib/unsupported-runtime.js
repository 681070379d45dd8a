// Resolved instead of NOORMME in browser and edge bundles (see the package's
// export conditions). The file required below does not exist on purpose: the
// build stops here, with this explanation in the error. Assigning its result
// keeps the exports dynamic, so bundlers report this, not a missing export.
module.exports = require('./NOORMME runs only in the Node.js server runtime (Server Components, Server Actions, route handlers). It was imported from a Client Component or an edge route. Query in a Server Component or Server Action and pass plain data down, and remove runtime = edge.');
