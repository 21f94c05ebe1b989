import type { Attachment, Conversation, Folder, Message, PostMessageBody, ThreadConversation, UserRef } from '@secure-inbox/protocol';
import { html, nothing, type PropertyDeclarations } from 'lit';
import type { SavedReply } from '@secure-inbox/protocol';
import type { ApiError, StateChange } from '../../internal/api.js';
import { ERROR, Load } from '../../internal/load.js';
import { acknowledgementText, fileSize, flagLabel, flagOf, localeOf, longDate, replyTime, shortDate, statusLabel } from '../../internal/format.js';
import { fmt, plural } from '../../internal/i18n.js';
import { bodyOf, quoteOf } from '../../internal/sanitize.js';
import { SecureElement } from '../../internal/secure-element.js';
import type { Session, SessionEvent } from '../../internal/session.js';
import { shared } from '../../internal/shared.styles.js';
import { errorMessage, renderError, renderLoading } from '../../internal/states.js';
import type { Answer, SecureAnswerPanel } from '../answer-panel/answer-panel.js';
import { allowDrop, type SecureAttachmentPicker } from '../attachment-picker/attachment-picker.js';
import type { SecureRichEditor } from '../rich-editor/rich-editor.js';
import '../rich-editor/rich-editor.js';
import '../tip-popover/tip-popover.js';
import { styles } from './thread-view.styles.js';

/** Messages drawn at first and added per "Load older messages". */
const pageOfMessages = 50;

/** Image attachments up to this size are previewed in the thread. */
const maxPreviewBytes = 10 * 1024 * 1024;

/** Hidden from customers: internal notes and resolve notes made by the `resolve` action. */
export const isInternal = (message: Message) => message.doNotReply || message.kind === 'internal_note';

type Departure = Conversation['departures'][number];

interface Loaded {
  conversation: ThreadConversation;
  messages: Message[];
  nextCursor: string | null;
}

/**
 * @summary One conversation: messages oldest first, a link to the host record, a reply box that shows the message
 * being answered, and the actions mark as unread, next message, add recipients, trash and leave. Opening it marks it read.
 *
 * @csspart thread - The whole thread.
 * @csspart thread-header - Subject, status and actions.
 * @csspart back - The Back button (narrow layouts).
 * @csspart subject - The subject heading.
 * @csspart status - The conversation's status.
 * @csspart record-link - The link to the host record ("View permit").
 * @csspart thread-actions - The action buttons.
 * @csspart participants - The participant list.
 * @csspart answered-by - Who answers: the assignee, or the account's team when no one is assigned.
 * @csspart panel - The add-recipients and leave panels.
 * @csspart panel-hint - In the add-recipients panel of a conversation without customers: customers added see messages from then on.
 * @csspart messages - The feed of messages.
 * @csspart older - The "Load older messages" button.
 * @csspart message - One message.
 * @csspart message-internal - Staff: an internal note or resolve note (besides `message`).
 * @csspart message-status-update - A message posted as a status update (besides `message`).
 * @csspart departure - A line saying who left the conversation, and when.
 * @csspart acknowledgement - The line under a new question: who it went to and how soon they usually answer.
 * @csspart solve - Customers: "Mark as solved", or "Reopen" once solved.
 * @csspart expected-reply - Customers, while the conversation waits for staff: "We usually answer within 2 working days."
 * @csspart seen - "Seen by the Hartley team, 10:42" (customers), "Seen by Alice Ng, 10:42" (staff): when the other side read the latest message of yours.
 * @csspart rating - The rating given: customers their own (with "Change rating" while it may be changed), staff every rating.
 * @csspart rating-form - Customers, once the conversation is answered or solved: a score from 1 to 5 and an optional comment.
 * @csspart message-header - Author, role and time.
 * @csspart message-body - The sanitized body.
 * @csspart internal-label - The "Internal" marker.
 * @csspart internal-hint - Staff: "Not visible to the customer" on an internal message.
 * @csspart reply-to - A message's "Reply" button, which quotes it in the reply box.
 * @csspart attachments - The attachment list.
 * @csspart attachment - One attachment: name, size, scan status and its Download button.
 * @csspart attachment-download - The Download button (fetches with the token, then saves).
 * @csspart attachment-preview - A small picture of an image attachment (a canvas drawn from the bytes fetched with the token; `role="img"`, named by the file).
 * @csspart file-icon - "PDF" beside a PDF attachment's name.
 * @csspart scan-status - "Scanning…" or "Blocked: failed virus scan".
 * @csspart attach - The reply's "Attach files" button; also `attachment-list`, `attachment-chip`, `progress`, `cancel-upload`, `remove-attachment`.
 * @csspart tip-button - The light bulb of a message with a tip.
 * @csspart tip - The tip popover.
 * @csspart reply - The reply form.
 * @csspart reply-quote - The message being answered.
 * @csspart send - The Send button.
 * @csspart suggestions - Staff: what the answer offers, with a status saying how many: the saved replies for `/` and a word ("/perm"), or the account's staff to mention for `@` and the start of a name. Down reaches them, Enter chooses, Escape returns to the answer.
 * @csspart saved-reply - One saved reply's button (its title); Enter inserts it, filled in for this conversation by the server.
 * @csspart mention - One staff member's button; Enter writes `@Name` into the answer and mentions them when it is sent as an internal note or resolve note.
 * @csspart writing - Staff: "Sam Staff is writing" while another staff member types an answer in this thread (a polite status).
 * @csspart answer-panel - Staff: the answer buttons (see `<secure-answer-panel>`); `controls` holds assignee and status.
 * @csspart button - Every button.
 * @csspart loading - The loading state.
 * @csspart error - An error.
 * @csspart retry - The Retry button of an error.
 *
 * @cssprop --secure-thread-max-width - Widest a message gets (default 48rem).
 *
 * @fires secure-thread-close - The Back button.
 * @fires secure-next-conversation - "Next message"; `detail: { id }` of the current conversation. Cancelable: cancelling it
 *   (there is no next one) shows "This is the last message in the list." beside the actions.
 * @fires secure-conversation-read - The thread was opened and marked read; `detail: { id }`.
 * @fires secure-conversation-unread - Marked unread; `detail: { id }`.
 * @fires secure-conversation-trash - Moved to trash; `detail: { id }`.
 * @fires secure-conversation-restore - Restored from trash; `detail: { id }`.
 * @fires secure-conversation-leave - The user left; `detail: { id }`.
 * @fires secure-participants-added - `detail: { conversation }`.
 * @fires secure-conversation-update - Marked solved or opened again; `detail: { conversation }`.
 * @fires secure-rated - A rating was given or changed; `detail: { conversationId, rating }`.
 * @fires secure-before-send - Cancelable, before a reply is posted; `detail: { conversationId, body, action, tip?, notifyAdmins? }`.
 * @fires secure-sent - A reply was posted; `detail: { conversationId, message }`.
 * @fires secure-error - `detail: { error }`.
 */
