import type {
  Attachment,
  Conversation,
  ConversationSummary,
  CreateConversationBody,
  Folder,
  Me,
  Message,
  MessageAction,
  PatchConversationBody,
  PostMessageBody,
  QueueCounts,
  RateBody,
  Rating,
  RenderedReply,
  ReplyTimes,
  SavedReply,
  ThreadConversation,
  Topic,
  UserRef,
} from '@secure-inbox/protocol';
import { bundleVersion, compatible } from './version.js';

/** Mirrors `API_BASE_PATH` in protocol; kept as a literal so the bundle does not pull in zod. */
export const apiBasePath = '/api/v1';

/** What went wrong, in the terms the error state explains to a person. */
export type ErrorKind =
  | 'offline'
  | 'unreachable'
  | 'not_configured'
  | 'token_provider_failed'
  | 'origin_not_allowed'
  | 'version_mismatch'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'invalid'
  | 'rate_limited'
  | 'server';

/** An API failure: the HTTP status (0 when no answer arrived) and the `{"error":{code,message,details}}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get kind(): ErrorKind {
    if (setupCodes.includes(this.code)) return this.code as ErrorKind;
    if (this.status === 0) return this.code === 'offline' ? 'offline' : 'unreachable';
    if (this.status === 401) return 'unauthorized';
    if (this.status === 403) return 'forbidden';
    if (this.status === 404) return 'not_found';
    if (this.status === 429) return 'rate_limited';
    if (this.status >= 400 && this.status < 500) return 'invalid';
    return 'server';
  }

  /** Field names from a 422 `details` (an object keyed by field, or a list of `{path}` issues). */
  get fields(): string[] {
    const d = this.details as unknown;
    if (Array.isArray(d)) {
      return d.map((issue) => (Array.isArray(issue?.path) ? issue.path.join('.') : String(issue?.path ?? issue?.field ?? ''))).filter(Boolean);
    }
    if (d && typeof d === 'object') {
      const fields = (d as { fields?: unknown }).fields;
      return Object.keys(fields && typeof fields === 'object' ? fields : d);
    }
    return [];
  }
}

/**
 * The codes of the failures that come from how the widget was set up rather than from one request; the
 * server's 401 (`unauthorized`, with `details.reason`) is one too.
 */
const setupCodes = ['not_configured', 'token_provider_failed', 'origin_not_allowed', 'version_mismatch'];

/** A compact JWS (three base64url parts), which is what the server accepts as a token. */
const jwtShape = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Returns a fresh token; called at start and again after a 401. */
export type TokenProvider = () => string | Promise<string>;

export interface Credentials {
  token?: string;
  tokenProvider?: TokenProvider;
}

export interface ConversationQuery {
  folder?: Folder;
  q?: string;
  unread?: boolean;
  accountId?: string;
  cursor?: string;
  limit?: number;
  /** Staff queues: one status, `me` | `none` | a user id, and `oldest` for the longest-waiting first. */
  status?: string;
  assignee?: string;
  sort?: 'oldest' | 'newest';
}

/** The filters of `GET /queues` (staff). */
export interface QueueQuery {
  accountId?: string;
  status?: string;
  assignee?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Thread {
  conversation: ThreadConversation;
  messages: Message[];
  nextCursor: string | null;
}

export type StateChange = 'read' | 'unread' | 'trash' | 'restore' | 'leave';

type Query = Record<string, string | number | boolean | undefined | null>;

interface RequestOptions {
  method?: string;
  query?: Query;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A typed client for the API.md contract. No cookies: the token travels only in the Authorization header. */
export class ApiClient {
  #credentials: Credentials = {};
  #token?: Promise<string | undefined>;

  /** Told of every failure caused by the set-up (see `setupCodes`), so it can be explained once to the developer. */
  onProblem?: (error: ApiError) => void;

  constructor(
    public base: string,
    credentials: Credentials = {},
  ) {
    this.credentials = credentials;
  }

  get credentials(): Credentials {
    return this.#credentials;
  }

  set credentials(value: Credentials) {
    this.#credentials = { ...value };
    this.#token = undefined;
  }

