/**
 * The security decisions of the Electron shell as pure functions on plain values, so they are
 * unit-tested in plain Node (Electron itself cannot run on the build machines). index.ts only wires
 * them to Electron's events. Follows Electron's security checklist.
 */
import type { WebPreferences } from 'electron';

/**
 * The page policy. Scripts only from the app itself (no inline, no eval); inline styles are allowed
 * because Vue binds `style` attributes; images may be data URLs (thumbnails, charts).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

/** Where the app's page is loaded from. */
export type AppEntry =
  /** Packaged or built app: the renderer served from the privileged app:// scheme (appProtocol.ts). */
  | { kind: 'app'; origin: string }
  /** The renderer's index.html on disk, as a file: URL (kept for hosts without the scheme). */
  | { kind: 'file'; url: string }
  /** `electron-vite dev`: the Vite dev server. */
  | { kind: 'dev'; origin: string };

export function appEntryFor(options: { devServerUrl?: string | undefined; indexFileUrl?: string; appOrigin?: string }): AppEntry {
  if (options.devServerUrl) return { kind: 'dev', origin: new URL(options.devServerUrl).origin };
  if (options.appOrigin) return { kind: 'app', origin: options.appOrigin };
  if (options.indexFileUrl) return { kind: 'file', url: options.indexFileUrl };
  throw new TypeError('appEntryFor needs a dev server URL, an app origin or an index file URL.');
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Whether a URL is the app's own page (query and fragment aside: the UI may use them for state). */
export function isAppUrl(url: string, entry: AppEntry): boolean {
  const parsed = parseUrl(url);
  if (!parsed) return false;
  if (entry.kind === 'dev') return parsed.origin === entry.origin;
  // A custom scheme's URL.origin is 'null' in Node; compare scheme and host.
  if (entry.kind === 'app') return `${parsed.protocol}//${parsed.host}` === entry.origin;
  const expected = new URL(entry.url);
  return parsed.protocol === 'file:' && parsed.host === expected.host && comparableFilePath(parsed) === comparableFilePath(expected);
}

/**
 * Chromium and Node percent-encode file paths slightly differently (Chromium escapes ';', for one)
 * and Windows drive letters come in either case; a mismatch here would refuse every call of the
 * real window, so compare decoded paths, case-insensitively on Windows (its file system is too).
 */
function comparableFilePath(url: URL): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
  return /^\/[A-Za-z]:\//.test(decoded) ? decoded.toLowerCase() : decoded;
}

/** `will-navigate`: the window only ever shows the app; a navigation elsewhere is refused. */
export function isAllowedNavigation(url: string, entry: AppEntry): boolean {
  return isAppUrl(url, entry);
}

/** What an IPC message tells us about who sent it (from `event.sender` and `event.senderFrame`). */
export interface SenderFacts {
  /** `event.sender.id`. */
  webContentsId: number;
  /** `event.senderFrame?.url`; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** Whether the sending frame is its page's main frame (not an iframe). */
  isMainFrame: boolean;
}

export interface TrustedSenders {
  /** The webContents of our own windows. */
  webContentsIds: ReadonlySet<number>;
  entry: AppEntry;
}

/**
 * An IPC message is accepted only from the main frame of one of our windows showing our page, so a
 * frame or page that somehow got in cannot drive the engine.
 */
export function isTrustedSender(sender: SenderFacts, trusted: TrustedSenders): boolean {
  return (
    trusted.webContentsIds.has(sender.webContentsId) &&
    sender.isMainFrame &&
    sender.frameUrl !== undefined &&
    isAppUrl(sender.frameUrl, trusted.entry)
  );
}

/** The subset of Electron's IpcMainInvokeEvent the sender check reads. */
export interface InvokeEventLike {
  /** The sending webContents (an EventEmitter in Electron: a call listens for its window going away). */
  sender: { id: number; once?(event: string, listener: () => void): unknown; removeListener?(event: string, listener: () => void): unknown };
  senderFrame: { url: string; parent: unknown } | null;
}

export function senderFactsOf(event: InvokeEventLike): SenderFacts {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url,
    // Only a page's top frame has no parent. (Not compared by identity with sender.mainFrame:
    // Electron does not promise WebFrameMain objects are unique per frame.)
    isMainFrame: frame !== null && frame.parent === null,
  };
}

/**
 * Adds the CSP header to a response (the dev server's pages; built pages carry it in a meta tag
 * too), replacing any policy the response brought, whatever the header's case.
 */
export function withContentSecurityPolicy(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') result[name] = value;
  }
  result['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return result;
}

/** The window's web preferences: isolated, sandboxed, no Node in the page. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}