export class SecureThreadView extends SecureElement {
  static override properties: PropertyDeclarations = {
    session: { state: true },
    conversationId: { attribute: 'conversation-id', reflect: true },
    folder: {},
    data: { state: true },
    staff: { state: true },
    replyTo: { state: true },
    panel: { state: true },
    directory: { state: true },
    actionError: { state: true },
    sending: { state: true },
    sendError: { state: true },
    announcement: { state: true },
    note: { state: true },
    loadingOlder: { state: true },
    rating: { state: true },
    ratingError: { state: true },
    writing: { state: true },
    offer: { state: true },
    savedNote: { state: true },
    generation: { state: true },
    shown: { state: true },
  };

  static override sessionField = 'session';

  static override styles = [shared, styles];

  session?: Session;

  /** The conversation to show. */
  conversationId?: string;

  /** The folder it was opened from (Trash offers Restore instead of Move to trash). */
  folder: Folder = 'inbox';

  private data?: Loaded;
  private staff = false;
  private replyTo?: string;
  private panel?: 'add' | 'leave';
  private directory?: UserRef[];
  private actionError?: unknown;
  private sending = false;
  private sendError = '';
  private announcement = '';
  /** Shown beside the actions: "This is the last message in the list." */
  private note = '';
  private loadingOlder = false;
  /** The rating form is open (a rating is given the first time, or changed). */
  private rating = false;
  private ratingError = '';
  /** Staff: the others writing in this thread (from their `typing` events), and when each notice ends. */
  private writing: { id: string; name: string; until: number }[] = [];
  /** Staff: what the answer's `/word` (saved replies) or trailing `@word` (staff to mention) offers, with that word. */
  private offer?: { q: string; saved: SavedReply[] } | { q: string; people: UserRef[] };
  /** Staff: what happened to the last saved reply chosen (inserted, or placeholders left empty). */
  private savedNote = '';
  private generation = 0;
  /** How many of the newest loaded messages are drawn; older ones are drawn on request (long threads stay fast). */
  private shown = pageOfMessages;

  private get editor() {
    return this.renderRoot?.querySelector('secure-rich-editor') as SecureRichEditor | null;
  }
  private get answerPanel() {
    return this.renderRoot?.querySelector('secure-answer-panel') as SecureAnswerPanel | null;
  }
  private get picker() {
    return this.renderRoot?.querySelector('secure-attachment-picker') as SecureAttachmentPicker | null;
  }

  /** The oldest message drawn by the last render. */
  #firstDrawn?: string;
  /** The messages (and departures) drawn, in the feed's order (the Reply buttons' one listener finds theirs here). */
  #drawn: (Message | Departure)[] = [];
  #focusOnLoad = false;
  #locale?: string;
  #refreshing = false;
  #unread?: number;
  #unsubscribe?: () => void;
  #writingTimer?: ReturnType<typeof setTimeout>;
  #offerTimer?: ReturnType<typeof setTimeout>;
  #offerSearch?: AbortController;
  /** Staff mentioned in the answer being written, by id (sent as `mentions` with a hidden note while `@Name` is still in it). */
  #mentioned = new Map<string, string>();
  /** The account's staff, for mentions (read once per conversation). */
  #staffOf?: Promise<UserRef[]>;
  /** When this user's last `typing` went out (at most one every 3 seconds). */
  #typedAt = 0;
  /** Image previews of the open conversation, by attachment id. */
  #previews = new Map<string, HTMLCanvasElement>();

