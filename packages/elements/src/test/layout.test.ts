/**
 * Fit and alignment as a person sees them, at common widths, left to right and right to left: how to search and
 * the recipients hint are read whole (no cut placeholder), and every checkbox sits beside its label.
 */
import { expect, fixtureSync, html } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import '../components/secure-inbox/secure-inbox.js';
import type { SecureInbox } from '../components/secure-inbox/secure-inbox.js';
import { http, HttpResponse } from 'msw';
import { q, qa, until, useMocks, worker } from '../internal/test/mocks.js';

const widths = [1024, 1280, 1440];

async function inbox(token: string, dir: 'ltr' | 'rtl', conversation?: string): Promise<SecureInbox> {
  // fixtureSync: a plain wrapper would make fixture() wait for an animation frame, which background tabs may not get.
  const host = fixtureSync(html`<div dir=${dir}><secure-inbox token=${token} conversation=${conversation ?? ''}></secure-inbox></div>`);
  return host.querySelector('secure-inbox')!;
}

/** The width the placeholder takes in the input's font, and the room the input has for it. */
function placeholderFit(input: HTMLInputElement): { needs: number; room: number } {
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d')!;
  context.font = style.font;
  return {
    needs: context.measureText(input.placeholder).width,
    room: input.clientWidth - parseFloat(style.paddingInlineStart) - parseFloat(style.paddingInlineEnd),
  };
}

/** The box of a label's first words (its first text), as drawn. */
function wordsOf(label: Element): DOMRect {
  const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT, { acceptNode: (node) => (node.textContent!.trim() ? 1 : 3) });
  const range = document.createRange();
  range.selectNodeContents(walker.nextNode()!);
  return range.getBoundingClientRect();
}

/** The checkbox is on the line of its label's first words, at their inline start. */
function expectBeside(label: Element, dir: 'ltr' | 'rtl'): void {
  const box = label.querySelector('input[type="checkbox"]')!.getBoundingClientRect();
  const words = wordsOf(label);
  const middle = (box.top + box.bottom) / 2;
  expect(middle, `${label.textContent!.trim()}: checkbox on the line of its words`).to.be.within(words.top, words.bottom);
  if (dir === 'ltr') expect(box.right, 'checkbox before its words').to.be.at.most(words.left);
  else expect(box.left, 'checkbox before its words').to.be.at.least(words.right);
}

/** Not cut: inside every box that clips it, and not wider than itself. */
function expectWhole(element: HTMLElement): void {
  const rect = element.getBoundingClientRect();
  expect(element.scrollWidth, element.textContent!).to.be.at.most(element.clientWidth);
  for (let node: Element | null = element.parentElement; node; node = node.parentElement ?? (node.getRootNode() as ShadowRoot).host ?? null) {
    if (getComputedStyle(node).overflow === 'visible') continue;
    const clip = node.getBoundingClientRect();
    expect(rect.top, `${element.textContent} inside <${node.localName}>`).to.be.at.least(clip.top - 0.5);
    expect(rect.bottom, `${element.textContent} inside <${node.localName}>`).to.be.at.most(clip.bottom + 0.5);
    expect(rect.left).to.be.at.least(clip.left - 0.5);
    expect(rect.right).to.be.at.most(clip.right + 0.5);
  }
}

describe('fit and alignment', () => {
  useMocks();
  after(() => setViewport({ width: 800, height: 600 }));

  for (const dir of ['ltr', 'rtl'] as const) {
    it(`shows how to search whole, beside the field, at common widths and in a narrow list (${dir})`, async () => {
      const el = await inbox('token-alice', dir);
      const input = await until(() => q<HTMLInputElement>(el, '[part~="search-input"]'));
      const hint = q(el, `#${input.getAttribute('aria-describedby')}`)!;
      expect(hint.textContent).to.equal('Words, % for all, perm% for a prefix.');
      for (const list of ['24rem', '14rem']) {
        el.style.setProperty('--secure-list-width', list);
        for (const width of widths) {
          await setViewport({ width, height: 800 });
          expectWhole(hint);
          const { needs, room } = placeholderFit(input);
          expect(needs, `a placeholder would be cut at ${width} px`).to.be.at.most(room);
        }
      }
      await expect(el).to.be.accessible();
    });

    it(`reads the recipients hint whole and puts each recipient's checkbox beside the name (${dir})`, async () => {
      await setViewport({ width: 1280, height: 800 });
      // A team of fourteen: the list of people is long.
      const people = Array.from({ length: 14 }, (_, i) => ({ id: `u-${i}`, name: `Team member ${i + 1}`, role: i % 3 ? 'staff' : 'customer' }));
      worker.use(http.get('*/api/v1/directory', () => HttpResponse.json({ items: people })));
      const el = await inbox('token-alice', dir);
      await until(() => el.shadowRoot!.querySelector('secure-compose-dialog'));
      el.openCompose();
      const boxes = await until(() => qa(el, 'secure-compose-dialog', 'label.check').length > 1 && qa(el, 'secure-compose-dialog', 'label.check'));
      for (const label of boxes) expectBeside(label, dir);
      expectWhole(q(el, 'secure-compose-dialog', '#recipients-hint')!);
      await expect(el).to.be.accessible();
    });

    it(`puts the checkboxes of Add recipients and "Notify all administrators" beside their labels (${dir})`, async () => {
      await setViewport({ width: 1280, height: 800 });
      const el = await inbox('token-bob', dir, 'c-permit');
      const notify = await until(() => q(el, 'secure-thread-view', 'secure-answer-panel', '[part~="notify"]'));
      expectBeside(notify.closest('label')!, dir);
      const add = await until(() =>
        qa<HTMLButtonElement>(el, 'secure-thread-view', '[part~="thread-actions"] button').find((b) => b.textContent!.trim() === 'Add recipients'),
      );
      add.click();
      const labels = await until(
        () => qa(el, 'secure-thread-view', 'form[part~="panel"] label').length > 0 && qa(el, 'secure-thread-view', 'form[part~="panel"] label'),
      );
      for (const label of labels) expectBeside(label, dir);
      await expect(el).to.be.accessible();
    });
  }
});
