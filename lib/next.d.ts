/** Adds what Next.js needs to load NOORMME's native addon (serverExternalPackages). */
export declare function withNoormme<C extends { serverExternalPackages?: string[] }>(config?: C): C & { serverExternalPackages: string[] };
export declare function withNoormme<C extends { serverExternalPackages?: string[] }, A extends unknown[]>(
  config: (...args: A) => C | Promise<C>,
): (...args: A) => Promise<C & { serverExternalPackages: string[] }>;
