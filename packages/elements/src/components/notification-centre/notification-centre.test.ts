import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { live, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';
import './notification-centre.js';
import type { SecureNotificationCentre } from './notification-centre.js';

const part = (el: SecureNotificationCentre, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;
const notices = (el: SecureNotificationCentre) => [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>('[part~="notification"]')];

describe('<secure-notification-centre>', () => {
  useMocks();

  it('shows the unread count, lists notices and opens the conversation of one, marking it read', async () => {
    const el = await fixture<SecureNotificationCentre>(html`<secure-notification-centre token="token-bob"></secure-notification-centre>`);
    await until(() => text(part(el, 'notifications-button')).includes('1 unread notification'));
    expect(text(part(el, 'notifications-count'))).to.equal('1');
    await expect(el).to.be.accessible();
    part(el, 'notifications-button').click();
    await until(() => notices(el).length === 2);
    expect(text(notices(el)[0])).to.contain('Inspection date (Unread) New message from a customer');
    expect(text(notices(el)[0])).to.contain('Alice Ng: Here is the plan.');
    expect(notices(el)[0].part.contains('notification-unread')).to.equal(true);
    expect(notices(el)[1].part.contains('notification-unread')).to.equal(false);
    await expect(el).to.be.accessible();
    const opened = oneEvent(el, 'secure-conversation-open');
    notices(el)[0].click();
    expect(((await opened) as CustomEvent).detail).to.deep.equal({ id: 'c-permit' });
    await until(() => requestsTo('/notifications/2/read', 'POST').length);
    await until(() => text(part(el, 'notifications-button')).includes('0 unread'));
    expect(part(el, 'notifications-count').hidden).to.equal(true);
  });

  it('marks all read, and updates live when a notice of its user arrives on the event stream', async () => {
    const el = await fixture<SecureNotificationCentre>(html`<secure-notification-centre token="token-bob"></secure-notification-centre>`);
    await until(() => live.streams.size && text(part(el, 'notifications-count')) === '1');
    // Messages alone do not move the count: only the user's own notices do.
    live.send('message.created', { conversationId: 'c-cafe', messageId: 'm-x' }, 1);
    live.notices.unshift({ ...live.notices[0], id: '3', subject: 'Terrace licence renewal', conversationId: 'c-cafe' });
    live.send('notification.created', { conversationId: 'c-cafe', messageId: 'm-x', notificationId: '3' }, 2);
    await until(() => text(part(el, 'notifications-count')) === '2');
    expect(text(part(el, 'notifications-button'))).to.contain('2 unread notifications');
    expect(requestsTo('/notifications/unread-count')).to.have.length(2);
    part(el, 'notifications-button').click();
    await until(() => notices(el).length === 3);
    expect(text(notices(el)[0])).to.contain('Terrace licence renewal (Unread)');
    // With the list open, the next notice shows up in it at once, on top.
    live.notices.unshift({ ...live.notices[0], id: '4', subject: 'Fence height', conversationId: 'c-permit' });
    live.send('notification.created', { conversationId: 'c-permit', notificationId: '4' }, 3);
    await until(() => notices(el).length === 4);
    expect(text(notices(el)[0])).to.contain('Fence height (Unread)');
    expect(text(part(el, 'notifications-count'))).to.equal('3');
    part(el, 'mark-all-read').click();
    await until(() => requestsTo('/notifications/read-all', 'POST').length && text(part(el, 'notifications-count')) === '0');
    expect(notices(el).some((n) => n.part.contains('notification-unread'))).to.equal(false);
    expect(part(el, 'mark-all-read').hasAttribute('disabled')).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('says when the list cannot be loaded (customers are refused)', async () => {
    const el = await fixture<SecureNotificationCentre>(html`<secure-notification-centre token="token-alice"></secure-notification-centre>`);
    part(el, 'notifications-button').click();
    await until(() => el.shadowRoot!.querySelector('[part~="error"]'));
    expect(text(part(el, 'error'))).to.contain('You are not allowed to do this.');
    await expect(el).to.be.accessible();
  });
});
