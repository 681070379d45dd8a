// Resolved instead of NOORMME in browser and edge bundles (see the package's
// export conditions). The import below cannot resolve on purpose: the build
// stops here, with this explanation in the error.
// eslint-disable-next-line import/no-unresolved
require('noormme: runs only in the Node.js server runtime (Server Components, Server Actions, route handlers). It was imported from a Client Component or an edge route: move the query to a Server Component or Server Action and pass plain data down, and remove runtime = edge');