  get hasCredentials(): boolean {
    return Boolean(this.#credentials.token || this.#credentials.tokenProvider);
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(apiBasePath + path, this.base);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '' && value !== false) url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  /** The token for the next request; a provider's answer is shared by concurrent requests until it is refreshed. */
  #tokenFor(stale?: Promise<string | undefined>): Promise<string | undefined> {
    const { token, tokenProvider } = this.#credentials;
    if (!tokenProvider) return Promise.resolve(token);
    if (!this.#token || this.#token === stale) {
      this.#token = Promise.resolve()
        .then(tokenProvider)
        .then((token?: string) => {
          if (!jwtShape.test(token?.trim() as string)) throw `it returned ${token ? 'no JWT' : token}`;
          return token!.trim();
        })
        .catch((cause: unknown) => {
          this.#token = undefined;
          throw this.#problem(new ApiError(0, 'token_provider_failed', `tokenProvider failed: ${(cause as Error)?.message ?? cause}`));
        });
    }
    return this.#token;
  }

  /** The token for a request made outside `fetch` (uploads with progress); `refresh` asks the provider again. */
  token(refresh = false): Promise<string | undefined> {
    return this.#tokenFor(refresh ? this.#token : undefined);
  }

  /** Sends a request; after a 401 the token provider is asked again and the request retried once. */
  async fetch(path: string, options: RequestOptions = {}): Promise<Response> {
    const { method = 'GET', query, json } = options;
    const body = json === undefined ? options.body : JSON.stringify(json);
    await this.#whenConfigured();
    let tokenPromise = this.#tokenFor();
    for (let attempt = 0; ; attempt++) {
      const token = await tokenPromise;
      const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
      if (token) headers.Authorization = `Bearer ${token}`;
      if (json !== undefined) headers['Content-Type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(this.url(path, query), { method, headers, body, credentials: 'omit', cache: 'no-store', signal: options.signal });
      } catch (cause) {
        throw await this.#noAnswer(cause, options.signal);
      }
      const version = response.headers.get('secure-inbox-version');
      if (version && !compatible(version)) {
        throw this.#problem(
          new ApiError(response.status, 'version_mismatch', `bundle ${bundleVersion}, server ${version}: load /secure-inbox.js from the api-base server`),
        );
      }
      if (response.status === 401 && attempt === 0 && this.#credentials.tokenProvider) {
        tokenPromise = this.#tokenFor(tokenPromise);
        continue;
      }
      if (!response.ok) {
        const error = await toApiError(response);
        throw response.status === 401 ? this.#problem(error) : error;
      }
      return response;
    }
  }

