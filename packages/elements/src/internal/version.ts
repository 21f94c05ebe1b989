/**
 * The version of this bundle (the package's). The server names its own in `Secure-Inbox-Version`; a bundle
 * and a server of different releases (a different major, or minor before 1.0) do not work together.
 */
export const bundleVersion = '0.1.0';

/** The releases that work together: the same major version, and before 1.0 the same minor. */
const series = (version: string) =>
  version
    .trim()
    .split('.')
    .slice(0, version.startsWith('0.') ? 2 : 1)
    .join('.');

/** Whether a server of version `server` speaks the API this bundle expects. */
export const compatible = (server: string, bundle = bundleVersion): boolean => series(server) === series(bundle);
