import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { Session } from '../../internal/session.js';
import { focused, live, requestsTo, text, until, useMocks } from '../../internal/test/mocks.js';
import './attachment-picker.js';
import type { SecureAttachmentPicker } from './attachment-picker.js';
import { xhrTransport, type Transport, type UploadRequest } from './upload.js';

const chips = (el: SecureAttachmentPicker) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[part~="attachment-chip"]')];
const file = (name: string, size: number, type = 'application/pdf') => new File([new Uint8Array(size)], name, { type });

/** A transport the test drives: progress by hand, then the real mock server answers. */
function manual() {
  const pending: UploadRequest[] = [];
  const transport: Transport = (request) => {
    pending.push(request);
    return new Promise((resolve, reject) => {
      request.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      (request as UploadRequest & { finish?: () => void }).finish = () => xhrTransport(request).then(resolve, reject);
    });
  };
  return { pending, transport, finish: (i: number) => (pending[i] as UploadRequest & { finish: () => void }).finish() };
}

async function picker(transport?: Transport) {
  const el = await fixture<SecureAttachmentPicker>(html`<secure-attachment-picker></secure-attachment-picker>`);
  el.session = new Session(location.origin, { token: 'token-alice' });
  if (transport) el.transport = transport;
  return el;
}

describe('<secure-attachment-picker>', () => {
  useMocks();

  it('shows progress while uploading, then a chip with name and size; the ids are ready to send', async () => {
    const { pending, transport, finish } = manual();
    const el = await picker(transport);
    el.add([file('plan.pdf', 3000)]);
    await until(() => pending.length);
    expect(pending[0].token).to.equal('token-alice');
    pending[0].onProgress(1500, 3000);
    await el.updateComplete;
    const progress = el.shadowRoot!.querySelector<HTMLProgressElement>('[part~="progress"]')!;
    expect(progress.value).to.equal(1500);
    expect(progress.max).to.equal(3000);
    expect(progress.getAttribute('aria-label')).to.equal('Uploading plan.pdf');
    expect(el.busy).to.equal(true);
    await expect(el).to.be.accessible();
    finish(0);
    await until(() => el.ids.length);
    expect(el.ids).to.deep.equal(['att-up-1']);
    expect(el.busy).to.equal(false);
    expect(text(chips(el)[0])).to.equal('plan.pdf 2.9 KB ×');
    expect(el.shadowRoot!.querySelector('[part~="progress"]')).to.equal(null);
    expect(text(el.shadowRoot!.querySelector('[role="status"]'))).to.equal('plan.pdf attached.');
    await expect(el).to.be.accessible();
  });

  it('cancels an upload under way (the request is aborted) and removes a file before sending', async () => {
    const { pending, transport, finish } = manual();
    const el = await picker(transport);
    el.add([file('a.pdf', 10), file('b.pdf', 20)]);
    await until(() => pending.length === 2);
    chips(el)[0].querySelector<HTMLButtonElement>('[part~="cancel-upload"]')!.click();
    expect(pending[0].signal.aborted).to.equal(true);
    await el.updateComplete;
    expect(chips(el).map(text)).to.deep.equal(['b.pdf 20 B ×']);
    expect(text(el.shadowRoot!.querySelector('[role="status"]'))).to.equal('Upload of a.pdf cancelled.');
    finish(1);
    await until(() => el.ids.length === 1);
    const remove = chips(el)[0].querySelector<HTMLButtonElement>('[part~="remove-attachment"]')!;
    expect(remove.getAttribute('aria-label')).to.equal('Remove b.pdf');
    remove.click();
    await el.updateComplete;
    expect(chips(el)).to.have.length(0);
    expect(el.ids).to.deep.equal([]);
  });

  it('keeps focus in place from the keyboard: after a removal, on the chip now there, the one before, then "Attach files"', async () => {
    const el = await picker();
    el.add([file('a.pdf', 10), file('b.pdf', 20), file('c.pdf', 30)]);
    await until(() => el.ids.length === 3);
    const removeOf = (i: number) => chips(el)[i].querySelector<HTMLButtonElement>('[part~="remove-attachment"]')!;
    removeOf(1).focus();
    await sendKeys({ press: 'Enter' });
    await until(() => chips(el).length === 2);
    await el.updateComplete;
    expect(chips(el).map(text)).to.deep.equal(['a.pdf 10 B ×', 'c.pdf 30 B ×']);
    expect(focused()?.getAttribute('aria-label')).to.equal('Remove c.pdf');
    await sendKeys({ press: 'Space' });
    await until(() => chips(el).length === 1);
    await el.updateComplete;
    expect(focused()?.getAttribute('aria-label')).to.equal('Remove a.pdf');
    await sendKeys({ press: 'Enter' });
    await until(() => chips(el).length === 0);
    await el.updateComplete;
    expect(focused()).to.equal(el.shadowRoot!.querySelector('input[type="file"]'));
    expect(text(el.shadowRoot!.querySelector('[role="status"]'))).to.equal('a.pdf removed.');
    await expect(el).to.be.accessible();
  });

  it('explains refusals: too large (413) and a type not accepted (415)', async () => {
    live.uploadLimit = 100;
    const el = await picker();
    el.add([file('huge.pdf', 500), file('logo.svg', 50, 'image/svg+xml')]);
    await until(() => chips(el).filter((chip) => chip.querySelector('[part~="error"]')).length === 2);
    const errors = chips(el).map((chip) => text(chip.querySelector('[part~="error"]')));
    expect(errors).to.deep.equal(['huge.pdf: larger than the 100 B limit.', 'logo.svg: Files of type image/svg+xml are not accepted.']);
    expect(el.ids).to.deep.equal([]);
    expect(el.busy).to.equal(false);
    await expect(el).to.be.accessible();
  });

  it('uploads through XMLHttpRequest with the token, from the keyboard-reachable file input', async () => {
    const el = await picker();
    const input = el.shadowRoot!.querySelector<HTMLInputElement>('input[type="file"]')!;
    input.focus();
    expect(focused()).to.equal(input);
    expect(text(el.shadowRoot!.querySelector('[part~="attach"]'))).to.equal('Attach files');
    await sendKeys({ press: 'Tab' });
    const transfer = new DataTransfer();
    transfer.items.add(file('scan.png', 64, 'image/png'));
    el.drop(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
    await until(() => el.ids.length);
    expect(requestsTo('/attachments', 'POST')[0].auth).to.equal('Bearer token-alice');
    expect(text(chips(el)[0])).to.contain('scan.png 64 B');
  });
});