  /**
   * Waits for a token source until 300 ms after the page has loaded (so its scripts have run; a host may set
   * `tokenProvider` a moment after the elements start), then fails as `not_configured`. No request is sent without one.
   */
  async #whenConfigured(): Promise<void> {
    for (let step = 0; !this.hasCredentials && (document.readyState !== 'complete' || step++ < 6);) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!this.hasCredentials) throw this.#problem(new ApiError(0, 'not_configured', 'no token source: set tokenProvider (or token)'));
  }

  /**
   * No answer came. The server's public `/healthz` (open to every origin) tells a server that refuses this
   * page's origin (the browser hides that refusal) from one that cannot be reached.
   */
  async #noAnswer(cause: unknown, signal?: AbortSignal): Promise<ApiError> {
    // An aborted request was given up by the widget itself (a closed event stream): nothing to explain.
    if (signal?.aborted) return new ApiError(0, 'unreachable', String(cause));
    if (navigator.onLine === false) return new ApiError(0, 'offline', String(cause));
    const server = new URL(this.base).origin;
    const answers = await fetch(server + '/healthz', { credentials: 'omit', cache: 'no-store', signal }).then(
      (response) => response.ok,
      () => false,
    );
    return this.#problem(
      answers
        ? new ApiError(0, 'origin_not_allowed', `${server} refuses this origin: add ${location.origin} to SECURE_INBOX_ALLOWED_ORIGINS`)
        : new ApiError(0, 'unreachable', `no answer from ${server}: check api-base and that the server runs`),
    );
  }

  #problem(error: ApiError): ApiError {
    this.onProblem?.(error);
    return error;
  }

  async json<T>(path: string, options?: RequestOptions): Promise<T> {
    const response = await this.fetch(path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  me(): Promise<Me> {
    return this.json('/me');
  }

  async topics(): Promise<Topic[]> {
    return (await this.json<{ items: Topic[] }>('/topics')).items;
  }

  async directory(accountId: string): Promise<UserRef[]> {
    return (await this.json<{ items: UserRef[] }>('/directory', { query: { accountId } })).items;
  }

  async statusUpdates(accountId: string): Promise<Message[]> {
    return (await this.json<{ items: Message[] }>('/status-updates', { query: { accountId } })).items;
  }

  /** A page of conversations; `signal` gives the request up (a list superseded by another). */
  conversations(query: ConversationQuery = {}, signal?: AbortSignal): Promise<Page<ConversationSummary>> {
    return this.json('/conversations', { query: { ...query }, signal });
  }

  /** A conversation and its messages; `signal` gives the request up (a thread superseded by another). */
  thread(id: string, query: { before?: string; limit?: number } = {}, signal?: AbortSignal): Promise<Thread> {
    return this.json(`/conversations/${encodeURIComponent(id)}`, { query, signal });
  }

  async createConversation(body: CreateConversationBody): Promise<Conversation> {
    return (await this.json<{ conversation: Conversation }>('/conversations', { method: 'POST', json: body })).conversation;
  }

  async postMessage(id: string, body: PostMessageBody): Promise<Message> {
    const path = `/conversations/${encodeURIComponent(id)}/messages`;
    return (await this.json<{ message: Message }>(path, { method: 'POST', json: body })).message;
  }

  async change(id: string, change: StateChange): Promise<void> {
    await this.fetch(`/conversations/${encodeURIComponent(id)}/${change}`, { method: 'POST' });
  }

  async addParticipants(id: string, userIds: string[]): Promise<Conversation> {
    const path = `/conversations/${encodeURIComponent(id)}/participants`;
    return (await this.json<{ conversation: Conversation }>(path, { method: 'POST', json: { userIds } })).conversation;
  }

  /** Marks the conversation solved, or opens it again. */
  async solve(id: string, solved: boolean): Promise<Conversation> {
    const path = `/conversations/${encodeURIComponent(id)}/${solved ? 'solve' : 'reopen'}`;
    return (await this.json<{ conversation: Conversation }>(path, { method: 'POST' })).conversation;
  }

  /** Customers: gives or changes their rating of an answered or solved conversation. */
  async rate(id: string, body: RateBody): Promise<Rating> {
    return (await this.json<{ rating: Rating }>(`/conversations/${encodeURIComponent(id)}/rating`, { method: 'PUT', json: body })).rating;
  }

  /** How soon the account, and each of its topics, usually answers. */
  replyTimes(accountId: string): Promise<ReplyTimes> {
    return this.json('/reply-times', { query: { accountId } });
  }

  /** Staff: tells the other staff of the conversation that the caller is writing (an ephemeral `typing` event). */
  async typing(id: string): Promise<void> {
    await this.fetch(`/conversations/${encodeURIComponent(id)}/typing`, { method: 'POST' });
  }

  /** Staff: the saved replies of an account (and the shared ones) with a word beginning with `q`. */
  async savedReplies(accountId: string, q: string, signal?: AbortSignal): Promise<SavedReply[]> {
    return (await this.json<Page<SavedReply>>('/saved-replies', { query: { accountId, q, limit: 10 }, signal })).items;
  }

  /** Staff: a saved reply with its placeholders filled in by the server for a conversation. */
  async renderSavedReply(id: string, conversationId: string): Promise<RenderedReply> {
    const path = `/saved-replies/${encodeURIComponent(id)}/render`;
    return (await this.json<{ rendered: RenderedReply }>(path, { method: 'POST', json: { conversationId } })).rendered;
  }

  /** Staff: counts per status and assignee filter. */
  queues(query: QueueQuery = {}): Promise<QueueCounts> {
    return this.json('/queues', { query: { ...query } });
  }

  /** Staff: sets the status and/or the assignee. */
  async patchConversation(id: string, body: PatchConversationBody): Promise<Conversation> {
    return (await this.json<{ conversation: Conversation }>(`/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', json: body })).conversation;
  }

  /** Staff: notifies every administrator; resolves to how many were notified. */
  async notifyAdmins(id: string): Promise<number> {
    return (await this.json<{ notified: number }>(`/conversations/${encodeURIComponent(id)}/notify-admins`, { method: 'POST' })).notified;
  }

  /** Downloads with the Authorization header (a plain link cannot carry it). */
  async download(attachment: Attachment): Promise<Blob> {
    return (await this.fetch(`/attachments/${encodeURIComponent(attachment.id)}`, {})).blob();
  }
}

export type { MessageAction };

async function toApiError(response: Response): Promise<ApiError> {
  let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = body?.error;
  return new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : `http_${response.status}`,
    typeof error?.message === 'string' ? error.message : response.statusText || `HTTP ${response.status}`,
    error?.details,
  );
}