  /** Loads the conversation; a load superseded by another (the next conversation opened) is given up. */
  #task = new Load(
    this,
    async ([session, id], signal) => {
      if (!session || !id) return;
      try {
        const [thread, me] = await Promise.all([session.api.thread(id, {}, signal), session.loadMe().catch(() => undefined)]);
        if (signal.aborted || id !== this.conversationId) return;
        this.staff = me?.user.role === 'staff' || me?.user.role === 'admin';
        const reset = this.data?.conversation.id !== id;
        this.data = thread;
        if (reset) {
          this.#previews.clear();
          this.shown = pageOfMessages;
          this.replyTo = undefined;
          this.panel = undefined;
          this.actionError = undefined;
          this.sendError = '';
          this.announcement = this.note = this.ratingError = '';
          this.rating = false;
          this.#setWriting([]);
          this.offer = undefined;
          this.savedNote = '';
          this.#staffOf = undefined;
          this.#mentioned.clear();
          this.editor?.clear();
        }
        session.api
          .change(id, 'read')
          .then(() => {
            this.emit('secure-conversation-read', { id });
            session.refreshCounts();
          })
          .catch(() => undefined);
      } catch (error) {
        if (!signal.aborted) this.reportError(error);
      }
    },
    () => [this.session, this.conversationId, this.generation] as const,
  );

  /** Loads the conversation again. */
  reload(): void {
    this.generation++;
  }

  /** Moves focus to the subject heading as soon as the thread is shown. */
  focusWhenReady(): void {
    this.#focusOnLoad = true;
    this.requestUpdate();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#unsubscribe = this.session?.subscribe((event) => this.#onSessionEvent(event));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    clearTimeout(this.#writingTimer);
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('session') && this.isConnected) {
      this.#unsubscribe?.();
      this.#unsubscribe = this.session?.subscribe((event) => this.#onSessionEvent(event));
    }
    // New messages (sent, or live) are drawn below the ones on screen, which stay where they are: the drawn range
    // grows instead of sliding, so each message keeps its place in the page (and its focus and selection).
    const data = this.#current;
    if (changed.has('data') && !changed.has('shown') && data && this.#firstDrawn) {
      const index = data.messages.findIndex((message) => message.id === this.#firstDrawn);
      if (index >= 0) this.shown = data.messages.length - index;
    }
  }

  protected override updated(): void {
    if (this.#focusOnLoad && this.#current) {
      const heading = this.renderRoot.querySelector<HTMLElement>('[part~="subject"]');
      if (heading) {
        this.#focusOnLoad = false;
        heading.focus();
      }
    }
  }

  #onSessionEvent(event: SessionEvent): void {
    if (event.type === 'credentials.changed') this.reload();
    // A poll (or, later, the event stream) saw something new: re-read the open thread quietly.
    if (event.type === 'unread.changed') {
      const grew = this.#unread !== undefined && event.unread > this.#unread;
      this.#unread = event.unread;
      if (grew && this.#current) this.#refresh();
    }
    if ((event.type === 'message.created' || event.type === 'conversation.updated') && event.conversationId === this.conversationId) {
      this.#refresh();
    }
    if (event.type === 'typing' && event.conversationId === this.conversationId && this.staff && event.user.id !== this.session?.me?.user.id) {
      const until = Date.now() + event.expiresInSeconds * 1000;
      this.#setWriting([...this.writing.filter((writer) => writer.id !== event.user.id), { id: event.user.id, name: event.user.name, until }]);
    }
  }

  /** Keeps the notices that have not ended, and wakes up when the next one ends. */
  #setWriting(writers: { id: string; name: string; until: number }[]): void {
    const now = Date.now();
    this.writing = writers.filter((writer) => writer.until > now);
    clearTimeout(this.#writingTimer);
    if (this.writing.length) this.#writingTimer = setTimeout(() => this.#setWriting(this.writing), Math.min(...this.writing.map((w) => w.until)) - now + 20);
  }

  /**
   * Staff typing an answer tell the other staff of the thread, at most every 3 seconds. An answer that is only `/` and a
   * word offers the saved replies with a word beginning so; an `@` and the start of a name just before the caret offers
   * the account's staff to mention.
   */
  #onInput(): void {
    const data = this.#current;
    if (!this.staff || !data || !this.session) return;
    const session = this.session;
    if (Date.now() - this.#typedAt >= 3000) {
      this.#typedAt = Date.now();
      // A server without the route (older than this bundle's API) answers 404: this thread stops telling.
      session.api.typing(data.conversation.id).catch((error: ApiError) => error.status === 404 && (this.#typedAt = Infinity));
    }
    const typed = this.editor?.text ?? '';
    const saved = /^\s*\/([\p{L}\p{N}]{1,50})\s*$/u.exec(typed)?.[1];
    const mention = saved ? undefined : /(?:^|\s)@([\p{L}\p{N}]{0,30})$/u.exec(this.editor!.textBeforeCaret)?.[1];
    clearTimeout(this.#offerTimer);
    this.#offerSearch?.abort();
    if (saved === undefined && mention === undefined) {
      this.offer = undefined;
      return;
    }
    this.#offerTimer = setTimeout(async () => {
      const search = (this.#offerSearch = new AbortController());
      try {
        const { accountId } = data.conversation;
        let offer: typeof this.offer;
        if (saved) offer = { q: saved, saved: await session.api.savedReplies(accountId, saved, search.signal) };
        else {
          const staff = await (this.#staffOf ??= session.api.directory(accountId).then((people) => people.filter((p) => p.role !== 'customer')));
          const word = mention!.toLocaleLowerCase();
          offer = {
            q: mention!,
            people: staff
              .filter((p) =>
                p.name
                  .toLocaleLowerCase()
                  .split(/\s+/)
                  .some((part) => part.startsWith(word)),
              )
              .slice(0, 8),
          };
        }
        if (!search.signal.aborted) this.offer = offer;
      } catch (error) {
        this.#staffOf = undefined;
        if (!search.signal.aborted) this.sendError = errorMessage(this.t, error);
      }
    }, 200);
  }

  /** Arrow keys move through what is offered; Escape closes it and returns to the answer. */
  #onOfferKeydown(event: KeyboardEvent): void {
    const buttons = [...this.renderRoot.querySelectorAll<HTMLElement>('[part~="suggestions"] button')];
    const index = buttons.indexOf(event.target as HTMLElement);
    const next = event.key === 'ArrowDown' ? index + 1 : event.key === 'ArrowUp' ? index - 1 : NaN;
    if (event.key === 'Escape') {
      this.offer = undefined;
      this.editor?.focus();
    } else if (!Number.isNaN(next)) buttons[Math.max(0, Math.min(next, buttons.length - 1))]?.focus();
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  /** Puts the chosen saved reply, filled in by the server for this conversation, in place of the `/word`. */
  async #insertSaved(reply: SavedReply): Promise<void> {
    const data = this.#current;
    if (!data || !this.session) return;
    const t = this.t;
    try {
      const rendered = await this.session.api.renderSavedReply(reply.id, data.conversation.id);
      const editor = this.editor!;
      editor.value = rendered.body;
      this.offer = undefined;
      this.savedNote = rendered.missing.length
        ? fmt(t.savedReplyMissing, { names: new Intl.ListFormat(this.#locale).format(rendered.missing) })
        : fmt(t.savedReplyInserted, { title: rendered.title });
      await editor.updateComplete;
      editor.focus();
    } catch (error) {
      this.sendError = errorMessage(t, error);
      this.emit('secure-error', { error });
    }
  }

  /** Writes `@Name` (as text) in place of the `@word` before the caret, and remembers the person for the note's `mentions`. */
  #mention(person: UserRef, q: string): void {
    this.#mentioned.set(person.id, person.name);
    this.offer = undefined;
    this.savedNote = fmt(this.t.mentionAdded, { name: person.name });
    this.editor?.replaceBeforeCaret(q.length + 1, `@${person.name}\u00a0`);
  }

  get #current(): Loaded | undefined {
    return this.data && this.data.conversation.id === this.conversationId ? this.data : undefined;
  }

  /** Re-reads the thread without a loading state (after a reply or a live event); announces and reads new messages. */
  async #refresh(): Promise<void> {
    const id = this.conversationId;
    const session = this.session;
    if (!session || !id || this.#refreshing) return;
    this.#refreshing = true;
    try {
      const thread = await session.api.thread(id);
      if (id !== this.conversationId) return;
      const before = new Set((this.data?.messages ?? []).map((message) => message.id));
      const known = new Set(thread.messages.map((message) => message.id));
      const older = (this.data?.messages ?? []).filter((message) => !known.has(message.id) && message.createdAt < (thread.messages[0]?.createdAt ?? ''));
      this.data = { ...thread, messages: [...older, ...thread.messages], nextCursor: older.length ? this.data!.nextCursor : thread.nextCursor };
      const arrived = thread.messages.filter((message) => !before.has(message.id) && message.author.id !== session.me?.user.id);
      if (arrived.length) {
        // Whoever was writing and has now sent is no longer writing.
        this.#setWriting(this.writing.filter((writer) => !arrived.some((message) => message.author.id === writer.id)));
        this.announcement = this.t.newMessages;
        await session.api.change(id, 'read');
        session.refreshCounts();
      }
    } catch {
      // The next refresh or a Retry will show the problem.
    } finally {
      this.#refreshing = false;
    }
  }

  async #loadOlder(): Promise<void> {
    const data = this.#current;
    if (data && data.messages.length > this.shown) {
      this.shown += pageOfMessages;
      return;
    }
    if (!this.session || !data?.nextCursor) return;
    this.loadingOlder = true;
    try {
      const page = await this.session.api.thread(data.conversation.id, { before: data.nextCursor });
      this.data = { ...data, messages: [...page.messages, ...data.messages], nextCursor: page.nextCursor };
      this.shown = this.data.messages.length;
    } catch (error) {
      this.actionError = error;
      this.emit('secure-error', { error });
    } finally {
      this.loadingOlder = false;
    }
  }

  async #change(change: StateChange, event: `secure-${string}`): Promise<void> {
    const id = this.conversationId;
    if (!this.session || !id) return;
    this.actionError = undefined;
    try {
      await this.session.api.change(id, change);
      if (change === 'leave') this.session.left.add(id);
      this.session.refreshCounts();
      this.emit(event, { id });
    } catch (error) {
      this.actionError = error;
      this.emit('secure-error', { error });
    }
  }

  async #openAdd(): Promise<void> {
    this.panel = this.panel === 'add' ? undefined : 'add';
    this.actionError = undefined;
    const data = this.#current;
    if (this.panel !== 'add' || !data || !this.session) return;
    this.directory = undefined;
    try {
      this.directory = await this.session.api.directory(data.conversation.accountId);
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLInputElement>('[part~="panel"] input')?.focus();
    } catch (error) {
      this.actionError = error;
      this.panel = undefined;
      this.emit('secure-error', { error });
    }
  }

  async #add(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const ids = [...form.querySelectorAll<HTMLInputElement>('input:checked')].map((input) => input.value);
    if (!ids.length) {
      this.actionError = this.t.chooseRecipient;
      return;
    }
    const data = this.#current;
    if (!data || !this.session) return;
    try {
      const conversation = await this.session.api.addParticipants(data.conversation.id, ids);
      this.#update(conversation);
      this.panel = undefined;
      this.actionError = undefined;
      this.announcement = this.t.recipientsAdded;
      this.emit('secure-participants-added', { conversation });
    } catch (error) {
      this.actionError = error;
      this.emit('secure-error', { error });
    }
  }

  /** A changed conversation (participants, status, assignee) keeps what only the thread answer carries (ratings, "seen"). */
  #update(conversation: Conversation): void {
    const current = this.#current;
    if (current) this.data = { ...current, conversation: { ...current.conversation, ...conversation } };
  }

  /** Customers: marks the conversation solved, or opens it again. */
  async #solve(): Promise<void> {
    const data = this.#current;
    if (!data || !this.session) return;
    const solved = data.conversation.status !== 'resolved';
    this.actionError = undefined;
    try {
      const conversation = await this.session.api.solve(data.conversation.id, solved);
      this.#update(conversation);
      this.announcement = solved ? this.t.markedSolved : this.t.reopened;
      this.emit('secure-conversation-update', { conversation });
    } catch (error) {
      this.actionError = error;
      this.emit('secure-error', { error });
    }
  }

  async #rate(event: Event): Promise<void> {
    event.preventDefault();
    const data = this.#current;
    if (!data || !this.session) return;
    const form = new FormData(event.target as HTMLFormElement);
    const score = Number(form.get('score'));
    const comment = String(form.get('comment')).trim();
    this.ratingError = '';
    if (!score) {
      this.ratingError = this.t.ratingRequired;
      this.renderRoot.querySelector<HTMLInputElement>('[name=score]')?.focus();
      return;
    }
    try {
      const rating = await this.session.api.rate(data.conversation.id, comment ? { score, comment } : { score });
      const current = this.#current ?? data;
      this.data = { ...current, conversation: { ...current.conversation, ratings: [rating] } };
      this.rating = false;
      this.announcement = this.t.ratingSaved;
      this.emit('secure-rated', { conversationId: data.conversation.id, rating });
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[part~="rating"]')?.focus();
    } catch (error) {
      this.ratingError = errorMessage(this.t, error);
      this.emit('secure-error', { error });
    }
  }

  /** Closes the add-recipients or leave panel; focus goes back to the button that opened it. */
  async #closePanel(): Promise<void> {
    const toggle = this.renderRoot.querySelector<HTMLElement>('[part~="thread-actions"] [aria-expanded="true"]');
    this.panel = undefined;
    await this.updateComplete;
    toggle?.focus();
  }

  #onPanelKeydown(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    this.#closePanel();
  }

  async #openLeave(): Promise<void> {
    this.panel = this.panel === 'leave' ? undefined : 'leave';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLButtonElement>('[part~="panel"] .danger')?.focus();
  }

  async #download(event: Event, attachment: Attachment): Promise<void> {
    event.preventDefault();
    if (!this.session) return;
    try {
      const blob = await this.session.api.download(attachment);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = attachment.name;
      link.hidden = true;
      this.renderRoot.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (error) {
      this.actionError = error;
      this.emit('secure-error', { error });
    }
  }

  /** One listener for every message's Reply button (a thousand messages, a thousand listeners less). */
  #onFeedClick = (event: Event): void => {
    const article = (event.target as Element).closest('[part~="reply-to"]')?.closest('article');
    const message = article && this.#drawn[[...article.parentElement!.children].indexOf(article)];
    if (message && 'kind' in message) void this.#replyTo(message);
  };

  async #replyTo(message: Message): Promise<void> {
    this.replyTo = message.id;
    await this.updateComplete;
    this.editor?.focus();
  }

  /** Ctrl/Cmd+Enter sends with the default action (staff: Send, once the answer panel has loaded). */
  #onReplyKeydown(event: KeyboardEvent): void {
    // Down from the answer reaches the saved replies offered for its `/word`.
    if (event.key === 'ArrowDown' && this.offer && !(event.target as Element).closest('[part~="suggestions"]')) {
      event.preventDefault();
      this.renderRoot.querySelector<HTMLElement>('[part~="suggestions"] button')?.focus();
      return;
    }
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    const panel = this.answerPanel;
    if (this.staff && !panel) event.preventDefault();
    else this.#send(event, panel?.collect('send'));
  }

  async #send(event: Event, answer: Answer = {}): Promise<void> {
    event.preventDefault();
    const data = this.#current;
    const editor = this.editor;
    if (!data || !editor || !this.session || this.sending) return;
    const t = this.t;
    const body = editor.value;
    if (!body) {
      editor.error = t.bodyRequired;
      editor.focus();
      return;
    }
    const picker = this.picker;
    if (picker?.hold) {
      this.sendError = picker.hold;
      return;
    }
    const attachmentIds = picker?.ids ?? [];
    const action = answer.action ?? 'reply';
    const detail = { conversationId: data.conversation.id, body, ...answer, action };
    this.sendError = '';
    if (this.emit('secure-before-send', detail, { cancelable: true }).defaultPrevented) {
      this.sendError = t.sendVetoed;
      return;
    }
    this.sending = true;
    try {
      // Mentions go with a hidden note only (the server refuses them elsewhere), for those whose `@Name` is still written.
      const text = editor.text;
      const mentions =
        action === 'internal_note' || action === 'resolve' ? [...this.#mentioned].filter(([, name]) => text.includes(`@${name}`)).map(([id]) => id) : [];
      const message = await this.session.api.postMessage(data.conversation.id, {
        body,
        ...answer,
        ...(attachmentIds.length ? { attachmentIds } : {}),
        ...(mentions.length ? { mentions } : {}),
      } as PostMessageBody);
      editor.clear();
      picker?.clear();
      this.answerPanel?.reset();
      this.replyTo = undefined;
      this.savedNote = '';
      this.#mentioned.clear();
      const current = this.#current ?? data;
      this.data = { ...current, messages: [...current.messages.filter((m) => m.id !== message.id), message] };
      this.announcement = t.messageSent;
      this.emit('secure-sent', { conversationId: data.conversation.id, message });
      this.#refresh();
    } catch (error) {
      this.sendError = errorMessage(t, error);
      this.emit('secure-error', { error });
    } finally {
      this.sending = false;
    }
  }

  override render() {
    const t = this.t;
    if (!this.conversationId) return nothing;
    const data = this.#current;
    if (this.#task.status === ERROR) {
      // Retrying cannot bring back a conversation one left or may not see: say so, without a Retry.
      const error = this.#task.error as ApiError;
      return renderError(
        t,
        error,
        error.kind === 'not_found' ? undefined : () => this.reload(),
        this.session?.left.has(this.conversationId) ? t.youLeft : undefined,
      );
    }
    if (!data) return renderLoading(t);
    const { conversation, messages } = data;
    const first = Math.max(0, messages.length - this.shown);
    const visible = messages.slice(first);
    this.#firstDrawn = visible[0]?.id;
    const complete = !data.nextCursor && first === 0;
    // "Priya Shah left" lines among the messages, by time (those before the oldest message drawn wait for it).
    const since = complete ? '' : (visible[0]?.createdAt ?? '');
    const when = (item: Message | Departure) => ('at' in item ? item.at : item.createdAt);
    const items = [...visible, ...conversation.departures.filter((d) => d.at >= since)].sort((a, b) => (when(a) < when(b) ? -1 : +(when(a) > when(b))));
    this.#drawn = items;
    const context = conversation.context;
    this.#locale = localeOf(this);
    return html`
      <section part="thread" class="thread" aria-labelledby="subject">
        <header part="thread-header" class="header">
          <button part="button back" class="button quiet back" type="button" @click=${() => this.emit('secure-thread-close', { id: conversation.id })}>
            <span aria-hidden="true" class="arrow">←</span>${t.back}
          </button>
          <h2 id="subject" part="subject" class="subject" tabindex="-1">${conversation.subject}</h2>
          <p class="meta">
            <span part="status" class="chip">${statusLabel(t, conversation.status)}</span>
            ${conversation.topic ? html`<span>${t.topic}: ${conversation.topic.name}</span>` : nothing}
            ${
              context?.url
                ? html`<a part="record-link" class="record-link" href=${context.url} target="_blank" rel="noopener noreferrer"
                  >${fmt(t.viewRecord, { kind: context.kind })}${context.title ? html`: ${context.title}` : nothing}</a
                >`
                : nothing
            }
          </p>
          <p part="participants" class="participants">
            ${t.participants}: ${new Intl.ListFormat(this.#locale, { type: 'unit' }).format(conversation.participants.map((p) => p.name))}
          </p>
          <p part="answered-by" class="participants">${
            conversation.assignee ? fmt(t.answeredBy, { name: conversation.assignee.name }) : fmt(t.answeredByTeam, { account: conversation.accountName })
          }</p>
          ${this.staff ? conversation.ratings.map((rating) => this.#renderRating(fmt(t.ratedBy, { name: rating.author.name, score: rating.score }), rating.comment)) : nothing}
          <div part="thread-actions" class="actions" role="group" aria-label=${t.conversationActions}>
            <button part="button" class="button" type="button" @click=${() => this.#change('unread', 'secure-conversation-unread')}>${t.markUnread}</button>
            <button
              part="button"
              class="button"
              type="button"
              @click=${() => (this.note = this.emit('secure-next-conversation', { id: conversation.id }, { cancelable: true }).defaultPrevented ? t.noNext : '')}
            >
              ${t.nextMessage}
            </button>
            <button part="button" class="button" type="button" aria-expanded=${this.panel === 'add' ? 'true' : 'false'} @click=${this.#openAdd}>
              ${t.addRecipients}
            </button>
            ${
              this.folder === 'trash'
                ? html`<button part="button" class="button" type="button" @click=${() => this.#change('restore', 'secure-conversation-restore')}>${t.restore}</button>`
                : html`<button part="button" class="button" type="button" @click=${() => this.#change('trash', 'secure-conversation-trash')}>
                  ${t.moveToTrash}
                </button>`
            }
            <button part="button" class="button" type="button" aria-expanded=${this.panel === 'leave' ? 'true' : 'false'} @click=${this.#openLeave}>
              ${t.leave}
            </button>
            ${
              this.staff
                ? nothing
                : html`<button part="button solve" class="button" type="button" @click=${this.#solve}>
                  ${conversation.status === 'resolved' ? t.reopen : t.markSolved}
                </button>`
            }
            <span class="muted" role="status">${this.note}</span>
          </div>
          ${
            this.staff
              ? html`<secure-conversation-controls
                exportparts="controls, assignee, assign-me, status-select, notify-admins, result, button, error"
                theme=${this.theme}
                .conversation=${conversation}
                @secure-conversation-update=${(event: CustomEvent<{ conversation: Conversation }>) => this.#update(event.detail.conversation)}
              ></secure-conversation-controls>`
              : nothing
          }
          ${this.#renderPanel(conversation)}
          ${
            this.actionError
              ? html`<p part="error" class="error-text" role="alert">
                ${typeof this.actionError === 'string' ? this.actionError : errorMessage(t, this.actionError)}
              </p>`
              : nothing
          }
        </header>
        ${
          data.nextCursor || messages.length > this.shown
            ? html`<button part="button older" class="button quiet older" type="button" ?disabled=${this.loadingOlder} @click=${this.#loadOlder}>
              ${this.loadingOlder ? t.loading : t.olderMessages}
            </button>`
            : nothing
        }
        <div
          part="messages"
          class="messages"
          role="feed"
          aria-label=${t.messages}
          aria-busy=${this.loadingOlder ? 'true' : 'false'}
          @click=${this.#onFeedClick}
        >
          ${items.map((item, index) => {
            const position = first + index + 1;
            const size = complete ? items.length : -1;
            // Lines the feed tells rather than someone wrote: a departure, the acknowledgement of a new question.
            const line = (content: unknown, acknowledged = false) =>
              html`<article part=${acknowledged ? 'acknowledgement' : 'departure'} class="muted" tabindex="0" aria-posinset=${position} aria-setsize=${size}
                >${content}</article
              >`;
            if ('at' in item) return line(html`${fmt(t.personLeft, { name: item.user.name })} <time datetime=${item.at}>${longDate(item.at)}</time>`);
            const { sentTo, replyAmount, replyUnit } = item.properties;
            if (item.kind === 'acknowledgement')
              return line(
                replyUnit ? acknowledgementText(t, String(sentTo), { amount: Number(replyAmount), unit: String(replyUnit) }, this.#locale) : bodyOf(item),
                true,
              );
            return this.#renderMessage(item, position - 1, size);
          })}
        </div>
        ${
          conversation.seen
            ? html`<p part="seen" class="muted">
              ${fmt(conversation.seen.by.team ? t.seenByTeam : t.seenBy, { name: conversation.seen.by.name, time: shortDate(conversation.seen.at, this.#locale) })}
            </p>`
            : nothing
        }
        ${this.staff ? nothing : this.#renderCustomerRating(conversation)}
        <div class="sr-only" role="status" aria-live="polite">${this.announcement}</div>
        ${this.#renderReply(messages)}
      </section>
    `;
  }

  #renderPanel(conversation: Conversation) {
    const t = this.t;
    if (this.panel === 'leave') {
      return html`<div part="panel" class="panel" role="group" aria-labelledby="leave-text" @keydown=${this.#onPanelKeydown}>
        <p id="leave-text">${t.leaveConfirm}</p>
        <button part="button" class="button danger" type="button" @click=${() => this.#change('leave', 'secure-conversation-leave')}>${t.leave}</button>
        <button part="button" class="button" type="button" @click=${this.#closePanel}>${t.cancel}</button>
      </div>`;
    }
    if (this.panel !== 'add') return nothing;
    if (!this.directory) return renderLoading(t);
    const present = new Set(conversation.participants.map((p) => p.id));
    const candidates = this.directory.filter((person) => !present.has(person.id));
    // Messages written while no customer took part stay with staff: a customer added now sees what follows.
    const staffOnly = !conversation.participants.some((p) => p.role === 'customer') && candidates.some((p) => p.role === 'customer');
    return html`<form part="panel" class="panel" @submit=${this.#add} @keydown=${this.#onPanelKeydown}>
      <fieldset aria-describedby=${staffOnly ? 'add-hint' : nothing}>
        <legend>${t.addRecipients}</legend>
        ${staffOnly ? html`<p id="add-hint" part="panel-hint" class="muted">${t.customersSeeFromNow}</p>` : nothing}
        ${
          candidates.length
            ? candidates.map(
                (person) => html`<label class="check"
                ><input type="checkbox" name="userId" value=${person.id} /> ${person.name}
                <span class="muted">(${flagLabel(t, person)})</span></label
              >`,
              )
            : html`<p>${t.noOneToAdd}</p>`
        }
      </fieldset>
      ${candidates.length ? html`<button part="button" class="button primary" type="submit">${t.add}</button>` : nothing}
      <button part="button" class="button" type="button" @click=${this.#closePanel}>${t.cancel}</button>
    </form>`;
  }

  /** A rating as a line: who gave it (staff) or "You rated…" (its author), its comment, and what follows (Change rating). */
  #renderRating(text: string, comment: string | null, more: unknown = nothing) {
    return html`<p part="rating" class="participants" tabindex="-1">${text}${comment ? html` <q>${comment}</q>` : nothing}${more}</p>`;
  }

  /**
   * Customers: while the conversation waits for staff, how soon they usually answer; once it is answered or solved,
   * the rating form, or the rating given (changeable until `changeableUntil`).
   */
  #renderCustomerRating(conversation: ThreadConversation) {
    const t = this.t;
    const mine = conversation.ratings[0];
    const may = conversation.status === 'answered' || conversation.status === 'resolved';
    if (conversation.status === 'open' && conversation.expectedReply)
      return html`<p part="expected-reply" class="muted">${replyTime(t, conversation.expectedReply, this.#locale)}</p>`;
    if (mine && !this.rating)
      return this.#renderRating(
        fmt(t.yourRating, { score: mine.score }),
        mine.comment,
        may && Date.parse(mine.changeableUntil) > Date.now()
          ? html` <button part="button" class="button quiet" type="button" @click=${() => this.#openRating(true)}>${t.changeRating}</button>`
          : nothing,
      );
    if (!may) return nothing;
    return html`<form
      part="rating-form"
      class="panel"
      @submit=${this.#rate}
      @keydown=${(event: KeyboardEvent) => event.key === 'Escape' && mine && this.#openRating(false)}
    >
      <fieldset class="scores">
        <legend>${t.rateLegend}</legend>
        ${[1, 2, 3, 4, 5].map((score) => html`<label class="check"><input type="radio" name="score" value=${score} ?checked=${mine?.score === score} /> ${score}</label>`)}
      </fieldset>
      <label class="comment">${t.ratingComment}<textarea name="comment" rows="2" maxlength="1000" .value=${mine?.comment ?? ''}></textarea></label>
      <button part="button" class="button primary" type="submit">${t.sendRating}</button>
      ${mine ? html`<button part="button" class="button" type="button" @click=${() => this.#openRating(false)}>${t.cancel}</button>` : nothing}
      <span part="error" class="error-text" role="alert">${this.ratingError}</span>
    </form>`;
  }

  /** Opens the rating form to change a rating (focus on its score), or closes it (focus back on "Change rating"). */
  async #openRating(open: boolean): Promise<void> {
    this.rating = open;
    this.ratingError = '';
    await this.updateComplete;
    this.renderRoot.querySelector<HTMLElement>(open ? '[name=score]:checked' : '[part~="rating"] button')?.focus();
  }

  #renderMessage(message: Message, index: number, setSize: number) {
    const t = this.t;
    const internal = isInternal(message);
    const flag = flagOf(message.author);
    const when = longDate(message.createdAt, this.#locale);
    const parts = `message${internal ? ' message-internal' : ''}${message.kind === 'status_update' ? ' message-status-update' : ''}`;
    // No whitespace between tags (fewer nodes to clone); the rare pieces (markers, tip, hint, attachments) are drawn
    // only when present.
    return html`<article
      part=${parts}
      class="message flag-${flag}${internal ? ' internal' : ''}"
      tabindex="0"
      aria-posinset=${index + 1}
      aria-setsize=${setSize}
      aria-label=${`${message.author.name}, ${when}`}
      ><header part="message-header" class="message-header"
        ><strong class="author">${message.author.name}</strong
        ><span class="role">${flagLabel(t, message.author)}</span
        >${internal || message.kind === 'status_update' ? this.#renderMarkers(message, internal) : nothing}<time
          datetime=${message.createdAt}
          dir="auto"
          >${when}</time
        >${
          message.tip
            ? html`<secure-tip-popover theme=${this.theme} exportparts="tip-button, tip, tip-text, tip-close" .tip=${message.tip}></secure-tip-popover>`
            : nothing
        }</header
      >${internal ? html`<p part="internal-hint" class="internal-hint">${t.internalHint}</p>` : nothing}${bodyOf(message)}${
        message.attachments.length ? this.#renderAttachments(message.attachments) : nothing
      }<button part="button reply-to" class="button quiet reply-to" type="button"
        >${t.reply}<span class="sr-only">${`: ${message.author.name}, ${when}`}</span></button
      ></article
    >`;
  }

  #renderMarkers(message: Message, internal: boolean) {
    const t = this.t;
    return html`${internal ? html`<span part="internal-label" class="chip internal-label" title=${t.internalHint}>${t.internal}</span>` : nothing}${message.kind === 'status_update' ? html`<span class="chip">${t.statusUpdate}</span>` : nothing}`;
  }

  #renderAttachments(attachments: Attachment[]) {
    const t = this.t;
    return html`<ul part="attachments" class="attachments" aria-label=${t.attachments}>
      ${attachments.map(
        (attachment) => html`<li part="attachment">
          ${attachment.contentType === 'application/pdf' ? html`<span part="file-icon" class="chip">PDF</span>` : nothing}
          <span>${attachment.name}</span>
          <span class="muted">(${fileSize(attachment.size)})</span>
          ${
            attachment.scanStatus === 'infected'
              ? html`<strong part="scan-status" class="danger">${t.scanInfected}</strong>`
              : html`${attachment.scanStatus === 'pending' ? html`<span part="scan-status" class="muted">${t.scanPending}</span>` : this.#preview(attachment)}
                <button
                  part="button attachment-download"
                  class="button quiet"
                  type="button"
                  aria-label=${fmt(t.downloadFile, { name: attachment.name })}
                  @click=${(event: Event) => this.#download(event, attachment)}
                >
                  ${t.download}
                </button>`
          }
        </li>`,
      )}
    </ul>`;
  }

  /**
   * An image attachment (scanned clean, or no scanner) drawn small: its bytes fetched with the token from the API's
   * own address for this attachment id, decoded and drawn on a canvas. No URL is made (neither `blob:` nor the file's),
   * so a page whose CSP has `img-src 'self'` needs nothing more, and the decoded image is released once drawn.
   * Made once per attachment while the thread is open; a file that does not decode shows no preview.
   */
  #preview(attachment: Attachment) {
    if (!/^image\/(png|jpeg|gif|webp)$/.test(attachment.contentType) || attachment.size > maxPreviewBytes || !this.session) return nothing;
    let canvas = this.#previews.get(attachment.id);
    if (!canvas) {
      const drawn = (canvas = document.createElement('canvas'));
      this.#previews.set(attachment.id, drawn);
      drawn.setAttribute('part', 'attachment-preview');
      drawn.setAttribute('role', 'img');
      drawn.setAttribute('aria-label', attachment.name);
      drawn.hidden = true;
      this.session.api
        .download(attachment)
        .then(createImageBitmap)
        .then((image) => {
          const scale = Math.min(1, 320 / image.width, 240 / image.height);
          drawn.width = Math.max(1, Math.round(image.width * scale));
          drawn.height = Math.max(1, Math.round(image.height * scale));
          drawn.getContext('2d')!.drawImage(image, 0, 0, drawn.width, drawn.height);
          image.close();
          drawn.hidden = false;
        })
        .catch(() => undefined);
    }
    return canvas;
  }

  /**
   * Staff: the saved replies for the answer's `/word`, or the staff to mention for its `@word` (a status says how many),
   * and what the last choice did.
   */
  #renderOffer() {
    const t = this.t;
    const offer = this.offer;
    const items: { label: string; choose: () => unknown }[] = !offer
      ? []
      : 'saved' in offer
        ? offer.saved.map((reply) => ({ label: reply.title, choose: () => this.#insertSaved(reply) }))
        : offer.people.map((person) => ({ label: person.name, choose: () => this.#mention(person, offer.q) }));
    const mentions = offer && 'people' in offer;
    return html`<div part="suggestions" role="group" aria-label=${mentions ? t.mentions : t.savedReplies} @keydown=${this.#onOfferKeydown}>
      <p class="muted" role="status">
        ${
          offer
            ? fmt(
                items.length
                  ? plural(mentions ? t.mentionsFound : t.savedRepliesFound, items.length, this.#locale)
                  : mentions
                    ? t.noMentions
                    : t.noSavedReplies,
                {
                  q: offer.q,
                },
              )
            : this.savedNote || t.suggestionsHint
        }
      </p>
      ${
        items.length
          ? html`<ul class="saved">
            ${items.map(
              (item) =>
                html`<li><button part=${mentions ? 'button mention' : 'button saved-reply'} class="button quiet" type="button" @click=${item.choose}>${item.label}</button></li>`,
            )}
          </ul>`
          : nothing
      }
    </div>`;
  }

  #renderReply(messages: Message[]) {
    const t = this.t;
    const answering =
      messages.find((message) => message.id === this.replyTo) ??
      [...messages].reverse().find((message) => message.kind !== 'acknowledgement' && (!isInternal(message) || this.staff));
    return html`<form
      part="reply"
      class="reply"
      @submit=${this.#send}
      @keydown=${this.#onReplyKeydown}
      @dragover=${allowDrop}
      @drop=${(event: DragEvent) => this.picker?.drop(event)}
      @paste=${(event: ClipboardEvent) => this.picker?.drop(event)}
      aria-labelledby="reply-title"
    >
      <h3 id="reply-title" class="sr-only">${t.reply}</h3>
      ${
        answering
          ? html`<figure part="reply-quote" class="quote">
            <figcaption>${fmt(t.replyingTo, { name: answering.author.name })}</figcaption>
            <blockquote>${quoteOf(answering)}</blockquote>
          </figure>`
          : nothing
      }
      <secure-rich-editor
        theme=${this.theme}
        .label=${t.yourReply}
        exportparts="label, toolbar, tool, editor, link-form, button, error"
        @secure-input=${this.#onInput}
      ></secure-rich-editor>
      <secure-attachment-picker
        theme=${this.theme}
        .session=${this.session}
        exportparts="attach, attachment-list, attachment-chip, progress, cancel-upload, remove-attachment, button, error"
      ></secure-attachment-picker>
      ${this.staff ? this.#renderOffer() : nothing}
      ${
        this.staff
          ? html`<p part="writing" class="muted" role="status">
            ${
              this.writing.length
                ? fmt(plural(t.othersWriting, this.writing.length, this.#locale), {
                    names: new Intl.ListFormat(this.#locale).format(this.writing.map((writer) => writer.name)),
                  })
                : ''
            }
          </p>`
          : nothing
      }
      <div class="reply-actions">
        ${
          this.staff
            ? html`<secure-answer-panel
              theme=${this.theme}
              exportparts="answer-panel, answer-button, answer-internal, internal-banner, confirm, tip-field, notify, button"
              ?sending=${this.sending}
              @secure-answer=${(event: CustomEvent<Answer>) => this.#send(event, event.detail)}
            ></secure-answer-panel>`
            : html`<button part="button send" class="button primary" type="submit" ?disabled=${this.sending}>${this.sending ? t.sending : t.send}</button>`
        }
        <span part="error" class="error-text" role="alert">${this.sendError}</span>
      </div>
    </form>`;
  }
}

SecureThreadView.define('secure-thread-view');

declare global {
  interface HTMLElementTagNameMap {
    'secure-thread-view': SecureThreadView;
  }
}
