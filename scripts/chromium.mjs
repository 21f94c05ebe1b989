// How every tool here starts Chromium: Debian's build (or CHROME_PATH), no sandbox (CI runs as root), and none of
// the background connections a closed network would refuse. Headless mode is each launcher's own business.
export const chromiumPath = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
