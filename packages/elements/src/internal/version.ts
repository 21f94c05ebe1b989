/**
 * The version of this bundle (the package's). The server names its own in `Secure-Inbox-Version`; a bundle
 * and a server of different releases (a different major, or minor before 1.0) do not work together.
 */
export const bundleVersion = '0.1.0';

/** Whether a server of version `server` speaks the API this bundle expects. */
export function compatible(server: string, bundle = bundleVersion): boolean {
  const [serverMajor, serverMinor] = server.trim().split('.');
  const [major, minor] = bundle.split('.');
  return serverMajor === major && (major !== '0' || serverMinor === minor);
}
