import path from 'node:path';
import type { NextConfig } from 'next';
import { withNoormme } from 'noormme/next';

const config: NextConfig = {
  // This app lives inside the noormme repository, which has its own lockfile.
  turbopack: { root: path.resolve('.') },
};

export default withNoormme(config);
