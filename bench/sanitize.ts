/**
 * What sanitizing a body costs on the thread that takes a send (domain/rich-text.ts): `prepareRichText`
 * (parse, clean, serialize, plain text) over 1,000 bodies of the kinds the widget's editor and pasting
 * produce, then over 20,000-character hostile bodies (deep nesting, misnesting, space padding), which
 * must cost about what as many ordinary characters do.
 *
 *   cd bench && node --import tsx sanitize.ts [--rounds 5]
 */
import { prepareRichText } from '../packages/server/src/domain/rich-text.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

const WORDS = 'thanks we received the signed form and will review it this week please upload permit inspection fee invoice account question answer'.split(' ');

/** `count` bodies as people write them: mostly paragraphs, some formatting, lists, links, pasted markup. */
export function typicalBodies(count = 1000, seed = 17): string[] {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sentence = () => {
    const words = Array.from({ length: 5 + Math.floor(random() * 25) }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    return words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.';
  };
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = random();
    if (kind < 0.55) bodies.push(`<p>${sentence()}</p>`);
    else if (kind < 0.75) bodies.push(`<p>${sentence()} <strong>${sentence()}</strong></p><p>${sentence()}<br>${sentence()}</p>`);
    else if (kind < 0.85) bodies.push(`<p>${sentence()}</p><ul><li>${sentence()}</li><li><em>${sentence()}</em></li></ul>`);
    else if (kind < 0.95) bodies.push(`<p>${sentence()} <a href="https://portal.example.com/permits/${i}">permit ${i}</a> &amp; more.</p>`);
    else bodies.push(`<div class="pasted" style="color:#333"><p><span>${sentence()}</span></p><p>&nbsp;</p><img src="x.png"><p>${sentence()}</p></div>`);
  }
  return bodies;
}

export function hostileBodies(): Record<string, string> {
  return {
    'nested <b> × 6,666': '<b>'.repeat(6666),
    'nested <div> × 3,999': '<div>'.repeat(3999),
    '<b><p> × 3,333 (misnested)': '<b><p>'.repeat(3333),
    '<p>a + 19,990 spaces + b</p>': `<p>a${' '.repeat(19990)}b</p>`,
    'ordinary, 20,000 characters': '<p><strong>x</strong> ordinary words here.</p>'.repeat(465),
  };
}

function perBody(bodies: string[], rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (const body of bodies) {
      try {
        prepareRichText(body);
      } catch {
        // a refused body (too deep) is timed too
      }
    }
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e3 / bodies.length);
  }
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(arg('rounds', '5'));
  const bodies = typicalBodies();
  perBody(bodies, 2);
  console.log(`typical bodies: ${perBody(bodies, rounds).toFixed(1)} µs per body (best of ${rounds} rounds over ${bodies.length})`);
  for (const [name, body] of Object.entries(hostileBodies())) {
    console.log(`${name}: ${(perBody([body], rounds) / 1000).toFixed(2)} ms`);
  }
}
